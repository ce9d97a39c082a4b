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

TEST(Hash, Fnv1a64MatchesTheReferenceVectors) {
    EXPECT_EQ(hash::fnv1a64(""), 0xcbf29ce484222325ULL);
    EXPECT_EQ(hash::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(hash::fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

// The key -> partition mapping is a user-visible contract.
TEST(Hash, PartitionForKeyIsStable) {
    EXPECT_EQ(hash::partition_for_key("order-1", 1), 0u);
    const std::uint32_t got[] = {hash::partition_for_key("order-1", 8), hash::partition_for_key("order-2", 8),
                                 hash::partition_for_key("user:42", 8), hash::partition_for_key("", 8)};
    const std::uint32_t want[] = {7u, 5u, 6u, 7u};
    for (int i = 0; i < 4; i++) EXPECT_EQ(got[i], want[i]) << i;
    for (std::uint32_t n : {1u, 3u, 16u, 1024u})
        for (int k = 0; k < 1000; k++)
            EXPECT_LT(hash::partition_for_key("k" + std::to_string(k), n), n);
}
