// queue.cpp - queues: send, send_batch, read, read_with_poll, pop, set_vt,
// release, delete, archive, archived and the internals behind metrics,
// purge_queue and drop_queue. create_queue/alter_queue/drop_queue/
// purge_queue/list_queues/metrics are PL/pgSQL in sql/pgstreamx--0.1.0.sql.
// See queue.hpp and docs/architecture.md, "Queue claims".
#include "pgstreamx/queue.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pgstreamx/args.hpp"
#include "pgstreamx/core/claims.hpp"
#include "pgstreamx/core/hash.hpp"
#include "pgstreamx/core/names.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/offsets.hpp"
#include "pgstreamx/shmem.hpp"
#include "pgstreamx/spi.hpp"
#include "pgstreamx/storage.hpp"
#include "pgstreamx/stream.hpp"
#include "pgstreamx/wakeup.hpp"

namespace pgstreamx::queue {

namespace {

// ---- shared memory: one claim window per queue ----------------------------------

constexpr const char *segment_name = "pgstreamx queues";
constexpr const char *header_name = "pgstreamx queue config";
constexpr int nstripes = 32;  // LWLocks the windows are spread over

struct Key {
    Oid db;
    int32 queue_id;
};

struct Entry {
    Key key;            // must be first (dynahash)
    Oid relid;          // the queue's message table: identifies the queue's incarnation
    uint64 incarnation; // this window's: a new one after eviction, purge or drop + create
    bool loaded;        // the window was rebuilt from the durable records
    int32 loading_pid;  // a backend rebuilding it (0: none)
    claims::Window w;
    claims::Slot slots[FLEXIBLE_ARRAY_MEMBER];
};

struct Header {
    pg_atomic_uint64 config_gen;   // bumped when any queue's policies change
    pg_atomic_uint64 incarnations; // hands out Entry::incarnation
};

int guc_max_queues = 32;     // pgstreamx.max_queues
int guc_queue_slots = 16384;  // pgstreamx.queue_slots
HTAB *windows = nullptr;
Header *header = nullptr;

int32 capacity() {
    int32 c = 4;
    while (c < guc_queue_slots) c *= 2;
    return c;
}

Size entry_size() { return add_size(offsetof(Entry, slots), mul_size(capacity(), sizeof(claims::Slot))); }

Size windows_size() { return hash_estimate_size(guc_max_queues, entry_size()); }

void windows_init(void *, bool) {
    HASHCTL info;
    std::memset(&info, 0, sizeof(info));
    info.keysize = sizeof(Key);
    info.entrysize = entry_size();
    windows = ShmemInitHash(segment_name, guc_max_queues, guc_max_queues, &info,
                            HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

Size header_size() { return sizeof(Header); }

void header_init(void *addr, bool found) {
    header = static_cast<Header *>(addr);
    if (!found) {
        pg_atomic_init_u64(&header->config_gen, 0);
        pg_atomic_init_u64(&header->incarnations, 0);
    }
}

LWLock *table_lock() { return shmem::lwlock(segment_name, 0); }
LWLock *stripe_lock(const Key &k) { return shmem::lwlock(segment_name, 1 + static_cast<int>(static_cast<uint32>(k.queue_id) % nstripes)); }

// Runs f(entry) with the table lock shared and the queue's stripe lock
// exclusive; f gets nullptr when the queue has no window. f must not call
// PostgreSQL (it runs under LWLocks); a C++ exception releases them.
template <typename F>
void with_window(const Key &key, F f) {
    LWLockAcquire(table_lock(), LW_SHARED);
    auto *e = static_cast<Entry *>(hash_search(windows, &key, HASH_FIND, nullptr));
    LWLockAcquire(stripe_lock(key), LW_EXCLUSIVE);
    try {
        f(e);
    } catch (...) {  // std::bad_alloc from a container: release before unwinding
        LWLockRelease(stripe_lock(key));
        LWLockRelease(table_lock());
        throw;
    }
    LWLockRelease(stripe_lock(key));
    LWLockRelease(table_lock());
}

// ---- the queue catalog, cached per backend --------------------------------------

struct Queue {
    std::string name;
    Oid relid = InvalidOid;
    int32 id = 0;
    int32 max_receives = 0;  // 0: never dead-lettered
    std::string dead_letter_queue;
    bool fifo = false;
    bool notify = false;
    int64 dedup_window_us = 0;
    uint64 gen = 0;
    Key key() const { return Key{MyDatabaseId, id}; }
};

std::unordered_map<std::string, Queue> *queues = nullptr;

Datum text_datum(const std::string &s) {
    const char *c = s.c_str();
    return pg_call([c]() { return CStringGetTextDatum(c); });
}

// The FIFO group of a message: a hash of its group_id (never 0, "no group").
uint64 group_hash(const char *p, size_t n) { return hash::fnv1a64(std::string_view(p, n)) | 1; }

int64 interval_us(const Interval *iv) {
    return (static_cast<int64>(iv->month) * DAYS_PER_MONTH + iv->day) * USECS_PER_DAY + iv->time;
}

[[noreturn]] void no_such_queue(const std::string &name, const stream::Info *s) {
    if (s)
        throw Error(sqlstate::undefined_object, "queue \"" + name + "\" does not exist",
                    "\"" + name + "\" is a stream.", "Read streams with pgstreamx.poll().");
    throw Error(sqlstate::undefined_object, "queue \"" + name + "\" does not exist", {},
                "Create it with pgstreamx.create_queue(), or see pgstreamx.list_queues().");
}

// The queue and its stream; the stream reference is valid until the next
// lookup of the same name.
struct Found {
    const Queue &q;
    const stream::Info &s;
};

Found lookup(const std::string &name) {
    names::validate("queue", name);
    require_preloaded("using a queue");
    const stream::Info *s = stream::find(name);
    if (!s || !s->is_queue) no_such_queue(name, s);
    if (!queues) queues = new std::unordered_map<std::string, Queue>();
    const uint64 gen = pg_atomic_read_u64(&header->config_gen);
    if (auto it = queues->find(name); it != queues->end()) {
        if (it->second.relid == s->relid && it->second.gen == gen) return Found{it->second, *s};
        queues->erase(it);
    }
    spi::Scope scope;
    static const Oid types[] = {INT4OID};
    SPIPlanPtr p = spi::plan(
        "SELECT coalesce(max_receives, 0), dead_letter_queue, fifo, notify, dedup_window "
        "FROM pgstreamx.queue_config WHERE stream_id = $1",
        1, types);
    Datum args[] = {Int32GetDatum(s->id)};
    if (spi::execute(p, args, nullptr, true, 1) == 0) no_such_queue(name, nullptr);
    Queue q;
    q.name = name;
    q.relid = s->relid;
    q.id = s->id;
    q.gen = gen;
    q.max_receives = spi::int32_value(0, 1);
    bool isnull = false;
    Datum dlq = spi::value(0, 2, &isnull);
    if (!isnull) q.dead_letter_queue = pg_call([dlq]() { return text_to_cstring(DatumGetTextPP(dlq)); });
    q.fifo = DatumGetBool(spi::value(0, 3, &isnull));
    q.notify = DatumGetBool(spi::value(0, 4, &isnull));
    Datum w = spi::value(0, 5, &isnull);
    q.dedup_window_us = interval_us(DatumGetIntervalP(w));
    return Found{queues->emplace(name, std::move(q)).first->second, *s};
}

// ---- what this transaction did (undone at abort, made final at commit) ----------

struct Undo {
    Key key;
    uint64 incarnation;  // of the window the change was made in
    int64 msg_id;
    claims::Slot prev;  // state empty: the message had no slot
    int32 read_ct;      // the slot as this transaction left it
    uint8 state;
    SubTransactionId sub;
};

// Things done by a (sub)transaction, tagged with it so that a rolled-back
// savepoint takes its part back.
struct Tagged {
    Key key;
    std::string name;
    SubTransactionId sub;
};

std::vector<Undo> *undo = nullptr;
std::vector<Tagged> *resets = nullptr;    // purge/drop: forget the window at commit
std::vector<Tagged> *notified = nullptr;  // queues NOTIFYed in this transaction
std::vector<SubTransactionId> *bumps = nullptr;  // alter_queue: re-read policies after commit

// Callers reserve room first (reserve_undo): a push_back under the LWLock
// must not throw after the slot was changed.
void remember(const Entry *e, const claims::Slot &prev, const claims::Slot &now_) {
    undo->push_back(Undo{e->key, e->incarnation, now_.msg_id, prev, now_.read_ct, now_.state,
                         GetCurrentSubTransactionId()});
}

// A queue this transaction purged or dropped: its window is forgotten at
// commit, and what a read or acknowledgement did to it now would be
// applied to the old window (and survive a rollback of the purge).
void refuse_after_reset(const Key &key) {
    if (!resets) return;
    for (const Tagged &t : *resets)
        if (t.key.db == key.db && t.key.queue_id == key.queue_id)
            throw Error(sqlstate::object_not_in_prerequisite_state,
                        "queue was purged or dropped in this transaction", {},
                        "Commit (or roll back) the purge before reading or acknowledging messages of the queue.");
}

void reserve_undo(size_t more) {
    const size_t need = undo->size() + more;
    if (undo->capacity() < need) undo->reserve(std::max(need, 2 * undo->capacity()));
}

uint64 channel_of(const Key &k) { return wakeup::channel(k.db, static_cast<uint64>(k.queue_id)); }

// Puts a slot back the way it was before `u`, if nobody changed it since
// (and it is still the window the change was made in).
void restore(Entry *e, const Undo &u) noexcept {
    if (e->incarnation != u.incarnation) return;
    claims::Slot *s = claims::find(e->w, e->slots, u.msg_id);
    if (!s || s->read_ct != u.read_ct || s->state != u.state) return;
    if (u.prev.state != claims::empty) {
        *s = u.prev;
        if (s->state == claims::held) claims::note_due(e->w, s->vt);
    } else if (u.msg_id >= e->w.next_new) {
        claims::erase(e->w, e->slots, s);  // a later scan finds it as new
    } else {
        s->state = claims::held;  // below next_new it needs its slot: deliverable
        s->read_ct = 0;           // again (at its visible_at for a delayed one)
        s->vt = u.prev.vt;
        claims::note_due(e->w, s->vt);
    }
}

void undo_from(size_t first) noexcept {
    for (size_t i = undo->size(); i > first; i--) {
        const Undo &u = (*undo)[i - 1];
        with_window(u.key, [&](Entry *e) {
            if (e && e->loaded) restore(e, u);
        });
        wakeup::notify_now(channel_of(u.key));
    }
    undo->resize(first);
}

void ensure_lists() {
    if (!undo) {
        undo = new std::vector<Undo>();
        resets = new std::vector<Tagged>();
        notified = new std::vector<Tagged>();
        bumps = new std::vector<SubTransactionId>();
    }
}

// ---- loading a window (first use since the server started) ----------------------

constexpr int64 no_time = std::numeric_limits<int64>::max();

// Decodes an acknowledgement record: (int64 msg_id, int32 read_ct) pairs.
struct Ack {
    int64 msg_id;
    int32 read_ct;
    int32 segment;
};
constexpr size_t ack_bytes = 12;

void decode_acks(const bytea *b, std::vector<Ack> &out, int32 segment) {
    const char *p = VARDATA_ANY(b);
    const size_t n = VARSIZE_ANY_EXHDR(b) / ack_bytes;
    for (size_t i = 0; i < n; i++) {
        Ack a{0, 0, segment};
        std::memcpy(&a.msg_id, p + i * ack_bytes, sizeof(int64));
        std::memcpy(&a.read_ct, p + i * ack_bytes + sizeof(int64), sizeof(int32));
        out.push_back(a);
    }
}

// Clears the loading mark if the load fails (a C++ exception: every
// PostgreSQL error on the way comes back as one).
struct LoadGuard {
    Key key;
    bool armed = true;
    ~LoadGuard() {
        if (!armed) return;
        with_window(key, [](Entry *e) {
            if (e && e->loading_pid == MyProcPid) e->loading_pid = 0;
        });
    }
};

void refuse_snapshot_isolation(const char *what) {
    if (IsolationUsesXactSnapshot())
        throw Error(sqlstate::feature_not_supported,
                    std::string("cannot ") + what + " in a REPEATABLE READ or SERIALIZABLE transaction",
                    "Queue claims are decided on the latest committed state; the transaction's snapshot is older.",
                    "Use READ COMMITTED (the default) for transactions that read queues.");
}

void load(const Queue &q, const stream::Info &s) {
    LoadGuard guard{q.key()};
    refuse_snapshot_isolation("load the claim state of a queue (its first use since the server started)");
    // The horizon FIRST, then the snapshot of the queries below: everything
    // below it has ended, so next_new may move up to it (never past a
    // message whose sender commits later).
    const int64 h = offsets::horizon(stream::partition_ref(s, 0), true);
    std::vector<int64> finished;
    std::vector<claims::Slot> unfinished;  // passed by next_new: they get slots
    int64 next_new = 0;
    {
        spi::Scope scope;
        static const Oid itype[] = {INT4OID};
        Datum idarg[] = {Int32GetDatum(q.id)};
        SPIPlanPtr fp = spi::plan("SELECT floor FROM pgstreamx.queue_config WHERE stream_id = $1", 1, itype);
        const int64 hint = spi::execute(fp, idarg, nullptr, false, 1) > 0 ? spi::int64_value(0, 1) : 0;

        SPIPlanPtr ap = spi::plan("SELECT payload_bytes FROM " + s.relation + " WHERE partition = -1", 0, nullptr);
        const uint64 na = spi::execute(ap, nullptr, nullptr, false);
        std::vector<Ack> acks;
        for (uint64 r = 0; r < na; r++) {
            bool isnull = false;
            Datum d = spi::value(r, 1, &isnull);
            if (!isnull) {
                const bytea *b = reinterpret_cast<const bytea *>(pg_call([d]() { return PG_DETOAST_DATUM_PACKED(d); }));
                decode_acks(b, acks, 0);
            }
        }
        for (const Ack &a : acks)
            if (a.msg_id >= hint) finished.push_back(a.msg_id);
        std::sort(finished.begin(), finished.end());
        finished.erase(std::unique(finished.begin(), finished.end()), finished.end());

        // next_new: walk the rows from the floor; an unfinished one is passed
        // with a slot (deliverable, or at its visible_at when delayed), so
        // one old unfinished message does not force a slot for every
        // finished one after it. The walk stops when half the window is
        // used that way, or at the horizon.
        static const Oid wtypes[] = {INT8OID, INT8OID};
        SPIPlanPtr wp = spi::plan("SELECT seq, segment, visible_at, key FROM " + s.relation +
                                      " WHERE partition = 0 AND seq >= $1 AND seq < $2 ORDER BY seq LIMIT 10000",
                                  2, wtypes, true);
        const size_t budget = static_cast<size_t>(capacity() - capacity() / 4) / 2;
        int64 from = hint;
        next_new = h;
        for (bool more = true; more;) {
            Datum wargs[] = {Int64GetDatum(from), Int64GetDatum(h)};
            const uint64 n = spi::execute(wp, wargs, nullptr, false);
            more = n == 10000;
            for (uint64 r = 0; r < n; r++) {
                bool isnull = false;
                const int64 seq = DatumGetInt64(spi::value(r, 1, &isnull));
                from = seq + 1;
                if (std::binary_search(finished.begin(), finished.end(), seq)) continue;
                if (unfinished.size() >= budget) {
                    next_new = seq;
                    more = false;
                    break;
                }
                claims::Slot sl{};
                sl.msg_id = seq;
                sl.segment = DatumGetInt32(spi::value(r, 2, &isnull));
                Datum v = spi::value(r, 3, &isnull);
                sl.vt = isnull ? 0 : DatumGetTimestampTz(v);
                Datum k = spi::value(r, 4, &isnull);
                if (!isnull) {
                    const text *t = reinterpret_cast<const text *>(pg_call([k]() { return PG_DETOAST_DATUM_PACKED(k); }));
                    sl.group = group_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
                }
                sl.state = claims::held;
                unfinished.push_back(sl);
            }
        }
        if (next_new < hint) next_new = hint;
    }
    size_t above = 0;
    for (int64 id : finished) above += id >= next_new;
    bool fits = true;
    with_window(q.key(), [&](Entry *e) {
        if (!e || e->loading_pid != MyProcPid) return;
        if (static_cast<int64>(above + unfinished.size()) > capacity() - capacity() / 4) {
            fits = false;  // (the window stays unloaded: nobody uses a bad next_new)
            return;
        }
        claims::init(e->w, e->slots, capacity(), next_new);
        for (const claims::Slot &u : unfinished) {
            *claims::insert(e->w, e->slots, u.msg_id) = u;
            claims::note_due(e->w, u.vt);
        }
        for (int64 id : finished)
            if (id >= next_new) claims::insert(e->w, e->slots, id)->state = claims::done;
        e->loaded = true;
        e->loading_pid = 0;
    });
    if (!fits)
        throw Error(sqlstate::configuration_limit_exceeded,
                    "the claim state of queue \"" + q.name + "\" does not fit in pgstreamx.queue_slots",
                    std::to_string(above) + " messages after the oldest unfinished ones are finished.",
                    "Raise pgstreamx.queue_slots and restart the server.");
    guard.armed = false;
}

// Frees the window of a queue nobody holds anything of (no claim, no
// pending acknowledgement, not loading): it is rebuilt from the durable
// records when next used (delayed messages from their visible_at). Every
// change made in it is tagged with its incarnation, so nothing of the old
// window is applied to the new one. Caller holds the table lock exclusively.
bool evict_one() {
    HASH_SEQ_STATUS it;
    hash_seq_init(&it, windows);
    while (auto *e = static_cast<Entry *>(hash_seq_search(&it))) {
        bool busy = e->loading_pid != 0;
        for (int32 i = 0; i < e->w.capacity && !busy; i++) {
            const claims::Slot &sl = e->slots[i];
            // a claim, even an expired one, may still be acknowledged
            // (fenced by its read_ct): only a reload would forget it
            busy = sl.state == claims::pending || (sl.state == claims::held && sl.read_ct > 0);
        }
        if (busy) continue;
        Key k = e->key;
        hash_seq_term(&it);
        hash_search(windows, &k, HASH_REMOVE, nullptr);
        return true;
    }
    return false;
}

// Makes sure the queue's window exists and is loaded.
void attach(const Queue &q, const stream::Info &s) {
    const Key key = q.key();
    bool ready = false;  // the common case, under the shared lock only
    LWLockAcquire(table_lock(), LW_SHARED);
    if (auto *e = static_cast<Entry *>(hash_search(windows, &key, HASH_FIND, nullptr)))
        ready = e->loaded && e->relid == q.relid;
    LWLockRelease(table_lock());
    if (ready) return;
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) {  // waiting for a loader: look under the shared lock first
            LWLockAcquire(table_lock(), LW_SHARED);
            auto *e = static_cast<Entry *>(hash_search(windows, &key, HASH_FIND, nullptr));
            ready = e && e->loaded && e->relid == q.relid;
            LWLockRelease(table_lock());
            if (ready) return;
        }
        enum { ready, mine, wait } what = wait;
        bool full = false;
        LWLockAcquire(table_lock(), LW_EXCLUSIVE);
        bool found = false;
        auto *e = static_cast<Entry *>(hash_search(windows, &key, HASH_ENTER_NULL, &found));
        if (!e && evict_one()) e = static_cast<Entry *>(hash_search(windows, &key, HASH_ENTER_NULL, &found));
        if (!e) {
            full = true;
        } else {
            if (!found || e->relid != q.relid) {  // new, or left by a dropped incarnation
                e->relid = q.relid;
                e->incarnation = pg_atomic_add_fetch_u64(&header->incarnations, 1);
                e->loaded = false;
                e->loading_pid = 0;
                claims::init(e->w, e->slots, capacity(), 0);
            }
            if (e->loaded) {
                what = ready;
            } else if (e->loading_pid == 0 || (e->loading_pid != MyProcPid && !BackendPidGetProc(e->loading_pid))) {
                e->loading_pid = MyProcPid;  // (a loader that died with FATAL left its mark)
                what = mine;
            }
        }
        LWLockRelease(table_lock());
        if (full)
            throw Error(sqlstate::configuration_limit_exceeded, "too many queues in use",
                        "Every queue with claimed messages needs one of pgstreamx.max_queues (" +
                            std::to_string(guc_max_queues) + ") claim windows; all are in use.",
                        "Raise pgstreamx.max_queues and restart the server.");
        if (what == ready) return;
        if (what == mine) return load(q, s);
        if (attempt > 600000)  // 1 ms each: ten minutes (statement_timeout and cancel work meanwhile)
            throw Error(sqlstate::lock_not_available,
                        "the claim state of queue \"" + q.name + "\" is being loaded by another session",
                        "It has been loading for ten minutes.", "Retry later; see pg_stat_activity for the loader.");
        pg_call([]() {
            pg_usleep(1000L);
            CHECK_FOR_INTERRUPTS();
        });
    }
}

// ---- acknowledgement records ----------------------------------------------------

// Writes one record per storage segment: partition -1, seq = the first
// msg_id, topic = the kind, payload_bytes = the (msg_id, read_ct) pairs.
void write_acks(const stream::Info &s, const char *kind, std::vector<Ack> acks) {
    if (acks.empty()) return;
    std::sort(acks.begin(), acks.end(), [](const Ack &a, const Ack &b) {
        return a.segment != b.segment ? a.segment < b.segment : a.msg_id < b.msg_id;
    });
    const Datum topic = pg_call([kind]() { return CStringGetTextDatum(kind); });
    const TimestampTz now = GetCurrentTimestamp();
    for (size_t i = 0; i < acks.size();) {
        size_t j = i;
        while (j < acks.size() && acks[j].segment == acks[i].segment) j++;
        const size_t n = j - i;
        bytea *b = static_cast<bytea *>(pg_call([n]() { return palloc(VARHDRSZ + n * ack_bytes); }));
        SET_VARSIZE(b, VARHDRSZ + n * ack_bytes);
        for (size_t k = 0; k < n; k++) {
            std::memcpy(VARDATA(b) + k * ack_bytes, &acks[i + k].msg_id, sizeof(int64));
            std::memcpy(VARDATA(b) + k * ack_bytes + sizeof(int64), &acks[i + k].read_ct, sizeof(int32));
        }
        storage::Row row{acks[i].segment, -1,       acks[i].msg_id,      now, topic, Datum(0),
                         Datum(0),        Datum(0), PointerGetDatum(b), 0,   0};
        storage::insert(stream::leaf_of(s, acks[i].segment), &row, 1);
        i = j;
    }
}

// ---- message rows -----------------------------------------------------------------

struct Row {
    int64 msg_id;
    int32 segment;
    TimestampTz enqueued_at;
    TimestampTz visible_at;  // 0: none
    Datum payload;
    Datum headers;  // 0: NULL
    Datum key;      // 0: NULL
    uint64 group;   // FIFO group hash of key (0: none)
};


// The SPI result (seq, segment, appended_at, visible_at, payload, headers,
// key) as Rows copied into `outer`.
std::vector<Row> copy_rows(MemoryContext outer, uint64 n) {
    std::vector<Row> out(n);
    pg_call([&]() {
        MemoryContext old = MemoryContextSwitchTo(outer);
        for (uint64 r = 0; r < n; r++) {
            HeapTuple t = SPI_tuptable->vals[r];
            TupleDesc td = SPI_tuptable->tupdesc;
            bool isnull;
            Row &row = out[r];
            row.msg_id = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull));
            row.segment = DatumGetInt32(SPI_getbinval(t, td, 2, &isnull));
            row.enqueued_at = DatumGetTimestampTz(SPI_getbinval(t, td, 3, &isnull));
            Datum v = SPI_getbinval(t, td, 4, &isnull);
            row.visible_at = isnull ? 0 : DatumGetTimestampTz(v);
            v = SPI_getbinval(t, td, 5, &isnull);
            row.payload = isnull ? Datum(0) : datumCopy(v, false, -1);
            v = SPI_getbinval(t, td, 6, &isnull);
            row.headers = isnull ? Datum(0) : datumCopy(v, false, -1);
            v = SPI_getbinval(t, td, 7, &isnull);
            row.key = isnull ? Datum(0) : datumCopy(v, false, -1);
            row.group = 0;
            if (row.key) {
                const text *k = reinterpret_cast<const text *>(PG_DETOAST_DATUM_PACKED(row.key));
                row.group = group_hash(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
            }
        }
        MemoryContextSwitchTo(old);
    });
    return out;
}

// The rows of `ids` (visible to this transaction), copied into the current
// memory context, in msg_id order.
std::vector<Row> fetch(const stream::Info &s, std::vector<int64> ids, bool with_payload) {
    std::vector<Row> out;
    if (ids.empty()) return out;
    std::sort(ids.begin(), ids.end());
    std::vector<Datum> d(ids.size());
    for (size_t i = 0; i < ids.size(); i++) d[i] = Int64GetDatum(ids[i]);
    MemoryContext outer = CurrentMemoryContext;  // the rows outlive the SPI scope
    Datum arr = pg_call([&]() {
        return PointerGetDatum(construct_array(d.data(), static_cast<int>(d.size()), INT8OID, sizeof(int64), true,
                                               TYPALIGN_DOUBLE));
    });
    spi::Scope scope;
    static const Oid types[] = {INT8ARRAYOID};
    SPIPlanPtr p = spi::plan(std::string("SELECT seq, segment, appended_at, visible_at, ") +
                                 (with_payload ? "payload, headers, key" : "NULL::jsonb, NULL::jsonb, key") + " FROM " +
                                 s.relation + " WHERE partition = 0 AND seq = ANY ($1) ORDER BY seq",
                             1, types, true);
    Datum args[] = {arr};
    const uint64 n = spi::execute(p, args, nullptr, false);
    out = copy_rows(outer, n);
    return out;
}

// ---- claiming ---------------------------------------------------------------------

struct Claim {
    int64 msg_id;
    int32 read_ct;
    int32 segment;
    TimestampTz vt;
};

struct Pass {
    std::vector<Claim> got;  // delivered, in msg_id order
    std::vector<Ack> dead;   // to move to the dead-letter queue
    int64 next_due = no_time;  // when something not deliverable now becomes so
    bool full = false;         // the window had no room for another slot
    bool lost = false;         // the window disappeared (purge or drop committed)
};


class Claimer {
public:
    Claimer(const Queue &q, int32 qty, int64 vt_us, bool pop)
        : q_(q), key_(q.key()), qty_(static_cast<size_t>(qty)), pop_(pop) {
        now_ = GetCurrentTimestamp();
        until_ = now_ + vt_us;
    }

