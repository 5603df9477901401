// completions(): candidates for the word under the cursor, from the command and option tables.
#include "app/cli/completion.h"

#include <algorithm>
#include <set>

namespace qs::cli {
namespace {

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::vector<std::string> matching(const std::vector<std::string>& candidates, const std::string& prefix) {
    std::vector<std::string> out;
    for (const std::string& c : candidates)
        if (startsWith(c, prefix)) out.push_back(c);
    return out;
}

}  // namespace

std::vector<std::string> completions(const std::vector<Command>& commands, const std::vector<std::string>& words) {
    const std::string current = words.empty() ? std::string() : words.back();
    if (words.size() <= 1) {
        std::vector<std::string> first;
        for (const Command& c : commands) first.push_back(c.name);
        first.insert(first.end(), {"--help", "--version"});
        return matching(first, current);
    }
    const auto command = std::find_if(commands.begin(), commands.end(),
                                      [&](const Command& c) { return words.front() == c.name; });
    if (command == commands.end() || !command->options) return {};
    const OptionSpec spec = command->options();

    const std::string& previous = words[words.size() - 2];
    if (words.size() >= 3 && startsWith(previous, "--")) {
        const std::string name = previous.substr(2);
        if (spec.values.count(name) || spec.repeatable.count(name)) {
            const auto it = spec.choices.find(name);
            return it == spec.choices.end() ? std::vector<std::string>{} : matching(it->second, current);
        }
    }
    if (!current.empty() && current.front() != '-') return {};

    // Options given already (before the cursor) are not offered again, unless they repeat.
    std::set<std::string> given;
    for (std::size_t i = 1; i + 1 < words.size(); ++i)
        if (startsWith(words[i], "--")) given.insert(words[i].substr(2));
    std::set<std::string> names = spec.repeatable;
    for (const std::set<std::string>* once : {&spec.values, &spec.switches})
        for (const std::string& n : *once)
            if (!given.count(n)) names.insert(n);
    std::vector<std::string> options;
    for (const std::string& n : names) options.push_back("--" + n);
    return matching(options, current);
}

}  // namespace qs::cli
