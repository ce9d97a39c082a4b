-- Streams: create/drop/list, append (jsonb, bytea, keys, topics, headers),
-- append_batch, poll, commit_offset, seek, consumers, and their errors.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

SELECT pgstreamx.create_stream('orders', partitions => 4, retention => '1 day');
SELECT pgstreamx.create_stream('solo');
-- Derived object names cannot collide: stream o_1 is not stream o's segment 1.
SELECT pgstreamx.create_stream('o'), pgstreamx.create_stream('o_1'), pgstreamx.create_stream('o_h0');
SELECT pgstreamx.drop_stream('o'), pgstreamx.drop_stream('o_1'), pgstreamx.drop_stream('o_h0');
SELECT name, partitions, retention, segments, created_at <= now() AS created FROM pgstreamx.list_streams();

-- create_stream errors: nothing is created.
SELECT error_of($$SELECT pgstreamx.create_stream('orders')$$);
SELECT error_of($$SELECT pgstreamx.create_stream('Bad Name')$$);
SELECT error_of($$SELECT pgstreamx.create_stream('x', 0)$$);
SELECT error_of($$SELECT pgstreamx.create_stream('x', 2000)$$);
SELECT error_of($$SELECT pgstreamx.create_stream('x', 1, '-1 day')$$);
SELECT error_of($$SELECT pgstreamx.create_stream('x', 1, '1 day', 1)$$);
SELECT error_of($$SELECT pgstreamx.create_stream(NULL)$$);
SELECT count(*) AS streams FROM pgstreamx.list_streams();

-- append: returns the seq (offset in its partition); the same key always
-- goes to the same partition (stable hash: docs/sql-api.md).
SELECT pgstreamx.append('solo', '{"n": 1}'::jsonb) AS seq;
SELECT pgstreamx.append('solo', '{"n": 2}'::jsonb, key => 'k', headers => '{"h": "v"}', topic => 'a.b') AS seq;
SELECT pgstreamx.append('solo', '\xdeadbeef'::bytea, topic => 'binary') AS seq;
SELECT pgstreamx.append('orders', jsonb_build_object('o', i), key => 'customer-' || (i % 3)) AS seq
FROM generate_series(1, 6) i;
SELECT partition, key, count(*) FROM pgstreamx.s_orders GROUP BY 1, 2 ORDER BY 1, 2;
-- without a key, messages spread over all partitions
SELECT count(pgstreamx.append('orders', '{}'::jsonb)) FROM generate_series(1, 8);
SELECT count(DISTINCT partition) AS partitions_used FROM pgstreamx.s_orders WHERE key IS NULL;

-- append errors: nothing is written.
SELECT count(*) AS before FROM pgstreamx.s_solo \gset
SELECT error_of($$SELECT pgstreamx.append('nope', '{}'::jsonb)$$);
SELECT error_of($$SELECT pgstreamx.append('solo', NULL::jsonb)$$);
SELECT error_of($$SELECT pgstreamx.append(NULL, '{}'::jsonb)$$);
SELECT error_of($$SELECT pgstreamx.append('Solo', '{}'::jsonb)$$);
SET pgstreamx.max_message_size = '1kB';
SELECT error_of(format('SELECT pgstreamx.append(%L, %L::jsonb)', 'solo', jsonb_build_object('big', repeat('x', 2000))));
SELECT error_of(format('SELECT pgstreamx.append(%L, %L::bytea)', 'solo', convert_to(repeat('x', 2000), 'UTF8')));
-- a compressed (TOASTed) value counts at its full size; headers count too
CREATE TEMP TABLE big AS SELECT jsonb_build_object('big', repeat('x', 20000)) AS j;
SELECT pg_column_size(j) < 1024 AS stored_compressed FROM big;
SELECT error_of($$SELECT pgstreamx.append('solo', (SELECT j FROM big))$$);
SELECT error_of($$SELECT pgstreamx.append('solo', '{}'::jsonb, headers => (SELECT j FROM big))$$);
RESET pgstreamx.max_message_size;
SELECT error_of(format('SELECT pgstreamx.append(%L, %L::jsonb, key => %L)', 'solo', '{}', repeat('k', 5000)));
SELECT count(*) - :before AS written_by_errors FROM pgstreamx.s_solo;

-- append_batch: one call, seqs in input order, FIFO per partition.
SELECT * FROM pgstreamx.append_batch('solo', ARRAY['{"b": 1}', '{"b": 2}', '{"b": 3}']::jsonb[],
                                     keys => ARRAY['x', NULL, 'y'], topics => ARRAY['t1', 't2', NULL]);
