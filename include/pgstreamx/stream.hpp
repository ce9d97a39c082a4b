// stream.hpp - what other areas (queues, capture, maintenance) use of streams.
#pragma once

#include <string>
#include <vector>

#include "pgstreamx/offsets.hpp"

namespace pgstreamx::stream {

struct Info {
    std::string name;      // allow-listed stream name
    std::string relation;  // pgstreamx."s_<name>", the partitioned message table
    Oid relid = InvalidOid;  // of the message table: identifies this incarnation
    int32 id = 0;
    bool is_queue = false;   // kind 'queue': read through queue.cpp's claims
    int32 partitions = 0;
    int64 chunk = 0;         // seqs reserved per high-water-mark step
    std::vector<Oid> hwm;    // per-partition sequence
    std::vector<Oid> leaves; // per segment: its leaf table "s_<name>$<segment>"
};

// Looks a stream up by name (validated: 22023; unknown: 42704 with HINT).
// Cached per backend; the cache entry is used only while the stream's message
// table still has the same OID (a dropped and re-created stream is looked up
// again). The reference stays valid until the next lookup of the same name.
const Info &lookup(const std::string &name);

// The same, but nullptr instead of 42704 when there is no such stream or queue.
const Info *find(const std::string &name);

// The stream's current storage segment, read from the catalog (used when a
// partition's in-flight state is loaded).
int32 current_segment(int32 stream_id);

// The OID of a segment's leaf table (XX000 if the stream has no such segment).
Oid leaf_of(const Info &s, int32 segment);

// The wake-up channel readers of the stream wait on.
uint64 channel_of(const Info &s);

// Raises 22023 unless 0 <= partition < s.partitions.
void check_partition(const Info &s, int32 partition);

offsets::PartitionRef partition_ref(const Info &s, int32 partition);

// One message to append. A Datum of 0 (or a null key) is NULL; exactly one of
// payload (jsonb) and payload_bytes (bytea) is set. Limits are the caller's
// to check (check_message), before anything is written.
struct Message {
    Datum payload;
    Datum payload_bytes;
    text *key;  // chooses the partition (stable hash); null: spread evenly
    Datum topic;
    Datum headers;
    TimestampTz visible_at = 0;  // queues: not read before (0: no delay)
};

// The one append path (append, append_batch, table capture): chooses each
// message's partition, takes seqs from the commit-order registry (in input
// order per partition), writes the rows into the segment leaves and wakes
// the stream's readers at commit. seqs_out: nullptr or n seqs, in input order.
// pack: store runs of one partition in packs (packed.hpp; streams only: a
// queue's claims are per row).
void append_messages(const Info &s, const Message *msgs, int64 n, int64 *seqs_out, bool pack = false);

// Raises 54000 when payload + headers exceed pgstreamx.max_message_size, or
// the key or topic is longer than its limit.
void check_message(const Message &m);

void define_gucs();

}  // namespace pgstreamx::stream
