// Command-line options for quantscope-cli subcommands: "--name value" pairs, repeatable options and
// plain switches, declared up front so a typo is an error rather than a silently ignored flag. The
// same declarations drive shell completion (completion.h) and are checked against the usage text.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace qs::cli {

struct OptionSpec {
    std::set<std::string> values;      // --name value, at most once
    std::set<std::string> repeatable;  // --name value, any number of times
    std::set<std::string> switches;    // --name, no value
    // Options whose value is one of a fixed list, in the order --help shows them.
    std::map<std::string, std::vector<std::string>> choices;
};

class Args {
public:
    // Parses args (without the program and subcommand names). Throws InputError on an unknown
    // option, a missing value or a repeated single-valued option.
    Args(const std::vector<std::string>& args, const OptionSpec& spec);

    bool has(const std::string& name) const;
    std::string required(const std::string& name) const;  // throws InputError "missing --name"
    std::string get(const std::string& name, const std::string& fallback) const;
    int getInt(const std::string& name, int fallback) const;           // throws on a non-integer
    double getDouble(const std::string& name, double fallback) const;  // throws on a non-number
    std::vector<std::string> all(const std::string& name) const;
    // Checks that a value is one of choices; throws InputError listing them otherwise.
    std::string choice(const std::string& name, const std::vector<std::string>& choices,
                       const std::string& fallback) const;
    // The same with the choices the spec declares for name.
    std::string choice(const std::string& name, const std::string& fallback) const;

private:
    std::map<std::string, std::vector<std::string>> choices_;
    std::map<std::string, std::vector<std::string>> values_;
    std::set<std::string> switches_;
};

}  // namespace qs::cli
