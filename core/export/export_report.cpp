// report.csv: its columns, writing a row, parsing one back and adding evaluation measures.
#include "core/export/export_report.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/base/errors.h"
#include "core/evaluation/evaluation.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"
#include "core/base/version.h"

namespace qs {
namespace {

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// Splits one CSV record starting at pos; advances pos past its line end.
std::vector<std::string> parseRecord(const std::string& t, std::size_t& pos, bool& ok) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    ok = true;
    for (; pos < t.size(); ++pos) {
        const char c = t[pos];
        if (quoted) {
            if (c != '"') fields.back() += c;
            else if (pos + 1 < t.size() && t[pos + 1] == '"') fields.back() += '"', ++pos;
            else quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c == '\n') {
            ++pos;
            return fields;
        } else if (c != '\r') {
            fields.back() += c;
        }
    }
    ok = !quoted;
    return fields;
}

std::string rate(const ErrorCounts& c) { return c.referenceLength > 0 ? numberText(c.rate(), "%.6f") : ""; }

}  // namespace

ReportRow versionFields() { return {{"quantscope_version", version()}, {"quantscope_commit", versionCommit()}}; }

ReportRow emptyEvaluationFields() {
    return {{"wer", ""},          {"cer", ""},          {"wer_float", ""}, {"cer_float", ""}, {"wer_vs_float", ""},
            {"cer_vs_float", ""}, {"sqnr_db", ""},      {"kl", ""},        {"eval_clips", ""}, {"eval_audio", ""}};
}

ReportRow evaluationFields(const Evaluation& e) {
    const EvaluationScores& a = e.all;
    const bool refs = e.transcripts && a.referenceClips > 0;
    return {{"wer", refs ? rate(a.werQuantized) : ""},
            {"cer", refs ? rate(a.cerQuantized) : ""},
            {"wer_float", refs ? rate(a.werFloat) : ""},
            {"cer_float", refs ? rate(a.cerFloat) : ""},
            {"wer_vs_float", e.transcripts ? rate(a.werVsFloat) : ""},
            {"cer_vs_float", e.transcripts ? rate(a.cerVsFloat) : ""},
            {"sqnr_db", numberText(a.output.sqnrDb, "%.3f")},
            {"kl", numberText(a.output.kl, "%.6g")},
            {"eval_clips", std::to_string(a.clips)},
            {"eval_audio", e.audioRoot}};
}

std::string reportCsv(const ReportRow& row) {
    std::string head, values;
    for (const auto& [k, v] : row) {
        head += (head.empty() ? "" : ",") + csvField(k);
        values += (values.empty() ? "" : ",") + csvField(v);
    }
    return head + "\n" + values + "\n";
}

ReportRow parseReportCsv(const std::string& text, const std::string& path) {
    std::size_t pos = 0;
    bool ok1 = false, ok2 = false;
    const std::vector<std::string> head = parseRecord(text, pos, ok1);
    const std::vector<std::string> values = parseRecord(text, pos, ok2);
    const bool rest = text.find_first_not_of("\r\n", pos) != std::string::npos;
    if (!ok1 || !ok2 || head.size() != values.size() || head.size() < 2 || rest)
        throw InputError(path + " is not a quantscope report (a header line and one row of as many fields)");
    ReportRow row;
    for (std::size_t i = 0; i < head.size(); ++i) row.emplace_back(head[i], values[i]);
    return row;
}

void updateReportCsv(const std::string& path, const ReportRow& fields) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    ReportRow row = parseReportCsv(text.str(), path);
    for (const auto& field : fields) {  // not a structured binding: C++17 lambdas cannot capture one
        auto it = std::find_if(row.begin(), row.end(), [&](const auto& f) { return f.first == field.first; });
        if (it != row.end()) it->second = field.second;
        else row.push_back(field);
    }
    writeFileAtomic(path, reportCsv(row));
}

}  // namespace qs
