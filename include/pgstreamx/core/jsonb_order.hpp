// core/jsonb_order.hpp - the order in which jsonb stores an object's keys.
//
// A jsonb object keeps its keys sorted, shorter keys first and keys of equal
// length by their bytes (unsigned), and finds a key by binary search in that
// order (PostgreSQL's jsonb_util.c, lengthCompareJsonbStringValue). Code that
// builds a jsonb object from a fixed set of keys without PostgreSQL's
// per-object sort (row_json.cpp) sorts the keys once with this.
#pragma once

#include <string_view>
#include <vector>

namespace pgstreamx::jsonb_order {

// True if key a is stored before key b.
bool before(std::string_view a, std::string_view b) noexcept;

// The indices of `keys` in jsonb storage order. Duplicate keys keep their
// input order (a jsonb object cannot hold them; callers pass distinct keys).
std::vector<int> order(const std::vector<std::string_view> &keys);

}  // namespace pgstreamx::jsonb_order
