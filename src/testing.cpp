// testing.cpp - entry points that exist only to test pgstreamx's mechanisms
// (the error bridge, memory helpers, wake-ups) from SQL.
//
// They are compiled into the product library but are not declared by the
// pgstreamx extension: only the test-only extension pgstreamx_test
// (test/modules/pgstreamx_test, installed by test/run.sh, never by
// `make install`) creates SQL functions for them. Testing the very library we
// ship, rather than a rebuilt copy, is the point.
#include "pgstreamx/core/names.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/memory.hpp"
#include "pgstreamx/offsets.hpp"
#include "pgstreamx/wakeup.hpp"


namespace {

// Backend-local count of Tracker destructions (a plain static: no C++
// static initialisation).
int64 destroyed = 0;

struct Tracker {
    int64 payload[4] = {1, 2, 3, 4};
    ~Tracker() { destroyed++; }
};

std::string text_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return {};
    return std::string(text_to_cstring(PG_GETARG_TEXT_PP(n)));
}

pgstreamx::SqlState parse_sqlstate(const std::string &s) {
    if (s.size() != 5)
        throw pgstreamx::Error(pgstreamx::sqlstate::invalid_parameter_value,
                               "sqlstate must be 5 characters");
    char c[6] = {s[0], s[1], s[2], s[3], s[4], '\0'};
    return pgstreamx::SqlState(c);
}

}  // namespace

// pgstreamx_test.raise(sqlstate, message, detail, hint): throws pgstreamx::Error.
PGSTREAMX_FUNCTION(pgstreamx_test_raise) {
    throw pgstreamx::Error(parse_sqlstate(text_arg(fcinfo, 0)), text_arg(fcinfo, 1),
                           text_arg(fcinfo, 2), text_arg(fcinfo, 3));
}

// pgstreamx_test.throw_cxx(kind): throws a foreign C++ exception.
PGSTREAMX_FUNCTION(pgstreamx_test_throw_cxx) {
    std::string kind = text_arg(fcinfo, 0);
    if (kind == "bad_alloc") throw std::bad_alloc();
    if (kind == "runtime_error") throw std::runtime_error("a std::runtime_error escaped");
    if (kind == "int") throw 42;
    throw pgstreamx::Error(pgstreamx::sqlstate::invalid_parameter_value,
                           "unknown exception kind \"" + kind + "\"", {},
                           "Use bad_alloc, runtime_error or int.");
}

// pgstreamx_test.guarded_error(sqlstate, message, detail): ereport inside pg_call.
PGSTREAMX_FUNCTION(pgstreamx_test_guarded_error) {
    std::string state = text_arg(fcinfo, 0), message = text_arg(fcinfo, 1),
                detail = text_arg(fcinfo, 2);
    pgstreamx::SqlState s = parse_sqlstate(state);
    const char *m = message.c_str();
    const char *d = detail.c_str();
    pgstreamx::pg_call([&]() {
        ereport(ERROR, (errcode(MAKE_SQLSTATE(s.code[0], s.code[1], s.code[2], s.code[3],
                                              s.code[4])),
                        errmsg("%s", m), errdetail("%s", d), errhint("raised by ereport")));
    });
    PG_RETURN_VOID();
}

// pgstreamx_test.guarded_divide(a, b): int4div inside pg_call (22012 on b = 0).
PGSTREAMX_FUNCTION(pgstreamx_test_guarded_divide) {
    Datum a = PG_GETARG_DATUM(0), b = PG_GETARG_DATUM(1);
    Tracker t;  // a live C++ object across the PostgreSQL call
    return pgstreamx::pg_call([&]() { return DirectFunctionCall2(int4div, a, b); });
}

// pgstreamx_test.guarded_sleep(seconds): pg_sleep inside pg_call, so a
// statement_timeout or cancel (57014) is raised from inside PostgreSQL.
PGSTREAMX_FUNCTION(pgstreamx_test_guarded_sleep) {
    Datum secs = PG_GETARG_DATUM(0);
    Tracker t;
    pgstreamx::pg_call([&]() { (void)DirectFunctionCall1(pg_sleep, secs); });
    PG_RETURN_VOID();
}

// pgstreamx_test.destructors(mode): a Tracker lives in this frame, then
// 'cxx' throws a C++ exception, 'pg' raises a PostgreSQL error via pg_call,
// 'ok' returns. Its destructor must run on all three paths.
PGSTREAMX_FUNCTION(pgstreamx_test_destructors) {
    std::string mode = text_arg(fcinfo, 0);
    Tracker t;
    std::vector<std::string> v{"heap", "allocated", "strings"};  // more to unwind
    if (mode == "cxx")
        throw pgstreamx::Error(pgstreamx::sqlstate::invalid_parameter_value,
                               "c++ error with live objects");
    if (mode == "pg")
        pgstreamx::pg_call([]() {
            ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO),
                            errmsg("postgres error with live c++ objects")));
        });
    PG_RETURN_INT32(static_cast<int32>(v.size()));
}

// pgstreamx_test.destroyed() -> bigint: Tracker destructions in this backend.
PGSTREAMX_FUNCTION(pgstreamx_test_destroyed) { PG_RETURN_INT64(destroyed); }

// pgstreamx_test.owned(fail): a Tracker owned by TopTransactionContext; with
// fail = true the call then raises an ERROR directly (no C++ object on the
// stack), so the object dies with the aborted transaction's context.
PGSTREAMX_FUNCTION(pgstreamx_test_owned) {
    bool fail = PG_GETARG_BOOL(0);
    (void)pgstreamx::make_owned<Tracker>(TopTransactionContext);
    if (fail)
        ereport(ERROR, (errcode(ERRCODE_RAISE_EXCEPTION), errmsg("failing after make_owned")));
    PG_RETURN_VOID();
}

