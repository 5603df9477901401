// report.csv of an export folder: one header line and one row with the run's figures, in the spirit
// of what myQASR logs (bits per layer, their average/min/max/std, compressed size, metric, order,
// calibration method, clip count, timings) and, once `evaluate` has measured them, WER and CER.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace qs {

struct Evaluation;

// An ordered list of named fields; values are already formatted.
using ReportRow = std::vector<std::pair<std::string, std::string>>;

// The version that wrote the report: quantscope_version ("0.1.0") and quantscope_commit (empty
// outside a git checkout; see core/base/version.h).
ReportRow versionFields();

// The evaluation fields in the order the report lists them, all empty until measured:
// wer, cer (quantized vs references), wer_float, cer_float (float vs references), wer_vs_float,
// cer_vs_float (quantized vs float transcripts), sqnr_db, kl, eval_clips, eval_audio.
ReportRow emptyEvaluationFields();

// The fields an evaluation fills in ("" where it does not apply: no labels, no references).
ReportRow evaluationFields(const Evaluation& evaluation);

// CSV text of the row (RFC 4180 quoting where needed), header line first.
std::string reportCsv(const ReportRow& row);

// Parses reportCsv's output. Throws InputError naming path when the text is not a header and one row
// with as many fields.
ReportRow parseReportCsv(const std::string& text, const std::string& path);

// Reads path, sets (or appends) the given fields, and rewrites the file atomically. Throws InputError.
void updateReportCsv(const std::string& path, const ReportRow& fields);

}  // namespace qs
