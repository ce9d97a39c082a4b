// names.cpp - see include/pgstreamx/core/names.hpp
#include "pgstreamx/core/names.hpp"

#include <string>

#include "pgstreamx/core/error.hpp"

namespace pgstreamx::names {

namespace {
constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The name as shown in a message: at most 63 bytes, printable ASCII only, so
// that a hostile name can neither flood the log nor carry invalid encoding.
std::string shown(std::string_view name) {
    std::string out;
    for (char c : name.substr(0, 63)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (name.size() > 63) out += "...";
    return out;
}
}  // namespace

bool is_valid(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_length) return false;
    if (!(is_lower(name[0]) || name[0] == '_')) return false;
    for (char c : name)
        if (!(is_lower(c) || is_digit(c) || c == '_')) return false;
    return true;
}

void validate(std::string_view what, std::string_view name) {
    if (is_valid(name)) return;
    std::string w(what);
    std::string detail;
    if (name.empty())
        detail = "The name is empty.";
    else if (name.size() > max_length)
        detail = "The name is " + std::to_string(name.size()) + " bytes long; the limit is " +
                 std::to_string(max_length) + ".";
    else
        detail = "The name contains a character outside [a-z0-9_] or starts with a digit.";
    throw Error(sqlstate::invalid_parameter_value, "invalid " + w + " name \"" + shown(name) + "\"", detail,
                "Use 1 to " + std::to_string(max_length) +
                    " lower-case ASCII letters, digits and underscores, starting with a "
                    "letter or underscore.");
}

}  // namespace pgstreamx::names
