// editJson (json_edit.h): set, remove, copy, truncate or replace a JSON document's text.
#include "tests/support/json_edit.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace qs::test {

std::string editJson(const std::string& text, const std::string& edit) {
    std::istringstream in(edit);
    std::string op, pointer;
    in >> op;
    if (op == "truncate") {
        std::size_t n = 0;
        in >> n;
        return text.substr(0, n);
    }
    if (op == "text") return edit.substr(5);
    in >> pointer;
    nlohmann::json j = nlohmann::json::parse(text);
    const nlohmann::json::json_pointer at(pointer);
    std::string rest;
    std::getline(in, rest);
    if (op == "set") {
        j[at] = nlohmann::json::parse(rest);
    } else if (op == "remove") {
        nlohmann::json& parent = j[at.parent_pointer()];
        if (parent.is_array()) parent.erase(std::stoul(at.back()));
        else parent.erase(at.back());
    } else if (op == "copy") {
        const nlohmann::json value = j.at(at);
        j[nlohmann::json::json_pointer(rest.substr(rest.find('/')))] = value;
    } else {
        throw std::runtime_error("unknown JSON edit: " + edit);
    }
    return j.dump(1);
}

}  // namespace qs::test
