// quantscope-cli personalize: the whole pipeline for one user in one process, into OUT/<user>/:
// analyze the user's tune clips, allocate for --target-mb or --target-bits, export (with any
// calibration export offers) and evaluate on the test clips that calibration never saw.
//
// Each step is the command of the same name, run in this process with the arguments it would get on
// the command line, so a personalize run and the four commands by hand give the same files. A step
// whose outputs exist and whose fingerprint (its arguments and the content of every input file,
// steps.json) is unchanged is skipped, so a killed or resubmitted run resumes where it stopped.
// The steps' own output goes to OUT/<user>/log.txt; stderr gets one line per step. result.json says
// "running" from the start, then "ok" with the measures or "failed" with the kind of failure, which
// the exit code tells apart too (see kUsage in main.cpp); after Ctrl-C or SIGTERM "failed" with the
// kind "cancelled" (exit 130), also when the signal ends the process at once (ExitRecord).
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/allocation/size_model.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/version.h"
#include "core/fleet/manifest.h"
#include "core/fleet/step_records.h"
#include "core/personalization/personalization.h"
#include "core/stats/analysis.h"

namespace qs::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Exit codes and result.json's `failure`, one per kind of failure.
struct FailureKind {
    const char* name;
    int exitCode;
};
constexpr FailureKind kBadAudio{"bad_audio", 3}, kBadModel{"bad_model", 4}, kBudget{"budget", 5},
    kCancelled{"cancelled", 130}, kError{"error", 1};

// Options that are personalize's own; the rest pass through to the steps that take them.
const std::set<std::string> kOwn = {"model", "out", "audio", "user", "manifest", "index", "target-mb", "target-bits",
                                    "profile"};
// Options a step gets from personalize itself, never passed through.
const std::set<std::string> kSet = {"model", "audio", "out", "analysis", "allocation", "quantized", "target-mb", "speaker"};

struct User {
    std::string name, audio, profile;
    double targetMb = 0, targetBits = 0;
    int index = -1;
};

double cpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

// Every regular file under dir, by path relative to it and by content, in a fixed order.
void addFolder(Fingerprint& f, const std::string& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) files.push_back(it->path());
    if (ec) throw InputError("cannot list audio folder " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
        f.text("file", fs::relative(p, dir).generic_string());
        f.file(p.string());
    }
}

// While alive, stderr (the steps' progress and summaries) goes to the user's log file.
class StderrToLog {
public:
    explicit StderrToLog(const std::string& path) {
        std::fflush(stderr);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) return;
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~StderrToLog() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    StderrToLog(const StderrToLog&) = delete;
    StderrToLog& operator=(const StderrToLog&) = delete;

private:
    int saved_ = -1;
};

// --name value for every option given to personalize that the step takes and personalize does not set.
std::vector<std::string> passThrough(const Args& args, const OptionSpec& ours, const OptionSpec& step) {
    std::vector<std::string> out;
    for (const std::string& name : ours.values)
        if (step.values.count(name) && !kOwn.count(name) && !kSet.count(name) && args.has(name))
            out.insert(out.end(), {"--" + name, args.get(name, "")});
    for (const std::string& name : ours.switches)
        if (step.switches.count(name) && args.has(name)) out.push_back("--" + name);
    return out;
}

struct StepFailed {
    FailureKind kind;
    std::string reason;
};

FailureKind classify(const std::exception& e) {
    if (dynamic_cast<const Cancelled*>(&e)) return kCancelled;
    if (dynamic_cast<const BudgetError*>(&e)) return kBudget;
    if (dynamic_cast<const AudioError*>(&e) || dynamic_cast<const AudioFolderError*>(&e)) return kBadAudio;
    if (dynamic_cast<const ModelError*>(&e)) return kBadModel;
    return kError;
}

double number(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}
json orNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

class Pipeline {
public:
    Pipeline(const Args& args, const OptionSpec& spec, User user, std::string model, std::string folder)
        : args_(args), spec_(spec), user_(std::move(user)), model_(std::move(model)), dir_(std::move(folder)),
          records_(dir_) {}