    // Under the lock: deliver (or dead-letter) a deliverable slot.
    void take(Entry *e, claims::Slot *sl, const claims::Slot prev) {  // prev: a copy, taken before the change
        if (q_.max_receives > 0 && sl->read_ct >= q_.max_receives) {
            if (pass.dead.size() >= qty_) return;  // the rest next pass (the undo room is reserved per pass)
            sl->state = claims::pending;
            remember(e, prev, *sl);
            pass.dead.push_back(Ack{sl->msg_id, sl->read_ct, sl->segment});
            return;
        }
        sl->read_ct++;
        if (pop_) {
            sl->state = claims::pending;
        } else {
            sl->vt = until_;
            claims::note_due(e->w, until_);
        }
        remember(e, prev, *sl);
        pass.got.push_back(Claim{sl->msg_id, sl->read_ct, sl->segment, until_});
    }

    bool blocked(uint64 g) const { return q_.fifo && g != 0 && blocked_.count(g) > 0; }
    void block(uint64 g) {
        if (q_.fifo && g != 0) blocked_.insert(g);
    }
    bool room() const { return pass.got.size() < qty_; }

    // Phase 1, under the lock: slots below next_new that are deliverable
    // again (expired or released claims, due delayed messages), lowest first.
    void redeliver(Entry *e) {
        inc_ = e->incarnation;
        nn0_ = e->w.next_new;
        nn0_segment_ = e->w.nn_segment;
        if (now_ < e->w.min_due && !q_.fifo) {
            if (e->w.min_due != no_time) pass.next_due = std::min(pass.next_due, e->w.min_due);
            return;
        }
        int64 md = no_time;
        std::vector<int32> due;
        for (int32 i = 0; i < e->w.capacity; i++) {
            const claims::Slot &sl = e->slots[i];
            if (sl.state == claims::held) {
                if (sl.vt <= now_ && sl.msg_id < nn0_)
                    due.push_back(i);
                else
                    md = std::min(md, sl.vt);
                if (sl.vt > now_) block(sl.group);
            } else if (sl.state == claims::pending) {
                block(sl.group);
            }
        }
        std::sort(due.begin(), due.end(),
                  [e](int32 a, int32 b) { return e->slots[a].msg_id < e->slots[b].msg_id; });
        for (int32 i : due) {
            claims::Slot *sl = &e->slots[i];
            if (!room() || blocked(sl->group)) {
                md = std::min(md, sl->vt);
                continue;
            }
            block(sl->group);
            take(e, sl, *sl);
        }
        e->w.min_due = md;
        for (const Claim &c : pass.got) claims::note_due(e->w, c.vt);
        if (md > now_) pass.next_due = std::min(pass.next_due, md);
    }

