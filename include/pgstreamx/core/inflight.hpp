// core/inflight.hpp - the commit-order bookkeeping of one stream partition
// (invariant I2), as pure C++ so that it is unit-tested without a server.
//
// A partition hands out seqs from a chunk [next, chunk_end) reserved from a
// durable sequence (the high-water mark: after a restart the next chunk is
// above every seq ever handed out, so seqs never repeat, even when retention
// has dropped everything). Every transaction that holds a seq not yet
// committed or aborted is a *holder* with the lowest seq it holds. A reader's
// *horizon* is the lowest seq it may not read yet: the lowest held seq, or
// `next` when nobody holds one. Reading `seq < horizon` with a snapshot taken
// AFTER computing the horizon never skips a message that commits later.
//
// The caller provides the storage (shared memory) and the lock: every
// function here runs under the partition's spinlock and does no I/O.
#pragma once

#include <cstdint>
#include <limits>

namespace pgstreamx::inflight {

struct Holder {
    std::int32_t proc;     // PGPROC number of the holding backend
    std::int64_t min_seq;  // lowest seq it holds in this partition
    std::int64_t max_seq;  // highest seq it holds in this partition
    std::int64_t since;    // when it first allocated (microseconds, any epoch)
};

struct State {
    std::int64_t next;       // next seq to hand out (meaningful once loaded)
    std::int64_t chunk_end;  // first seq past the current chunk
    std::int64_t committed_max;  // highest seq whose transaction committed (since loaded)
    std::int32_t nholders;   // holders[0 .. nholders) are live
    std::int32_t capacity;   // size of the holders array
    std::int32_t segment;    // storage segment new seqs go to
    bool segment_set;        // segment was switched here (else taken from the catalog at load)
    bool loaded;             // a chunk was installed since (re)start
    bool refilling;          // a backend is fetching the next chunk
};

inline constexpr std::int64_t no_horizon = std::numeric_limits<std::int64_t>::max();

enum class Alloc {
    ok,            // `granted` seqs from `first`
    need_chunk,    // the chunk is exhausted (or none loaded): fetch one, then install_chunk
    refilling,     // another backend is fetching a chunk: retry shortly
    holders_full,  // more concurrent appending transactions than capacity
};

struct Grant {
    Alloc status;
    std::int64_t first;
    std::int64_t granted;
    std::int32_t segment;  // the storage segment these seqs belong to
};

// Initialises an empty, unloaded state for `capacity` holders.
void init(State &s, std::int32_t capacity) noexcept;

// Hands out up to `n` (>= 1) consecutive seqs to `proc` from the current
// chunk and registers `proc` as a holder of them (keeping its lowest seq if
// it already holds some). On need_chunk the caller sets `refilling` through
// begin_refill(), reserves a chunk outside the lock and calls install_chunk().
Grant allocate(State &s, Holder *holders, std::int32_t proc, std::int64_t now, std::int64_t n) noexcept;

// Marks that `proc` is fetching a chunk; false if someone else already is.
bool begin_refill(State &s) noexcept;

// Installs the chunk [start, start + size) and ends the refill. A chunk that
// is not above what was handed out already is ignored (returns false). On
// the first load the segment comes from the catalog (`segment`); later the
// state's own segment (possibly switched since) is kept.
bool install_chunk(State &s, std::int64_t start, std::int64_t size, std::int32_t segment) noexcept;

// Retention: new seqs go to `segment` from now on (also if the partition
// loads later). Returns the first seq that will go there (every seq handed
// out before is below it and went to the old segment), or -1 when nothing
// was loaded since (re)start: then nothing in flight can reach the old one.
std::int64_t switch_segment(State &s, std::int32_t segment) noexcept;

// Ends a refill that failed (the chunk could not be reserved).
void abort_refill(State &s) noexcept;

// Removes `proc`'s holder at its transaction's end; on commit its seqs
// become committed (committed_max). True if it had one.
bool release(State &s, Holder *holders, std::int32_t proc, bool committed) noexcept;

// Whether a message above `after` may have committed: false only when the
// partition is loaded and nothing above `after` committed (every seq below
// the first chunk loaded counts as committed). Used by a waiting reader to
// sleep without opening any table.
bool may_have_newer(const State &s, std::int64_t after) noexcept;

// The lowest seq a reader may not read yet, ignoring `self`'s own holder (a
// transaction may read what it appended itself). no_horizon when nothing was
// ever handed out since (re)start: then every seq to come is above every seq
// that exists, because chunks only grow.
std::int64_t horizon(const State &s, const Holder *holders, std::int32_t self) noexcept;

// `since` of the oldest holder, or -1 when there is none (a metric: an open
// transaction that appended holds back every reader of the partition).
std::int64_t oldest_since(const State &s, const Holder *holders) noexcept;

}  // namespace pgstreamx::inflight