    int run() {
        const auto start = std::chrono::steady_clock::now();
        // A Ctrl-C that ends the process at once (between steps, or while a step loads the engine
        // and the model) leaves result.json as a cancelled step leaves it, not "running".
        const std::string prepared = path(".result.json.cancelled");
        writeJsonAtomic(prepared, result(failed(kCancelled, Cancelled().what())));
        ExitRecord onExit(prepared, path("result.json"), "personalize " + user_.name + ": cancelled");
        writeResult({{"status", "running"}});
        try {
            Fingerprint audio;
            addFolder(audio, user_.audio);
            if (args_.has("split")) audio.file(args_.required("split"));
            audioHex_ = audio.hex();
            Fingerprint model;
            model.file(model_);
            modelHex_ = model.hex();

            const std::vector<std::string> speaker =
                user_.profile.empty() ? std::vector<std::string>{} : std::vector<std::string>{"--speaker", user_.profile};
            const std::vector<std::string> split =
                args_.has("test-fraction") || args_.has("split") ? std::vector<std::string>{}
                                                                 : std::vector<std::string>{"--test-fraction", "0.5"};

            std::vector<std::string> analyze = {"--model", model_, "--audio", user_.audio, "--out", path("analysis.json")};
            append(analyze, speaker, split, passThrough(args_, spec_, analyzeOptions()));
            step(1, "analyze", runAnalyze, analyze, {"analysis.json"}, {}, {});

            std::vector<std::string> allocate = {"--analysis", path("analysis.json"), "--out", path("allocation.json"),
                                                 "--target-mb", targetMb()};
            OptionSpec allocateSpec = allocateOptions();
            if (!args_.has("fit-files"))  // then these are the export's granularity alone
                for (const char* o : {"weight-granularity", "weight-group-size"}) allocateSpec.values.erase(o);
            append(allocate, passThrough(args_, spec_, allocateSpec));
            step(2, "allocate", runAllocate, allocate, {"allocation.json"}, {"analysis.json"}, {"analyze"});

            std::vector<std::string> exportArgs = {"--model", model_, "--analysis", path("analysis.json"), "--allocation",
                                                   path("allocation.json"), "--audio", user_.audio, "--out", path("quantized")};
            append(exportArgs, passThrough(args_, spec_, exportOptions()));
            step(3, "export", runExport, exportArgs, {"quantized"}, {"analysis.json", "allocation.json"}, {"allocate"});

            std::vector<std::string> evaluate = {"--model", model_, "--quantized", path("quantized"), "--audio", user_.audio,
                                                 "--out", path("evaluation.json")};
            append(evaluate, speaker, split, passThrough(args_, spec_, evaluateOptions()));
            step(4, "evaluate", runEvaluate, evaluate, {"evaluation.json"}, {"quantized/model.pt"}, {"export"});
        } catch (const StepFailed& f) {
            onExit.disarm();
            writeResult(failed(f.kind, f.reason));
            return f.kind.exitCode;
        }
        onExit.disarm();
        json done = measures();
        done["status"] = "ok";
        writeResult(done);
        std::fprintf(stderr, "personalize %s: ok in %.1f s, %s\n", user_.name.c_str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                     (dir_ + "/result.json").c_str());
        return 0;
    }

private:
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

    template <typename... More>
    static void append(std::vector<std::string>& to, const More&... more) {
        (to.insert(to.end(), more.begin(), more.end()), ...);
    }

    // The allocation's target in MB: given, or from average bits over the analysed layers.
    std::string targetMb() const {
        if (user_.targetMb > 0) return std::to_string(user_.targetMb);
        const Analysis analysis = loadAnalysis(path("analysis.json"));
        const double mb = targetMbForAverageBits(SizeModel::fromModel(analysis.model), user_.targetBits);
        char text[64];
        std::snprintf(text, sizeof text, "%.9g", mb);
        return text;
    }

    void step(int number, const std::string& name, int (*command)(const std::vector<std::string>&),
              const std::vector<std::string>& argv, const std::vector<std::string>& outputs,
              const std::vector<std::string>& inputFiles, const std::vector<std::string>& after) {
        Fingerprint f;
        f.text("step", name).text("version", versionText());
        for (const std::string& a : argv) f.text("arg", a);
        f.step("model", modelHex_).step("audio", audioHex_);
        for (const std::string& in : inputFiles) f.file(path(in));
        for (const std::string& s : after)
            if (const StepRecord* r = records_.find(s)) f.step(s, r->fingerprint);
        const std::string fingerprint = f.hex();
        const char* user = user_.name.c_str();
        if (records_.upToDate(name, fingerprint)) {
            std::fprintf(stderr, "personalize %s [%d/4] %s: up to date, skipped\n", user, number, name.c_str());
            return;
        }
        records_.forget(name);
        const auto start = std::chrono::steady_clock::now();
        const double cpu = cpuSeconds();
        try {
            StderrToLog log(path("log.txt"));
            std::fprintf(stderr, "== %s: quantscope-cli %s", name.c_str(), name.c_str());
            for (const std::string& a : argv) std::fprintf(stderr, " %s", a.c_str());
            std::fprintf(stderr, "\n");
            command(argv);
        } catch (const std::exception& e) {
            const FailureKind kind = classify(e);
            std::fprintf(stderr, "personalize %s [%d/4] %s: failed (%s): %s\n", user, number, name.c_str(), kind.name, e.what());
            throw StepFailed{kind, e.what()};
        }
        StepRecord r;
        r.fingerprint = fingerprint;
        r.outputs = outputs;
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        r.cpuSeconds = cpuSeconds() - cpu;
        records_.record(name, r);
        std::fprintf(stderr, "personalize %s [%d/4] %s: done in %.1f s (CPU %.1f s)\n", user, number, name.c_str(),
                     r.seconds, r.cpuSeconds);
    }

