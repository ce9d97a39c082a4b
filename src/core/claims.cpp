// claims.cpp - see include/pgstreamx/core/claims.hpp
#include "pgstreamx/core/claims.hpp"

#include <cstring>
#include <limits>

namespace pgstreamx::claims {

namespace {

// Consecutive msg_ids fill consecutive slots: linear probing stays short.
inline std::uint32_t home(const Window &w, std::int64_t id) noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(id) & static_cast<std::uint64_t>(w.capacity - 1));
}

}  // namespace

void init(Window &w, Slot *slots, std::int32_t capacity, std::int64_t next_new) noexcept {
    w.next_new = next_new;
    w.nn_segment = -1;
    w.min_due = std::numeric_limits<std::int64_t>::max();
    w.capacity = capacity;
    w.used = 0;
    std::memset(static_cast<void *>(slots), 0, sizeof(Slot) * static_cast<std::size_t>(capacity));
}

Slot *find(const Window &w, Slot *slots, std::int64_t msg_id) noexcept {
    const std::uint32_t mask = static_cast<std::uint32_t>(w.capacity - 1);
    for (std::uint32_t i = home(w, msg_id), n = 0; n < static_cast<std::uint32_t>(w.capacity); i = (i + 1) & mask, n++) {
        if (slots[i].state == empty) return nullptr;
        if (slots[i].msg_id == msg_id) return &slots[i];
    }
    return nullptr;
}

Slot *insert(Window &w, Slot *slots, std::int64_t msg_id) noexcept {
    if (Slot *s = find(w, slots, msg_id)) return s;
    if (w.used >= limit(w)) return nullptr;
    const std::uint32_t mask = static_cast<std::uint32_t>(w.capacity - 1);
    std::uint32_t i = home(w, msg_id);
    while (slots[i].state != empty) i = (i + 1) & mask;
    slots[i] = Slot{msg_id, 0, 0, 0, 0, held};
    w.used++;
    return &slots[i];
}

void erase(Window &w, Slot *slots, Slot *slot) noexcept {
    const std::uint32_t mask = static_cast<std::uint32_t>(w.capacity - 1);
    std::uint32_t i = static_cast<std::uint32_t>(slot - slots);
    slots[i].state = empty;
    w.used--;
    // Backward shift: move later entries of the same probe run into the hole
    // unless their home lies cyclically in (i, j].
    for (std::uint32_t j = (i + 1) & mask; slots[j].state != empty; j = (j + 1) & mask) {
        const std::uint32_t k = home(w, slots[j].msg_id);
        const bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        slots[i] = slots[j];
        slots[j].state = empty;
        i = j;
    }
}

void advance(Window &w, Slot *slots, std::int64_t to) noexcept {
    if (to <= w.next_new) return;
    w.next_new = to;
    for (std::int32_t i = 0; i < w.capacity;) {
        Slot &s = slots[i];
        if (s.state == done && s.msg_id < to) {
            erase(w, slots, &s);  // may shift a later slot into i: look at i again
            continue;
        }
        i++;
    }
}

std::int64_t floor(const Window &w, const Slot *slots) noexcept {
    std::int64_t f = w.next_new;
    for (std::int32_t i = 0; i < w.capacity; i++)
        if ((slots[i].state == held || slots[i].state == pending) && slots[i].msg_id < f) f = slots[i].msg_id;
    return f;
}

void clear(Window &w, Slot *slots) noexcept {
    std::memset(static_cast<void *>(slots), 0, sizeof(Slot) * static_cast<std::size_t>(w.capacity));
    w.used = 0;
    w.min_due = std::numeric_limits<std::int64_t>::max();
}

}  // namespace pgstreamx::claims
