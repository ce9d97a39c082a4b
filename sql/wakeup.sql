-- Wake-ups (src/wakeup.cpp), single-session behaviour. Cross-session
-- wake-ups are in test/specs/wakeup.spec and test/t/003_wakeup.pl.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

SELECT wakeup_generation(1) AS g0 \gset
-- Nothing happens before commit, nothing on rollback ...
BEGIN;
SELECT wakeup_notify(1);
SELECT wakeup_generation(1) - :g0 AS moved_before_commit;
ROLLBACK;
SELECT wakeup_generation(1) - :g0 AS moved_after_rollback;
-- ... one bump per committed transaction, however many notifies it made.
BEGIN;
SELECT wakeup_notify(1);
SELECT wakeup_notify(1);
SAVEPOINT s;
SELECT wakeup_notify(1);
RELEASE s;
COMMIT;
SELECT wakeup_generation(1) - :g0 AS moved_after_commit;
-- An autocommit statement is its own transaction.
SELECT wakeup_notify(1);
SELECT wakeup_generation(1) - :g0 AS moved_after_autocommit;
-- More distinct channels than the per-transaction list holds: all are woken.
SELECT wakeup_generation(1000) AS h0 \gset
BEGIN;
SELECT count(wakeup_notify(k)) FROM generate_series(1000, 1200) k;
COMMIT;
SELECT wakeup_generation(1000) > :h0 AS overflow_woke_channel;

-- wait: returns at once when the generation already moved, false on timeout.
SELECT wakeup_wait(1, :g0, 10000) AS woken_immediately;
SELECT wakeup_wait(1, 50) AS timed_out_is_false;
SELECT wakeup_wait(1, 0) AS zero_timeout;
-- Interruptible: statement_timeout cancels a long wait with 57014.
\set VERBOSITY sqlstate
SET statement_timeout = '100ms';
SELECT wakeup_wait(1, 600000);
RESET statement_timeout;
\set VERBOSITY default
