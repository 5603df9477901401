// model.onnx, the LibTorch-free half (onnx_export.h): the spec for tools/onnx/export_onnx.py, finding
// the script and the interpreter, running it as a child process, and reading its summary.
#include "core/export/onnx_export.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/base/errors.h"

extern char** environ;

namespace qs {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kToolRelative = "tools/onnx/export_onnx.py";
constexpr const char* kErrorPrefix = "quantscope-onnx: ";

// The folder of the shared library this function is in (build/lib, or /usr/lib/quantscope).
fs::path libraryDir() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&libraryDir), &info) == 0 || !info.dli_fname) return {};
    std::error_code ec;
    const fs::path p = fs::canonical(info.dli_fname, ec);
    return ec ? fs::path() : p.parent_path();
}

// The line the child's failure is told by: its last "quantscope-onnx: " line, else its last line.
std::string failureLine(const std::string& stderrPath) {
    std::ifstream in(stderrPath);
    std::string line, last, tagged;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        last = line;
        if (line.rfind(kErrorPrefix, 0) == 0) tagged = line.substr(std::strlen(kErrorPrefix));
    }
    if (!tagged.empty()) return tagged;
    if (last.size() > 400) last = last.substr(0, 400) + "…";
    return last;
}

json layerJson(const OnnxLayerSpec& l) {
    json j = {{"name", l.name}, {"param", l.param}, {"bits", l.bits}, {"granularity", granularityName(l.granularity)},
              {"shape", l.shape}, {"scales", l.scales}};
    if (l.granularity == Granularity::PerGroup) j["group_size"] = l.groupSize;
    if (l.input && l.input->on) {
        const ActivationEncoding& e = *l.input;
        json in = {{"bits", e.bits}, {"min", e.min}, {"max", e.max}, {"scale", e.scale}, {"zero_point", e.zeroPoint}};
        if (e.groups > 0) {  // per embedding group: every channel carries its group's quantizer
            std::vector<float> lo, hi, scale;
            std::vector<std::int64_t> zp;
            for (int g : e.channelGroup) {
                const std::size_t k = std::size_t(g);
                lo.push_back(e.groupMin[k]);
                hi.push_back(e.groupMax[k]);
                scale.push_back(e.groupScale[k]);
                zp.push_back(e.groupZeroPoint[k]);
            }
            in["channel_min"] = lo;
            in["channel_max"] = hi;
            in["channel_scales"] = scale;
            in["channel_zero_points"] = zp;
        }
        j["input"] = in;
    }
    return j;
}

}  // namespace

json onnxSpecJson(const std::vector<OnnxLayerSpec>& layers, const json& quantizerArgs) {
    json list = json::array();
    for (const OnnxLayerSpec& l : layers) list.push_back(layerJson(l));
    return {{"layers", list}, {"quantizer_args", quantizerArgs}};
}

OnnxSummary parseOnnxSummary(const json& j) {
    OnnxSummary s;
    try {
        s.written = true;
        s.opset = j.at("opset").get<int>();
        s.fileBytes = j.at("file_bytes").get<std::int64_t>();
        s.tensorBytes = j.at("tensor_bytes").get<std::int64_t>();
        s.floatBytes = j.at("float_bytes").get<std::int64_t>();
        s.structureBytes = j.at("structure_bytes").get<std::int64_t>();
        for (const json& l : j.at("layers")) {
            s.codeBytes += l.at("code_bytes").get<std::int64_t>();
            s.scaleBytes += l.at("scale_bytes").get<std::int64_t>();
            s.zeroPointBytes += l.at("zero_point_bytes").get<std::int64_t>();
            s.paddingBits += l.at("padding_bits").get<std::int64_t>() * l.value("elements", std::int64_t(0));
            const std::string storage = l.at("storage").get<std::string>();
            s.int4Layers += storage == "INT4";
            s.int8Layers += storage == "INT8" || storage == "UINT8";
            s.int16Layers += storage == "INT16";
        }
    } catch (const json::exception& e) {
        throw InputError(std::string("the ONNX exporter's summary is malformed (") + e.what() + ")");
    }
    return s;
}

std::string pythonPath() {
    const char* env = std::getenv("QUANTSCOPE_PYTHON");
    return env && *env ? env : "/usr/bin/python3";
}

std::string onnxToolPath() {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("QUANTSCOPE_ONNX_TOOL"); env && *env) candidates.emplace_back(env);
    const fs::path lib = libraryDir();
    if (!lib.empty()) candidates.push_back(lib.parent_path().parent_path() / "share/quantscope" / kToolRelative);
    candidates.push_back(fs::path(QS_SOURCE_DIR) / kToolRelative);
    std::string looked;
    for (const fs::path& p : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p.string();
        looked += (looked.empty() ? "" : ", ") + p.string();
    }
    throw InputError("the ONNX exporter script is missing (looked at " + looked + ")");
}

void runOnnxTool(const std::vector<std::string>& args, const std::string& stderrPath, const ProgressFn& progress) {
    const std::string python = pythonPath();
    if (::access(python.c_str(), X_OK) != 0)
        throw InputError("ONNX export needs " + python + " with torch and onnx (Debian: python3-torch python3-onnx)");
    std::vector<std::string> argv{python};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stderrPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw InputError("cannot run " + python + ": " + std::strerror(rc));

    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) throw InputError("lost the ONNX exporter process");
        try {
            report(progress, {0, 0, 0, "writing model.onnx (torch.onnx.export, then integer weights)"});
        } catch (...) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string line = failureLine(stderrPath);
    if (line.empty())
        line = WIFSIGNALED(status) ? "the ONNX exporter was killed by signal " + std::to_string(WTERMSIG(status))
                                   : "the ONNX exporter failed with exit code " + std::to_string(WEXITSTATUS(status));
    throw InputError("ONNX export: " + line);
}

}  // namespace qs