    // Phase 2, under the lock: rows from next_new on, in msg_id order.
    // Returns false when it stopped before the end of `rows`.
    bool scan(Entry *e, const std::vector<Row> &rows, int64 horizon, bool exhausted) {
        bool stopped = false;
        for (const Row &r : rows) {
            if (!room()) {
                stopped = true;
                break;
            }
            claims::Slot *sl = claims::find(e->w, e->slots, r.msg_id);
            bool passed = true;  // the row has a slot (or is finished) afterwards
            if (!sl && r.msg_id < e->w.next_new) {
                // Finished since this scan's snapshot: next_new moved past it
                // (another reader) and its done slot is gone. Never new again.
                continue;
            }
            if (sl) {
                if (sl->state == claims::pending) {
                    block(sl->group);
                } else if (sl->state == claims::held) {
                    if (claims::deliverable(*sl, now_) && !blocked(sl->group)) {
                        block(sl->group);
                        take(e, sl, *sl);
                    } else {
                        block(sl->group);
                        if (sl->vt > now_) pass.next_due = std::min(pass.next_due, sl->vt);
                    }
                }
            } else if (r.visible_at <= now_ && blocked(r.group)) {
                passed = false;  // behind its group's head: left for later
            } else {
                // A message without a slot gets one: a delayed message so
                // that next_new can pass it (found among the slots once
                // due), a deliverable one as its claim.
                sl = claims::insert(e->w, e->slots, r.msg_id);
                if (!sl) {
                    pass.full = true;
                    stopped = true;
                    break;
                }
                sl->segment = r.segment;
                sl->group = r.group;
                block(r.group);
                if (r.visible_at > now_) {
                    sl->vt = r.visible_at;
                    claims::note_due(e->w, r.visible_at);
                    pass.next_due = std::min(pass.next_due, r.visible_at);
                } else {
                    claims::Slot none{};
                    none.msg_id = r.msg_id;
                    none.state = claims::empty;
                    take(e, sl, none);
                }
            }
            if (!passed) contiguous_ = false;
            if (contiguous_ && r.msg_id < horizon && r.msg_id + 1 > new_nn_) {
                new_nn_ = r.msg_id + 1;
                new_nn_segment_ = r.segment;
            }
        }
        if (exhausted && !stopped && contiguous_ && horizon != offsets::no_horizon && horizon > new_nn_) {
            new_nn_ = horizon;
            new_nn_segment_ = current_segment_;  // every seq below the horizon is in it or earlier
        }
        if (new_nn_ > e->w.next_new) {
            claims::advance(e->w, e->slots, new_nn_);
            e->w.nn_segment = new_nn_segment_;
        }
        return !stopped;
    }

