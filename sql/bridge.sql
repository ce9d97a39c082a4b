-- The C++ <-> PostgreSQL error bridge (src/error.cpp), through the test-only
-- extension pgstreamx_test (src/testing.cpp).
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION pgstreamx_test;
SET search_path = pgstreamx_test, public;

SELECT pg_backend_pid() AS pid \gset

-- C++ -> PostgreSQL: our Error keeps its SQLSTATE, message, detail and hint.
SELECT raise('22023', 'invalid thing', 'some detail', 'do this instead');
SELECT error_of($$SELECT pgstreamx_test.raise('22023', 'invalid thing', 'some detail', 'do this instead')$$);
SELECT error_of($$SELECT pgstreamx_test.raise('42P01', 'no detail or hint')$$);
SELECT error_of($$SELECT pgstreamx_test.raise('P0001', 'ünïcödé message ✓')$$);
-- A message longer than the bridge's buffer is cut at a character boundary.
SELECT length(m) AS len, right(m, 3) AS tail
FROM (SELECT split_part(error_of(format('SELECT pgstreamx_test.raise(%L, %L)', '22023', repeat('é', 5000))), ' | ', 2) AS m) s;

-- Foreign C++ exceptions: bad_alloc -> 53200; std::exception -> XX000; others -> XX000.
SELECT throw_cxx('bad_alloc');
SELECT error_of($$SELECT pgstreamx_test.throw_cxx('runtime_error')$$);
SELECT error_of($$SELECT pgstreamx_test.throw_cxx('int')$$);

-- None of that crashed the backend: same process, still usable.
SELECT pg_backend_pid() = :pid AS same_backend;

-- PostgreSQL -> C++ -> PostgreSQL: errors raised inside pg_call keep their
-- SQLSTATE, message and detail.
SELECT guarded_error('23505', 'duplicate thing', 'key (x)=(1) exists');
SELECT error_of($$SELECT pgstreamx_test.guarded_error('40P01', 'deadlock detected', 'a detail')$$);
SELECT guarded_divide(7, 2);
SELECT guarded_divide(1, 0);
-- A cancel raised deep inside PostgreSQL (statement_timeout) keeps 57014.
\set VERBOSITY sqlstate
SET statement_timeout = '100ms';
SELECT guarded_sleep(5);
RESET statement_timeout;
SELECT guarded_divide(1, 0);
\set VERBOSITY default

-- Destructors of C++ objects on the stack run on every path.
SELECT destroyed() AS before \gset
SELECT destructors('ok');
SELECT destructors('cxx');
SELECT destructors('pg');
SELECT destroyed() - :before AS destroyed_on_three_paths;

-- An error in a subtransaction is caught by PL/pgSQL as usual and the
-- transaction goes on.
BEGIN;
SELECT error_of($$SELECT pgstreamx_test.guarded_divide(1, 0)$$);
SELECT guarded_divide(9, 3) AS still_fine_in_same_transaction;
COMMIT;

SELECT pg_backend_pid() = :pid AS same_backend;
