#include <gtest/gtest.h>

#include <vector>

#include "pgstreamx/core/inflight.hpp"

namespace inf = pgstreamx::inflight;

namespace {
struct Partition {
    inf::State s;
    std::vector<inf::Holder> h;
    explicit Partition(int cap = 4) : h(cap) { inf::init(s, cap); }
    inf::Grant alloc(int proc, std::int64_t n = 1, std::int64_t now = 0) {
        return inf::allocate(s, h.data(), proc, now, n);
    }
    std::int64_t horizon(int self = -1) const { return inf::horizon(s, h.data(), self); }
};
}  // namespace

TEST(Inflight, NothingLoadedMeansNoHorizonAndNeedChunk) {
    Partition p;
    EXPECT_EQ(p.horizon(), inf::no_horizon);
    EXPECT_EQ(p.alloc(1).status, inf::Alloc::need_chunk);
}

TEST(Inflight, AllocatesFromTheChunkAndRegistersTheHolder) {
    Partition p;
    ASSERT_TRUE(inf::begin_refill(p.s));
    EXPECT_EQ(p.alloc(1).status, inf::Alloc::refilling);
    ASSERT_TRUE(inf::install_chunk(p.s, 1, 1000, 0));
    inf::Grant g = p.alloc(1, 1);
    EXPECT_EQ(g.status, inf::Alloc::ok);
    EXPECT_EQ(g.first, 1);
    EXPECT_EQ(g.granted, 1);
    EXPECT_EQ(p.horizon(), 1) << "seq 1 is in flight";
    EXPECT_EQ(p.horizon(1), 2) << "its own holder does not hold back the holder";
    EXPECT_TRUE(inf::release(p.s, p.h.data(), 1, true));
    EXPECT_EQ(p.horizon(), 2);
    EXPECT_FALSE(inf::release(p.s, p.h.data(), 1, true));
}

TEST(Inflight, LateCommitHoldsTheHorizonBelowTheSlowProducer) {
    // slow producer gets n, fast producer gets n+1 and commits: the horizon
    // stays at n until the slow one ends.
    Partition p;
    inf::install_chunk(p.s, 100, 1000, 0);
    EXPECT_EQ(p.alloc(7).first, 100);   // slow
    EXPECT_EQ(p.alloc(8).first, 101);   // fast
    inf::release(p.s, p.h.data(), 8, true);   // fast commits
    EXPECT_EQ(p.horizon(), 100);
    inf::release(p.s, p.h.data(), 7, true);   // slow commits
    EXPECT_EQ(p.horizon(), 102);
}

TEST(Inflight, HolderKeepsItsLowestSeqAcrossAllocations) {
    Partition p;
    inf::install_chunk(p.s, 1, 1000, 0);
    p.alloc(1, 10);               // 1..10
    p.alloc(2, 5);                // 11..15
    p.alloc(1, 5);                // 16..20, holder 1 keeps min 1
    inf::release(p.s, p.h.data(), 2, true);
    EXPECT_EQ(p.horizon(), 1);
    inf::release(p.s, p.h.data(), 1, true);
    EXPECT_EQ(p.horizon(), 21);
}

TEST(Inflight, BatchesAreCutAtTheChunkEnd) {
    Partition p;
    inf::install_chunk(p.s, 1, 10, 0);
    inf::Grant g = p.alloc(1, 25);
    EXPECT_EQ(g.first, 1);
    EXPECT_EQ(g.granted, 10);
    EXPECT_EQ(p.alloc(1, 15).status, inf::Alloc::need_chunk);
    ASSERT_TRUE(inf::begin_refill(p.s));
    ASSERT_TRUE(inf::install_chunk(p.s, 11, 10, 0));
    g = p.alloc(1, 15);
    EXPECT_EQ(g.first, 11);
    EXPECT_EQ(g.granted, 10);
    EXPECT_EQ(p.horizon(), 1) << "still the first seq of the transaction";
}

TEST(Inflight, ChunksNeverGoBackwards) {
    Partition p;
    inf::install_chunk(p.s, 1001, 1000, 0);
    p.alloc(1);
    EXPECT_FALSE(inf::install_chunk(p.s, 1, 1000, 0)) << "a stale chunk is ignored";
    EXPECT_EQ(p.alloc(2).first, 1002);
}

TEST(Inflight, CapacityIsEnforced) {
    Partition p(2);
    inf::install_chunk(p.s, 1, 1000, 0);
    EXPECT_EQ(p.alloc(1).status, inf::Alloc::ok);
    EXPECT_EQ(p.alloc(2).status, inf::Alloc::ok);
    EXPECT_EQ(p.alloc(3).status, inf::Alloc::holders_full);
    EXPECT_EQ(p.alloc(1).status, inf::Alloc::ok) << "an existing holder can go on";
    inf::release(p.s, p.h.data(), 1, true);
    EXPECT_EQ(p.alloc(3).status, inf::Alloc::ok);
}

