-- The quickstart demo: what pgstreamx 0.1.0 can show today. (Queues and the
-- rest extend this file as they land.)
\pset footer off
\echo
\echo '-- the loaded library and the installed extension'
SELECT pgstreamx.version() AS library, extversion AS installed
FROM pg_extension WHERE extname = 'pgstreamx';

\echo '-- shared memory pgstreamx created at server start'
SELECT * FROM pgstreamx.shared_memory();

\echo '-- settings'
SELECT name, setting, short_desc FROM pg_settings WHERE name LIKE 'pgstreamx.%';

\echo '-- roles: grant these to your applications (nothing is granted to PUBLIC)'
SELECT r.rolname AS role,
       count(DISTINCT p.proname) AS functions,
       left(string_agg(DISTINCT p.proname, ', '), 90) AS for_example
FROM pg_roles r
LEFT JOIN pg_proc p ON p.pronamespace = 'pgstreamx'::regnamespace
                   AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
WHERE r.rolname LIKE 'pgstreamx\_%'
GROUP BY r.rolname ORDER BY r.rolname;

\echo '-- a stream with 2 partitions; messages with the same key stay in order'
SELECT pgstreamx.drop_stream('demo', if_exists => true) AS dropped_old_demo;
SELECT pgstreamx.create_stream('demo', partitions => 2, retention => '1 day');
SELECT pgstreamx.append('demo', jsonb_build_object('order', i, 'total', i * 10), key => 'customer-' || (i % 3)) AS seq
FROM generate_series(1, 5) i;

\echo '-- a consumer polls, processes and commits its offsets in one transaction'
BEGIN;
SELECT partition, seq, key, payload FROM pgstreamx.poll('demo', 'billing', 10);
SELECT pgstreamx.commit_offset('demo', 'billing', partition, max(seq))
FROM pgstreamx.poll('demo', 'billing', 10) GROUP BY partition;
COMMIT;
SELECT count(*) AS left_for_billing FROM pgstreamx.poll('demo', 'billing', 10);

\echo '-- a consumer group shares the partitions'
SELECT * FROM pgstreamx.join_group('demo', 'shipping', 'worker-1');
SELECT * FROM pgstreamx.join_group('demo', 'shipping', 'worker-2');

\echo '-- table-change capture: changes of a table become messages of a stream, in the writing transaction'
DROP TABLE IF EXISTS public.demo_customers;  -- takes its capture with it
SELECT pgstreamx.drop_stream('public_demo_customers', if_exists => true);
CREATE TABLE public.demo_customers (id int PRIMARY KEY, name text, email text);
SELECT pgstreamx.capture_table('public.demo_customers') AS stream;
INSERT INTO public.demo_customers VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', 'bob@example.com');
UPDATE public.demo_customers SET email = 'ann@example.org' WHERE id = 1;
SELECT seq, topic, key, payload, headers->'changed' AS changed
FROM pgstreamx.poll('public_demo_customers', 'demo_audit', 10);

\echo '-- queues (pgmq names): send, claim for 30 s, acknowledge; a stale acknowledgement changes nothing'
SELECT pgstreamx.drop_queue('demo_jobs', if_exists => true);
SELECT pgstreamx.create_queue('demo_jobs', max_receives => 3);
SELECT pgstreamx.send_batch('demo_jobs', ARRAY['{"job": 1}', '{"job": 2}']::jsonb[]);
SELECT msg_id, read_ct, message FROM pgstreamx.read('demo_jobs', 30, 1);
SELECT pgstreamx.delete('demo_jobs', 1::bigint, read_ct => 1) AS deleted;
SELECT msg_id, read_ct, message FROM pgstreamx.pop('demo_jobs');
SELECT queue_name, queue_length, in_flight FROM pgstreamx.queues;

\echo '-- background worker (runs CALL pgstreamx.maintain() every pgstreamx.naptime)'
SELECT * FROM pgstreamx.workers;

\echo '-- metrics'
SELECT name, partitions, messages, bytes FROM pgstreamx.streams;
SELECT stream, consumer, partition, committed_seq, lag_messages FROM pgstreamx.consumers;

\echo '-- a misspelt setting is an error, not a silent no-op'
\set ON_ERROR_STOP 0
SET pgstreamx.wakeup_slot = 10;