    int64 start() const { return nn0_; }
    // The window this pass started in (a reload in between: start again).
    bool same_window(const Entry *e) const { return e && e->loaded && e->incarnation == inc_; }
    uint64 incarnation() const { return inc_; }
    // The segment new seqs went to when the horizon was taken.
    void set_current_segment(int32 seg) { current_segment_ = seg; }
    // The one leaf that holds every message from next_new on, or -1: when the
    // last message passed is in the segment new seqs go to (the usual case)
    // a scan reads that leaf alone instead of all of them.
    int32 only_segment() const { return nn0_segment_ >= 0 && nn0_segment_ == current_segment_ ? nn0_segment_ : -1; }
    Pass pass;

private:
    const Queue &q_;
    Key key_;
    size_t qty_;
    bool pop_;
    TimestampTz now_, until_;
    int64 nn0_ = 0;
    uint64 inc_ = 0;
    int64 new_nn_ = 0;
    int32 new_nn_segment_ = -1;
    int32 nn0_segment_ = -1;
    int32 current_segment_ = -1;
    bool contiguous_ = true;
    std::unordered_set<uint64> blocked_;
};

// The rows from `from` on, in msg_id order (with their payloads: a new
// message is delivered straight from this scan).
std::vector<Row> scan_rows(const stream::Info &s, int64 from, int64 limit, int32 only_segment) {
    MemoryContext outer = CurrentMemoryContext;
    // One leaf when it holds everything from `from` on: no Merge Append over
    // every segment (its executor start-up was most of a small read's cost).
    const std::string table = only_segment >= 0 && static_cast<size_t>(only_segment) < s.leaves.size()
                                  ? spi::qualified("s_" + s.name + "$" + std::to_string(only_segment))
                                  : s.relation;
    spi::Scope scope;
    static const Oid types[] = {INT8OID, INT8OID};
    SPIPlanPtr p = spi::plan("SELECT seq, segment, appended_at, visible_at, payload, headers, key FROM " + table +
                                 " WHERE partition = 0 AND seq >= $1 ORDER BY seq LIMIT $2",
                             2, types, true);
    Datum args[] = {Int64GetDatum(from), Int64GetDatum(limit)};
    return copy_rows(outer, spi::execute(p, args, nullptr, false));
}

// Claimed messages whose rows this pass cannot see. Below the horizon
// (computed before the snapshot that looked) their senders have ended, so
// they are gone for good (rolled back, purged): their slots are erased. At
// or above it the sender is still open (the message was claimed by its own
// transaction): this pass's claim is taken back and the slot stays.
void forget(const Key &key, uint64 incarnation, const std::vector<int64> &ids, int64 horizon) {
    if (ids.empty()) return;
    for (int64 id : ids) {
        if (id < horizon) {
            with_window(key, [&](Entry *e) {
                if (!e || !e->loaded || e->incarnation != incarnation) return;
                if (claims::Slot *sl = claims::find(e->w, e->slots, id)) claims::erase(e->w, e->slots, sl);
            });
            continue;
        }
        for (size_t i = undo->size(); i > 0; i--) {
            const Undo &u = (*undo)[i - 1];
            if (u.msg_id != id || u.key.db != key.db || u.key.queue_id != key.queue_id) continue;
            with_window(key, [&](Entry *e) {
                if (e && e->loaded) restore(e, u);
            });
            undo->erase(undo->begin() + static_cast<std::ptrdiff_t>(i - 1));
            break;
        }
    }
}

Datum jsonb_from(const std::string &json) {
    const char *j = json.c_str();
    return pg_call([j]() { return DirectFunctionCall1(jsonb_in, CStringGetDatum(j)); });
}

std::string json_string(const std::string &s) {
    const char *c = s.c_str();
    const char *quoted = pg_call([c]() {
        StringInfoData buf;
        initStringInfo(&buf);
        escape_json(&buf, c);
        return static_cast<const char *>(buf.data);
    });
    return quoted;
}

std::string timestamp_json(TimestampTz t) {
    const char *c = pg_call([t]() { return static_cast<const char *>(timestamptz_to_str(t)); });
    return json_string(c);
}


// Moves messages read max_receives times to the dead-letter queue (or the
// archive), in the reading transaction: exactly once.
void dead_letter(const Queue &q, const stream::Info &s, const std::vector<Ack> &dead, const std::vector<Row> &rows) {
    if (dead.empty()) return;
    if (!q.dead_letter_queue.empty()) {
        const std::string src = q.name;
        Found d = lookup(q.dead_letter_queue);
        std::vector<stream::Message> msgs;
        for (const Ack &a : dead) {
            auto it = std::lower_bound(rows.begin(), rows.end(), a.msg_id,
                                       [](const Row &r, int64 id) { return r.msg_id < id; });
            if (it == rows.end() || it->msg_id != a.msg_id) continue;
            std::string info = "{\"x-pgstreamx-dead-letter\": {\"queue\": " + json_string(src) +
                               ", \"msg_id\": " + std::to_string(a.msg_id) + ", \"read_ct\": " +
                               std::to_string(a.read_ct) + ", \"enqueued_at\": " + timestamp_json(it->enqueued_at) +
                               ", \"moved_at\": " + timestamp_json(GetCurrentTimestamp()) + "}}";
            Datum extra = jsonb_from(info);
            Datum h = it->headers ? pg_call([&]() { return DirectFunctionCall2(jsonb_concat, it->headers, extra); })
                                  : extra;
            stream::Message m{it->payload, Datum(0),
                              it->key ? reinterpret_cast<text *>(DatumGetPointer(it->key)) : nullptr, Datum(0), h};
            msgs.push_back(m);
        }
        stream::append_messages(d.s, msgs.data(), static_cast<int64>(msgs.size()), nullptr);
    }
    write_acks(s, "dead_letter", dead);  // metrics() counts these records
}

}  // namespace
}  // namespace pgstreamx::queue