TEST(Inflight, OldestSinceIsTheOldestHolder) {
    Partition p;
    inf::install_chunk(p.s, 1, 1000, 0);
    EXPECT_EQ(inf::oldest_since(p.s, p.h.data()), -1);
    p.alloc(1, 1, 500);
    p.alloc(2, 1, 300);
    p.alloc(3, 1, 900);
    EXPECT_EQ(inf::oldest_since(p.s, p.h.data()), 300);
    inf::release(p.s, p.h.data(), 2, true);
    EXPECT_EQ(inf::oldest_since(p.s, p.h.data()), 500);
}

// A randomised model check: many interleaved transactions; at any time every
// seq below the horizon (ignoring nobody) belongs to an ended transaction.
TEST(Inflight, HorizonNeverPassesAnOpenSeq) {
    Partition p(16);
    std::uint64_t rng = 12345;
    auto rand = [&]() { return rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; };
    std::vector<std::vector<std::int64_t>> open(16);
    std::int64_t chunk_start = 1;
    for (int step = 0; step < 20000; step++) {
        int proc = static_cast<int>(rand() >> 60);
        if (rand() % 3 == 0) {
            inf::release(p.s, p.h.data(), proc, true);
            open[proc].clear();
        } else {
            inf::Grant g = p.alloc(proc, 1 + static_cast<std::int64_t>(rand() % 5));
            if (g.status == inf::Alloc::need_chunk) {
                ASSERT_TRUE(inf::begin_refill(p.s));
                inf::install_chunk(p.s, chunk_start, 64, 0);
                chunk_start += 64 + static_cast<std::int64_t>(rand() % 3);  // gaps are fine
                continue;
            }
            ASSERT_EQ(g.status, inf::Alloc::ok);
            for (std::int64_t k = 0; k < g.granted; k++) open[proc].push_back(g.first + k);
        }
        std::int64_t h = p.horizon();
        for (auto &seqs : open)
            for (std::int64_t s : seqs) ASSERT_GE(s, h) << "step " << step;
    }
}

TEST(Inflight, MayHaveNewerTracksCommitsNotAborts) {
    Partition p;
    EXPECT_TRUE(inf::may_have_newer(p.s, 1000)) << "unknown until loaded";
    inf::install_chunk(p.s, 1, 1000, 0);
    EXPECT_FALSE(inf::may_have_newer(p.s, 0));
    p.alloc(1, 3);  // 1..3
    p.alloc(2, 2);  // 4..5
    EXPECT_FALSE(inf::may_have_newer(p.s, 0)) << "nothing committed yet";
    inf::release(p.s, p.h.data(), 2, false);  // abort
    EXPECT_FALSE(inf::may_have_newer(p.s, 0));
    inf::release(p.s, p.h.data(), 1, true);   // commit 1..3
    EXPECT_TRUE(inf::may_have_newer(p.s, 2));
    EXPECT_FALSE(inf::may_have_newer(p.s, 3));
}

TEST(Inflight, SegmentSwitchSplitsSeqsExactly) {
    Partition p;
    Partition q;
    EXPECT_EQ(inf::switch_segment(q.s, 1), -1) << "nothing handed out before loading";
    inf::install_chunk(q.s, 1, 1000, 0);  // a stale catalog value does not win
    EXPECT_EQ(q.alloc(1).segment, 1);
    inf::install_chunk(p.s, 1, 1000, 2);  // first load: segment from the catalog
    EXPECT_EQ(p.alloc(1, 3).segment, 2);  // 1..3
    EXPECT_EQ(inf::switch_segment(p.s, 3), 4);
    inf::Grant g = p.alloc(1, 2);         // 4..5 after the switch
    EXPECT_EQ(g.first, 4);
    EXPECT_EQ(g.segment, 3);
    ASSERT_TRUE(inf::begin_refill(p.s));
    inf::install_chunk(p.s, 1001, 1000, 0);  // a refill keeps the switched segment
    p.alloc(2, 1000);
    EXPECT_EQ(p.alloc(2, 1).status, inf::Alloc::need_chunk);
    ASSERT_TRUE(inf::begin_refill(p.s));
    inf::install_chunk(p.s, 2001, 1000, 0);
    EXPECT_EQ(p.alloc(2, 1).segment, 3);
}

TEST(Inflight, RowsBeforeTheFirstChunkCountAsCommitted) {
    // After a restart the first chunk starts above everything that exists:
    // what is below may be unread, so a reader must look.
    Partition p;
    inf::install_chunk(p.s, 33001, 1000, 0);
    EXPECT_TRUE(inf::may_have_newer(p.s, 2));
    EXPECT_FALSE(inf::may_have_newer(p.s, 33000));
}
