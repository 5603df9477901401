// Checked, field-by-field reading of parsed JSON with messages that name file, field and fault.
#include "core/base/json_fields.h"

#include <cmath>

#include "core/base/errors.h"
#include "core/base/number_text.h"

namespace qs {

using nlohmann::json;

std::string jsonKindName(const json& j) {
    switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: break;
    }
    return "nothing";
}

std::int64_t checkedShapeCount(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (const std::int64_t d : shape) {
        if (d < 0) return -1;
        if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) return -1;
        n *= d;
    }
    return n;
}

JsonField::JsonField(const json& root, std::string file) : JsonField(&root, std::move(file), {}) {}

JsonField::JsonField(const json* j, std::string file, std::string path)
    : j_(j), file_(std::move(file)), path_(std::move(path)) {}

void JsonField::fail(const std::string& what) const {
    throw InputError(file_ + ": " + (path_.empty() ? std::string("the document") : path_) + " " + what);
}

std::string JsonField::kind() const { return jsonKindName(*j_); }

bool JsonField::has(const char* key) const { return j_->is_object() && j_->contains(key); }

void JsonField::requireObject() const {
    if (!j_->is_object()) fail("is " + kind() + ", expected an object");
}

JsonField JsonField::operator[](const char* key) const {
    requireObject();
    const auto it = j_->find(key);
    if (it == j_->end()) {
        if (path_.empty()) throw InputError(file_ + ": '" + key + "' is missing");
        fail("has no '" + std::string(key) + "'");
    }
    return JsonField(&*it, file_, path_.empty() ? key : path_ + "." + key);
}

std::size_t JsonField::size() const {
    if (!j_->is_array()) fail("is " + kind() + ", expected an array");
    return j_->size();
}

JsonField JsonField::operator[](std::size_t i) const {
    if (i >= size()) fail("has no element " + std::to_string(i));
    return JsonField(&(*j_)[i], file_, path_ + "[" + std::to_string(i) + "]");
}

std::vector<JsonField> JsonField::elements() const {
    std::vector<JsonField> out;
    const std::size_t n = size();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back((*this)[i]);
    return out;
}

std::vector<std::pair<std::string, JsonField>> JsonField::members() const {
    requireObject();
    std::vector<std::pair<std::string, JsonField>> out;
    for (auto it = j_->begin(); it != j_->end(); ++it)
        out.emplace_back(it.key(), JsonField(&*it, file_, (path_.empty() ? "" : path_ + ".") + it.key()));
    return out;
}

std::string JsonField::string() const {
    if (!j_->is_string()) fail("is " + kind() + ", expected a string");
    return j_->get_ref<const std::string&>();
}

std::string JsonField::nonEmptyString() const {
    std::string s = string();
    if (s.empty()) fail("is empty");
    return s;
}

bool JsonField::boolean() const {
    if (!j_->is_boolean()) fail("is " + kind() + ", expected true or false");
    return j_->get<bool>();
}

double JsonField::number(double lo, double hi) const {
    if (j_->is_null()) fail("is null, expected a number (a NaN or infinity written as null?)");
    if (!j_->is_number()) fail("is " + kind() + ", expected a number");
    const double v = j_->get<double>();
    if (!std::isfinite(v)) fail("is not a finite number");
    if (v < lo || v > hi) {
        // Bounds at a type's limit (a float's or a double's largest value) go unsaid.
        const double open = std::numeric_limits<float>::max();
        std::string range = lo <= -open ? "<= " + numberText(hi)
                            : hi >= open ? ">= " + numberText(lo)
                                         : numberText(lo) + " to " + numberText(hi);
        if (lo <= -open && hi >= open) range = "within a float's range";
        fail("is " + numberText(v) + ", expected a number " + range);
    }
    return v;
}

float JsonField::floatNumber(float lo, float hi) const { return float(number(lo, hi)); }

std::int64_t JsonField::integer(std::int64_t lo, std::int64_t hi) const {
    auto range = [&] {
        if (lo == std::numeric_limits<std::int64_t>::min()) return "<= " + std::to_string(hi);
        if (hi == std::numeric_limits<std::int64_t>::max()) return ">= " + std::to_string(lo);
        return std::to_string(lo) + " to " + std::to_string(hi);
    };
    std::int64_t v = 0;
    if (j_->is_number_integer() && !j_->is_number_unsigned()) {
        v = j_->get<std::int64_t>();
    } else if (j_->is_number_unsigned()) {
        const std::uint64_t u = j_->get<std::uint64_t>();
        if (u > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
            fail("is " + std::to_string(u) + ", expected an integer " + range());
        v = std::int64_t(u);
    } else if (j_->is_number_float()) {
        const double d = j_->get<double>();
        // 2^63 is exactly representable; anything at or above it does not fit.
        if (!std::isfinite(d) || d != std::floor(d)) fail("is " + numberText(d) + ", expected a whole number");
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            fail("is " + numberText(d) + ", expected an integer " + range());
        v = std::int64_t(d);
    } else {
        fail("is " + kind() + ", expected an integer");
    }
    if (v < lo || v > hi) fail("is " + std::to_string(v) + ", expected an integer " + range());
    return v;
}

std::uint64_t JsonField::count() const {
    if (j_->is_number_unsigned()) return j_->get<std::uint64_t>();
    return std::uint64_t(integer(0));
}

// The array readers check each element in place and build the element's field (and its path) only
// to report a fault: a file's histograms and channel maxima hold hundreds of thousands of numbers.
std::vector<std::string> JsonField::strings() const {
    std::vector<std::string> out;
    out.reserve(size());
    for (std::size_t i = 0; i < j_->size(); ++i) {
        const json& e = (*j_)[i];
        out.push_back(e.is_string() ? e.get<std::string>() : (*this)[i].string());
    }
    return out;
}

std::vector<std::int64_t> JsonField::integers(std::int64_t lo, std::int64_t hi) const {
    std::vector<std::int64_t> out;
    out.reserve(size());
    for (std::size_t i = 0; i < j_->size(); ++i) {
        const json& e = (*j_)[i];
        if (e.is_number_integer() && !e.is_number_unsigned()) {
            const std::int64_t v = e.get<std::int64_t>();
            if (v >= lo && v <= hi) {
                out.push_back(v);
                continue;
            }
        }
        out.push_back((*this)[i].integer(lo, hi));
    }
    return out;
}

std::vector<std::uint64_t> JsonField::counts() const {
    std::vector<std::uint64_t> out;
    out.reserve(size());
    for (std::size_t i = 0; i < j_->size(); ++i) {
        const json& e = (*j_)[i];
        out.push_back(e.is_number_unsigned() ? e.get<std::uint64_t>() : (*this)[i].count());
    }
    return out;
}

std::vector<float> JsonField::floatNumbers(float lo, float hi) const {
    std::vector<float> out;
    out.reserve(size());
    for (std::size_t i = 0; i < j_->size(); ++i) {
        const json& e = (*j_)[i];
        if (e.is_number()) {
            const double v = e.get<double>();
            if (v >= lo && v <= hi) {  // false for NaN
                out.push_back(float(v));
                continue;
            }
        }
        out.push_back((*this)[i].floatNumber(lo, hi));
    }
    return out;
}

}  // namespace qs