// ---- the transaction callbacks and settings ----------------------------------------

namespace pgstreamx::queue {

void at_xact_end(bool committed) noexcept {
    if (!undo) return;
    if (committed) {
        for (const Undo &u : *undo) {
            if (u.state != claims::pending) continue;
            with_window(u.key, [&](Entry *e) {
                if (!e || !e->loaded || e->incarnation != u.incarnation) return;
                claims::Slot *sl = claims::find(e->w, e->slots, u.msg_id);
                if (!sl || sl->state != claims::pending || sl->read_ct != u.read_ct) return;
                sl->state = claims::done;
                if (sl->msg_id < e->w.next_new) claims::erase(e->w, e->slots, sl);
            });
        }
        for (const Tagged &t : *resets) {
            LWLockAcquire(table_lock(), LW_EXCLUSIVE);
            hash_search(windows, &t.key, HASH_REMOVE, nullptr);
            LWLockRelease(table_lock());
        }
        if (!bumps->empty() || !resets->empty()) pg_atomic_fetch_add_u64(&header->config_gen, 1);
        undo->clear();
    } else {
        undo_from(0);
    }
    resets->clear();
    notified->clear();
    bumps->clear();
}

void at_subxact_abort(SubTransactionId sub) noexcept {
    if (!undo) return;
    size_t first = undo->size();
    while (first > 0 && (*undo)[first - 1].sub >= sub) first--;
    undo_from(first);
    // (the vectors only shrink here: nothing can throw)
    auto drop_tagged = [sub](std::vector<Tagged> &v) {
        size_t k = v.size();
        while (k > 0 && v[k - 1].sub >= sub) k--;
        v.resize(k, Tagged{});
    };
    drop_tagged(*resets);
    drop_tagged(*notified);
    size_t k = bumps->size();
    while (k > 0 && (*bumps)[k - 1] >= sub) k--;
    bumps->resize(k);
}

void before_prepare() {
    if (!undo || (undo->empty() && resets->empty() && bumps->empty())) return;
    throw Error(sqlstate::feature_not_supported, "cannot PREPARE a transaction that read or acknowledged queue messages",
                "Claims live in shared memory and end with the transaction that made them.",
                "Read and acknowledge outside the two-phase transaction.");
}

void define_gucs() {
    DefineCustomIntVariable("pgstreamx.max_queues", "Queues with a claim window in shared memory at once.",
                            "Each takes about 40 bytes per pgstreamx.queue_slots.", &guc_max_queues, 32, 1, 65536,
                            PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.queue_slots", "Claim slots per queue (rounded up to a power of two).",
                            "A slot is taken by every message that is claimed, delayed, or finished out of order. "
                            "A queue whose slots are all taken delivers nothing new until messages are finished.",
                            &guc_queue_slots, 16384, 16, 1 << 22, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
}

void register_shmem() {
    shmem::register_segment({segment_name, windows_size, windows_init, 1 + nstripes, /*allocates_itself=*/true});
    shmem::register_segment({header_name, header_size, header_init, 0, false});
}

}  // namespace pgstreamx::queue

// ---- SQL functions -------------------------------------------------------------------

using namespace pgstreamx;
using namespace pgstreamx::queue;

namespace {

constexpr int32 max_qty = 10000;
constexpr int32 max_vt = 7 * 86400;  // seconds
constexpr int32 max_poll_s = 3600;
constexpr int max_batch = 100000;
constexpr size_t max_dedup = 128;

void check_qty(int32 qty) {
    if (qty < 1 || qty > max_qty)
        throw Error(sqlstate::invalid_parameter_value, "qty must be between 1 and " + std::to_string(max_qty),
                    "qty = " + std::to_string(qty));
}

void check_vt(int32 vt, bool zero_ok) {
    if (vt < (zero_ok ? 0 : 1) || vt > max_vt)
        throw Error(sqlstate::invalid_parameter_value,
                    std::string("vt must be between ") + (zero_ok ? "0" : "1") + " and " + std::to_string(max_vt) +
                        " seconds",
                    "vt = " + std::to_string(vt),
                    "vt is how long the message stays invisible to other readers; acknowledge it with "
                    "pgstreamx.delete() or pgstreamx.archive() before then.");
}

void refuse_standby() {
    if (RecoveryInProgress())
        throw Error(sqlstate::read_only_sql_transaction, "cannot use a queue on a hot standby", {},
                    "Connect to the primary server.");
}

// delay argument: seconds (int) or a point in time (timestamptz) -> visible_at (0: now)
TimestampTz delay_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return 0;
    const Oid type = get_fn_expr_argtype(fcinfo->flinfo, n);
    const TimestampTz now = GetCurrentTimestamp();
    if (type == TIMESTAMPTZOID) {
        const TimestampTz t = PG_GETARG_TIMESTAMPTZ(n);
        return t > now ? t : 0;
    }
    const int32 d = PG_GETARG_INT32(n);
    if (d < 0)
        throw Error(sqlstate::invalid_parameter_value, "delay must not be negative", "delay = " + std::to_string(d),
                    "delay is in seconds; pass 0 to send a message that is visible at once.");
    return d == 0 ? 0 : now + static_cast<int64>(d) * USECS_PER_SEC;
}

std::string dedup_arg(Datum d) {
    const char *c = pg_call([d]() { return static_cast<const char *>(text_to_cstring(DatumGetTextPP(d))); });
    std::string id(c);
    if (id.empty() || id.size() > max_dedup)
        throw Error(sqlstate::invalid_parameter_value,
                    "dedup_id must be 1 to " + std::to_string(max_dedup) + " bytes",
                    "It is " + std::to_string(id.size()) + " bytes.");
    return id;
}

// Deduplication: the msg_id of an earlier message with this id within the
// window, or 0 when this transaction now owns the id (a concurrent sender
// of the same id waits for this one's commit).
int64 dedup_reserve(const Queue &q, const std::string &id) {
    spi::Scope scope;
    static const Oid types[] = {INT4OID, TEXTOID, INT8OID};
    SPIPlanPtr ins = spi::plan(
        "INSERT INTO pgstreamx.queue_dedup AS d (queue_id, dedup_id, msg_id, sent_at) "
        "VALUES ($1, $2, 0, clock_timestamp()) ON CONFLICT (queue_id, dedup_id) DO UPDATE "
        "SET msg_id = 0, sent_at = clock_timestamp() "
        "WHERE d.sent_at < clock_timestamp() - $3 * interval '1 microsecond' RETURNING 1",
        3, types);
    Datum args[] = {Int32GetDatum(q.id), text_datum(id), Int64GetDatum(q.dedup_window_us)};
    if (spi::execute(ins, args, nullptr, false) > 0) return 0;
    SPIPlanPtr sel = spi::plan("SELECT msg_id FROM pgstreamx.queue_dedup WHERE queue_id = $1 AND dedup_id = $2", 2, types);
    spi::execute(sel, args, nullptr, false, 1);
    return spi::int64_value(0, 1);
}

void dedup_record(const Queue &q, const std::string &id, int64 msg_id) {
    spi::Scope scope;
    static const Oid types[] = {INT4OID, TEXTOID, INT8OID};
    SPIPlanPtr p = spi::plan("UPDATE pgstreamx.queue_dedup SET msg_id = $3 WHERE queue_id = $1 AND dedup_id = $2", 3,
                             types);
    Datum args[] = {Int32GetDatum(q.id), text_datum(id), Int64GetDatum(msg_id)};
    spi::execute(p, args, nullptr, false);
}

// notify => true: one NOTIFY per queue and transaction.
void maybe_notify(const Queue &q) {
    if (!q.notify) return;
    ensure_lists();
    for (const Tagged &t : *notified)
        if (t.name == q.name) return;
    notified->push_back(Tagged{q.key(), q.name, GetCurrentSubTransactionId()});
    const std::string channel = "pgstreamx_" + q.name;
    const char *c = channel.c_str();
    pg_call([c]() { Async_Notify(c, nullptr); });
}

struct Batch {
    std::vector<stream::Message> msgs;
    std::vector<std::string> dedup;  // "" = none
};

// Sends msgs (deduplicated), returns one msg_id per input message.
std::vector<int64> send_all(const Found &f, Batch &b) {
    const size_t n = b.msgs.size();
    std::vector<int64> ids(n, 0);
    std::vector<size_t> fresh;  // indexes actually appended
    std::unordered_map<std::string, size_t> first;  // dedup id -> index within this call
    std::vector<ssize_t> same_as(n, -1);
    for (size_t i = 0; i < n; i++) {
        if (!b.dedup[i].empty()) {
            if (auto it = first.find(b.dedup[i]); it != first.end()) {
                same_as[i] = static_cast<ssize_t>(it->second);
                continue;
            }
            first.emplace(b.dedup[i], i);
            if (int64 earlier = dedup_reserve(f.q, b.dedup[i])) {
                ids[i] = earlier;
                continue;
            }
        }
        fresh.push_back(i);
    }
    std::vector<stream::Message> out;
    out.reserve(fresh.size());
    for (size_t i : fresh) out.push_back(b.msgs[i]);
    std::vector<int64> got(out.size());
    stream::append_messages(f.s, out.data(), static_cast<int64>(out.size()), got.data());
    for (size_t k = 0; k < fresh.size(); k++) {
        ids[fresh[k]] = got[k];
        if (!b.dedup[fresh[k]].empty()) dedup_record(f.q, b.dedup[fresh[k]], got[k]);
    }
    for (size_t i = 0; i < n; i++)
        if (same_as[i] >= 0) ids[i] = ids[static_cast<size_t>(same_as[i])];
    if (!fresh.empty()) maybe_notify(f.q);
    return ids;
}

}  // namespace

