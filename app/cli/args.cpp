// Parsing of "--name value" options against each command's declared names, with one-line errors.
#include "app/cli/args.h"

#include <cstdlib>

#include "core/base/errors.h"

namespace qs::cli {

Args::Args(const std::vector<std::string>& args, const OptionSpec& spec) : choices_(spec.choices) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) throw InputError("unexpected argument '" + a + "'");
        const std::string name = a.substr(2);
        if (spec.switches.count(name)) {
            switches_.insert(name);
            continue;
        }
        const bool single = spec.values.count(name) > 0;
        if (!single && !spec.repeatable.count(name)) throw InputError("unknown option " + a);
        if (i + 1 >= args.size()) throw InputError("option " + a + " needs a value");
        if (single && values_.count(name)) throw InputError("option " + a + " given twice");
        values_[name].push_back(args[++i]);
    }
}

bool Args::has(const std::string& name) const {
    return values_.count(name) > 0 || switches_.count(name) > 0;
}

std::string Args::required(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw InputError("missing --" + name);
    return it->second.front();
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second.front();
}

int Args::getInt(const std::string& name, int fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    const std::string& v = it->second.front();
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') throw InputError("--" + name + " takes a whole number, not '" + v + "'");
    return int(n);
}

double Args::getDouble(const std::string& name, double fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    const std::string& v = it->second.front();
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') throw InputError("--" + name + " takes a number, not '" + v + "'");
    return x;
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::choice(const std::string& name, const std::vector<std::string>& choices,
                         const std::string& fallback) const {
    const std::string v = get(name, fallback);
    for (const auto& c : choices)
        if (c == v) return v;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    throw InputError("--" + name + " must be one of " + list + ", not '" + v + "'");
}

std::string Args::choice(const std::string& name, const std::string& fallback) const {
    const auto it = choices_.find(name);
    return choice(name, it == choices_.end() ? std::vector<std::string>{} : it->second, fallback);
}

}  // namespace qs::cli
