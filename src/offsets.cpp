// offsets.cpp - the shared-memory in-flight registry. See offsets.hpp.
#include "pgstreamx/offsets.hpp"

#include "pgstreamx/core/inflight.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/shmem.hpp"


namespace pgstreamx::offsets {

void (*after_horizon_hook)() = nullptr;

namespace {

constexpr const char *segment_name = "pgstreamx offsets";

struct Key {
    Oid db;
    int32 stream_id;
    int32 partition;
};

struct Entry {
    Key key;  // must be first (dynahash)
    slock_t mutex;
    Oid sequence;  // the high-water mark this state belongs to (stream incarnation)
    inflight::State state;
    inflight::Holder holders[FLEXIBLE_ARRAY_MEMBER];  // MaxBackends of them
};

int guc_max_partitions = 1024;  // pgstreamx.max_partitions
HTAB *registry = nullptr;

// Partitions the current top-level transaction holds seqs in. Entries with
// holders are never evicted, so the pointers stay valid until released.
constexpr int max_held = 256;
Entry *held[max_held];
int nheld = 0;

Size entry_size() { return add_size(offsetof(Entry, holders), mul_size(MaxBackends, sizeof(inflight::Holder))); }

Size shared_size() { return hash_estimate_size(guc_max_partitions, entry_size()); }

void shared_init(void *, bool) {
    HASHCTL info;
    std::memset(&info, 0, sizeof(info));
    info.keysize = sizeof(Key);
    info.entrysize = entry_size();
    registry = ShmemInitHash(segment_name, guc_max_partitions, guc_max_partitions, &info,
                             HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

LWLock *registry_lock() { return shmem::lwlock(segment_name, 0); }

int64 now_us() { return static_cast<int64>(GetCurrentTimestamp()); }

// Runs read(state, holders) on the partition's entry under its spinlock, if
// the entry exists; returns if_missing otherwise. Creates nothing, so a
// reader that only looks does not fill the registry. `read` must be trivial
// (it runs under a spinlock).
template <typename R, typename F>
R with_existing(const Key &key, R if_missing, F read) {
    LWLockAcquire(registry_lock(), LW_SHARED);
    auto *e = static_cast<Entry *>(hash_search(registry, &key, HASH_FIND, nullptr));
    R result = if_missing;
    if (e) {
        SpinLockAcquire(&e->mutex);
        result = read(e->state, e->holders);
        SpinLockRelease(&e->mutex);
    }
    LWLockRelease(registry_lock());
    return result;
}

// Evicts one partition nobody holds seqs in (its state reloads from its
// sequence, leaving a harmless gap). Caller holds the registry lock exclusively.
bool evict_one() {
    HASH_SEQ_STATUS it;
    hash_seq_init(&it, registry);
    while (Entry *e = static_cast<Entry *>(hash_seq_search(&it))) {
        SpinLockAcquire(&e->mutex);
        bool idle = e->state.nholders == 0 && !e->state.refilling;
        SpinLockRelease(&e->mutex);
        if (idle) {
            Key k = e->key;
            hash_seq_term(&it);
            hash_search(registry, &k, HASH_REMOVE, nullptr);
            return true;
        }
    }
    return false;
}

// Resets an entry left by an earlier incarnation of the stream (same id after
// DROP/CREATE EXTENSION, say): its state belongs to another sequence.
// Caller holds the entry's spinlock.
void adopt(Entry *e, Oid sequence) {
    if (e->sequence == sequence || !OidIsValid(sequence)) return;
    if (e->state.nholders == 0 && !e->state.refilling) {
        inflight::init(e->state, MaxBackends);
        e->sequence = sequence;
    }
}

// Finds or creates the entry; returns with the registry lock held SHARED.
Entry *lookup_or_create(const Key &key, Oid sequence) {
    LWLockAcquire(registry_lock(), LW_SHARED);
    auto *e = static_cast<Entry *>(hash_search(registry, &key, HASH_FIND, nullptr));
    if (e) {
        SpinLockAcquire(&e->mutex);
        adopt(e, sequence);
        SpinLockRelease(&e->mutex);
        return e;
    }
    LWLockRelease(registry_lock());

    LWLockAcquire(registry_lock(), LW_EXCLUSIVE);
    bool found = false;
    e = static_cast<Entry *>(hash_search(registry, &key, HASH_ENTER_NULL, &found));
    if (!e && evict_one()) e = static_cast<Entry *>(hash_search(registry, &key, HASH_ENTER_NULL, &found));
    if (!e) {
        LWLockRelease(registry_lock());
        throw Error(sqlstate::configuration_limit_exceeded, "too many stream partitions in use",
                    "Every partition that has seqs in flight needs a slot of pgstreamx.max_partitions (" +
                        std::to_string(guc_max_partitions) + ").",
                    "Raise pgstreamx.max_partitions and restart the server.");
    }
    if (!found) {
        SpinLockInit(&e->mutex);
        inflight::init(e->state, MaxBackends);
        e->sequence = sequence;
    }
    LWLockRelease(registry_lock());
    return lookup_or_create(key, sequence);  // evicted in between: extremely unlikely
}

bool exit_callback_registered = false;

// The partition this backend is reserving a chunk for, if any: a FATAL exit
// in the middle (pg_terminate_backend during nextval) must not leave the
// partition marked "refilling" forever.
bool refilling_now = false;
Key refilling_key;

void end_refill_after_failure() noexcept {
    if (!refilling_now) return;
    refilling_now = false;
    (void)with_existing(refilling_key, false, [](inflight::State &st, inflight::Holder *) {
        inflight::abort_refill(st);
        return true;
    });
}

// A backend that exits without ending its transaction normally (FATAL in a
// callback, say) must not leave holders behind: they would stall readers.
void release_at_exit(int, Datum) {
    end_refill_after_failure();
    at_xact_end(false);
}

void register_exit_callback() {
    if (exit_callback_registered) return;
    before_shmem_exit(release_at_exit, 0);
    exit_callback_registered = true;
}

void remember_held(Entry *e) {
    for (int i = 0; i < nheld; i++)
        if (held[i] == e) return;
    // Only called while the entry has our holder, so it cannot be evicted.
    held[nheld++] = e;
}

// Reserves the next chunk from the partition's sequence. nextval is not
// transactional and is WAL-logged ahead, so after a crash the next chunk is
// above every seq ever handed out.
int64 reserve_chunk(Oid sequence) {
    return pg_call([sequence]() { return nextval_internal(sequence, false); });
}

// Reserves the next chunk and installs it. The caller won begin_refill() on
// the entry and holds no lock.
void refill(const PartitionRef &p, const Key &key) {
    refilling_key = key;
    refilling_now = true;
    int64 start = 0;
    int32 segment = 0;
    try {
        start = reserve_chunk(p.sequence);
        segment = p.current_segment ? p.current_segment(p.stream_id) : 0;
    } catch (...) {
        end_refill_after_failure();
        throw;
    }
    Entry *e = lookup_or_create(key, p.sequence);
    SpinLockAcquire(&e->mutex);
    inflight::install_chunk(e->state, start, p.chunk, segment);
    SpinLockRelease(&e->mutex);
    LWLockRelease(registry_lock());
    refilling_now = false;
}

// Another backend is reserving a chunk: wait a little (interruptibly).
void wait_for_refill() {
    pg_call([]() {
        CHECK_FOR_INTERRUPTS();
        pg_usleep(200);
    });
}

}  // namespace

void allocate(const PartitionRef &p, int64 n, int64 *out, int32 *segments) {
    require_preloaded("appending to a stream");
    if (RecoveryInProgress())
        throw Error(sqlstate::read_only_sql_transaction, "cannot append to a stream during recovery", {},
                    "Append on the primary server.");
    Key key{MyDatabaseId, p.stream_id, p.partition};
    const int32 proc = MyProc->pgprocno;
    register_exit_callback();
    int64 done = 0;
    while (done < n) {
        Entry *e = lookup_or_create(key, p.sequence);
        if (nheld >= max_held) {
            bool known = false;
            for (int i = 0; i < nheld; i++) known = known || held[i] == e;
            if (!known) {
                LWLockRelease(registry_lock());
                throw Error(sqlstate::program_limit_exceeded,
                            "a transaction may append to at most " + std::to_string(max_held) +
                                " stream partitions",
                            {}, "Split the work into several transactions.");
            }
        }
        const int64 now = now_us();
        SpinLockAcquire(&e->mutex);
        inflight::Grant g = inflight::allocate(e->state, e->holders, proc, now, n - done);
        bool refill_it = g.status == inflight::Alloc::need_chunk && inflight::begin_refill(e->state);
        SpinLockRelease(&e->mutex);

        if (g.status == inflight::Alloc::ok) {
            remember_held(e);
            LWLockRelease(registry_lock());
            for (int64 k = 0; k < g.granted; k++) {
                out[done + k] = g.first + k;
                segments[done + k] = g.segment;
            }
            done += g.granted;
            continue;
        }
        LWLockRelease(registry_lock());
        if (g.status == inflight::Alloc::holders_full)
            throw Error(sqlstate::configuration_limit_exceeded,
                        "too many transactions appending to one stream partition at once", {},
                        "Raise max_connections, or append in fewer concurrent transactions.");
        if (refill_it)
            refill(p, key);
        else
            wait_for_refill();
    }
}

int64 horizon(const PartitionRef &p, bool include_own, int32 *segment) {
    require_preloaded("reading a stream");
    Key key{MyDatabaseId, p.stream_id, p.partition};
    register_exit_callback();
    for (;;) {
        Entry *e = lookup_or_create(key, p.sequence);
        SpinLockAcquire(&e->mutex);
        bool loaded = e->state.loaded;
        int64 h = loaded ? inflight::horizon(e->state, e->holders, include_own ? -1 : MyProc->pgprocno) : 0;
        if (loaded && segment) *segment = e->state.segment;
        bool refill_it = !loaded && inflight::begin_refill(e->state);
        SpinLockRelease(&e->mutex);
        LWLockRelease(registry_lock());
        if (loaded) return h;
        // Not loaded since the server started (or evicted): nothing is in
        // flight, but an appender may load it and take a seq at any moment,
        // before our snapshot. Loading it here makes the horizon the start
        // of a fresh chunk, above every seq that exists, so the snapshot
        // taken afterwards cannot miss one below it.
        if (refill_it)
            refill(p, key);
        else
            wait_for_refill();
    }
}

int64 switch_segment(int32 stream_id, int32 partition, int32 segment) {
    require_preloaded("stream maintenance");
    Key key{MyDatabaseId, stream_id, partition};
    Entry *e = lookup_or_create(key, InvalidOid);  // so that a later load keeps the new segment
    SpinLockAcquire(&e->mutex);
    // A refill in progress installs its chunk keeping this segment.
    int64 end = inflight::switch_segment(e->state, segment);
    SpinLockRelease(&e->mutex);
    LWLockRelease(registry_lock());
    return end;
}

bool holds_any() noexcept { return nheld > 0; }

void at_xact_end(bool committed) noexcept {
    if (!committed) end_refill_after_failure();
    const int32 proc = MyProc ? MyProc->pgprocno : -1;
    for (int i = 0; i < nheld; i++) {
        SpinLockAcquire(&held[i]->mutex);
        inflight::release(held[i]->state, held[i]->holders, proc, committed);
        SpinLockRelease(&held[i]->mutex);
    }
    nheld = 0;
}

TimestampTz oldest_inflight(int32 stream_id, int32 partition) {
    require_preloaded("stream metrics");
    int64 since = with_existing(Key{MyDatabaseId, stream_id, partition}, int64(-1),
                                [](inflight::State &st, inflight::Holder *h) { return inflight::oldest_since(st, h); });
    return since < 0 ? 0 : static_cast<TimestampTz>(since);
}

int64 peek_horizon(int32 stream_id, int32 partition) {
    require_preloaded("reading a stream");
    const int32 self = MyProc->pgprocno;
    return with_existing(Key{MyDatabaseId, stream_id, partition}, no_horizon,
                         [self](inflight::State &st, inflight::Holder *h) { return inflight::horizon(st, h, self); });
}

bool may_have_newer(int32 stream_id, int32 partition, int64 after) {
    require_preloaded("reading a stream");
    return with_existing(Key{MyDatabaseId, stream_id, partition}, true,
                         [after](inflight::State &st, inflight::Holder *) { return inflight::may_have_newer(st, after); });
}

void before_prepare() {
    if (!holds_any()) return;
    throw Error(sqlstate::feature_not_supported, "cannot PREPARE a transaction that appended to a stream",
                "A prepared transaction would hold back every reader of the partitions it "
                "appended to until COMMIT PREPARED, possibly across a restart.",
                "Append outside the two-phase transaction, or commit it directly.");
}

void define_gucs() {
    DefineCustomIntVariable("pgstreamx.max_partitions",
                            "Stream partitions the in-flight registry tracks at once.",
                            "Each takes about 16 bytes per max_connections in shared memory. "
                            "Partitions nobody appends to are evicted when the registry is full.",
                            &guc_max_partitions, 1024, 64, 1 << 20, PGC_POSTMASTER, 0, nullptr,
                            nullptr, nullptr);
}

void register_shmem() {
    shmem::register_segment({segment_name, shared_size, shared_init, 1, /*allocates_itself=*/true});
}

}  // namespace pgstreamx::offsets
