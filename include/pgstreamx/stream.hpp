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
    int32 partitions = 0;
    int64 chunk = 0;         // seqs reserved per high-water-mark step
    std::vector<Oid> hwm;    // per-partition sequence
};

// Looks a stream up by name (validated: 22023; unknown: 42704 with HINT).
// Cached per backend; the cache entry is used only while the stream's message
// table still has the same OID (a dropped and re-created stream is looked up
// again). Needs an open spi::Scope.
Info lookup(const std::string &name);

// The stream's current storage segment, read from the catalog (used when a
// partition's in-flight state is loaded). Needs an open spi::Scope.
int32 current_segment(int32 stream_id);

// pgstreamx."s_<name>$<segment>": the leaf table of one storage segment.
std::string segment_relation(const Info &s, int32 segment);

// The wake-up channel readers of the stream wait on.
uint64 channel_of(const Info &s);

// Raises 22023 unless 0 <= partition < s.partitions.
void check_partition(const Info &s, int32 partition);

offsets::PartitionRef partition_ref(const Info &s, int32 partition);

void define_gucs();

}  // namespace pgstreamx::stream
