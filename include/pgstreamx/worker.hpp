// worker.hpp - the background launcher and the per-database workers
// (DESIGN.md §3, "Background worker"; docs/architecture.md, "Background
// worker"; docs/operations.md).
//
//  * One launcher ("pgstreamx launcher"), registered from _PG_init only while
//    shared_preload_libraries is processed and not in binary upgrade, started
//    once recovery has finished. Connected to no database, it reads
//    pg_database and keeps one worker per database that is neither a
//    template nor refuses connections.
//  * A worker ("pgstreamx worker") first looks for the extension: without it
//    the database is marked "absent" and the worker exits 0 (not restarted);
//    with it, it runs CALL pgstreamx.maintain() every pgstreamx.naptime.
//    CREATE EXTENSION pgstreamx wakes the launcher at commit (the install
//    script calls pgstreamx._worker_notify()); DROP EXTENSION wakes the
//    worker at commit, which then exits 0.
//  * A ProcessUtility hook stops the worker of a database before DROP
//    DATABASE, ALTER DATABASE ... RENAME / SET TABLESPACE and CREATE DATABASE
//    ... TEMPLATE, and keeps the launcher from restarting it until the
//    transaction ends (PostgreSQL 15 refuses those commands while any other
//    session is connected to the database).
//  * maintain() itself is serialised per database by a session advisory
//    lock (try_maintenance_lock), released at the end of maintain() or when
//    the transaction holding it aborts.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::worker {

// GUCs pgstreamx.worker_enabled, naptime, max_workers (always defined; they
// matter only when pgstreamx is preloaded).
void define_gucs();

// Shared memory (the launcher's table of databases) and the launcher itself;
// only while shared_preload_libraries is processed.
void register_shmem();
void register_launcher();

// The ProcessUtility hook (only when preloaded).
void install_utility_hook();

// From the pgstreamx transaction callback: sends the wake-ups recorded during
// the transaction (commit only) and lifts the pauses taken by the utility
// hook (commit or abort); releases the maintenance lock on abort.
void at_xact_end(bool commit) noexcept;

// The advisory lock of maintain(): pg_locks shows it as locktype 'advisory',
// classid 1885827960 ('pgsx'), objid 1, objsubid 1, in the database.
bool try_maintenance_lock();
void release_maintenance_lock();

}  // namespace pgstreamx::worker
