// offsets.hpp - seqs in commit order (invariant I2): the shared-memory
// in-flight registry of every stream partition. See core/inflight.hpp for the
// rules and docs/architecture.md, "Commit order", for why they are correct.
//
// Writers call allocate(); their seqs stay "in flight" until their top-level
// transaction commits or aborts (at_xact_end, called from the module's
// transaction callback BEFORE wake-ups are sent, so a woken reader already
// sees the new horizon). Readers call horizon() for each partition FIRST and
// only then take the snapshot they read `seq < horizon` with.
#pragma once

#include "pgstreamx/core/inflight.hpp"
#include "pgstreamx/pg.hpp"

namespace pgstreamx::offsets {

struct PartitionRef {
    int32 stream_id;
    int32 partition;
    Oid sequence;   // the partition's durable high-water mark
    int64 chunk;    // the sequence's increment: seqs reserved per nextval
    // The catalog's current segment, asked for when a chunk is reserved (the
    // partition's state may be loading); ctx is passed back.
    int32 (*current_segment)(int32 stream_id);
};

// peek_horizon() when the partition is not loaded (nothing in flight).
using inflight::no_horizon;

// Hands out n >= 1 seqs of the partition to the current transaction, in
// increasing order, into out[0 .. n), and the storage segment of each into
// segments[0 .. n) (a batch may straddle a segment switch). Not necessarily
// consecutive (a batch may cross a chunk). May reserve a chunk with nextval.
// Raises 25006 during recovery, 53400 when the registry is full.
void allocate(const PartitionRef &p, int64 n, int64 *out, int32 *segments);

// Retention: from now on new seqs of the partition go to `segment`. Returns
// the first seq that will (all earlier ones went elsewhere), or -1 if the
// partition was not loaded since the server started (then nothing in flight
// can reach the old segment and its rows are all there is).
int64 switch_segment(int32 stream_id, int32 partition, int32 segment);

// The lowest seq of the partition a reader in this backend may not read yet
// (its own in-flight seqs excepted). Loads the partition's state first if
// needed (reserving a chunk), so it is always a real bound. Call it BEFORE
// taking the snapshot that reads `seq < horizon`. include_own: the current
// transaction's own in-flight seqs count too (queues: a message this
// transaction sent is not final until it commits). segment: if not null,
// the storage segment new seqs go to, read with the horizon (every seq below
// the horizon is in it or an earlier one).
int64 horizon(const PartitionRef &p, bool include_own = false, int32 *segment = nullptr);

// The same without loading: no_horizon when the partition is not loaded
// (then nothing is in flight). For maintenance, which only needs to know
// whether a seq below some bound is still in flight.
int64 peek_horizon(int32 stream_id, int32 partition);

// The start of the oldest transaction still holding a seq of the partition,
// or 0 (DT_NOBEGIN is not used) when none does.
TimestampTz oldest_inflight(int32 stream_id, int32 partition);

// True if the current transaction holds seqs in flight.
bool holds_any() noexcept;

// Transaction end: releases every seq this backend holds; on commit they
// count as committed for may_have_newer().
void at_xact_end(bool committed) noexcept;

// False only if certainly no message above `after` has committed in the
// partition since it was loaded: lets a waiting reader sleep without opening
// any table. True when unknown.
bool may_have_newer(int32 stream_id, int32 partition, int64 after);
// PREPARE TRANSACTION: refused when the transaction appended.
void before_prepare();

// Test-only pause point between computing horizons and taking the read
// snapshot (set by src/testing.cpp; nullptr in production).
extern void (*after_horizon_hook)();

void define_gucs();
void register_shmem();

}  // namespace pgstreamx::offsets
