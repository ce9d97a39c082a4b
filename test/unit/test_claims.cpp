#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "pgstreamx/core/claims.hpp"

namespace cl = pgstreamx::claims;

namespace {
struct Q {
    cl::Window w;
    std::vector<cl::Slot> s;
    explicit Q(int cap = 16, std::int64_t nn = 1) : s(static_cast<size_t>(cap)) { cl::init(w, s.data(), cap, nn); }
    cl::Slot *find(std::int64_t id) { return cl::find(w, s.data(), id); }
    cl::Slot *insert(std::int64_t id) { return cl::insert(w, s.data(), id); }
};
}  // namespace

TEST(Claims, InsertFindErase) {
    Q q;
    EXPECT_EQ(q.find(5), nullptr);
    cl::Slot *a = q.insert(5);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->state, cl::held);
    EXPECT_EQ(a->read_ct, 0);
    EXPECT_EQ(a->vt, 0);
    EXPECT_EQ(q.insert(5), a) << "inserting an existing id returns its slot";
    EXPECT_EQ(q.w.used, 1);
    cl::erase(q.w, q.s.data(), a);
    EXPECT_EQ(q.find(5), nullptr);
    EXPECT_EQ(q.w.used, 0);
}

TEST(Claims, FullWindowRefusesInsert) {
    Q q(8);
    for (int i = 0; i < cl::limit(q.w); i++) ASSERT_NE(q.insert(100 + i), nullptr);
    EXPECT_EQ(q.insert(999), nullptr);
    EXPECT_NE(q.insert(100), nullptr) << "an existing slot is still found";
}

TEST(Claims, EraseKeepsCollidingEntriesFindable) {
    // Random inserts and erases against a std::map model, including ids that
    // collide (same home modulo the capacity) and wrap around the table end.
    Q q(64);
    std::map<std::int64_t, int> model;
    std::mt19937_64 rng(42);
    for (int step = 0; step < 20000; step++) {
        std::int64_t id = static_cast<std::int64_t>(rng() % 200) * ((rng() & 1) ? 64 : 1) + 60;
        if (rng() % 3 != 0) {
            cl::Slot *s = q.insert(id);
            if (s) {
                s->read_ct = static_cast<std::int32_t>(id % 1000);
                model[id] = s->read_ct;
            } else {
                EXPECT_FALSE(model.count(id));
                EXPECT_GE(q.w.used, cl::limit(q.w));
            }
        } else if (cl::Slot *s = q.find(id)) {
            ASSERT_TRUE(model.count(id));
            cl::erase(q.w, q.s.data(), s);
            model.erase(id);
        } else {
            EXPECT_FALSE(model.count(id));
        }
        ASSERT_EQ(q.w.used, static_cast<int>(model.size()));
    }
    for (auto &[id, rc] : model) {
        cl::Slot *s = q.find(id);
        ASSERT_NE(s, nullptr) << id;
        EXPECT_EQ(s->read_ct, rc);
    }
}

TEST(Claims, AdvanceErasesDoneSlotsBelowOnly) {
    Q q(16, 1);
    for (int id = 1; id <= 6; id++) q.insert(id)->state = cl::done;
    q.find(3)->state = cl::held;  // still claimed
    q.find(4)->state = cl::pending;
    cl::advance(q.w, q.s.data(), 5);
    EXPECT_EQ(q.w.next_new, 5);
    EXPECT_EQ(q.find(1), nullptr);
    EXPECT_EQ(q.find(2), nullptr);
    EXPECT_NE(q.find(3), nullptr) << "held slots below next_new stay: they may be delivered again";
    EXPECT_NE(q.find(4), nullptr);
    EXPECT_NE(q.find(5), nullptr) << "done at or above next_new stays: a scan must skip it";
    EXPECT_NE(q.find(6), nullptr);
    cl::advance(q.w, q.s.data(), 2);
    EXPECT_EQ(q.w.next_new, 5) << "never moves down";
}

TEST(Claims, FloorIsTheLowestUnfinished) {
    Q q(16, 10);
    EXPECT_EQ(cl::floor(q.w, q.s.data()), 10);
    q.insert(12)->state = cl::held;
    EXPECT_EQ(cl::floor(q.w, q.s.data()), 10) << "above next_new: next_new is lower";
    q.insert(7)->state = cl::pending;
    q.insert(4)->state = cl::done;
    EXPECT_EQ(cl::floor(q.w, q.s.data()), 7);
}

TEST(Claims, Deliverable) {
    cl::Slot s{1, 100, 0, 1, 0, cl::held};
    EXPECT_FALSE(cl::deliverable(s, 99));
    EXPECT_TRUE(cl::deliverable(s, 100));
    s.state = cl::pending;
    EXPECT_FALSE(cl::deliverable(s, 1000)) << "an ack in an open transaction holds the message";
}

TEST(Claims, ClearKeepsNextNew) {
    Q q(16, 8);
    q.insert(9);
    cl::clear(q.w, q.s.data());
    EXPECT_EQ(q.w.used, 0);
    EXPECT_EQ(q.find(9), nullptr);
    EXPECT_EQ(q.w.next_new, 8);
}
