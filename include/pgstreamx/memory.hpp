// memory.hpp - C++ objects and containers in PostgreSQL memory contexts.
//
//  * McxtAllocator<T>: an STL allocator that takes memory from a memory
//    context. It never raises a PostgreSQL ERROR (that would longjmp out of
//    STL code): allocation failure throws std::bad_alloc, which the boundary
//    turns into SQLSTATE 53200. Memory is freed with the container, or all at
//    once when the context is reset or deleted (the container must then be
//    dead too: tie it to the context with make_owned).
//
//  * make_owned<T>(cxt, args...): constructs a T inside `cxt` and registers a
//    reset callback that runs ~T() when the context is reset or deleted,
//    including when the transaction or query that owns it aborts. Use it for
//    C++ state that must live longer than one C++ scope (per query, per
//    transaction, per backend under TopMemoryContext). ~T() runs inside a
//    memory-context callback: it must not throw and must not ereport. Child
//    contexts are deleted before a context's callbacks run, so T must not own
//    memory in a child of `cxt` (use `cxt` itself or a longer-lived context).
#pragma once

#include <vector>

#include "pgstreamx/pg.hpp"

namespace pgstreamx {

template <typename T>
class McxtAllocator {
public:
    using value_type = T;

    explicit McxtAllocator(MemoryContext cxt) noexcept : cxt_(cxt) {}
    template <typename U>
    McxtAllocator(const McxtAllocator<U> &other) noexcept : cxt_(other.context()) {}

    T *allocate(std::size_t n) {
        static_assert(alignof(T) <= MAXIMUM_ALIGNOF, "over-aligned types need their own allocator");
        if (n > max_size()) throw std::bad_alloc();
        void *p = MemoryContextAllocExtended(cxt_, n * sizeof(T),
                                             MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
        if (!p) throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, std::size_t) noexcept { pfree(p); }
    std::size_t max_size() const noexcept { return MaxAllocHugeSize / sizeof(T); }

    MemoryContext context() const noexcept { return cxt_; }

    template <typename U>
    bool operator==(const McxtAllocator<U> &o) const noexcept { return cxt_ == o.context(); }
    template <typename U>
    bool operator!=(const McxtAllocator<U> &o) const noexcept { return cxt_ != o.context(); }

private:
    MemoryContext cxt_;
};

// A std::vector whose buffer lives in a memory context.
template <typename T>
using mvector = std::vector<T, McxtAllocator<T>>;

namespace detail {
template <typename T>
struct Owned {
    MemoryContextCallback callback;
    alignas(T) unsigned char storage[sizeof(T)];
};
}  // namespace detail

template <typename T, typename... Args>
T *make_owned(MemoryContext cxt, Args &&...args) {
    static_assert(std::is_nothrow_destructible_v<T>, "~T() runs in a memory-context callback");
    using Block = detail::Owned<T>;
    void *raw = MemoryContextAllocExtended(cxt, sizeof(Block), MCXT_ALLOC_NO_OOM);
    if (!raw) throw std::bad_alloc();
    Block *block = static_cast<Block *>(raw);
    T *obj;
    try {
        obj = new (block->storage) T(std::forward<Args>(args)...);
    } catch (...) {
        pfree(raw);
        throw;
    }
    block->callback.func = [](void *arg) { static_cast<T *>(arg)->~T(); };
    block->callback.arg = obj;
    MemoryContextRegisterResetCallback(cxt, &block->callback);  // links only; cannot fail
    return obj;
}

}  // namespace pgstreamx
