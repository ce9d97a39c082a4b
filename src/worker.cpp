// worker.cpp - the launcher, the per-database workers, the utility hook that
// keeps them out of the way of DROP/RENAME/TEMPLATE of a database, and the
// advisory lock of maintain(). See worker.hpp and docs/operations.md.
//
// Most of this file calls PostgreSQL functions that may raise. Where it does,
// no C++ object with a destructor is alive: the state is plain structs in
// shared memory and plain statics, so an ERROR (FATAL in a background worker,
// which has no setjmp handler) never skips a destructor.
#include "pgstreamx/worker.hpp"

#include <csignal>

#include "pgstreamx/error.hpp"
#include "pgstreamx/shmem.hpp"

extern "C" {
PGDLLEXPORT void pgstreamx_launcher_main(Datum arg);
PGDLLEXPORT void pgstreamx_worker_main(Datum arg);
}

namespace pgstreamx::worker {

namespace {

constexpr const char *segment_name = "pgstreamx worker";
constexpr int max_databases = 1024;   // databases the launcher tracks
constexpr int restart_seconds = 5;    // bgw_restart_time of launcher and workers
constexpr int stop_wait_ms = 10000;   // how long the utility hook waits for a worker
constexpr uint32 lock_classid = 0x70677378;  // 'pgsx': advisory lock key, high half
constexpr uint32 lock_objid = 1;

// ---- GUCs ------------------------------------------------------------------------
bool guc_enabled = true;
int guc_naptime_ms = 10000;
int guc_max_workers = 4;

// ---- shared state -------------------------------------------------------------------
enum DbState : uint8 {
    db_free = 0,
    db_probe,    // to be visited: does it have pgstreamx?
    db_absent,   // visited: no pgstreamx (until CREATE EXTENSION says otherwise)
    db_active,   // has pgstreamx: a worker serves it
};

struct DbEntry {
    Oid dboid;
    uint8 state;
    bool seen;           // launcher: present in the last pg_database scan
    bool logged_limit;   // launcher: "max_workers reached" already logged for it
    bool logged_slots;   // launcher: "no worker slot" already logged for it
    int pauses;          // utility commands that need the database to themselves
    pid_t pid;           // worker process connected to it, 0 if none
    Latch *latch;        // that worker's latch
    TimestampTz started;
    NameData name;       // from the last scan, for log lines
};

struct State {
    pid_t launcher_pid;
    Latch *launcher_latch;
    uint32 generation;   // bumped at every launcher start
    DbEntry dbs[max_databases];
};

State *state = nullptr;
LWLock *lock = nullptr;

Size shmem_size() { return MAXALIGN(sizeof(State)); }

void shmem_init(void *address, bool found) {
    state = static_cast<State *>(address);
    if (!found) std::memset(state, 0, sizeof(State));
}

// The segment's LWLock (looked up once; lwlock() throws only on a bug).
LWLock *the_lock() {
    if (!lock) lock = boundary([]() { return shmem::lwlock(segment_name, 0); });
    return lock;
}

DbEntry *find_entry(Oid dboid) {
    for (auto &e : state->dbs)
        if (e.state != db_free && e.dboid == dboid) return &e;
    return nullptr;
}

DbEntry *new_entry(Oid dboid) {
    for (auto &e : state->dbs)
        if (e.state == db_free) {
            std::memset(&e, 0, sizeof e);
            e.dboid = dboid;
            e.state = db_probe;
            return &e;
        }
    return nullptr;
}

void set_launcher_latch_locked() {
    if (state->launcher_latch) SetLatch(state->launcher_latch);
}

// ---- backend-local state of the current transaction ------------------------------------
constexpr int max_local_pauses = 8;
Oid local_pauses[max_local_pauses];
int nlocal_pauses = 0;
bool notify_launcher_at_commit = false;
bool notify_worker_at_commit = false;
bool holds_maintenance_lock = false;

// ---- the launcher ----------------------------------------------------------------------
// Launcher-local: one handle per entry (handles are process-local).
BackgroundWorkerHandle *handles[max_databases];

struct DbRow {
    Oid oid;
    bool eligible;
    NameData name;
};

// Every database in pg_database (a shared catalog: no connection needed).
DbRow *scan_databases(MemoryContext cxt, int *count) {
    int cap = 16, n = 0;
    DbRow *rows = static_cast<DbRow *>(MemoryContextAlloc(cxt, cap * sizeof(DbRow)));
    StartTransactionCommand();
    (void)GetTransactionSnapshot();
    Relation rel = table_open(DatabaseRelationId, AccessShareLock);
    TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
    HeapTuple tup;
    while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection))) {
        Form_pg_database db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tup));
        if (n == cap) {
            cap *= 2;
            rows = static_cast<DbRow *>(repalloc(rows, cap * sizeof(DbRow)));
        }
        rows[n].oid = db->oid;
        rows[n].eligible = db->datallowconn && !db->datistemplate && !database_is_invalid_form(db);
        rows[n].name = db->datname;
        n++;
    }
    table_endscan(scan);
    table_close(rel, AccessShareLock);
    CommitTransactionCommand();
    *count = n;
    return rows;
}

