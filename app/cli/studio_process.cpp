// Spawning the studio headless (studio_process.h): posix_spawn with both pipes read by poll, so a chatty
// stderr cannot block the child while stdout is read.
#include "app/cli/studio_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "core/base/errors.h"

extern char** environ;

namespace qs::cli {
namespace {

namespace fs = std::filesystem;

// Runs argv with QT_QPA_PLATFORM=offscreen; returns its exit code, its stdout and its stderr.
int runStudio(const std::vector<std::string>& argv, std::string* out, std::string* err) {
    int outPipe[2], errPipe[2];
    if (::pipe(outPipe) != 0 || ::pipe(errPipe) != 0) throw InputError(std::string("cannot start the studio: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, outPipe[0]);
    posix_spawn_file_actions_addclose(&actions, errPipe[0]);

    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "QT_QPA_PLATFORM=", 16) != 0) env.emplace_back(*e);
    env.emplace_back("QT_QPA_PLATFORM=offscreen");
    std::vector<char*> envp, args;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> copy = argv;
    for (std::string& a : copy) args.push_back(a.data());
    args.push_back(nullptr);

    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        throw InputError("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    // Both pipes at once, so that a chatty stderr cannot block the child while stdout is read.
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    std::string* to[2] = {out, err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
            if (k > 0) {
                to[i]->append(buf, std::size_t(k));
            } else if (k == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (const pollfd& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The studio's last "quantscope: ..." line, without the prefix: its reason for failing.
std::string lastStudioError(const std::string& err) {
    std::string reason;
    std::size_t start = 0;
    while (start < err.size()) {
        std::size_t end = err.find('\n', start);
        if (end == std::string::npos) end = err.size();
        const std::string line = err.substr(start, end - start);
        if (line.rfind("quantscope: ", 0) == 0) reason = line.substr(12);
        start = end + 1;
    }
    return reason;
}

}  // namespace

// The studio binary beside this executable.
std::string studioBinary() {
    char self[PATH_MAX] = {};
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw InputError("cannot find quantscope-cli's own folder to locate the studio binary");
    const fs::path studio = fs::path(std::string(self, std::size_t(n))).parent_path() / "quantscope";
    if (::access(studio.c_str(), X_OK) != 0)
        throw InputError("figures are drawn by the studio, but " + studio.string() +
                         " is missing: build quantscope with the GUI (QUANTSCOPE_BUILD_GUI=ON)");
    return studio.string();
}

std::string runStudioHeadless(const std::vector<std::string>& args) {
    std::vector<std::string> argv{studioBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string written, err;
    const int rc = runStudio(argv, &written, &err);
    if (rc != 0) {
        const std::string reason = lastStudioError(err);
        throw InputError(reason.empty() ? "the studio could not draw the figures (exit code " + std::to_string(rc) + ")"
                                        : reason);
    }
    return written;
}

}  // namespace qs::cli