SELECT * FROM pgstreamx.append_batch('solo', '{}'::jsonb[]);
SELECT error_of($$SELECT pgstreamx.append_batch('solo', ARRAY['{}', '{}']::jsonb[], keys => ARRAY['a'])$$);
SELECT error_of($$SELECT pgstreamx.append_batch('solo', ARRAY['{}', NULL]::jsonb[])$$);
SELECT error_of($$SELECT pgstreamx.append_batch('solo', NULL)$$);
SELECT error_of($$SELECT pgstreamx.append_batch('solo', ARRAY[['{}'], ['{}']]::jsonb[])$$);
SELECT count(*) AS solo_messages FROM pgstreamx.s_solo;

-- poll: a new consumer starts at the earliest message; seq order per partition.
SELECT partition, seq, topic, key, payload, headers, payload_bytes
FROM pgstreamx.poll('solo', 'reader', 100);
SELECT count(*) AS again_without_commit FROM pgstreamx.poll('solo', 'reader');
SELECT pgstreamx.commit_offset('solo', 'reader', 0, 3);
SELECT seq FROM pgstreamx.poll('solo', 'reader', max => 2);
SELECT pgstreamx.commit_offset('solo', 'reader', 0, 6);
SELECT count(*) AS nothing_left FROM pgstreamx.poll('solo', 'reader');
-- the same consumer name per stream is independent
SELECT count(*) AS other_consumer_sees_all FROM pgstreamx.poll('solo', 'other');

-- commit_offset errors
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'reader', 0, 2)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'reader', 0, 1000000)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'reader', 1, 1)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'nobody', 0, 1)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'reader', 0, 6, holder => 'someone-else')$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('solo', 'reader', NULL, 6)$$);

-- Transactional: a rolled-back commit_offset means the messages come again.
SELECT pgstreamx.seek('solo', 'reader', 0, 'earliest');
BEGIN;
SELECT count(*) AS got FROM pgstreamx.poll('solo', 'reader');
SELECT pgstreamx.commit_offset('solo', 'reader', 0, 6);
ROLLBACK;
SELECT count(*) AS got_again FROM pgstreamx.poll('solo', 'reader');

-- seek: to a seq, earliest/latest, a timestamp.
SELECT pgstreamx.seek('solo', 'reader', 0, 5::bigint) AS committed;
SELECT seq FROM pgstreamx.poll('solo', 'reader');
SELECT pgstreamx.seek('solo', 'reader', 0, 'latest') AS committed;
SELECT count(*) AS after_latest FROM pgstreamx.poll('solo', 'reader');
SELECT pgstreamx.seek('solo', 'reader', 0, now() - interval '1 hour') AS committed;
SELECT pgstreamx.seek('solo', 'reader', 0, now() + interval '1 hour') AS committed;
SELECT error_of($$SELECT pgstreamx.seek('solo', 'reader', 0, 'middle')$$);
SELECT error_of($$SELECT pgstreamx.seek('solo', 'reader', 0, 0::bigint)$$);
SELECT error_of($$SELECT pgstreamx.seek('solo', 'reader', 9, 'earliest')$$);
-- Not while another client holds the consumer (I5).
SELECT count(*) >= 0 AS taken FROM pgstreamx.poll('solo', 'leased', 1, holder => 'client-a');
SELECT error_of($$SELECT pgstreamx.seek('solo', 'leased', 0, 'earliest')$$);

-- create_consumer / drop_consumer
SELECT pgstreamx.create_consumer('orders', 'late_joiner', 'latest');
SELECT pgstreamx.create_consumer('orders', 'late_joiner', 'latest') AS created_again;
SELECT count(*) AS nothing_old FROM pgstreamx.poll('orders', 'late_joiner');
SELECT pgstreamx.append('orders', '{"new": true}'::jsonb, key => 'customer-1') IS NOT NULL AS appended;
SELECT payload FROM pgstreamx.poll('orders', 'late_joiner');
SELECT error_of($$SELECT pgstreamx.create_consumer('orders', 'x', 'middle')$$);
SELECT error_of($$SELECT pgstreamx.create_consumer('orders', 'X-1')$$);
SELECT pgstreamx.drop_consumer('orders', 'late_joiner'), pgstreamx.drop_consumer('orders', 'late_joiner');

-- poll errors and limits
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', 0)$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', 10001)$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', 10, '-1 s')$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', 10, '2 hours')$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'Reader')$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', holder => '')$$);
SELECT error_of($$SELECT * FROM pgstreamx.poll('solo', 'reader', holder => 'session:1:2')$$);
-- poll(wait) with nothing to read returns empty after the wait
SELECT count(*) AS empty_after_wait FROM pgstreamx.poll('solo', 'reader', 10, '50 ms');

-- Snapshot isolation would break commit order: refused.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM pgstreamx.poll('solo', 'reader');
ROLLBACK;

