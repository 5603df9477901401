// Reading a parsed JSON document field by field, with one-line errors that name the file, the
// field's path and what is wrong with it:
//   "runs/analysis.json: layers[3].params is -5, expected an integer >= 1"
//   "session.qss: budget.metric is a number, expected a string"
// nlohmann's own get<T>() converts without a word (3.7 to the int 3, -1 to the uint64 2^64 - 1) or
// with undefined behaviour (1e30 to an int), so every number a reader keeps goes through these
// checked accessors. Readers of hand-editable files (analysis.json, allocation.json, sessions,
// model.json) use them; each throws InputError.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace qs {

class JsonField {
public:
    // The document's root; file names it in messages ("analysis.json", "M.pt: model.json").
    JsonField(const nlohmann::json& root, std::string file);

    const nlohmann::json& raw() const { return *j_; }
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }  // "layers[3].params"; empty for the root

    // "<file>: <path> <what>" as an InputError.
    [[noreturn]] void fail(const std::string& what) const;

    bool isNull() const { return j_->is_null(); }
    // True when this is an object holding key (with any value, null included).
    bool has(const char* key) const;
    // The member key of this object; a missing key or a non-object is an error.
    JsonField operator[](const char* key) const;
    // Element i of this array (i < size()).
    JsonField operator[](std::size_t i) const;
    // This must be an array: its length.
    std::size_t size() const;
    // This must be an array: its elements.
    std::vector<JsonField> elements() const;
    // This must be an object: its members, in key order.
    std::vector<std::pair<std::string, JsonField>> members() const;
    void requireObject() const;

    std::string string() const;
    std::string nonEmptyString() const;
    bool boolean() const;
    // A finite number within [lo, hi].
    double number(double lo = -std::numeric_limits<double>::max(),
                  double hi = std::numeric_limits<double>::max()) const;
    // A finite number that fits a float (what float fields are stored as).
    float floatNumber(float lo = -std::numeric_limits<float>::max(), float hi = std::numeric_limits<float>::max()) const;
    // A whole number within [lo, hi] (2.0 counts as 2; 2.5 and 1e30 do not).
    std::int64_t integer(std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                         std::int64_t hi = std::numeric_limits<std::int64_t>::max()) const;
    // A whole number >= 0 that may use the full unsigned 64-bit range (element counts).
    std::uint64_t count() const;

    // Arrays of the above, with the same checks on each element.
    std::vector<std::string> strings() const;
    std::vector<std::int64_t> integers(std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                                       std::int64_t hi = std::numeric_limits<std::int64_t>::max()) const;
    std::vector<std::uint64_t> counts() const;
    std::vector<float> floatNumbers(float lo = -std::numeric_limits<float>::max(),
                                    float hi = std::numeric_limits<float>::max()) const;

private:
    JsonField(const nlohmann::json* j, std::string file, std::string path);
    std::string kind() const;  // "a string", "null", "an object", ...

    const nlohmann::json* j_;
    std::string file_;
    std::string path_;
};

// "a number", "a string", "null", ... for messages.
std::string jsonKindName(const nlohmann::json& j);

// The product of a shape's dimensions, or -1 when a dimension is negative or the product does not
// fit an int64 (a damaged file must not overflow it).
std::int64_t checkedShapeCount(const std::vector<std::int64_t>& shape);

}  // namespace qs
