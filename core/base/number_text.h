// A number as text through a printf format ("%g" by default: 99.99, 8, 0.5), for messages and
// report fields.
#pragma once

#include <cstdio>
#include <string>

namespace qs {

inline std::string numberText(double v, const char* format = "%g") {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

}  // namespace qs