// pgstreamx.send(queue_name, msg, headers, delay int|timestamptz, group_id, dedup_id) -> bigint
// pgstreamx.send(queue_name, msg, delay int|timestamptz) -> bigint (pgmq's form)
PGSTREAMX_FUNCTION(pgstreamx_send) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    if (PG_ARGISNULL(1))
        throw Error(sqlstate::null_value_not_allowed, "msg must not be null", {},
                    "Send an empty object ('{}') for a message without content.");
    const bool short_form = PG_NARGS() == 3;
    stream::Message m{PG_GETARG_DATUM(1), Datum(0), nullptr, Datum(0), Datum(0), 0};
    if (!short_form && !PG_ARGISNULL(2)) m.headers = PG_GETARG_DATUM(2);
    m.visible_at = delay_arg(fcinfo, short_form ? 2 : 3);
    if (!short_form && !PG_ARGISNULL(4)) m.key = pg_call([fcinfo]() { return PG_GETARG_TEXT_PP(4); });
    Batch b;
    b.dedup.push_back(!short_form && !PG_ARGISNULL(5) ? dedup_arg(PG_GETARG_DATUM(5)) : std::string());
    stream::check_message(m);
    b.msgs.push_back(m);
    refuse_standby();
    Found f = lookup(name);
    PG_RETURN_INT64(send_all(f, b)[0]);
}

// pgstreamx.send_batch(queue_name, msgs[], headers[], delay, group_ids[], dedup_ids[]) -> SETOF bigint
// pgstreamx.send_batch(queue_name, msgs[], delay) -> SETOF bigint (pgmq's form)
PGSTREAMX_FUNCTION(pgstreamx_send_batch) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    if (PG_ARGISNULL(1)) throw Error(sqlstate::null_value_not_allowed, "msgs must not be null");
    const bool short_form = PG_NARGS() == 3;
    args::Array msgs = args::array(fcinfo, 1, JSONBOID);
    args::Array headers, groups, dedups;
    if (!short_form) {
        headers = args::array(fcinfo, 2, JSONBOID);
        groups = args::array(fcinfo, 4, TEXTOID);
        dedups = args::array(fcinfo, 5, TEXTOID);
    }
    const TimestampTz visible_at = delay_arg(fcinfo, short_form ? 2 : 3);
    const int n = msgs.n;
    args::check_batch("msgs", n, max_batch, {&headers, &groups, &dedups});
    Batch b;
    b.msgs.resize(static_cast<size_t>(n));
    b.dedup.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) {
        if (msgs.nulls[i])
            throw Error(sqlstate::null_value_not_allowed, "message " + std::to_string(i + 1) + " of the batch is null");
        auto opt = [i](const args::Array &a) { return a.present && !a.nulls[i] ? a.values[i] : Datum(0); };
        const Datum g = opt(groups);
        text *gt = g ? pg_call([g]() { return DatumGetTextPP(g); }) : nullptr;
        b.msgs[i] = stream::Message{msgs.values[i], Datum(0), gt, Datum(0), opt(headers),
                                    visible_at};
        if (Datum d = opt(dedups)) b.dedup[i] = dedup_arg(d);
        stream::check_message(b.msgs[i]);
    }
    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (n == 0) return Datum(0);
    refuse_standby();
    Found f = lookup(name);
    std::vector<int64> ids = send_all(f, b);
    pg_call([&]() {
        for (int64 id : ids) {
            Datum v = Int64GetDatum(id);
            bool isnull = false;
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
        }
    });
    return Datum(0);
}

// ---- reading -----------------------------------------------------------------------

namespace {

struct Delivered {
    Pass pass;
    std::vector<Row> rows;  // of pass.got and pass.dead, in msg_id order
};

const Row *row_of(const std::vector<Row> &rows, int64 id) {
    auto it = std::lower_bound(rows.begin(), rows.end(), id, [](const Row &r, int64 v) { return r.msg_id < v; });
    return it != rows.end() && it->msg_id == id ? &*it : nullptr;
}

// One look at the queue: claims up to qty messages.
Delivered one_pass(const Found &f, int32 qty, int64 vt_us, bool pop) {
    ensure_lists();
    const Key key = f.q.key();
    refuse_after_reset(key);
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) attach(f.q, f.s);  // purged, evicted or dropped and created again meanwhile
        if (attempt > 3)
            throw Error(sqlstate::lock_not_available, "the claim state of queue \"" + f.q.name + "\" keeps changing",
                        "It was purged, dropped or reloaded during every attempt to read it.", "Retry the read.");
        Claimer c(f.q, qty, vt_us, pop);
        c.pass.got.reserve(static_cast<size_t>(qty));
        c.pass.dead.reserve(static_cast<size_t>(qty));
        reserve_undo(2 * static_cast<size_t>(qty) + 1);  // claims + dead letters of this pass
        // The horizon FIRST (this transaction's own sends included: they are
        // not final either), then the snapshots of the scans: next_new never
        // passes a message whose sender has not ended yet.
        int32 cur_segment = -1;
        const int64 h = offsets::horizon(stream::partition_ref(f.s, 0), true, &cur_segment);
        c.set_current_segment(cur_segment);
        with_window(key, [&](Entry *e) {
            if (!e || !e->loaded || e->relid != f.q.relid)
                c.pass.lost = true;
            else
                c.redeliver(e);
        });
        if (c.pass.lost) continue;
        int64 from = c.start();
        std::vector<Row> seen;  // every row scanned, in msg_id order
        while (c.room() && !c.pass.full) {
            const int64 want = std::clamp<int64>(2 * (qty - static_cast<int64>(c.pass.got.size())), 4, 1000);
            std::vector<Row> rows = scan_rows(f.s, from, want, c.only_segment());
            const bool exhausted = static_cast<int64>(rows.size()) < want;
            bool complete = true;
            with_window(key, [&](Entry *e) {
                if (c.same_window(e))
                    complete = c.scan(e, rows, h, exhausted);
                else
                    c.pass.lost = true;  // what was claimed above is in a window that is gone
            });
            if (c.pass.lost || rows.empty()) break;
            from = rows.back().msg_id + 1;
            seen.insert(seen.end(), rows.begin(), rows.end());
            if (exhausted || !complete) break;
        }
        if (c.pass.lost) continue;
        Delivered d;
        d.pass = std::move(c.pass);
        std::vector<int64> ids;
        for (const Claim &g : d.pass.got) ids.push_back(g.msg_id);
        for (const Ack &a : d.pass.dead) ids.push_back(a.msg_id);
        std::sort(ids.begin(), ids.end());
        // Rows of new messages came with the scan; redeliveries are fetched.
        std::vector<int64> missing;
        for (int64 id : ids)
            if (!row_of(seen, id)) missing.push_back(id);
        std::vector<Row> fetched = fetch(f.s, missing, true);
        for (int64 id : ids)
            if (const Row *r = row_of(seen, id) ? row_of(seen, id) : row_of(fetched, id)) d.rows.push_back(*r);
        // Claimed messages without a row are gone (rolled back, purged).
        std::vector<int64> gone;
        auto has_row = [&](int64 id) {
            auto it = std::lower_bound(d.rows.begin(), d.rows.end(), id,
                                       [](const Row &r, int64 v) { return r.msg_id < v; });
            return it != d.rows.end() && it->msg_id == id;
        };
        for (int64 id : ids)
            if (!has_row(id)) gone.push_back(id);
        if (!gone.empty()) {
            forget(key, c.incarnation(), gone, h);
            auto is_gone = [&](int64 id) { return std::find(gone.begin(), gone.end(), id) != gone.end(); };
            d.pass.got.erase(std::remove_if(d.pass.got.begin(), d.pass.got.end(),
                                            [&](const Claim &g) { return is_gone(g.msg_id); }),
                             d.pass.got.end());
            d.pass.dead.erase(std::remove_if(d.pass.dead.begin(), d.pass.dead.end(),
                                             [&](const Ack &a) { return is_gone(a.msg_id); }),
                              d.pass.dead.end());
        }
        if (pop) {
            std::vector<Ack> acks;
            for (const Claim &g : d.pass.got) acks.push_back(Ack{g.msg_id, g.read_ct, g.segment});
            write_acks(f.s, "delete", acks);
        }
        dead_letter(f.q, f.s, d.pass.dead, d.rows);
        return d;
    }
}

// (msg_id, read_ct, enqueued_at, vt, message, headers)
void emit(ReturnSetInfo *rsinfo, const Row &r, int32 read_ct, TimestampTz vt) {
    Datum v[6] = {Int64GetDatum(r.msg_id), Int32GetDatum(read_ct), TimestampTzGetDatum(r.enqueued_at),
                  TimestampTzGetDatum(vt),  r.payload,              r.headers};
    bool nulls[6] = {false, false, false, false, r.payload == 0, r.headers == 0};
    pg_call([&]() { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls); });
}

