-- Retention (invariant I7): segments rotate and are TRUNCATEd only when past
-- retention AND past every consumer AND nothing in flight can land in them.
-- Time passing is simulated by moving the catalog's timestamps back, so the
-- test does not depend on the machine's speed.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;
-- Boundaries never depend on the session's time zone (I8).
SET TimeZone = 'Pacific/Kiritimati';

SELECT pgstreamx.create_stream('ret', 2, retention => '1 hour', segments => 3);
CREATE FUNCTION pg_temp.segments() RETURNS TABLE(segment int, state text, end_seq bigint[], rows bigint)
LANGUAGE sql AS $$
    SELECT s.segment, s.state, s.end_seq,
           (SELECT count(*) FROM pgstreamx.s_ret m WHERE m.segment = s.segment)
    FROM pgstreamx.stream_segments s JOIN pgstreamx.stream_config c ON c.id = s.stream_id
    WHERE c.name = 'ret' ORDER BY s.segment $$;
CREATE FUNCTION pg_temp.age(by interval) RETURNS void LANGUAGE sql AS $$
    UPDATE pgstreamx.stream_segments SET opened_at = opened_at - by, sealed_at = sealed_at - by $$;

SELECT * FROM pg_temp.segments();
SELECT count(pgstreamx.append('ret', jsonb_build_object('i', i), key => 'k' || i)) FROM generate_series(1, 10) i;
SELECT pgstreamx.create_consumer('ret', 'slow');

-- Not due (the current segment is younger than retention / (segments - 1)).
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();

-- Due: the current segment is sealed exactly where each partition's seqs end;
-- new messages go to the next segment.
SELECT pg_temp.age('31 minutes');
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT count(pgstreamx.append('ret', jsonb_build_object('j', i), key => 'k' || i)) FROM generate_series(1, 4) i;
SELECT * FROM pg_temp.segments();
SELECT bool_and(m.seq < s.end_seq[m.partition + 1]) AS sealed_rows_below_end_seq
FROM pgstreamx.s_ret m JOIN pgstreamx.stream_segments s ON s.segment = m.segment AND s.state = 'sealed';

-- Within retention: kept.
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();

-- Past retention, but a consumer has not read it: kept, and logged.
SELECT pg_temp.age('2 hours');
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT action, detail FROM pgstreamx.maintenance_log WHERE object = 'ret' ORDER BY id;

-- The consumer reads and commits segment 0: it is truncated; the rest stays readable.
SELECT count(*) AS polled FROM pgstreamx.poll('ret', 'slow', 1000);
SELECT partition, pgstreamx.commit_offset('ret', 'slow', partition, max(seq))
FROM pgstreamx.s_ret WHERE segment = 0 GROUP BY partition ORDER BY partition;
CALL pgstreamx.maintain();
SELECT * FROM pg_temp.segments();
SELECT count(*) AS still_readable FROM pgstreamx.poll('ret', 'fresh_reader', 1000);
SELECT action FROM pgstreamx.maintenance_log WHERE object = 'ret' AND action = 'truncated';

-- (A seq still in flight, and a reader holding the segment: see
-- test/specs/stream_retention.spec.)

-- An abandoned consumer expires and stops pinning retention.
SELECT pgstreamx.create_consumer('ret', 'abandoned');
UPDATE pgstreamx.consumer_offsets SET last_seen = now() - interval '8 days' WHERE consumer = 'abandoned';
CALL pgstreamx.maintain();
SELECT consumer, count(*) FROM pgstreamx.consumer_offsets GROUP BY 1 ORDER BY 1;
SELECT count(*) AS expiry_logged FROM pgstreamx.maintenance_log WHERE object = 'ret' AND action = 'consumer_expired';

-- Metrics views.
SELECT name, partitions, current_segment, messages, bytes > 0 AS has_size,
       oldest_inflight_since IS NULL AS nothing_in_flight
FROM pgstreamx.streams WHERE name = 'ret';
SELECT consumer, partition, committed_seq, lag_messages, lag_age > interval '0' AS lagging
FROM pgstreamx.consumers WHERE stream = 'ret' ORDER BY 1, 2;

-- An operator with the pgstreamx_admin role (not a superuser) can run it.
CREATE ROLE pgstreamx_regress_operator IN ROLE pgstreamx_admin;
SET ROLE pgstreamx_regress_operator;
CALL pgstreamx.maintain();
SELECT count(*) > 0 AS sees_log FROM pgstreamx.maintenance_log;
RESET ROLE;
DROP ROLE pgstreamx_regress_operator;