int effective_max_workers() {
    // The launcher itself takes one of max_worker_processes.
    return std::min(guc_max_workers, std::max(max_worker_processes - 1, 0));
}

void check_max_workers_setting() {
    if (guc_max_workers > max_worker_processes - 1)
        ereport(LOG, (errmsg("pgstreamx launcher: pgstreamx.max_workers = %d, but max_worker_processes = %d "
                             "leaves room for at most %d workers beside the launcher",
                             guc_max_workers, max_worker_processes, std::max(max_worker_processes - 1, 0)),
                      errhint("Raise max_worker_processes (needs a restart); other extensions and "
                              "parallel queries use the same slots.")));
}

// The common part of the launcher's and the workers' registration.
BackgroundWorker worker_template(const char *function) {
    BackgroundWorker w;
    std::memset(&w, 0, sizeof w);
    w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    w.bgw_start_time = BgWorkerStart_RecoveryFinished;
    w.bgw_restart_time = restart_seconds;
    snprintf(w.bgw_library_name, BGW_MAXLEN, "pgstreamx");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "%s", function);
    return w;
}

bool start_worker(int idx, DbEntry &e) {
    BackgroundWorker w = worker_template("pgstreamx_worker_main");
    snprintf(w.bgw_name, BGW_MAXLEN, "pgstreamx worker for database %s", NameStr(e.name));
    snprintf(w.bgw_type, BGW_MAXLEN, "pgstreamx worker");
    w.bgw_main_arg = Int32GetDatum(idx);
    std::memcpy(w.bgw_extra, &e.dboid, sizeof(Oid));
    std::memcpy(w.bgw_extra + sizeof(Oid), &state->generation, sizeof(uint32));
    w.bgw_notify_pid = MyProcPid;
    BackgroundWorkerHandle *h = nullptr;
    if (!RegisterDynamicBackgroundWorker(&w, &h)) return false;
    handles[idx] = h;
    return true;
}

