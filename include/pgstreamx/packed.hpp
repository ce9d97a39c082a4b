// packed.hpp - packs: several messages of one partition in one message row.
//
// The layout is core/pack.hpp's; this is the PostgreSQL side. A pack row has
// seq = the last seq it holds, messages = how many (consecutive seqs, all of
// one transaction's append call, so a pack is below a reader's horizon
// entirely or not at all), topic and headers = values its entries may share,
// payload_bytes = the entries, and is kept below the size at which
// PostgreSQL would compress it or move it out of line. Table capture packs
// (a statement's events); queues never do (a claim is per message row).
// Readers turn a pack back into messages with unpack(); SQL that counts
// messages sums coalesce(messages, 1) (docs/architecture.md, "Packed rows").
#pragma once

#include "pgstreamx/pg.hpp"
#include "pgstreamx/storage.hpp"

namespace pgstreamx::packed {

// Plain C (call inside pg_call). rows[0 .. n): messages of one partition and
// one segment with consecutive seqs, in seq order. Writes the rows to insert
// into out (room for n): packs of two or more messages, and single rows for
// a message too large to share a row. Returns how many. The packs are
// palloc'd in the current memory context.
int64 pack_rows(const storage::Row *rows, int64 n, storage::Row *out);

// One message of a pack; a Datum of 0 is NULL. The values point into the
// pack (or the row), valid while it is.
struct Message {
    int64 seq;
    Datum topic, key, headers, payload, payload_bytes;
};

// Plain C (call inside pg_call). Calls emit(arg, m) for the messages of a
// pack row with seq > after, in seq order, until emit returns false.
// `blob` is the row's payload_bytes, `last` its seq, `messages` its
// messages column, row_topic / row_headers its topic and headers (0: NULL).
// Raises XX001 for a pack that does not match its row (or a NULL blob).
void unpack(Datum blob, int64 last, int32 messages, Datum row_topic, Datum row_headers, int64 after,
            bool (*emit)(void *arg, const Message &m), void *arg);

}  // namespace pgstreamx::packed
