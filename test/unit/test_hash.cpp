#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "pgstreamx/core/hash.hpp"

namespace hash = pgstreamx::hash;

// The values are part of the contract (stored mappings depend on them):
// a change here is a breaking change and needs an upgrade path.
TEST(Hash, Mix64IsStable) {
    EXPECT_EQ(hash::mix64(0), 0u);
    EXPECT_EQ(hash::mix64(1), 0x5692161d100b05e5ULL);
    EXPECT_EQ(hash::mix64(0xffffffffffffffffULL), 0xb4d055fcf2cbbd7bULL);
    static_assert(hash::mix64(0) == 0, "constexpr");
}

TEST(Hash, Mix64IsABijectionOnASample) {
    std::vector<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < 100000; i++) seen.push_back(hash::mix64(i));
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

TEST(Hash, CombineDependsOnOrderAndBothInputs) {
    EXPECT_NE(hash::combine(1, 2), hash::combine(2, 1));
    EXPECT_NE(hash::combine(1, 2), hash::combine(1, 3));
    EXPECT_NE(hash::combine(1, 2), hash::combine(4, 2));
    EXPECT_EQ(hash::combine(5, 7), hash::combine(5, 7));
}

TEST(Hash, BucketIsInRangeAndUniform) {
    for (std::uint32_t n : {1u, 2u, 3u, 7u, 16u, 1000u, 65536u}) {
        std::vector<int> counts(n, 0);
        const int per = n <= 1000 ? 2000 : 20;
        for (std::uint64_t k = 0; k < std::uint64_t(per) * n; k++) {
            std::uint32_t b = hash::bucket(k, n);
            ASSERT_LT(b, n);
            counts[b]++;
        }
        if (n <= 1000) {
            // every bucket within 15% of the mean for sequential keys
            for (std::uint32_t b = 0; b < n; b++) {
                EXPECT_GT(counts[b], per * 85 / 100) << "n=" << n << " b=" << b;
                EXPECT_LT(counts[b], per * 115 / 100) << "n=" << n << " b=" << b;
            }
        }
    }
}
