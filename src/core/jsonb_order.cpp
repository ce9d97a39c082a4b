// core/jsonb_order.cpp - see include/pgstreamx/core/jsonb_order.hpp
#include "pgstreamx/core/jsonb_order.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace pgstreamx::jsonb_order {

bool before(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return a.size() < b.size();
    return a.size() > 0 && std::memcmp(a.data(), b.data(), a.size()) < 0;
}

std::vector<int> order(const std::vector<std::string_view> &keys) {
    std::vector<int> idx(keys.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int x, int y) { return before(keys[x], keys[y]); });
    return idx;
}

}  // namespace pgstreamx::jsonb_order
