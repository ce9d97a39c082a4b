// wakeup.hpp - wake-ups: the one mechanism by which a waiting reader learns,
// within a millisecond and without polling, that something it waits for has
// committed (DESIGN.md §3, "Wake-ups").
//
// A channel is a 64-bit key (use channel(): database + object). Channels hash
// onto pgstreamx.wakeup_slots shared slots, each a generation counter plus a
// ConditionVariable. Producers call notify_at_commit(); the pgstreamx
// transaction callback bumps the generation and broadcasts AFTER the commit is
// visible (nothing happens on abort). A reader:
//
//     uint64 seen = wakeup::generation(ch);   // 1. read the generation
//     ... look for work; found -> return ...  // 2. check, holding no locks after
//     wakeup::wait(ch, seen, timeout_ms);     // 3. sleep until it changes
//
// Reading the generation before looking makes a lost wake-up impossible.
// Two channels may share a slot: a reader may wake spuriously and must
// re-check, never assume. Requires shared_preload_libraries.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::wakeup {

// The channel of an object (e.g. a stream's or queue's id) in a database.
uint64 channel(Oid dboid, uint64 object) noexcept;

// The current generation of the channel's slot.
uint64 generation(uint64 channel);

// Wakes the channel's waiters when the current top-level transaction commits.
// Outside a transaction block this is the statement's own commit.
void notify_at_commit(uint64 channel);

// Wakes the channel's waiters now (for events that are not transactional,
// such as a delayed message becoming due).
void notify_now(uint64 channel);

// Sleeps (holding no locks; the caller must not hold any LWLock or buffer
// lock) until the channel's generation differs from `seen`, or timeout_ms
// passes. Returns true if woken, false on timeout. Interruptible: a query
// cancel or statement_timeout raises its ERROR from inside.
bool wait(uint64 channel, uint64 seen, long timeout_ms);

// Transaction end (module.cpp's callback, after offsets::at_xact_end so that
// a woken reader already sees the new horizon): broadcasts on commit.
void at_xact_end(bool committed) noexcept;

// Called from _PG_init.
void define_gucs();
void register_shmem();

}  // namespace pgstreamx::wakeup