// One pass: match the entries with pg_database and start or stop workers.
void reconcile(MemoryContext cxt) {
    int n = 0;
    DbRow *rows = scan_databases(cxt, &n);

    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    for (auto &e : state->dbs) e.seen = false;
    for (int i = 0; i < n; i++) {
        if (!rows[i].eligible) continue;
        DbEntry *e = find_entry(rows[i].oid);
        if (!e) e = new_entry(rows[i].oid);
        if (!e) continue;  // table full: logged below
        e->seen = true;
        e->name = rows[i].name;
    }
    LWLockRelease(the_lock());

    // Collect what to do under the lock, act (register/terminate) outside it.
    int running = 0;
    for (int i = 0; i < max_databases; i++) {
        if (!handles[i]) continue;
        pid_t pid;
        if (GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED) {
            pfree(handles[i]);
            handles[i] = nullptr;
        } else {
            running++;
        }
    }

    const int limit = effective_max_workers();
    for (int i = 0; i < max_databases; i++) {
        LWLockAcquire(the_lock(), LW_EXCLUSIVE);
        DbEntry &e = state->dbs[i];
        if (e.state == db_free) {
            LWLockRelease(the_lock());
            continue;
        }
        if (!e.seen && !handles[i] && e.pid == 0) {
            e.state = db_free;  // dropped, renamed to a template, or no longer connectable
            LWLockRelease(the_lock());
            continue;
        }
        const bool want = guc_enabled && e.seen && e.pauses == 0 &&
                          (e.state == db_probe || e.state == db_active);
        LWLockRelease(the_lock());

        if (!want) {
            if (handles[i]) TerminateBackgroundWorker(handles[i]);  // not restarted
            continue;
        }
        if (handles[i]) continue;
        if (running >= limit) {
            if (!e.logged_limit)
                ereport(LOG, (errmsg("pgstreamx launcher: pgstreamx.max_workers (%d) reached: database \"%s\" "
                                     "gets no pgstreamx worker",
                                     limit, NameStr(e.name)),
                              errhint("Raise pgstreamx.max_workers (at most max_worker_processes - 1), or "
                                      "schedule CALL pgstreamx.maintain() with pg_cron in that database.")));
            e.logged_limit = true;
            continue;
        }
        if (!start_worker(i, e)) {
            if (!e.logged_slots)
                ereport(LOG, (errmsg("pgstreamx launcher: no free background worker slot for database \"%s\" "
                                     "(max_worker_processes = %d are all in use); retrying",
                                     NameStr(e.name), max_worker_processes),
                              errhint("Raise max_worker_processes (needs a restart).")));
            e.logged_slots = true;
            continue;
        }
        e.logged_limit = e.logged_slots = false;
        running++;
    }

    int tracked = 0;
    for (auto &e : state->dbs) tracked += e.state != db_free;
    if (tracked == max_databases)
        ereport(LOG, (errmsg("pgstreamx launcher: tracking %d databases, the most it can; others get no worker",
                             max_databases)));
    pfree(rows);
}

void launcher_shmem_exit(int, Datum) {
    if (!state) return;
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    if (state->launcher_pid == MyProcPid) {
        state->launcher_pid = 0;
        state->launcher_latch = nullptr;
    }
    LWLockRelease(the_lock());
}

// Workers of an earlier launcher (it exited on an error and was restarted):
// they carry an old generation, so the postmaster's restart of them exits at
// once; stop the running ones and wait until they are gone.
void stop_old_workers() {
    TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), stop_wait_ms);
    for (;;) {
        bool any = false;
        LWLockAcquire(the_lock(), LW_SHARED);
        for (auto &e : state->dbs)
            if (e.pid != 0) {
                any = true;
                (void)kill(e.pid, SIGTERM);
            }
        LWLockRelease(the_lock());
        if (!any || GetCurrentTimestamp() > deadline) return;
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
}