Datum read_impl(FunctionCallInfo fcinfo, const std::string &name, int32 qty, int64 vt_us, int64 wait_ms,
                int64 interval_ms, bool pop) {
    refuse_standby();
    refuse_snapshot_isolation("read a queue");
    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    Found f = lookup(name);
    attach(f.q, f.s);
    const uint64 ch = channel_of(f.q.key());
    const TimestampTz deadline = GetCurrentTimestamp() + wait_ms * 1000;
    for (;;) {
        const uint64 seen = wait_ms > 0 ? wakeup::generation(ch) : 0;
        Delivered d = one_pass(f, qty, vt_us, pop);
        for (const Claim &g : d.pass.got)
            if (const Row *r = row_of(d.rows, g.msg_id)) emit(rsinfo, *r, g.read_ct, pop ? GetCurrentTimestamp() : g.vt);
        if (!d.pass.got.empty() || wait_ms == 0) break;
        if (!d.pass.dead.empty()) continue;  // moved some: look again at once
        const TimestampTz now = GetCurrentTimestamp();
        int64 remaining = (deadline - now) / 1000;
        if (remaining <= 0) break;
        int64 sleep_ms = std::min(remaining, interval_ms);
        if (d.pass.next_due != no_time) sleep_ms = std::min(sleep_ms, std::max<int64>((d.pass.next_due - now) / 1000 + 1, 1));
        pg_call([&]() { (void)wakeup::wait(ch, seen, static_cast<long>(sleep_ms)); });
    }
    return Datum(0);
}

}  // namespace

// pgstreamx.read(queue_name, vt, qty) and
// pgstreamx.read_with_poll(queue_name, vt, qty, max_poll_seconds, poll_interval_ms)
PGSTREAMX_FUNCTION(pgstreamx_read) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    const int32 vt = args::required_int32(fcinfo, 1, "vt");
    const int32 qty = args::required_int32(fcinfo, 2, "qty");
    check_vt(vt, false);
    check_qty(qty);
    int64 wait_ms = 0, interval_ms = 0;
    if (PG_NARGS() == 5) {
        const int32 poll_s = PG_ARGISNULL(3) ? 5 : PG_GETARG_INT32(3);
        const int32 interval = PG_ARGISNULL(4) ? 100 : PG_GETARG_INT32(4);
        if (poll_s < 0 || poll_s > max_poll_s)
            throw Error(sqlstate::invalid_parameter_value,
                        "max_poll_seconds must be between 0 and " + std::to_string(max_poll_s));
        if (interval < 1 || interval > 60000)
            throw Error(sqlstate::invalid_parameter_value, "poll_interval_ms must be between 1 and 60000", {},
                        "It only bounds one sleep: readers are woken when a send commits.");
        wait_ms = static_cast<int64>(poll_s) * 1000;
        interval_ms = interval;
    }
    return read_impl(fcinfo, name, qty, static_cast<int64>(vt) * USECS_PER_SEC, wait_ms, interval_ms, false);
}

// pgstreamx.pop(queue_name, qty): read and delete in one.
PGSTREAMX_FUNCTION(pgstreamx_pop) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    const int32 qty = PG_ARGISNULL(1) ? 1 : PG_GETARG_INT32(1);
    check_qty(qty);
    return read_impl(fcinfo, name, qty, 0, 0, 0, true);
}

// ---- acknowledging ---------------------------------------------------------------

namespace {

enum class Outcome { ok, not_found, finished, stale };

struct Change {
    Outcome outcome = Outcome::not_found;
    int32 read_ct = 0;
    int32 segment = 0;
};

// Applies `apply(slot)` to message `id` if it is unfinished (and, when
// fenced, still at read_ct `fence`), remembering the old slot for rollback.
// A message nobody has read yet gets a slot first (it is looked up: it must
// exist and be visible).
template <typename F>
Change change_one(const Found &f, int64 id, const int32 *fence, F apply) {
    ensure_lists();
    const Key key = f.q.key();
    refuse_after_reset(key);
    for (int attempt = 0; attempt < 4; attempt++) {
        if (attempt > 0) attach(f.q, f.s);  // reloaded or reset meanwhile
        reserve_undo(1);
        Change c;
        bool need_row = false, lost = false;
        uint64 inc = 0;
        auto on_slot = [&](Entry *e, claims::Slot *sl, const claims::Slot prev) {  // prev: a copy
            if (sl->state != claims::held) {
                c.outcome = Outcome::finished;
            } else if (fence && sl->read_ct != *fence) {
                c.outcome = Outcome::stale;
                c.read_ct = sl->read_ct;
            } else {
                apply(e, sl);
                remember(e, prev, *sl);
                c = Change{Outcome::ok, sl->read_ct, sl->segment};
            }
        };
        with_window(key, [&](Entry *e) {
            if (!e || !e->loaded || e->relid != f.q.relid) {
                lost = true;
                return;
            }
            inc = e->incarnation;
            if (claims::Slot *sl = claims::find(e->w, e->slots, id))
                on_slot(e, sl, *sl);
            else
                need_row = id >= e->w.next_new;
        });
        if (lost) continue;
        if (!need_row) return c;
        // A message nobody has read yet: it must exist (and be visible).
        std::vector<Row> rows = fetch(f.s, {id}, false);
        if (rows.empty()) return c;
        bool full = false;
        with_window(key, [&](Entry *e) {
            if (!e || !e->loaded || e->incarnation != inc) {
                lost = true;
                return;
            }
            claims::Slot *sl = claims::find(e->w, e->slots, id);
            if (sl) return on_slot(e, sl, *sl);
            if (id < e->w.next_new) return;  // finished meanwhile
            if (fence && *fence != 0) {
                c.outcome = Outcome::stale;
                return;
            }
            sl = claims::insert(e->w, e->slots, id);
            if (!sl) {
                full = true;
                return;
            }
            sl->segment = rows[0].segment;
            sl->vt = rows[0].visible_at;
            claims::Slot none{};
            none.msg_id = id;
            none.vt = rows[0].visible_at;  // a rollback keeps its delay
            none.state = claims::empty;
            on_slot(e, sl, none);
        });
        if (lost) continue;
        if (full)
            throw Error(sqlstate::configuration_limit_exceeded, "queue \"" + f.q.name + "\" has no free claim slot",
                        "Every one of its pgstreamx.queue_slots slots holds a claimed, delayed or finished message.",
                        "Finish (delete or archive) claimed messages, or raise pgstreamx.queue_slots.");
        return c;
    }
    throw Error(sqlstate::lock_not_available, "the claim state of queue \"" + f.q.name + "\" keeps changing",
                "It was purged, dropped or reloaded during every attempt.", "Retry.");
}

void say_stale(const std::string &queue, int64 id, int32 given, int32 now_) {
    const std::string m = "message " + std::to_string(id) + " of queue \"" + queue + "\" was delivered again (read_ct " +
                          std::to_string(now_) + ", not " + std::to_string(given) + "): nothing changed";
    const char *c = m.c_str();
    pg_call([c]() {
        ereport(NOTICE, (errcode(ERRCODE_LOCK_NOT_AVAILABLE), errmsg("%s", c),
                         errhint("Its visibility timeout passed and another reader has it now.")));
    });
}

// Finishes (delete, archive) messages: returns which ones it finished.
std::vector<bool> finish(const Found &f, const std::vector<int64> &ids, const std::vector<int32> *fences,
                         const char *kind) {
    std::vector<bool> done(ids.size(), false);
    std::vector<Ack> acks;
    for (size_t i = 0; i < ids.size(); i++) {
        const int32 *fence = fences && (*fences)[i] >= 0 ? &(*fences)[i] : nullptr;
        Change c = change_one(f, ids[i], fence, [](Entry *, claims::Slot *sl) { sl->state = claims::pending; });
        if (c.outcome == Outcome::ok) {
            done[i] = true;
            acks.push_back(Ack{ids[i], c.read_ct, c.segment});
        } else if (c.outcome == Outcome::stale) {
            say_stale(f.q.name, ids[i], *fence, c.read_ct);
        }
    }
    write_acks(f.s, kind, acks);
    // A FIFO group's next message becomes deliverable when its head is finished.
    if (f.q.fifo && !acks.empty()) wakeup::notify_at_commit(channel_of(f.q.key()));
    return done;
}

Datum finish_impl(FunctionCallInfo fcinfo, const char *kind) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    const bool many = get_fn_expr_argtype(fcinfo->flinfo, 1) == INT8ARRAYOID;
    if (PG_ARGISNULL(1) && many) {  // e.g. array_agg() of an empty read: nothing to do
        pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
        return Datum(0);
    }
    if (PG_ARGISNULL(1)) throw Error(sqlstate::null_value_not_allowed, "msg_id must not be null");
    refuse_standby();
    std::vector<int64> ids;
    std::vector<int32> fences;
    bool fenced = false;
    if (many) {
        args::Array a = args::array(fcinfo, 1, INT8OID);
        args::Array r = args::array(fcinfo, 2, INT4OID);
        if (a.n > max_batch)
            throw Error(sqlstate::program_limit_exceeded, "too many msg_ids",
                        std::to_string(a.n) + "; the limit is " + std::to_string(max_batch) + ".");
        if (r.present && r.n != a.n)
            throw Error(sqlstate::invalid_parameter_value, "read_cts must have one element per msg_id");
        for (int i = 0; i < a.n; i++) {
            if (a.nulls[i]) continue;
            ids.push_back(DatumGetInt64(a.values[i]));
            fences.push_back(r.present && !r.nulls[i] ? DatumGetInt32(r.values[i]) : -1);
        }
        fenced = r.present;
    } else {
        ids.push_back(PG_GETARG_INT64(1));
        fences.push_back(PG_ARGISNULL(2) ? -1 : PG_GETARG_INT32(2));
        fenced = !PG_ARGISNULL(2);
    }
    Found f = lookup(name);
    attach(f.q, f.s);
    std::vector<bool> done = finish(f, ids, fenced ? &fences : nullptr, kind);
    if (!many) PG_RETURN_BOOL(done[0]);
    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&]() {
        for (size_t i = 0; i < ids.size(); i++)
            if (done[i]) {
                Datum v = Int64GetDatum(ids[i]);
                bool isnull = false;
                tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
            }
    });
    return Datum(0);
}

}  // namespace

