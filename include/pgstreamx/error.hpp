// error.hpp - the bridge between C++ exceptions and PostgreSQL's ereport.
//
// Two directions, two tools:
//
//  * C++ -> PostgreSQL: every SQL-callable function, trigger, hook and
//    callback runs its body through pgstreamx::boundary() (for fmgr functions
//    use the PGSTREAMX_FUNCTION macro). boundary() catches every C++ exception,
//    copies what it needs into plain storage inside the catch block, and raises
//    the PostgreSQL ERROR only after the catch block has ended:
//      pgstreamx::Error    -> its SQLSTATE, message, detail, hint
//      pgstreamx::PgError  -> the original ErrorData, re-raised unchanged
//      std::bad_alloc      -> 53200 out of memory
//      std::exception      -> XX000 with what()
//      anything else       -> XX000
//
//  * PostgreSQL -> C++: ereport(ERROR) is a longjmp that skips C++ destructors.
//    Code that holds live C++ objects calls PostgreSQL functions that may
//    raise through pgstreamx::pg_call(lambda). pg_call runs the lambda under
//    PG_TRY; on error it copies the ErrorData, flushes the error state and
//    throws PgError, which unwinds C++ normally and is re-raised unchanged
//    (same SQLSTATE, message, detail, hint) by the boundary.
//    After a PgError the transaction is in an error state: unwind, do not call
//    PostgreSQL again (except to free memory) until the boundary re-raises it.
//
// Code that builds no C++ objects with non-trivial destructors may call
// PostgreSQL directly; see docs/architecture.md, "Errors".
#pragma once

#include "pgstreamx/core/error.hpp"
#include "pgstreamx/pg.hpp"

namespace pgstreamx {

// A PostgreSQL error caught by pg_call(). Owns a copy of the ErrorData
// (allocated in the memory context that was current when pg_call was entered).
class PgError : public std::exception {
public:
    explicit PgError(ErrorData *edata);  // takes ownership; may throw bad_alloc

    const char *what() const noexcept override;
    int sqlerrcode() const noexcept;
    // Gives up ownership of the ErrorData (to the boundary that re-raises it).
    ErrorData *release() const noexcept;

private:
    struct Holder;
    std::shared_ptr<Holder> holder_;  // shared: exception objects must be copyable
};

namespace detail {

// What boundary() keeps of an exception between its catch block and the
// ereport. Plain storage only: nothing in a catch block may allocate with
// palloc or ereport, because a longjmp out of a catch block corrupts the C++
// runtime's exception state.
struct PendingError {
    ErrorData *edata;   // set for PgError: re-raised as it is
    int sqlerrcode;     // for everything else
    char message[2048];
    char detail[4096];
    char hint[1024];
};

// Fills `out` from the exception currently being handled. Call only inside a
// catch block. Never throws, never calls PostgreSQL.
void capture_current_exception(PendingError &out) noexcept;

// Raises `err` as a PostgreSQL ERROR. Call only outside any catch block.
[[noreturn]] void raise(const PendingError &err);

// Runs fn(arg) under PG_TRY. Returns nullptr, or a copy of the error (made in
// `cxt`) after flushing the error state. fn must not let a C++ exception out.
ErrorData *run_guarded(void (*fn)(void *), void *arg, MemoryContext cxt) noexcept;

}  // namespace detail

// Runs f() and turns any C++ exception into a PostgreSQL ERROR raised after
// the catch. Use at every entry point that PostgreSQL calls.
template <typename F>
auto boundary(F &&f) -> decltype(f()) {
    detail::PendingError pending;
    try {
        return f();
    } catch (...) {
        detail::capture_current_exception(pending);
    }
    detail::raise(pending);
}

// Calls f() (which calls PostgreSQL functions that may ereport) so that an
// ERROR becomes a C++ PgError exception. f's result must be trivially
// copyable (Datum, pointers, integers) or void. Keep f small: it must not hold
// C++ objects with non-trivial destructors across a PostgreSQL call.
template <typename F>
auto pg_call(F &&f) -> decltype(f()) {
    using R = decltype(f());
    using Fn = std::remove_reference_t<F>;
    struct Ctx {
        Fn *fn;
        std::conditional_t<std::is_void_v<R>, char, R> result;
        std::exception_ptr cxx_error;  // a C++ exception thrown by f itself
    };
    static_assert(std::is_void_v<R> || std::is_trivially_copyable_v<R>,
                  "pg_call: the lambda must return void or a trivially copyable value");
    Ctx ctx{&f, {}, nullptr};
    auto thunk = [](void *p) {
        Ctx *c = static_cast<Ctx *>(p);
        try {
            if constexpr (std::is_void_v<R>)
                (*c->fn)();
            else
                c->result = (*c->fn)();
        } catch (...) {
            c->cxx_error = std::current_exception();
        }
    };
    if (ErrorData *edata = detail::run_guarded(thunk, &ctx, CurrentMemoryContext))
        throw PgError(edata);
    if (ctx.cxx_error) std::rethrow_exception(ctx.cxx_error);
    if constexpr (!std::is_void_v<R>) return ctx.result;
}

// Throws pgstreamx::Error 55000 unless pgstreamx was loaded through
// shared_preload_libraries (its shared memory exists). `what` names the
// feature in the message.
void require_preloaded(const char *what);

}  // namespace pgstreamx

// Defines a SQL-callable function `name` (extern "C", V1 calling convention)
// whose body runs inside pgstreamx::boundary(). Usage:
//
//   PGSTREAMX_FUNCTION(pgstreamx_version) {
//       return CStringGetTextDatum(PGSTREAMX_VERSION);
//   }
//
// The body sees `fcinfo` as usual (PG_GETARG_*, PG_RETURN_*).
#define PGSTREAMX_FUNCTION(name)                                                     \
    extern "C" {                                                                     \
    PGDLLEXPORT Datum name(PG_FUNCTION_ARGS);                                        \
    PG_FUNCTION_INFO_V1(name);                                                       \
    }                                                                                \
    static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo);                            \
    Datum name(PG_FUNCTION_ARGS) {                                                   \
        return ::pgstreamx::boundary([fcinfo]() { return name##_impl(fcinfo); });    \
    }                                                                                \
    static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo)
