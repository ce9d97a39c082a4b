-- maintain(): what it does is counted in pgstreamx.maintenance_stats, and
-- nothing it decides depends on the session's TimeZone (invariant I8). This
-- server runs with pgstreamx.worker_enabled = off, so only this session
-- calls maintain().
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;
UPDATE pgstreamx.maintenance_counters SET value = 0, last_at = NULL;

CREATE FUNCTION pg_temp.stats() RETURNS TABLE(rounds bigint, skipped_busy bigint, truncated bigint,
    skipped_locked bigint, rotated bigint, expired bigint, ran boolean, running boolean)
LANGUAGE sql AS $$
    SELECT rounds, skipped_busy, segments_truncated, segments_skipped_locked, segments_rotated,
           consumers_expired, last_round_at IS NOT NULL, running_pid IS NOT NULL
    FROM pgstreamx.maintenance_stats $$;
CREATE FUNCTION pg_temp.age(by interval) RETURNS void LANGUAGE sql AS $$
    UPDATE pgstreamx.stream_segments SET opened_at = opened_at - by, sealed_at = sealed_at - by $$;

SELECT * FROM pg_temp.stats();
SELECT pgstreamx.create_stream('mt', 2, retention => '1 hour', segments => 3);
CREATE FUNCTION pg_temp.segments() RETURNS TABLE(segment int, state text, rows bigint)
LANGUAGE sql AS $$
    SELECT s.segment, s.state, (SELECT count(*) FROM pgstreamx.s_mt m WHERE m.segment = s.segment)
    FROM pgstreamx.stream_segments s JOIN pgstreamx.stream_config c ON c.id = s.stream_id
    WHERE c.name = 'mt' ORDER BY s.segment $$;
SELECT count(pgstreamx.append('mt', jsonb_build_object('i', i), key => 'k' || i)) FROM generate_series(1, 10) i;

-- Sessions far east of UTC drop nothing live: the segments are minutes old.
SET TimeZone = 'Asia/Kolkata';
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SET TimeZone = 'Pacific/Kiritimati';
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT * FROM pg_temp.stats();

-- Due for rotation (older than retention / (segments - 1)): rotated once,
-- counted once; from Kiritimati (UTC+14) the sealed segment is still kept.
SELECT pg_temp.age('31 minutes');
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SET TimeZone = 'Asia/Kolkata';
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT * FROM pg_temp.stats();

-- Past retention and no consumer holds it: truncated, counted.
SELECT pg_temp.age('2 hours');
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT * FROM pg_temp.stats();
SELECT action FROM pgstreamx.maintenance_log WHERE object = 'mt' ORDER BY id;

-- (A segment in use is skipped with NOWAIT and counted as
-- segments_skipped_locked: see test/specs/maintain_locked.spec.)

-- The maintenance lock: held by this session, maintain() in this session
-- nests; the lock is released at its end.
SELECT pgstreamx._maintenance_lock() AS locked;
SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory' AND classid = 1885827960 AND objid = 1 AND pid = pg_backend_pid();
CALL pgstreamx.maintain();
SELECT count(*) AS held_after FROM pg_locks WHERE locktype = 'advisory' AND classid = 1885827960 AND objid = 1 AND pid = pg_backend_pid();
-- An aborted transaction releases it too.
BEGIN;
SELECT pgstreamx._maintenance_lock() AS locked;
ROLLBACK;
SELECT count(*) AS held_after_abort FROM pg_locks WHERE locktype = 'advisory' AND classid = 1885827960 AND objid = 1 AND pid = pg_backend_pid();

-- _count validates its input.
SELECT error_of($$SELECT pgstreamx._count('no_such_counter')$$);
SELECT error_of($$SELECT pgstreamx._count('rounds', -1)$$);
SELECT error_of($$SELECT pgstreamx._count(NULL)$$);

-- Privileges: nothing for PUBLIC; the admin role reads the stats.
SELECT has_table_privilege('public', 'pgstreamx.maintenance_stats', 'SELECT') AS public_stats,
       has_table_privilege('pgstreamx_admin', 'pgstreamx.maintenance_stats', 'SELECT') AS admin_stats,
       has_function_privilege('public', 'pgstreamx._count(text, bigint)', 'EXECUTE') AS public_count,
       has_function_privilege('pgstreamx_admin', 'pgstreamx._maintenance_lock()', 'EXECUTE') AS admin_lock,
       has_function_privilege('pgstreamx_admin', 'pgstreamx._worker_notify()', 'EXECUTE') AS admin_notify;

-- The launcher's view: this server has worker_enabled = off, so no database is active.
SELECT count(*) AS active FROM pgstreamx.workers WHERE state = 'active';
SELECT pgstreamx.drop_stream('mt');
RESET TimeZone;
