#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "pgstreamx/core/pack.hpp"

namespace pk = pgstreamx::pack;

namespace {

// Test blobs: a little-endian uint32 total size, then the text.
std::vector<uint8_t> blob(const std::string &s) {
    std::vector<uint8_t> b(4 + s.size());
    const uint32_t n = static_cast<uint32_t>(b.size());
    std::memcpy(b.data(), &n, 4);
    std::memcpy(b.data() + 4, s.data(), s.size());
    return b;
}

uint32_t size_of(const uint8_t *p) {
    uint32_t n;
    std::memcpy(&n, p, 4);
    return n;
}

std::string text(const pk::Blob &b) {
    return b.data ? std::string(reinterpret_cast<const char *>(b.data) + 4, b.size - 4) : "<absent>";
}

pk::Blob as_blob(const std::vector<uint8_t> &v) { return {v.data(), static_cast<uint32_t>(v.size())}; }

// Writes entries the way the glue code does (size first, then write).
std::vector<uint32_t> build(const std::vector<pk::Entry> &es, uint32_t uniform) {
    size_t total = pk::header_size;
    for (const pk::Entry &e : es) total += pk::entry_size(e, uniform);
    std::vector<uint32_t> words((total + 3) / 4 + 1, 0xdeadbeef);  // 4-byte aligned storage
    uint8_t *out = reinterpret_cast<uint8_t *>(words.data());
    pk::write_header(out, static_cast<uint32_t>(es.size()), uniform);
    size_t pos = pk::header_size;
    for (const pk::Entry &e : es) pos += pk::write_entry(out + pos, e, uniform);
    EXPECT_EQ(pos, total);
    words.resize((total + 3) / 4);
    return words;
}

}  // namespace

TEST(Pack, RoundTripUniform) {
    auto k1 = blob("k1"), p1 = blob("{\"a\": 1}"), k2 = blob("key-two"), p2 = blob("{}");
    const uint32_t flags = pk::key | pk::payload | pk::shared_topic | pk::shared_headers;
    pk::Entry e1{flags, {}, as_blob(k1), {}, as_blob(p1), {}};
    pk::Entry e2{flags, {}, as_blob(k2), {}, as_blob(p2), {}};
    auto words = build({e1, e2}, flags);
    const uint8_t *data = reinterpret_cast<const uint8_t *>(words.data());
    // Uniform flags: no per-entry word; every field starts 4-byte aligned.
    EXPECT_EQ(words.size() * 4, pk::header_size + pk::aligned(6) + pk::aligned(12) + pk::aligned(11) + pk::aligned(6));
    pk::Reader r(data, words.size() * 4, size_of);
    EXPECT_EQ(r.count(), 2u);
    pk::Entry got;
    ASSERT_TRUE(r.next(got));
    EXPECT_EQ(got.flags, flags);
    EXPECT_EQ(text(got.key), "k1");
    EXPECT_EQ(text(got.payload), "{\"a\": 1}");
    EXPECT_EQ(text(got.topic), "<absent>");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got.payload.data) % 4, 0u);
    ASSERT_TRUE(r.next(got));
    EXPECT_EQ(text(got.key), "key-two");
    EXPECT_EQ(text(got.payload), "{}");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got.key.data) % 4, 0u);
    EXPECT_FALSE(r.next(got));
    EXPECT_EQ(r.error(), nullptr);
}

TEST(Pack, RoundTripMixedFlags) {
    auto t = blob("orders.insert"), h = blob("{\"x\": 1}"), pb = blob("\x01\x02\x03"), p = blob("[1]");
    pk::Entry a{pk::topic | pk::headers | pk::payload_bytes, as_blob(t), {}, as_blob(h), {}, as_blob(pb)};
    pk::Entry b{pk::payload, {}, {}, {}, as_blob(p), {}};  // no key, no topic, NULL headers
    pk::Entry c{0, {}, {}, {}, {}, {}};                     // everything NULL
    auto words = build({a, b, c}, 0);
    pk::Reader r(reinterpret_cast<const uint8_t *>(words.data()), words.size() * 4, size_of);
    pk::Entry got;
    ASSERT_TRUE(r.next(got));
    EXPECT_EQ(got.flags, a.flags);
    EXPECT_EQ(text(got.topic), "orders.insert");
    EXPECT_EQ(text(got.headers), "{\"x\": 1}");
    EXPECT_EQ(text(got.payload_bytes), "\x01\x02\x03");
    EXPECT_EQ(text(got.payload), "<absent>");
    ASSERT_TRUE(r.next(got));
    EXPECT_EQ(got.flags, pk::payload);
    EXPECT_EQ(text(got.payload), "[1]");
    ASSERT_TRUE(r.next(got));
    EXPECT_EQ(got.flags, 0u);
    EXPECT_FALSE(r.next(got));
    EXPECT_EQ(r.error(), nullptr);
}

TEST(Pack, DamageIsReportedNotRead) {
    auto p = blob("{\"a\": 1}");
    pk::Entry e{pk::payload, {}, {}, {}, as_blob(p), {}};
    auto words = build({e, e}, 0);
    const size_t size = words.size() * 4;
    pk::Entry got;
    {
        pk::Reader r(reinterpret_cast<const uint8_t *>(words.data()), 8, size_of);  // shorter than a header
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
    {
        auto bad = words;
        bad[0] ^= 1;  // magic
        pk::Reader r(reinterpret_cast<const uint8_t *>(bad.data()), size, size_of);
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
    {
        // Cut in the second entry's payload: the first reads, the second fails.
        pk::Reader r(reinterpret_cast<const uint8_t *>(words.data()), size - 4, size_of);
        EXPECT_TRUE(r.next(got));
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
    {
        auto bad = words;
        bad[4] = 0xffffff;  // the first payload claims to be huge
        pk::Reader r(reinterpret_cast<const uint8_t *>(bad.data()), size, size_of);
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
    {
        auto bad = words;
        bad[3] = 1u << 20;  // unknown flag bit in the first entry
        pk::Reader r(reinterpret_cast<const uint8_t *>(bad.data()), size, size_of);
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
    {
        auto bad = words;
        bad[1] = 3;  // claims three entries, holds two
        pk::Reader r(reinterpret_cast<const uint8_t *>(bad.data()), size, size_of);
        EXPECT_TRUE(r.next(got));
        EXPECT_TRUE(r.next(got));
        EXPECT_FALSE(r.next(got));
        EXPECT_NE(r.error(), nullptr);
    }
}
