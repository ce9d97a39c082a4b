// inflight.cpp - see include/pgstreamx/core/inflight.hpp
#include "pgstreamx/core/inflight.hpp"

#include <algorithm>

namespace pgstreamx::inflight {

void init(State &s, std::int32_t capacity) noexcept {
    s.next = 0;
    s.chunk_end = 0;
    s.committed_max = 0;
    s.nholders = 0;
    s.capacity = capacity;
    s.segment = 0;
    s.segment_set = false;
    s.loaded = false;
    s.refilling = false;
}

Grant allocate(State &s, Holder *holders, std::int32_t proc, std::int64_t now, std::int64_t n) noexcept {
    if (s.refilling) return {Alloc::refilling, 0, 0, 0};
    if (!s.loaded || s.next >= s.chunk_end) return {Alloc::need_chunk, 0, 0, 0};

    Holder *mine = nullptr;
    for (std::int32_t i = 0; i < s.nholders; i++)
        if (holders[i].proc == proc) {
            mine = &holders[i];
            break;
        }
    if (!mine) {
        if (s.nholders >= s.capacity) return {Alloc::holders_full, 0, 0, 0};
        mine = &holders[s.nholders++];
        mine->proc = proc;
        mine->min_seq = s.next;
        mine->since = now;
    }
    // A holder's seqs only grow, so its lowest seq is the first one it got.
    std::int64_t granted = std::min(n, s.chunk_end - s.next);
    Grant g{Alloc::ok, s.next, granted, s.segment};
    s.next += granted;
    mine->max_seq = s.next - 1;
    return g;
}

bool begin_refill(State &s) noexcept {
    if (s.refilling) return false;
    s.refilling = true;
    return true;
}

bool install_chunk(State &s, std::int64_t start, std::int64_t size, std::int32_t segment) noexcept {
    s.refilling = false;
    if (s.loaded && start < s.chunk_end) return false;
    if (!s.loaded && !s.segment_set) s.segment = segment;
    // On the first load, rows below the chunk may have committed before (an
    // earlier server run, or before an eviction): count them as committed.
    if (!s.loaded) s.committed_max = start - 1;
    s.next = start;
    s.chunk_end = start + size;
    s.loaded = true;
    return true;
}

std::int64_t switch_segment(State &s, std::int32_t segment) noexcept {
    s.segment = segment;
    s.segment_set = true;
    return s.loaded ? s.next : -1;
}

void abort_refill(State &s) noexcept { s.refilling = false; }

bool release(State &s, Holder *holders, std::int32_t proc, bool committed) noexcept {
    for (std::int32_t i = 0; i < s.nholders; i++)
        if (holders[i].proc == proc) {
            if (committed) s.committed_max = std::max(s.committed_max, holders[i].max_seq);
            holders[i] = holders[--s.nholders];
            return true;
        }
    return false;
}

bool may_have_newer(const State &s, std::int64_t after) noexcept {
    return !s.loaded || s.committed_max > after;
}

std::int64_t horizon(const State &s, const Holder *holders, std::int32_t self) noexcept {
    if (!s.loaded) return no_horizon;
    std::int64_t h = s.next;
    for (std::int32_t i = 0; i < s.nholders; i++)
        if (holders[i].proc != self) h = std::min(h, holders[i].min_seq);
    return h;
}

std::int64_t oldest_since(const State &s, const Holder *holders) noexcept {
    std::int64_t oldest = -1;
    for (std::int32_t i = 0; i < s.nholders; i++)
        if (oldest < 0 || holders[i].since < oldest) oldest = holders[i].since;
    return oldest;
}

}  // namespace pgstreamx::inflight