-- The explicit max_lag policy (I7's one exception): a sealed segment older
-- than max_lag goes even if a consumer has not read it; what it loses is
-- counted per consumer and per stream, and the consumer resumes after it.
SELECT error_of($$SELECT pgstreamx.create_stream('bad_lag', max_lag => '-1 s')$$);
SELECT pgstreamx.create_stream('lag', 2, retention => '1 hour', segments => 3, max_lag => '1 day');
SELECT pgstreamx.create_consumer('lag', 'behind');
SELECT pgstreamx.create_consumer('lag', 'partly');
SELECT count(pgstreamx.append('lag', jsonb_build_object('i', i), key => 'k' || i)) FROM generate_series(1, 10) i;
-- 'partly' has read partition 0 up to its second message.
SELECT count(*) AS partly_polled FROM pgstreamx.poll('lag', 'partly', 1000);
SELECT pgstreamx.commit_offset('lag', 'partly', 0, (SELECT min(seq) + 1 FROM pgstreamx.s_lag WHERE partition = 0));
UPDATE pgstreamx.stream_segments s SET opened_at = opened_at - interval '31 minutes'
FROM pgstreamx.stream_config c WHERE c.id = s.stream_id AND c.name = 'lag';
CALL pgstreamx.maintain();   -- rotates: segment 0 sealed
SELECT count(pgstreamx.append('lag', jsonb_build_object('j', i), key => 'k' || i)) FROM generate_series(1, 3) i;
-- Past retention, not past max_lag: pinned, as without the policy.
UPDATE pgstreamx.stream_segments s SET sealed_at = sealed_at - interval '2 hours'
FROM pgstreamx.stream_config c WHERE c.id = s.stream_id AND c.name = 'lag';
CALL pgstreamx.maintain();
SELECT segment, state FROM pgstreamx.stream_segments s JOIN pgstreamx.stream_config c ON c.id = s.stream_id
WHERE c.name = 'lag' ORDER BY segment;
-- Past max_lag: truncated; the loss is counted and logged.
UPDATE pgstreamx.stream_segments s SET sealed_at = sealed_at - interval '1 day'
FROM pgstreamx.stream_config c WHERE c.id = s.stream_id AND c.name = 'lag' AND s.state = 'sealed';
CALL pgstreamx.maintain();
SELECT segment, state FROM pgstreamx.stream_segments s JOIN pgstreamx.stream_config c ON c.id = s.stream_id
WHERE c.name = 'lag' ORDER BY segment;
SELECT consumer, partition, dropped_unread, lag_messages FROM pgstreamx.consumers WHERE stream = 'lag' ORDER BY 1, 2;
SELECT name, max_lag, dropped_unread, messages FROM pgstreamx.streams WHERE name = 'lag';
SELECT count(*) AS dropped_logged FROM pgstreamx.maintenance_log WHERE object = 'lag' AND action = 'dropped_unread';
-- The consumers go on with what is left: the 3 newer messages, nothing twice.
SELECT count(*) AS behind_reads FROM pgstreamx.poll('lag', 'behind', 1000);
-- alter_stream changes retention and the policy.
SELECT pgstreamx.alter_stream('lag', retention => '2 hours', max_lag => '3 days');
SELECT retention, max_lag FROM pgstreamx.stream_config WHERE name = 'lag';
SELECT pgstreamx.alter_stream('lag', drop_max_lag => true);
SELECT retention, max_lag FROM pgstreamx.stream_config WHERE name = 'lag';
SELECT error_of($$SELECT pgstreamx.alter_stream('lag', retention => '0 s')$$);
SELECT error_of($$SELECT pgstreamx.alter_stream('lag', max_lag => '1 day', drop_max_lag => true)$$);
SELECT error_of($$SELECT pgstreamx.alter_stream('nope', retention => '1 day')$$);
SELECT pgstreamx.drop_stream('lag');

-- Step functions: errors.
SELECT error_of($$SELECT pgstreamx.truncate_segment('nope', 0)$$);
SELECT error_of($$SELECT pgstreamx.rotate_stream('nope')$$);
SELECT error_of($$SELECT pgstreamx.seal_segment('nope', 0)$$);
SELECT pgstreamx.drop_stream('ret');
