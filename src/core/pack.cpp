// core/pack.cpp - see include/pgstreamx/core/pack.hpp
#include "pgstreamx/core/pack.hpp"

#include <cstring>

namespace pgstreamx::pack {

namespace {

void put32(uint8_t *out, uint32_t v) noexcept { std::memcpy(out, &v, sizeof v); }

uint32_t get32(const uint8_t *in) noexcept {
    uint32_t v;
    std::memcpy(&v, in, sizeof v);
    return v;
}

// The fields in storage order, with their flag.
struct Slot {
    Field flag;
    Blob Entry::*blob;
};
constexpr Slot slots[] = {{topic, &Entry::topic},
                          {key, &Entry::key},
                          {headers, &Entry::headers},
                          {payload, &Entry::payload},
                          {payload_bytes, &Entry::payload_bytes}};

}  // namespace

size_t entry_size(const Entry &e, uint32_t uniform) noexcept {
    size_t n = uniform ? 0 : sizeof(uint32_t);
    for (const Slot &s : slots)
        if (e.flags & s.flag) n += aligned((e.*s.blob).size);
    return n;
}

void write_header(uint8_t *out, uint32_t count, uint32_t uniform) noexcept {
    put32(out, magic);
    put32(out + 4, count);
    put32(out + 8, uniform);
}

size_t write_entry(uint8_t *out, const Entry &e, uint32_t uniform) noexcept {
    size_t pos = 0;
    if (!uniform) {
        put32(out, e.flags);
        pos = sizeof(uint32_t);
    }
    for (const Slot &s : slots)
        if (e.flags & s.flag) {
            const Blob &b = e.*s.blob;
            std::memcpy(out + pos, b.data, b.size);
            const size_t padded = aligned(b.size);
            if (padded > b.size) std::memset(out + pos + b.size, 0, padded - b.size);
            pos += padded;
        }
    return pos;
}

Reader::Reader(const uint8_t *data, size_t size, SizeOf size_of) noexcept
    : data_(data), size_(size), size_of_(size_of) {
    if (size < header_size || get32(data) != magic) {
        error_ = "not a pgstreamx pack";
        return;
    }
    count_ = get32(data + 4);
    uniform_ = get32(data + 8);
    if (uniform_ & ~all_flags) error_ = "unknown entry flags";
}

bool Reader::field(Blob &b) noexcept {
    if (size_ - pos_ < sizeof(uint32_t)) {
        error_ = "entry past the end of the pack";
        return false;
    }
    const uint32_t n = size_of_(data_ + pos_);
    if (n < sizeof(uint32_t) || n > size_ - pos_) {
        error_ = "field past the end of the pack";
        return false;
    }
    b.data = data_ + pos_;
    b.size = n;
    pos_ += aligned(n);
    if (pos_ > size_) pos_ = size_;  // the last field's padding may be cut
    return true;
}

bool Reader::next(Entry &e) noexcept {
    if (error_ || read_ >= count_) return false;
    e = Entry{};
    if (uniform_) {
        e.flags = uniform_;
    } else {
        if (size_ - pos_ < sizeof(uint32_t)) {
            error_ = "entry past the end of the pack";
            return false;
        }
        e.flags = get32(data_ + pos_);
        pos_ += sizeof(uint32_t);
        if (e.flags & ~all_flags) {
            error_ = "unknown entry flags";
            return false;
        }
    }
    for (const Slot &s : slots)
        if ((e.flags & s.flag) && !field(e.*s.blob)) return false;
    read_++;
    return true;
}

}  // namespace pgstreamx::pack
