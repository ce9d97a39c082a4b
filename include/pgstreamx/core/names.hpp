// core/names.hpp - the allow-list for user-supplied names (invariant I9).
//
// Every name a user gives pgstreamx (stream, queue, consumer, group, ...) is
// checked here before it is used anywhere, and names that end up in SQL
// identifiers are additionally quoted by the glue code. The rule is
// deliberately strict so that a derived identifier (e.g. "s_<name>_p3") is
// always a valid, unquoted-safe PostgreSQL identifier below NAMEDATALEN.
#pragma once

#include <cstddef>
#include <string_view>

namespace pgstreamx::names {

// Longest accepted name, in bytes. Leaves room for prefixes and suffixes of
// derived relation names within PostgreSQL's 63-byte identifier limit.
inline constexpr std::size_t max_length = 47;

// Longest prefix or suffix the glue code may add to a name to derive a
// relation name (e.g. "q_" + name + "_p12"): 47 + 2 * 8 = 63 bytes.
inline constexpr std::size_t max_affix = 8;

// True iff `name` matches ^[a-z_][a-z0-9_]*$ and is 1..max_length bytes long.
bool is_valid(std::string_view name) noexcept;

// Throws pgstreamx::Error (SQLSTATE 22023, with a HINT) unless is_valid(name).
// `what` names the kind of object in the message, e.g. "stream".
void validate(std::string_view what, std::string_view name);

}  // namespace pgstreamx::names