void launcher_main() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);  // shared catalogs only
    pgstat_report_appname("pgstreamx launcher");

    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    state->launcher_pid = MyProcPid;
    state->launcher_latch = MyLatch;
    // Unique across crash restarts too (shared memory is zeroed then, and the
    // postmaster restarts the old dynamic workers): those must not match.
    {
        uint32 g = static_cast<uint32>(GetCurrentTimestamp()) ^ static_cast<uint32>(MyProcPid);
        state->generation = g == state->generation ? g + 1 : g;
    }
    LWLockRelease(the_lock());
    on_shmem_exit(launcher_shmem_exit, 0);
    stop_old_workers();

    ereport(LOG, (errmsg("pgstreamx launcher started (worker_enabled = %s, naptime = %d ms, max_workers = %d)",
                         guc_enabled ? "on" : "off", guc_naptime_ms, guc_max_workers)));
    check_max_workers_setting();

    MemoryContext loop_cxt = AllocSetContextCreate(TopMemoryContext, "pgstreamx launcher loop",
                                                   ALLOCSET_DEFAULT_SIZES);
    for (;;) {
        MemoryContextReset(loop_cxt);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            const bool was_enabled = guc_enabled;
            const int was_max = guc_max_workers;
            ProcessConfigFile(PGC_SIGHUP);
            if (was_enabled != guc_enabled)
                ereport(LOG, (errmsg("pgstreamx launcher: pgstreamx.worker_enabled is now %s",
                                     guc_enabled ? "on" : "off")));
            if (was_max != guc_max_workers) {
                check_max_workers_setting();
                for (auto &e : state->dbs) e.logged_limit = false;
            }
        }
        reconcile(loop_cxt);
        // Woken by CREATE EXTENSION, by the utility hook, by a worker that
        // started or stopped (bgw_notify_pid), or by SIGHUP.
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, guc_naptime_ms,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
}

// ---- a worker ------------------------------------------------------------------------
int my_index = -1;

void worker_shmem_exit(int, Datum) {
    if (!state || my_index < 0) return;
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    DbEntry &e = state->dbs[my_index];
    if (e.pid == MyProcPid) {
        e.pid = 0;
        e.latch = nullptr;
    }
    LWLockRelease(the_lock());
}

// Whether this (re)start of the worker is still wanted; if so, records its pid.
bool claim(int idx, Oid dboid, uint32 generation) {
    if (idx < 0 || idx >= max_databases) return false;
    bool ok = false;
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    DbEntry &e = state->dbs[idx];
    if (guc_enabled && state->generation == generation && e.dboid == dboid && e.pauses == 0 &&
        (e.state == db_probe || e.state == db_active) && (e.pid == 0 || e.pid == MyProcPid)) {
        e.pid = MyProcPid;
        e.latch = MyLatch;
        e.started = GetCurrentTimestamp();
        ok = true;
    }
    LWLockRelease(the_lock());
    return ok;
}

// Sets this worker's database state; returns the one it replaces.
uint8 set_my_state(uint8 s) {
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    const uint8 was = state->dbs[my_index].state;
    state->dbs[my_index].state = s;
    LWLockRelease(the_lock());
    return was;
}

NameData my_dbname;

bool extension_present() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    const bool present = OidIsValid(get_extension_oid("pgstreamx", true));
    if (const char *n = get_database_name(MyDatabaseId)) namestrcpy(&my_dbname, n);
    CommitTransactionCommand();
    return present;
}

void log_extension_dropped() {
    ereport(LOG, (errmsg("pgstreamx worker: extension pgstreamx was dropped from database \"%s\", exiting",
                         NameStr(my_dbname))));
}

// CALL pgstreamx.maintain() as a top-level statement, as exec_simple_query
// runs it: the CALL is non-atomic, so the procedure's COMMITs work.
void run_maintain(MemoryContext cxt) {
    static const char sql[] = "CALL pgstreamx.maintain()";
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    debug_query_string = sql;
    pgstat_report_activity(STATE_RUNNING, sql);
    MemoryContext old = MemoryContextSwitchTo(cxt);
    List *parsetrees = pg_parse_query(sql);
    RawStmt *raw = linitial_node(RawStmt, parsetrees);
    PushActiveSnapshot(GetTransactionSnapshot());
    List *querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, nullptr, 0, nullptr);
    List *plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
    PopActiveSnapshot();
    Portal portal = CreatePortal("", true, true);
    portal->visible = false;
    PortalDefineQuery(portal, nullptr, sql, CreateCommandTag(raw->stmt), plantrees, nullptr);
    PortalStart(portal, nullptr, 0, InvalidSnapshot);
    DestReceiver *receiver = CreateDestReceiver(DestNone);
    QueryCompletion qc;
    InitializeQueryCompletion(&qc);
    (void)PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
    receiver->rDestroy(receiver);
    PortalDrop(portal, false);
    MemoryContextSwitchTo(old);
    CommitTransactionCommand();
    debug_query_string = nullptr;
    pgstat_report_activity(STATE_IDLE, nullptr);
    pgstat_report_stat(true);
}

