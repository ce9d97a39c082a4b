#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "pgstreamx/core/jsonb_order.hpp"

namespace jo = pgstreamx::jsonb_order;

TEST(JsonbOrder, ShorterKeysFirstThenBytes) {
    // SELECT '{"email":1,"id":2,"name":3,"created_at":4,"b":5,"a":6}'::jsonb
    // prints {"a": 6, "b": 5, "id": 2, "name": 3, "email": 1, "created_at": 4}.
    std::vector<std::string_view> keys{"email", "id", "name", "created_at", "b", "a"};
    std::vector<int> got = jo::order(keys);
    std::vector<std::string_view> sorted;
    for (int i : got) sorted.push_back(keys[i]);
    EXPECT_EQ(sorted, (std::vector<std::string_view>{"a", "b", "id", "name", "email", "created_at"}));
}

TEST(JsonbOrder, BytesAreUnsigned) {
    // A multibyte UTF-8 key (bytes >= 0x80) sorts after ASCII keys of its length.
    EXPECT_TRUE(jo::before("zz", "\xc3\xa9"));
    EXPECT_FALSE(jo::before("\xc3\xa9", "zz"));
    EXPECT_TRUE(jo::before("B", "a"));  // 'B' (0x42) < 'a' (0x61)
}

TEST(JsonbOrder, StrictWeakOrder) {
    EXPECT_FALSE(jo::before("", ""));
    EXPECT_FALSE(jo::before("abc", "abc"));
    EXPECT_TRUE(jo::before("", "a"));
    EXPECT_TRUE(jo::order({}).empty());
    EXPECT_EQ(jo::order({"x"}), std::vector<int>{0});
}