// pgstreamx_test.stl_sum(n): fills an mvector with 1..n in a child context
// and returns the sum; the context must hold the vector's buffer.
PGSTREAMX_FUNCTION(pgstreamx_test_stl_sum) {
    int32 n = PG_GETARG_INT32(0);
    MemoryContext cxt =
        AllocSetContextCreate(CurrentMemoryContext, "pgstreamx test", ALLOCSET_DEFAULT_SIZES);
    int64 sum = 0;
    Size used = 0;
    {
        pgstreamx::mvector<int64> v{pgstreamx::McxtAllocator<int64>(cxt)};
        for (int32 i = 1; i <= n; i++) v.push_back(i);
        used = MemoryContextMemAllocated(cxt, false);
        for (int64 x : v) sum += x;
    }
    MemoryContextDelete(cxt);
    if (n > 0 && used < static_cast<Size>(n) * sizeof(int64))
        throw pgstreamx::Error(pgstreamx::sqlstate::internal_error,
                               "vector buffer is not in the memory context");
    PG_RETURN_INT64(sum);
}

// pgstreamx_test.alloc(bytes): allocates through McxtAllocator<char>.
PGSTREAMX_FUNCTION(pgstreamx_test_alloc) {
    int64 bytes = PG_GETARG_INT64(0);
    if (bytes < 0)
        throw pgstreamx::Error(pgstreamx::sqlstate::invalid_parameter_value,
                               "bytes must not be negative");
    pgstreamx::McxtAllocator<char> a(CurrentMemoryContext);
    char *p = a.allocate(static_cast<std::size_t>(bytes));
    a.deallocate(p, static_cast<std::size_t>(bytes));
    PG_RETURN_INT64(bytes);
}

// pgstreamx_test.validate_name(kind, name): the I9 allow-list.
PGSTREAMX_FUNCTION(pgstreamx_test_validate_name) {
    pgstreamx::names::validate(text_arg(fcinfo, 0), text_arg(fcinfo, 1));
    PG_RETURN_BOOL(true);
}

// Wake-ups: generation(key), notify(key) at commit, wait(key, seen, timeout_ms).
PGSTREAMX_FUNCTION(pgstreamx_test_wakeup_generation) {
    uint64 ch = pgstreamx::wakeup::channel(MyDatabaseId, static_cast<uint64>(PG_GETARG_INT64(0)));
    PG_RETURN_INT64(static_cast<int64>(pgstreamx::wakeup::generation(ch)));
}

PGSTREAMX_FUNCTION(pgstreamx_test_wakeup_notify) {
    uint64 ch = pgstreamx::wakeup::channel(MyDatabaseId, static_cast<uint64>(PG_GETARG_INT64(0)));
    pgstreamx::wakeup::notify_at_commit(ch);
    PG_RETURN_VOID();
}

PGSTREAMX_FUNCTION(pgstreamx_test_wakeup_wait) {
    uint64 ch = pgstreamx::wakeup::channel(MyDatabaseId, static_cast<uint64>(PG_GETARG_INT64(0)));
    uint64 seen = static_cast<uint64>(PG_GETARG_INT64(1));
    int32 timeout_ms = PG_GETARG_INT32(2);
    PG_RETURN_BOOL(pgstreamx::wakeup::wait(ch, seen, timeout_ms));
}

// pgstreamx_test.crash_unguarded(): the NEGATIVE CONTROL for the bridge. It
// lets a C++ exception escape into PostgreSQL without boundary(), which
// std::terminate()s the backend (SIGABRT) and sends the whole cluster through
// crash recovery. test/t/002_bridge_crash.pl uses it to prove that its crash
// detector can see a crash at all.
extern "C" {
PGDLLEXPORT Datum pgstreamx_test_crash_unguarded(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(pgstreamx_test_crash_unguarded);
}

namespace {
[[noreturn]] void throw_through_c() { throw std::runtime_error("escaped without the bridge"); }
}  // namespace

Datum pgstreamx_test_crash_unguarded(PG_FUNCTION_ARGS) {
    (void)fcinfo;
    // An exception leaving a noexcept frame: the runtime calls std::terminate().
    []() noexcept { throw_through_c(); }();
    PG_RETURN_VOID();
}

// pgstreamx_test.pause_after_horizon(lock_key bigint): from now on, this
// backend's poll() stops between computing its horizons and taking its read
// snapshot until it can take the shared advisory lock `lock_key` (an
// isolation spec holds it exclusively, commits something, then releases it).
// NULL turns the pause off.
namespace {
int64 pause_lock_key = 0;

void pause_at_lock() {
    // Blocks while another session holds the advisory lock exclusively:
    // isolationtester sees a lock wait.
    (void)DirectFunctionCall1(pg_advisory_lock_shared_int8, Int64GetDatum(pause_lock_key));
    (void)DirectFunctionCall1(pg_advisory_unlock_shared_int8, Int64GetDatum(pause_lock_key));
}
}  // namespace

PGSTREAMX_FUNCTION(pgstreamx_test_pause_after_horizon) {
    if (PG_ARGISNULL(0)) {
        pgstreamx::offsets::after_horizon_hook = nullptr;
    } else {
        pause_lock_key = PG_GETARG_INT64(0);
        pgstreamx::offsets::after_horizon_hook = pause_at_lock;
    }
    PG_RETURN_VOID();
}