void worker_main(Datum arg) {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    Oid dboid;
    uint32 generation;
    std::memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
    std::memcpy(&generation, MyBgworkerEntry->bgw_extra + sizeof(Oid), sizeof(uint32));
    const int idx = DatumGetInt32(arg);
    // Not wanted any more (paused by DROP DATABASE & co., disabled, or left
    // over from an earlier launcher): exit 0, so the postmaster forgets it.
    if (!claim(idx, dboid, generation)) proc_exit(0);
    my_index = idx;
    // Registered before the connection exists, so it runs after this process
    // has left the proc array: whoever waits for pid == 0 sees it gone.
    on_shmem_exit(worker_shmem_exit, 0);

    BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
    SetConfigOption("application_name", "pgstreamx worker", PGC_USERSET, PGC_S_SESSION);
    pgstat_report_appname("pgstreamx worker");

    // Reconcile on start: is the extension (still) here? A worker that
    // was active here and died in a round that DROP EXTENSION broke comes
    // back to find it gone: its exit is logged like the loop's.
    if (!extension_present()) {
        if (set_my_state(db_absent) == db_active) log_extension_dropped();
        proc_exit(0);
    }
    set_my_state(db_active);
    ereport(LOG, (errmsg("pgstreamx worker started in database \"%s\" (naptime = %d ms)",
                         NameStr(my_dbname), guc_naptime_ms)));

    MemoryContext loop_cxt = AllocSetContextCreate(TopMemoryContext, "pgstreamx worker loop",
                                                   ALLOCSET_DEFAULT_SIZES);
    TimestampTz next_round = GetCurrentTimestamp();
    for (;;) {
        MemoryContextReset(loop_cxt);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            const int was_naptime = guc_naptime_ms;
            ProcessConfigFile(PGC_SIGHUP);
            if (was_naptime != guc_naptime_ms) {
                ereport(LOG, (errmsg("pgstreamx worker: naptime is now %d ms", guc_naptime_ms)));
                next_round = std::min(next_round, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
                                                                              guc_naptime_ms));
            }
        }
        if (!guc_enabled) {
            ereport(LOG, (errmsg("pgstreamx worker: pgstreamx.worker_enabled is off, exiting")));
            proc_exit(0);
        }
        if (!extension_present()) {
            set_my_state(db_absent);
            log_extension_dropped();
            proc_exit(0);
        }
        TimestampTz now = GetCurrentTimestamp();
        if (now >= next_round) {
            run_maintain(loop_cxt);
            now = GetCurrentTimestamp();
            next_round = TimestampTzPlusMilliseconds(now, guc_naptime_ms);
        }
        long wait_ms = TimestampDifferenceMilliseconds(now, next_round);
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, std::max(wait_ms, 1L),
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
}

// ---- the utility hook --------------------------------------------------------------------
ProcessUtility_hook_type prev_utility_hook = nullptr;

// Stops the worker of `dboid` (if any) and keeps it stopped until this
// transaction ends.
void pause_database(Oid dboid) {
    if (!OidIsValid(dboid) || !state) return;
    for (int i = 0; i < nlocal_pauses; i++)
        if (local_pauses[i] == dboid) return;
    if (nlocal_pauses == max_local_pauses) return;
    pid_t pid = 0;
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    DbEntry *e = find_entry(dboid);
    if (!e) e = new_entry(dboid);  // the launcher may be about to start one
    if (e) {
        e->pauses++;
        pid = e->pid;
        local_pauses[nlocal_pauses++] = dboid;
    }
    set_launcher_latch_locked();  // it terminates the worker's registration
    LWLockRelease(the_lock());
    if (!e || pid == 0) return;
    (void)kill(pid, SIGTERM);
    TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), stop_wait_ms);
    for (;;) {
        LWLockAcquire(the_lock(), LW_SHARED);
        pid = e->dboid == dboid ? e->pid : 0;
        LWLockRelease(the_lock());
        if (pid == 0) return;
        if (GetCurrentTimestamp() > deadline) {
            ereport(WARNING, (errmsg("pgstreamx: the worker of this database (pid %d) did not exit within %d ms",
                                     static_cast<int>(pid), stop_wait_ms)));
            return;
        }
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
}

