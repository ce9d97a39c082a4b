// shmem.cpp - registry of pgstreamx shared-memory segments. See shmem.hpp.
#include "pgstreamx/shmem.hpp"

#include "pgstreamx/error.hpp"

namespace pgstreamx::shmem {

namespace {

constexpr int max_segments = 16;
constexpr const char *tranche_name = "pgstreamx";

// Plain (trivially constructed) statics only: no C++ static initialisers.
Segment segments[max_segments];
int nsegments = 0;
bool is_attached = false;

shmem_request_hook_type prev_request_hook = nullptr;
shmem_startup_hook_type prev_startup_hook = nullptr;

int total_lwlocks() {
    int n = 0;
    for (int i = 0; i < nsegments; i++) n += segments[i].lwlocks;
    return n;
}

void request_hook() {
    if (prev_request_hook) prev_request_hook();
    Size total = 0;
    for (int i = 0; i < nsegments; i++) total = add_size(total, MAXALIGN(segments[i].size()));
    RequestAddinShmemSpace(total);
    if (int n = total_lwlocks(); n > 0) RequestNamedLWLockTranche(tranche_name, n);
}

void startup_hook() {
    if (prev_startup_hook) prev_startup_hook();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    for (int i = 0; i < nsegments; i++) {
        if (segments[i].allocates_itself) {
            segments[i].init(nullptr, false);
            continue;
        }
        bool found = false;
        void *address = ShmemInitStruct(segments[i].name, segments[i].size(), &found);
        segments[i].init(address, found);
    }
    LWLockRelease(AddinShmemInitLock);
    is_attached = true;
}

}  // namespace

void register_segment(const Segment &segment) {
    if (!process_shared_preload_libraries_in_progress)
        elog(ERROR, "pgstreamx: shared memory can only be registered at server start");
    if (nsegments >= max_segments) elog(ERROR, "pgstreamx: too many shared memory segments");
    segments[nsegments++] = segment;
}

void install_hooks() {
    prev_request_hook = shmem_request_hook;
    shmem_request_hook = request_hook;
    prev_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_hook;
}

bool attached() noexcept { return is_attached; }

LWLock *lwlock(const char *segment_name, int idx) {
    int base = 0;
    for (int i = 0; i < nsegments; i++) {
        if (std::strcmp(segments[i].name, segment_name) == 0) {
            if (idx < 0 || idx >= segments[i].lwlocks)
                throw Error(sqlstate::internal_error, "pgstreamx: lwlock index out of range");
            return &GetNamedLWLockTranche(tranche_name)[base + idx].lock;
        }
        base += segments[i].lwlocks;
    }
    throw Error(sqlstate::internal_error,
                std::string("pgstreamx: unknown shared memory segment ") + segment_name);
}

int segment_count() noexcept { return nsegments; }
const Segment &segment_at(int i) noexcept { return segments[i]; }

}  // namespace pgstreamx::shmem
