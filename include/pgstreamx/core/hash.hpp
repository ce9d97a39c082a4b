// core/hash.hpp - small, stable, documented hash functions (pure C++).
//
// "Stable" means: the same input gives the same output on every platform,
// compiler and pgstreamx version, because results may be stored (e.g. which
// slot or partition something maps to). Changing one is a breaking change.
#pragma once

#include <cstdint>
#include <string_view>

namespace pgstreamx::hash {

// The splitmix64 finalizer (Steele, Lea, Flood 2014): a bijection on 64-bit
// integers with full avalanche. mix64(0) == 0.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// Combines two 64-bit values into one well-mixed key (order matters).
constexpr std::uint64_t combine(std::uint64_t a, std::uint64_t b) noexcept {
    return mix64(mix64(a) ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

// Maps a 64-bit key uniformly onto [0, n) without modulo bias for n << 2^32
// (Lemire's multiply-shift on the high 32 bits). n must be > 0.
constexpr std::uint32_t bucket(std::uint64_t key, std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((mix64(key) >> 32) * static_cast<std::uint64_t>(n)) >> 32);
}

// FNV-1a, 64 bit, over the bytes of `s` (offset basis 0xcbf29ce484222325,
// prime 0x100000001b3).
constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// The stream partition of a message key: bucket(fnv1a64(key), partitions).
// Part of the public contract (docs/sql-api.md): the same key goes to the
// same partition on every server and version, for a given partition count.
constexpr std::uint32_t partition_for_key(std::string_view key, std::uint32_t partitions) noexcept {
    return bucket(fnv1a64(key), partitions);
}

}  // namespace pgstreamx::hash