void pause_by_name(const char *name) {
    if (name) pause_database(get_database_oid(name, true));
}

void utility_hook(PlannedStmt *pstmt, const char *query, bool read_only_tree, ProcessUtilityContext context,
                  ParamListInfo params, QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc) {
    Node *stmt = pstmt->utilityStmt;
    switch (nodeTag(stmt)) {
        case T_DropdbStmt:
            pause_by_name(reinterpret_cast<DropdbStmt *>(stmt)->dbname);
            break;
        case T_RenameStmt: {
            RenameStmt *r = reinterpret_cast<RenameStmt *>(stmt);
            if (r->renameType == OBJECT_DATABASE) pause_by_name(r->subname);
            break;
        }
        case T_AlterDatabaseStmt: {
            AlterDatabaseStmt *a = reinterpret_cast<AlterDatabaseStmt *>(stmt);
            ListCell *lc;
            foreach (lc, a->options)
                if (std::strcmp(lfirst_node(DefElem, lc)->defname, "tablespace") == 0) pause_by_name(a->dbname);
            break;
        }
        case T_CreatedbStmt: {
            CreatedbStmt *c = reinterpret_cast<CreatedbStmt *>(stmt);
            const char *templ = "template1";
            ListCell *lc;
            foreach (lc, c->options) {
                DefElem *d = lfirst_node(DefElem, lc);
                if (std::strcmp(d->defname, "template") == 0 && d->arg) templ = defGetString(d);
            }
            pause_by_name(templ);
            notify_launcher_at_commit = true;  // the new database may have pgstreamx
            break;
        }
        case T_DropStmt: {
            DropStmt *d = reinterpret_cast<DropStmt *>(stmt);
            if (d->removeType == OBJECT_EXTENSION) notify_worker_at_commit = true;
            break;
        }
        default:
            break;
    }
    if (prev_utility_hook)
        prev_utility_hook(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
    else
        standard_ProcessUtility(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
}

}  // namespace

// ---- public -----------------------------------------------------------------------------

void define_gucs() {
    DefineCustomBoolVariable("pgstreamx.worker_enabled",
                             "Whether pgstreamx's background workers run maintain() in every database "
                             "that has the extension.",
                             "Off: no workers (schedule CALL pgstreamx.maintain() with pg_cron instead).",
                             &guc_enabled, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.naptime", "Pause between two maintain() rounds of a pgstreamx worker.",
                            nullptr, &guc_naptime_ms, 10000, 100, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.max_workers", "Most pgstreamx workers at once (one per database).",
                            "Bounded by max_worker_processes - 1 (the launcher takes one slot).",
                            &guc_max_workers, 4, 1, 262143, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
}

void register_shmem() {
    shmem::register_segment({segment_name, shmem_size, shmem_init, 1, false});
}

void register_launcher() {
    if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade) return;
    BackgroundWorker w = worker_template("pgstreamx_launcher_main");
    snprintf(w.bgw_name, BGW_MAXLEN, "pgstreamx launcher");
    snprintf(w.bgw_type, BGW_MAXLEN, "pgstreamx launcher");
    RegisterBackgroundWorker(&w);
}

void install_utility_hook() {
    prev_utility_hook = ProcessUtility_hook;
    ProcessUtility_hook = utility_hook;
}

void at_xact_end(bool commit) noexcept {
    if (holds_maintenance_lock && !commit) release_maintenance_lock();
    if (!state) {
        nlocal_pauses = 0;
        notify_launcher_at_commit = notify_worker_at_commit = false;
        return;
    }
    if (nlocal_pauses == 0 && !notify_launcher_at_commit && !notify_worker_at_commit) return;
    LWLockAcquire(the_lock(), LW_EXCLUSIVE);
    for (int i = 0; i < nlocal_pauses; i++)
        if (DbEntry *e = find_entry(local_pauses[i]); e && e->pauses > 0) e->pauses--;
    if (commit && notify_launcher_at_commit && OidIsValid(MyDatabaseId)) {
        DbEntry *e = find_entry(MyDatabaseId);
        if (e && e->state == db_absent) e->state = db_probe;
    }
    if (commit && notify_worker_at_commit && OidIsValid(MyDatabaseId)) {
        DbEntry *e = find_entry(MyDatabaseId);
        if (e && e->latch) SetLatch(e->latch);
    }
    if (nlocal_pauses > 0 || (commit && notify_launcher_at_commit)) set_launcher_latch_locked();
    LWLockRelease(the_lock());
    nlocal_pauses = 0;
    notify_launcher_at_commit = notify_worker_at_commit = false;
}

bool try_maintenance_lock() {
    if (holds_maintenance_lock) return true;  // this session runs maintain() already (nested CALL)
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, lock_classid, lock_objid, 1);
    if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL) return false;
    holds_maintenance_lock = true;
    return true;
}

