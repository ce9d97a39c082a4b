// wakeup.cpp - commit-triggered wake-ups in shared memory. See wakeup.hpp.
#include "pgstreamx/wakeup.hpp"

#include "pgstreamx/core/hash.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/shmem.hpp"


namespace pgstreamx::wakeup {

namespace {

constexpr const char *segment_name = "pgstreamx wakeup";

struct Slot {
    pg_atomic_uint64 generation;
    ConditionVariable cv;
};

struct Shared {
    uint32 nslots;
    Slot slots[FLEXIBLE_ARRAY_MEMBER];
};

int guc_slots = 1024;  // pgstreamx.wakeup_slots
Shared *shared = nullptr;

// Slots to broadcast when the current top-level transaction commits.
// Backend-local plain storage; overflowing it wakes every slot instead.
constexpr int max_pending = 64;
uint32 pending[max_pending];
int npending = 0;
bool pending_all = false;

Size shared_size() {
    return add_size(offsetof(Shared, slots), mul_size(guc_slots, sizeof(Slot)));
}

void shared_init(void *addr, bool found) {
    shared = static_cast<Shared *>(addr);
    if (found) return;
    shared->nslots = static_cast<uint32>(guc_slots);
    for (uint32 i = 0; i < shared->nslots; i++) {
        pg_atomic_init_u64(&shared->slots[i].generation, 0);
        ConditionVariableInit(&shared->slots[i].cv);
    }
}

Slot &slot_of(uint64 ch) {
    require_preloaded("waiting for messages");
    return shared->slots[hash::bucket(ch, shared->nslots)];
}

void wake_slot(uint32 idx) {
    Slot &s = shared->slots[idx];
    pg_atomic_fetch_add_u64(&s.generation, 1);  // full barrier before the broadcast
    ConditionVariableBroadcast(&s.cv);
}

void clear_pending() {
    npending = 0;
    pending_all = false;
}

}  // namespace

uint64 channel(Oid dboid, uint64 object) noexcept { return hash::combine(dboid, object); }

uint64 generation(uint64 ch) { return pg_atomic_read_u64(&slot_of(ch).generation); }

void notify_at_commit(uint64 ch) {
    require_preloaded("waking waiting readers");
    uint32 idx = hash::bucket(ch, shared->nslots);
    if (pending_all) return;
    for (int i = 0; i < npending; i++)
        if (pending[i] == idx) return;
    if (npending == max_pending)
        pending_all = true;
    else
        pending[npending++] = idx;
}

void notify_now(uint64 ch) {
    require_preloaded("waking waiting readers");
    wake_slot(hash::bucket(ch, shared->nslots));
}

bool wait(uint64 ch, uint64 seen, long timeout_ms) {
    Slot &s = slot_of(ch);
    TimestampTz deadline =
        TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms < 0 ? 0 : timeout_ms);
    bool woken = false;
    ConditionVariablePrepareToSleep(&s.cv);
    for (;;) {
        if (pg_atomic_read_u64(&s.generation) != seen) {
            woken = true;
            break;
        }
        long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
        if (remaining <= 0) break;
        // Returns on broadcast, timeout or latch; CHECK_FOR_INTERRUPTS inside.
        (void)ConditionVariableTimedSleep(&s.cv, remaining, PG_WAIT_EXTENSION);
    }
    ConditionVariableCancelSleep();
    return woken;
}

void define_gucs() {
    DefineCustomIntVariable(
        "pgstreamx.wakeup_slots",
        "Number of shared wake-up slots (generation counter + condition variable).",
        "Streams and queues hash onto these slots; more slots mean fewer spurious wake-ups "
        "of readers waiting on different objects. A slot takes a few dozen bytes of shared memory.",
        &guc_slots, 1024, 16, 1 << 20, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
}

void register_shmem() { shmem::register_segment({segment_name, shared_size, shared_init, 0, false}); }

void at_xact_end(bool committed) noexcept {
    // Runs after the commit became visible to other snapshots. Abort and
    // PREPARE wake nobody (a prepared transaction becomes visible at COMMIT
    // PREPARED, possibly in another session: its waiters find it on their
    // fallback timeout).
    if (committed && shared) {
        if (pending_all)
            for (uint32 i = 0; i < shared->nslots; i++) wake_slot(i);
        else
            for (int i = 0; i < npending; i++) wake_slot(pending[i]);
    }
    clear_pending();
}

}  // namespace pgstreamx::wakeup
