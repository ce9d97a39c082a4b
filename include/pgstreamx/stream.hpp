// stream.hpp - what other areas (queues, capture, maintenance) use of streams.
#pragma once

#include <string>

#include "pgstreamx/offsets.hpp"

namespace pgstreamx::stream {

struct Info {
    std::string name;      // allow-listed stream name
    std::string relation;  // pgstreamx."s_<name>", the partitioned message table
    int32 id = 0;
    int32 partitions = 0;
    int32 segment = 0;     // the segment new messages go to
    int64 chunk = 0;       // seqs reserved per high-water-mark step
    Oid *hwm = nullptr;    // per-partition sequence (TopTransactionContext)
    int nhwm = 0;
};

// Looks a stream up by name (validated: 22023; unknown: 42704 with HINT).
// Needs an open spi::Scope.
Info lookup(const std::string &name);

// The wake-up channel readers of the stream wait on.
uint64 channel_of(const Info &s);

// Raises 22023 unless 0 <= partition < s.partitions.
void check_partition(const Info &s, int32 partition);

offsets::PartitionRef partition_ref(const Info &s, int32 partition);

void define_gucs();

}  // namespace pgstreamx::stream