void release_maintenance_lock() {
    if (!holds_maintenance_lock) return;
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, lock_classid, lock_objid, 1);
    (void)LockRelease(&tag, ExclusiveLock, true);
    holds_maintenance_lock = false;
}

}  // namespace pgstreamx::worker

void pgstreamx_launcher_main(Datum) {
    pgstreamx::boundary([]() { pgstreamx::worker::launcher_main(); });
}

void pgstreamx_worker_main(Datum arg) {
    pgstreamx::boundary([arg]() { pgstreamx::worker::worker_main(arg); });
}

// pgstreamx._worker_notify(): called at the end of the install script; when
// CREATE EXTENSION commits, the launcher is woken and starts this database's
// worker. Does nothing when pgstreamx is not preloaded.
PGSTREAMX_FUNCTION(pgstreamx__worker_notify) {
    pgstreamx::worker::notify_launcher_at_commit = true;
    PG_RETURN_VOID();
}

// pgstreamx._maintenance_lock() -> boolean: takes maintain()'s session
// advisory lock of this database without waiting; false if another session
// holds it. Released by _maintenance_unlock() or when the transaction aborts.
PGSTREAMX_FUNCTION(pgstreamx__maintenance_lock) {
    PG_RETURN_BOOL(pgstreamx::worker::try_maintenance_lock());
}

PGSTREAMX_FUNCTION(pgstreamx__maintenance_unlock) {
    pgstreamx::worker::release_maintenance_lock();
    PG_RETURN_VOID();
}

// pgstreamx._workers() -> TABLE(datid oid, state text, pid int, started_at timestamptz):
// the launcher's view of the databases (needs shared_preload_libraries).
PGSTREAMX_FUNCTION(pgstreamx__workers) {
    pgstreamx::require_preloaded("pgstreamx.workers");
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    using namespace pgstreamx::worker;
    static const char *const names[] = {"free", "probing", "no extension", "active"};
    DbEntry copy[64];
    for (int base = 0; base < max_databases; base += 64) {
        LWLockAcquire(the_lock(), LW_SHARED);
        std::memcpy(copy, &state->dbs[base], sizeof copy);
        LWLockRelease(the_lock());
        for (const DbEntry &e : copy) {
            if (e.state == db_free) continue;
            Datum values[5] = {ObjectIdGetDatum(e.dboid), CStringGetTextDatum(names[e.state]),
                               Int32GetDatum(e.pid), TimestampTzGetDatum(e.started), BoolGetDatum(e.pauses > 0)};
            bool nulls[5] = {false, false, e.pid == 0, e.pid == 0, false};
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        }
    }
    return static_cast<Datum>(0);
}
