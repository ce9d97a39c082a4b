// shmem.hpp - pgstreamx's shared memory: one registry of named segments.
//
// Each area that needs shared memory (wake-ups today; offset counters and the
// in-flight registry later) registers a segment from _PG_init with its size
// and initialiser. module.cpp's shmem_request_hook asks PostgreSQL for the
// total, and its shmem_startup_hook creates (or, in EXEC_BACKEND builds,
// attaches to) every segment. Nothing exists unless pgstreamx is in
// shared_preload_libraries: code that needs shared memory calls
// pgstreamx::require_preloaded() (error.hpp) first, which raises 55000.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::shmem {

struct Segment {
    const char *name;              // ShmemInitStruct key, e.g. "pgstreamx wakeup"
    Size (*size)();                // bytes needed; called after GUCs are final
    void (*init)(void *, bool);    // (address, found): set up when !found
    int lwlocks;                   // LWLocks this segment needs from the tranche
    // True when init() allocates the memory itself (e.g. ShmemInitHash, which
    // takes its space from the request but names its own structure): init
    // is then called with (nullptr, false) and the registry only requests size.
    bool allocates_itself;
};

// Registers a segment. Only from _PG_init while shared_preload_libraries is
// being processed; at most 16 segments.
void register_segment(const Segment &segment);

// Installs the shmem request/startup hooks (called once from _PG_init).
void install_hooks();

// True once this backend is attached to pgstreamx's shared memory.
bool attached() noexcept;

// The idx-th LWLock of the "pgstreamx" tranche reserved for `segment_name`.
LWLock *lwlock(const char *segment_name, int idx);

// For pgstreamx.shared_memory(): the registered segments.
int segment_count() noexcept;
const Segment &segment_at(int i) noexcept;

}  // namespace pgstreamx::shmem
