// core/pack.hpp - several messages in one message row (a "pack").
//
// A statement that appends many messages to one partition (table capture)
// would otherwise write one heap row and one index entry per message: the
// row header, the fixed columns, the shared topic and headers and the index
// entry were more bytes than the message itself (docs/architecture.md,
// "Packed rows"). A pack is one row for a run of consecutive seqs of one
// partition: its seq column is the run's last seq, its messages column the
// run's length, and its payload_bytes column holds this layout:
//
//   uint32 magic, uint32 count, uint32 uniform   (uniform: the flags every
//                                                  entry has, or 0: each
//                                                  entry starts with its own)
//   count entries: [uint32 flags] field...       (fields in Field order)
//
// Every field is an opaque blob that knows its own size (the caller's
// size_of; in PostgreSQL a varlena with a 4-byte header), stored at a 4-byte
// aligned offset, so a reader can point at it without copying. Entries of a
// pack are in seq order. This file knows nothing of PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgstreamx::pack {

inline constexpr uint32_t magic = 0x31585350;  // "PSX1", little-endian
inline constexpr size_t header_size = 12;
inline constexpr size_t align = 4;

// Which fields an entry has. shared_topic / shared_headers: the entry's
// value is the pack row's own topic / headers column (a statement's
// events share them), so it is not stored again.
enum Field : uint32_t {
    topic = 1u << 0,
    key = 1u << 1,
    headers = 1u << 2,
    payload = 1u << 3,
    payload_bytes = 1u << 4,
    shared_topic = 1u << 5,
    shared_headers = 1u << 6,
};
inline constexpr uint32_t all_flags = (1u << 7) - 1;

struct Blob {
    const uint8_t *data = nullptr;  // nullptr: absent
    uint32_t size = 0;
};

struct Entry {
    uint32_t flags = 0;
    Blob topic, key, headers, payload, payload_bytes;  // the stored fields
};

constexpr size_t aligned(size_t n) { return (n + (align - 1)) & ~(align - 1); }

// Bytes `e` takes in a pack whose uniform flags are `uniform`.
size_t entry_size(const Entry &e, uint32_t uniform) noexcept;

// Writes the header; `out` must be 4-byte aligned.
void write_header(uint8_t *out, uint32_t count, uint32_t uniform) noexcept;

// Writes `e` at `out` (4-byte aligned) and returns entry_size(e, uniform).
// The blobs present must match e.flags.
size_t write_entry(uint8_t *out, const Entry &e, uint32_t uniform) noexcept;

// Reads a pack. Every size is checked against the buffer: a damaged pack
// makes next() return false with error() set, never read out of bounds.
class Reader {
public:
    using SizeOf = uint32_t (*)(const uint8_t *field);
    // `data` (4-byte aligned) .. data + size: the layout above.
    Reader(const uint8_t *data, size_t size, SizeOf size_of) noexcept;
    uint32_t count() const noexcept { return count_; }
    // The next entry, or false at the end or on damage.
    bool next(Entry &e) noexcept;
    const char *error() const noexcept { return error_; }

private:
    bool field(Blob &b) noexcept;
    const uint8_t *data_;
    size_t size_, pos_ = header_size;
    SizeOf size_of_;
    uint32_t count_ = 0, uniform_ = 0, read_ = 0;
    const char *error_ = nullptr;
};

}  // namespace pgstreamx::pack
