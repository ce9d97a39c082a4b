// storage.hpp - writing message rows into a stream segment's leaf table.
//
// The one insert path of every area that appends (streams now; queues and
// table capture later): the rows go straight into the heap of the segment's
// leaf with table_tuple_insert / table_multi_insert and their index entries
// with ExecInsertIndexTuples, the way COPY and logical replication apply do,
// instead of planning and executing an INSERT through SPI per call
// (docs/architecture.md, "Append path"). Message tables are internal: no
// triggers, rules or constraints beyond NOT NULL, which the caller satisfies.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::storage {

// One message row, in the column order of pgstreamx."s_<name>":
// segment, partition, seq, appended_at, topic, key, headers, payload,
// payload_bytes, visible_at, messages. A Datum of 0 is NULL for the nullable
// columns (topic .. payload_bytes), and so are a visible_at and a messages of
// 0; segment, partition, seq and appended_at are never NULL. A row with
// messages set is a pack of that many messages ending at seq (packed.hpp).
// Queues also keep their acknowledgement records in partition -1 of the same
// tables (queue.cpp).
struct Row {
    int32 segment;
    int32 partition;
    int64 seq;
    TimestampTz appended_at;
    Datum topic;
    Datum key;
    Datum headers;
    Datum payload;
    Datum payload_bytes;
    TimestampTz visible_at;  // queues: a delayed message is not read before (0: NULL)
    int32 messages;          // a pack: the number of messages it holds (0: NULL, one message)
};

constexpr int columns = 11;

// Inserts rows[0 .. n) into the leaf table `leaf` (RowExclusiveLock, held to
// the end of the transaction). Raises 42704 if the leaf no longer exists
// (the stream was dropped meanwhile) and XX000 if its shape is not a message
// table's. Safe to call with live C++ objects: PostgreSQL errors come back
// as PgError.
void insert(Oid leaf, const Row *rows, int64 n);

}  // namespace pgstreamx::storage
