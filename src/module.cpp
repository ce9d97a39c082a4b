// module.cpp - the library's entry: PG_MODULE_MAGIC, _PG_init (GUCs, shared
// memory, callbacks) and the SQL functions about pgstreamx itself.
#include "pgstreamx/module.hpp"

#include "pgstreamx/error.hpp"
#include "pgstreamx/offsets.hpp"
#include "pgstreamx/queue.hpp"
#include "pgstreamx/shmem.hpp"
#include "pgstreamx/stream.hpp"
#include "pgstreamx/wakeup.hpp"
#include "pgstreamx/worker.hpp"

#ifndef PGSTREAMX_VERSION
#error "PGSTREAMX_VERSION must be defined by the build (see Makefile)"
#endif

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

namespace pgstreamx {

const char *library_version() noexcept { return PGSTREAMX_VERSION; }

namespace {

// The one transaction callback of pgstreamx. Order matters: in-flight seqs
// are released before wake-ups are sent, so a woken reader sees them gone.
void xact_callback(XactEvent event, void *) {
    boundary([event]() {
        switch (event) {
            case XACT_EVENT_PRE_PREPARE:
                offsets::before_prepare();  // may refuse: the PREPARE fails
                queue::before_prepare();
                break;
            case XACT_EVENT_COMMIT:
            case XACT_EVENT_PARALLEL_COMMIT:
                offsets::at_xact_end(true);
                queue::at_xact_end(true);
                wakeup::at_xact_end(true);
                worker::at_xact_end(true);
                break;
            case XACT_EVENT_ABORT:
            case XACT_EVENT_PARALLEL_ABORT:
            case XACT_EVENT_PREPARE:
                offsets::at_xact_end(false);
                queue::at_xact_end(false);
                wakeup::at_xact_end(false);
                worker::at_xact_end(false);
                break;
            default:
                break;
        }
    });
}

// Claims made in a rolled-back subtransaction (a savepoint, a PL/pgSQL
// exception block) are undone with it.
void subxact_callback(SubXactEvent event, SubTransactionId sub, SubTransactionId, void *) {
    if (event != SUBXACT_EVENT_ABORT_SUB) return;
    boundary([sub]() { queue::at_subxact_abort(sub); });
}

}  // namespace

}  // namespace pgstreamx

void _PG_init(void) {
    pgstreamx::boundary([]() {
        // Shared memory and PGC_POSTMASTER settings exist only when loaded at
        // server start (defining a PGC_POSTMASTER GUC later is FATAL). Loaded
        // later (CREATE EXTENSION without preloading), everything that does
        // not need them still works and the rest raises 55000
        // (require_preloaded).
        const bool preloading = process_shared_preload_libraries_in_progress;
        if (preloading) {
            pgstreamx::wakeup::define_gucs();
            pgstreamx::offsets::define_gucs();
            pgstreamx::queue::define_gucs();
        }

        pgstreamx::stream::define_gucs();
        pgstreamx::worker::define_gucs();

        // Reserve the prefix so that a misspelt pgstreamx.* setting is an
        // error instead of a silent placeholder.
        MarkGUCPrefixReserved("pgstreamx");

        RegisterXactCallback(pgstreamx::xact_callback, nullptr);
        RegisterSubXactCallback(pgstreamx::subxact_callback, nullptr);

        if (!preloading) return;
        pgstreamx::wakeup::register_shmem();
        pgstreamx::offsets::register_shmem();
        pgstreamx::queue::register_shmem();
        pgstreamx::worker::register_shmem();
        pgstreamx::worker::register_launcher();
        pgstreamx::worker::install_utility_hook();
        pgstreamx::shmem::install_hooks();
    });
}

// pgstreamx.version() -> text: the version of the loaded library.
PGSTREAMX_FUNCTION(pgstreamx_version) {
    return CStringGetTextDatum(pgstreamx::library_version());
}

// pgstreamx.shared_memory() -> TABLE(segment text, bytes bigint):
// the shared memory segments pgstreamx created at server start.
PGSTREAMX_FUNCTION(pgstreamx_shared_memory) {
    pgstreamx::require_preloaded("pgstreamx.shared_memory()");
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (int i = 0; i < pgstreamx::shmem::segment_count(); i++) {
        const pgstreamx::shmem::Segment &seg = pgstreamx::shmem::segment_at(i);
        Datum values[2] = {CStringGetTextDatum(seg.name),
                           Int64GetDatum(static_cast<int64>(seg.size()))};
        bool nulls[2] = {false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}