-- A transaction that appended cannot be prepared (it would hold back readers).
BEGIN;
SELECT pgstreamx.append('solo', '{"p": 1}'::jsonb) IS NOT NULL AS appended;
PREPARE TRANSACTION 'pgstreamx_regress';
-- ... while one that only read can.
BEGIN;
SELECT count(*) >= 0 AS polled FROM pgstreamx.poll('solo', 'reader');
PREPARE TRANSACTION 'pgstreamx_regress_read';
COMMIT PREPARED 'pgstreamx_regress_read';

-- A savepoint rollback leaves a gap; the consumer moves past it.
SELECT pgstreamx.seek('solo', 'gap', 0, 'latest') IS NOT NULL AS positioned;
BEGIN;
SELECT pgstreamx.append('solo', '{"keep": 1}'::jsonb) AS s1 \gset
SAVEPOINT sp;
SELECT pgstreamx.append('solo', '{"drop": 1}'::jsonb) IS NOT NULL AS appended;
ROLLBACK TO sp;
SELECT pgstreamx.append('solo', '{"keep": 2}'::jsonb) - :s1 AS distance;
COMMIT;
SELECT payload FROM pgstreamx.poll('solo', 'gap');

-- Roles: a producer appends, a consumer polls and commits, others are
-- refused; none of them has rights on pgstreamx's tables. A caller's
-- search_path cannot redirect pgstreamx's own SQL (it runs with pg_catalog
-- only): here a hostile "=" on text that is always false, in a schema
-- searched first (pgstreamx's lookups would then find nothing).
CREATE ROLE pgstreamx_regress_app LOGIN;
CREATE ROLE pgstreamx_regress_worker LOGIN;
CREATE ROLE pgstreamx_regress_nobody2 LOGIN;
GRANT pgstreamx_producer TO pgstreamx_regress_app;
GRANT pgstreamx_consumer TO pgstreamx_regress_worker;
GRANT USAGE ON SCHEMA pgstreamx_test TO PUBLIC;
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE FUNCTION evil.never(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.never);
SET ROLE pgstreamx_regress_app;
SET search_path = evil, pg_catalog;
SELECT pgstreamx.append('solo', '{"from": "app"}'::jsonb) > 0 AS appended_as_producer;
SELECT pgstreamx_test.error_of($$SELECT * FROM pgstreamx.poll('solo', 'x')$$) AS producer_cannot_poll;
SELECT pgstreamx_test.error_of($$SELECT count(*) FROM pgstreamx.s_solo$$) AS no_table_access;
RESET ROLE;
SET ROLE pgstreamx_regress_worker;
SELECT count(*) > 0 AS polled, count(*) FILTER (WHERE payload->>'from' OPERATOR(pg_catalog.=) 'app') AS from_app
FROM pgstreamx.poll('solo', 'worker', 1000);
SELECT pgstreamx.commit_offset('solo', 'worker', 0, 1);
SELECT pgstreamx_test.error_of($$SELECT pgstreamx.append('solo', '{}'::jsonb)$$) AS consumer_cannot_append;
RESET ROLE;
SET ROLE pgstreamx_regress_nobody2;
SELECT pgstreamx_test.error_of($$SELECT pgstreamx.append('solo', '{}'::jsonb)$$) AS nobody;
RESET ROLE;
RESET search_path;
SET search_path = pgstreamx_test, public;
DROP SCHEMA evil CASCADE;
REVOKE USAGE ON SCHEMA pgstreamx_test FROM PUBLIC;
DROP OWNED BY pgstreamx_regress_app, pgstreamx_regress_worker, pgstreamx_regress_nobody2;
DROP ROLE pgstreamx_regress_app, pgstreamx_regress_worker, pgstreamx_regress_nobody2;

-- drop_stream removes its relations and consumers.
SELECT pgstreamx.drop_stream('orders');
SELECT pgstreamx.drop_stream('orders', if_exists => true);
SELECT error_of($$SELECT pgstreamx.drop_stream('orders')$$);
SELECT count(*) AS leftovers FROM pg_class WHERE relnamespace = 'pgstreamx'::regnamespace AND relname LIKE 's\_orders%';
SELECT count(*) AS consumers_left FROM pgstreamx.consumer_offsets o
WHERE NOT EXISTS (SELECT 1 FROM pgstreamx.stream_config c WHERE c.id = o.stream_id);
SELECT pgstreamx.drop_stream('solo');
-- Re-created under the same name in the same session: the backend's cached
-- stream description is not used for the new stream.
SELECT pgstreamx.create_stream('solo', partitions => 3);
SELECT count(pgstreamx.append('solo', '{}'::jsonb, key => 'k' || i)) FROM generate_series(1, 30) i;
SELECT count(DISTINCT partition) AS partitions_used, count(*) AS messages, max(seq) <= 30 AS fresh_seqs
FROM pgstreamx.s_solo;
SELECT pgstreamx.drop_stream('solo');