    json measures() const {
        json m;
        const json allocation = readJson(path("allocation.json"));
        for (const char* k : {"target_mb", "size_mb", "float_size_mb", "average_bits"}) m[k] = orNull(number(allocation, k));
        const json analysis = readJson(path("analysis.json"));
        int tune = 0;
        double seconds = 0;
        for (const json& s : analysis.at("speakers")) tune += s.value("clips", 0), seconds += s.value("seconds", 0.0);
        const json all = readJson(path("evaluation.json")).at("all");
        m["wer"] = orNull(number(all, "wer_quantized"));
        m["wer_float"] = orNull(number(all, "wer_float"));
        m["wer_vs_float"] = orNull(number(all, "wer_vs_float"));
        m["sqnr_db"] = orNull(number(all, "sqnr_db"));
        m["tune_clips"] = tune;
        m["test_clips"] = all.value("clips", 0);
        m["audio_seconds"] = seconds + all.value("seconds", 0.0);
        double wall = 0, cpu = 0;
        for (const char* s : {"analyze", "allocate", "export", "evaluate"})
            if (const StepRecord* r = records_.find(s)) wall += r->seconds, cpu += r->cpuSeconds;
        m["seconds"] = wall;
        m["cpu_seconds"] = cpu;
        return m;
    }

    static json failed(const FailureKind& kind, const std::string& reason) {
        return {{"status", "failed"}, {"failure", kind.name}, {"reason", reason}};
    }
    json result(json fields) const {
        fields["user"] = user_.name;
        if (user_.index >= 0) fields["index"] = user_.index;
        fields["audio"] = user_.audio;
        fields["model"] = model_;
        fields["written_by"] = writtenByJson();
        return fields;
    }
    void writeResult(const json& fields) const { writeJsonAtomic(path("result.json"), result(fields)); }

    const Args& args_;
    const OptionSpec& spec_;
    User user_;
    std::string model_, dir_;
    StepRecords records_;
    std::string audioHex_, modelHex_;
};

}  // namespace

OptionSpec personalizeOptions() {
    OptionSpec spec;
    spec.values = {"model", "out", "audio", "user", "manifest", "index", "target-mb", "target-bits", "profile"};
    spec.switches = {};
    // Everything analyze, allocate, export and evaluate take passes through, but what personalize sets.
    for (OptionSpec (*step)() : {analyzeOptions, allocateOptions, exportOptions, evaluateOptions}) {
        const OptionSpec s = step();
        for (const std::string& v : s.values)
            if (!kSet.count(v)) spec.values.insert(v);
        spec.switches.insert(s.switches.begin(), s.switches.end());
        for (const auto& [name, values] : s.choices) spec.choices.emplace(name, values);
    }
    spec.values.erase("trn");  // evaluate's transcripts: not part of a user's folder
    return spec;
}

int runPersonalize(const std::vector<std::string>& argv) {
    const OptionSpec spec = personalizeOptions();
    const Args args(argv, spec);
    const std::string model = fs::absolute(args.required("model")).lexically_normal().string();
    const std::string out = args.required("out");

    User user;
    if (args.has("manifest")) {
        if (args.has("audio") || args.has("user")) throw InputError("give either --manifest or --audio/--user, not both");
        const std::vector<ManifestUser> users = readManifest(args.required("manifest"));
        const int index = manifestIndex(args.has("index") ? std::optional<int>(args.getInt("index", 0)) : std::nullopt,
                                        users.size());
        const ManifestUser& u = users[std::size_t(index)];
        user = {u.user, u.audio, u.profile, u.targetMb, u.targetBits, index};
    } else {
        if (args.has("index")) throw InputError("--index picks a user of --manifest");
        user.audio = fs::absolute(args.required("audio")).lexically_normal().string();
        user.name = args.get("user", fs::path(user.audio).filename().string());
        user.profile = args.get("profile", "");
    }
    if (user.targetMb <= 0 && user.targetBits <= 0) {  // the manifest's budget wins over the command line's
        if (args.has("target-mb") == args.has("target-bits"))
            throw InputError("give the budget as --target-mb or --target-bits (or in the manifest)");
        user.targetMb = args.getDouble("target-mb", 0);
        user.targetBits = args.getDouble("target-bits", 0);
        if (!(user.targetMb > 0) && !(user.targetBits > 0)) throw InputError("the budget must be a positive number");
    }
    if (user.name.empty() || user.name.find_first_of("/\\") != std::string::npos || user.name == "." || user.name == "..")
        throw InputError("'" + user.name + "' cannot name a user's folder: give --user NAME");

    const std::string folder = (fs::path(out) / user.name).string();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw InputError("cannot create " + folder + ": " + ec.message());
    return Pipeline(args, spec, user, model, folder).run();
}

}  // namespace qs::cli
