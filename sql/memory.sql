-- Memory helpers (include/pgstreamx/memory.hpp).
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

-- STL containers in a memory context.
SELECT stl_sum(0), stl_sum(1), stl_sum(100000);
SELECT alloc(1024);
-- A request beyond what a memory context can give is a clean 53200, not a
-- PostgreSQL ERROR thrown from inside STL code.
SELECT alloc(9223372036854775807);
SELECT alloc(-1);

-- An object owned by TopTransactionContext lives until the transaction ends
-- and is destroyed on commit ...
SELECT destroyed() AS base \gset
BEGIN;
SELECT owned(false);
SELECT destroyed() - :base AS destroyed_while_open;
COMMIT;
SELECT destroyed() - :base AS destroyed_after_commit;
-- ... and when the query errors and the transaction aborts.
SELECT owned(true);
SELECT destroyed() - :base AS destroyed_after_error;
BEGIN;
SELECT owned(false);
SELECT owned(false);
ROLLBACK;
SELECT destroyed() - :base AS destroyed_after_rollback;
