// core/claims.hpp - the claim window of one queue (invariant I3), as pure C++
// so that it is unit-tested without a server. docs/architecture.md, "Queue
// claims", explains the design; queue.cpp keeps one window per queue in
// shared memory and calls these functions under the queue's LWLock.
//
// A window is an open-addressing hash (linear probing, keyed by msg_id) of
// claim slots plus one cursor:
//   next_new  every message with msg_id < next_new has a slot or is finished
//             (deleted, archived or dead-lettered). A reader therefore looks
//             for new messages from next_new on only, and finds messages below
//             it that can be delivered again (an expired or released claim,
//             a delayed message that became due) among the slots.
//             next_new never passes the commit-order horizon of the queue's
//             partition, so a message whose sender commits late is never
//             passed without a slot (it is found by a later scan).
// A slot is
//   held      claimed by a reader until vt (read_ct >= 1), or not yet
//             deliverable before vt (read_ct == 0: a delayed message, or one
//             whose claim was rolled back: vt 0, deliverable now)
//   pending   finished by a transaction still open (delete, archive, pop,
//             dead letter): nobody else gets it; it becomes done at commit,
//             or goes back to what it was at abort
//   done      finished; kept only while msg_id >= next_new (a later scan
//             must know), erased once next_new passes it.
// Times are microseconds on any one clock (PostgreSQL's TimestampTz).
#pragma once

#include <cstdint>

namespace pgstreamx::claims {

enum State : std::uint8_t { empty = 0, held = 1, pending = 2, done = 3 };

struct Slot {
    std::int64_t msg_id;
    std::int64_t vt;       // held: not deliverable before this time
    std::uint64_t group;   // FIFO message group (hash; 0: none)
    std::int32_t read_ct;  // deliveries so far (the fencing token of acks)
    std::int32_t segment;  // storage segment of the message row
    std::uint8_t state;
};

struct Window {
    std::int64_t next_new;
    std::int32_t nn_segment; // storage segment of the last message passed (-1: unknown): every
                             // message at or above next_new is in it or a later one
    std::int64_t min_due;   // no held slot becomes deliverable before this (a lower bound)
    std::int32_t capacity;  // slots in the table, a power of two
    std::int32_t used;      // non-empty slots
};

// Largest number of used slots (3/4 of the capacity keeps probes short).
constexpr std::int32_t limit(const Window &w) noexcept { return w.capacity - w.capacity / 4; }

// capacity must be a power of two >= 4.
void init(Window &w, Slot *slots, std::int32_t capacity, std::int64_t next_new) noexcept;

Slot *find(const Window &w, Slot *slots, std::int64_t msg_id) noexcept;

// The slot of msg_id, created (zeroed, state held, read_ct 0, vt 0) if
// missing; nullptr when the window is full.
Slot *insert(Window &w, Slot *slots, std::int64_t msg_id) noexcept;

// Removes a slot (backward-shift deletion: no tombstones). Pointers to other
// slots may move: find them again afterwards.
void erase(Window &w, Slot *slots, Slot *slot) noexcept;

// Moves next_new up to `to` (never down) and erases the done slots below it.
void advance(Window &w, Slot *slots, std::int64_t to) noexcept;

// The lowest unfinished msg_id: min(next_new, lowest held or pending slot).
std::int64_t floor(const Window &w, const Slot *slots) noexcept;

// Records that a held slot becomes deliverable at `vt` (keeps min_due a bound).
inline void note_due(Window &w, std::int64_t vt) noexcept {
    if (vt < w.min_due) w.min_due = vt;
}

// Whether a held slot can be delivered at `now`.
constexpr bool deliverable(const Slot &s, std::int64_t now) noexcept { return s.state == held && s.vt <= now; }

// Forgets everything (purge): every slot erased, next_new kept.
void clear(Window &w, Slot *slots) noexcept;

}  // namespace pgstreamx::claims
