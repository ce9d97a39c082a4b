#include <gtest/gtest.h>

#include "pgstreamx/core/error.hpp"

using pgstreamx::Error;
using pgstreamx::SqlState;

TEST(Error, CarriesSqlstateMessageDetailHint) {
    Error e(pgstreamx::sqlstate::invalid_parameter_value, "bad thing", "because", "do this");
    EXPECT_STREQ(e.what(), "bad thing");
    EXPECT_STREQ(e.sqlstate().code, "22023");
    EXPECT_EQ(e.detail(), "because");
    EXPECT_EQ(e.hint(), "do this");
}

TEST(Error, SqlStateCompares) {
    constexpr SqlState a{"55000"};
    static_assert(a == pgstreamx::sqlstate::object_not_in_prerequisite_state, "constexpr ==");
    EXPECT_NE(a, pgstreamx::sqlstate::internal_error);
    EXPECT_STREQ(pgstreamx::sqlstate::out_of_memory.code, "53200");
}

TEST(Error, IsCaughtAsStdException) {
    try {
        throw Error(pgstreamx::sqlstate::undefined_object, "missing");
    } catch (const std::exception &e) {
        EXPECT_STREQ(e.what(), "missing");
    }
}
