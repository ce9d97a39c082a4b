#include <gtest/gtest.h>

#include <string>

#include "pgstreamx/core/error.hpp"
#include "pgstreamx/core/names.hpp"

using pgstreamx::Error;
namespace names = pgstreamx::names;

TEST(Names, AcceptsAllowListedNames) {
    for (const char *n : {"a", "_", "orders", "orders_2024", "_private", "a1_b2_c3"})
        EXPECT_TRUE(names::is_valid(n)) << n;
    EXPECT_TRUE(names::is_valid(std::string(names::max_length, 'x')));
}

TEST(Names, RejectsEverythingElse) {
    for (const char *n : {"", "1abc", "Orders", "a-b", "a b", "a.b", "a\"b", "a;b", "é", "a\tb",
                          "ß", "UPPER", "$x", "x$"})
        EXPECT_FALSE(names::is_valid(n)) << n;
    EXPECT_FALSE(names::is_valid(std::string(names::max_length + 1, 'x')));
    EXPECT_FALSE(names::is_valid(std::string("a\0b", 3)));  // embedded NUL
}

TEST(Names, DerivedIdentifiersFitInNamedatalen) {
    // Derived relation names are <prefix><name><suffix> with a prefix and a
    // suffix of at most names::max_affix bytes each (e.g. "q_" + name + "_p12"):
    // they must fit PostgreSQL's 63-byte identifier limit (NAMEDATALEN - 1).
    EXPECT_LE(names::max_length + 2 * names::max_affix, 63u);
}

TEST(Names, ValidateThrowsWithSqlstateAndHint) {
    try {
        names::validate("stream", "Bad-Name");
        FAIL() << "no exception";
    } catch (const Error &e) {
        EXPECT_EQ(e.sqlstate(), pgstreamx::sqlstate::invalid_parameter_value);
        EXPECT_EQ(e.message(), "invalid stream name \"Bad-Name\"");
        EXPECT_FALSE(e.detail().empty());
        EXPECT_NE(e.hint().find("lower-case"), std::string::npos);
    }
    EXPECT_NO_THROW(names::validate("queue", "jobs"));
}

TEST(Names, MessagesAreSanitisedAndBounded) {
    try {
        names::validate("queue", std::string(500, 'A') + "\n\xff");
        FAIL() << "no exception";
    } catch (const Error &e) {
        // 63 shown bytes + "..." inside quotes; no control or non-ASCII bytes.
        EXPECT_LT(e.message().size(), 100u);
        for (char c : e.message()) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
        EXPECT_NE(e.detail().find("502 bytes"), std::string::npos) << e.detail();
    }
    try {
        names::validate("queue", "na\xc3\xafve");
        FAIL() << "no exception";
    } catch (const Error &e) {
        EXPECT_EQ(e.message(), "invalid queue name \"na??ve\"");
    }
}