// pgstreamx.delete(queue_name, msg_id [, read_ct]) -> boolean
// pgstreamx.delete(queue_name, msg_ids[] [, read_cts[]]) -> SETOF bigint
PGSTREAMX_FUNCTION(pgstreamx_delete) { return finish_impl(fcinfo, "delete"); }

// pgstreamx.archive(...): the same, kept for pgstreamx.archived() until retention.
PGSTREAMX_FUNCTION(pgstreamx_archive) { return finish_impl(fcinfo, "archive"); }

// pgstreamx.set_vt(queue_name, msg_id, vt [, read_ct]) -> the message
PGSTREAMX_FUNCTION(pgstreamx_set_vt) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    if (PG_ARGISNULL(1)) throw Error(sqlstate::null_value_not_allowed, "msg_id must not be null");
    const int64 id = PG_GETARG_INT64(1);
    const int32 vt = args::required_int32(fcinfo, 2, "vt");
    check_vt(vt, true);
    const int32 fence_v = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
    const int32 *fence = PG_ARGISNULL(3) ? nullptr : &fence_v;
    refuse_standby();
    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    Found f = lookup(name);
    attach(f.q, f.s);
    const TimestampTz until = GetCurrentTimestamp() + static_cast<int64>(vt) * USECS_PER_SEC;
    Change c = change_one(f, id, fence, [until](Entry *e, claims::Slot *sl) {
        sl->vt = until;
        claims::note_due(e->w, until);
    });
    if (c.outcome == Outcome::stale) say_stale(f.q.name, id, fence_v, c.read_ct);
    if (c.outcome != Outcome::ok) return Datum(0);
    if (vt == 0) wakeup::notify_at_commit(channel_of(f.q.key()));
    std::vector<Row> rows = fetch(f.s, {id}, true);
    if (!rows.empty()) emit(rsinfo, rows[0], c.read_ct, until);
    return Datum(0);
}

// pgstreamx.release(queue_name, msg_id, delay [, read_ct]) -> boolean: give a
// claimed message back (visible again after delay seconds; read_ct stays).
PGSTREAMX_FUNCTION(pgstreamx_release) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    if (PG_ARGISNULL(1)) throw Error(sqlstate::null_value_not_allowed, "msg_id must not be null");
    const int64 id = PG_GETARG_INT64(1);
    const int32 delay = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
    if (delay < 0 || delay > max_vt)
        throw Error(sqlstate::invalid_parameter_value, "delay must be between 0 and " + std::to_string(max_vt) + " seconds");
    const int32 fence_v = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
    const int32 *fence = PG_ARGISNULL(3) ? nullptr : &fence_v;
    refuse_standby();
    Found f = lookup(name);
    attach(f.q, f.s);
    const TimestampTz until = GetCurrentTimestamp() + static_cast<int64>(delay) * USECS_PER_SEC;
    Change c = change_one(f, id, fence, [until](Entry *e, claims::Slot *sl) {
        sl->vt = until;
        claims::note_due(e->w, until);
    });
    if (c.outcome == Outcome::stale) say_stale(f.q.name, id, fence_v, c.read_ct);
    if (c.outcome == Outcome::ok) wakeup::notify_at_commit(channel_of(f.q.key()));
    PG_RETURN_BOOL(c.outcome == Outcome::ok);
}

// pgstreamx.archived(queue_name) -> archived and dead-lettered messages
PGSTREAMX_FUNCTION(pgstreamx_archived) {
    const std::string name = args::required_text(fcinfo, 0, "queue_name");
    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    Found f = lookup(name);
    struct Archived {
        Ack a;
        TimestampTz at;
        bool dead;
    };
    std::vector<Archived> list;
    {
        spi::Scope scope;
        SPIPlanPtr p = spi::plan("SELECT appended_at, topic = 'dead_letter', payload_bytes FROM " + f.s.relation +
                                     " WHERE partition = -1 AND topic IN ('archive', 'dead_letter')",
                                 0, nullptr);
        const uint64 n = spi::execute(p, nullptr, nullptr, true);
        for (uint64 r = 0; r < n; r++) {
            bool isnull = false;
            const TimestampTz at = DatumGetTimestampTz(spi::value(r, 1, &isnull));
            const bool dead = DatumGetBool(spi::value(r, 2, &isnull));
            Datum d = spi::value(r, 3, &isnull);
            if (isnull) continue;
            std::vector<Ack> acks;
            const bytea *b = reinterpret_cast<const bytea *>(pg_call([d]() { return PG_DETOAST_DATUM_PACKED(d); }));
            decode_acks(b, acks, 0);
            for (const Ack &a : acks) list.push_back(Archived{a, at, dead});
        }
    }
    std::sort(list.begin(), list.end(), [](const Archived &x, const Archived &y) { return x.a.msg_id < y.a.msg_id; });
    std::vector<int64> ids;
    for (const Archived &x : list) ids.push_back(x.a.msg_id);
    std::vector<Row> rows = fetch(f.s, ids, true);
    const Datum archived = text_datum("archived"), dead = text_datum("dead_letter");
    for (const Archived &x : list) {
        const Row *r = row_of(rows, x.a.msg_id);
        if (!r) continue;
        Datum v[7] = {Int64GetDatum(r->msg_id), Int32GetDatum(x.a.read_ct), TimestampTzGetDatum(r->enqueued_at),
                      TimestampTzGetDatum(x.at), x.dead ? dead : archived,  r->payload,
                      r->headers};
        bool nulls[7] = {false, false, false, false, false, r->payload == 0, r->headers == 0};
        pg_call([&]() { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls); });
    }
    return Datum(0);
}

// pgstreamx._queue_state(queue_id) -> (floor, next_new, unfinished_below,
// done_above, in_flight, delayed_below, pending, slots)
PGSTREAMX_FUNCTION(pgstreamx__queue_state) {
    const int32 id = PG_GETARG_INT32(0);
    std::string name;
    {
        spi::Scope scope;
        static const Oid types[] = {INT4OID};
        SPIPlanPtr p = spi::plan("SELECT name FROM pgstreamx.queue_config WHERE stream_id = $1", 1, types);
        Datum a[] = {Int32GetDatum(id)};
        if (spi::execute(p, a, nullptr, true, 1) == 0)
            throw Error(sqlstate::undefined_object, "queue " + std::to_string(id) + " does not exist");
        bool isnull = false;
        Datum d = spi::value(0, 1, &isnull);
        name = pg_call([d]() { return static_cast<const char *>(text_to_cstring(DatumGetTextPP(d))); });
    }
    Found f = lookup(name);
    int64 v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const TimestampTz now = GetCurrentTimestamp();
    bool got = false;
    for (int attempt = 0; attempt < 4 && !got; attempt++) {
    attach(f.q, f.s);
    with_window(f.q.key(), [&](Entry *e) {
        if (!e || !e->loaded || e->relid != f.q.relid) return;  // evicted meanwhile: again
        got = true;
        v[0] = claims::floor(e->w, e->slots);
        v[1] = e->w.next_new;
        for (int32 i = 0; i < e->w.capacity; i++) {
            const claims::Slot &sl = e->slots[i];
            if (sl.state == claims::empty) continue;
            const bool below = sl.msg_id < e->w.next_new;
            if (below && (sl.state == claims::held || sl.state == claims::pending)) v[2]++;
            if (!below && sl.state == claims::done) v[3]++;
            if (sl.state == claims::held && sl.read_ct > 0 && sl.vt > now) v[4]++;
            if (below && sl.state == claims::held && sl.read_ct == 0 && sl.vt > now) v[5]++;
            if (sl.state == claims::pending) v[6]++;
        }
        v[7] = e->w.used;
    });
    }
    if (!got)
        throw Error(sqlstate::lock_not_available, "the claim state of queue \"" + name + "\" keeps changing", {},
                    "Retry.");
    TupleDesc desc;
    pg_call([&]() {
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("_queue_state must return a record")));
        desc = BlessTupleDesc(desc);
    });
    Datum vals[8];
    bool nulls[8] = {false, false, false, false, false, false, false, false};
    for (int i = 0; i < 7; i++) vals[i] = Int64GetDatum(v[i]);
    vals[7] = Int32GetDatum(static_cast<int32>(v[7]));
    return pg_call([&]() { return HeapTupleGetDatum(heap_form_tuple(desc, vals, nulls)); });
}

// pgstreamx._queue_reset(queue_id): forget the queue's claims at commit.
PGSTREAMX_FUNCTION(pgstreamx__queue_reset) {
    require_preloaded("dropping or purging a queue");
    ensure_lists();
    resets->push_back(Tagged{Key{MyDatabaseId, PG_GETARG_INT32(0)}, std::string(), GetCurrentSubTransactionId()});
    PG_RETURN_VOID();
}

// pgstreamx._queue_changed(): readers re-read queue policies after commit.
PGSTREAMX_FUNCTION(pgstreamx__queue_changed) {
    require_preloaded("changing a queue");
    ensure_lists();
    bumps->push_back(GetCurrentSubTransactionId());
    PG_RETURN_VOID();
}
