-- Queues: pgmq-style API on the log core (docs/sql-api.md, "Queues").
SET client_min_messages = notice;
SELECT pgstreamx.create_queue('jobs');

-- send: pgmq's forms and ours (an untyped third argument is ambiguous
-- between headers and delay, as in pgmq: cast it)
SELECT pgstreamx.send('jobs', '{"n": 1}');
SELECT pgstreamx.send('jobs', '{"n": 2}', '{"trace": "t2"}'::jsonb);
SELECT pgstreamx.send('jobs', '{"n": 3}', 0);
SELECT pgstreamx.send_batch('jobs', ARRAY['{"n": 4}', '{"n": 5}']::jsonb[]);
SELECT pgstreamx.send_batch('jobs', ARRAY['{"n": 6}']::jsonb[], ARRAY['{"h": 6}']::jsonb[]);

-- read claims in msg_id order; a second read does not get the same messages
SELECT msg_id, read_ct, message, headers, vt > now() AS invisible FROM pgstreamx.read('jobs', 30, 2);
SELECT msg_id, read_ct, message FROM pgstreamx.read('jobs', 30, 2);
SELECT queue_name, queue_length, queue_visible_length, in_flight, total_messages FROM pgstreamx.metrics('jobs');

-- delete / archive (single and array forms)
SELECT pgstreamx.delete('jobs', 1::bigint);
SELECT pgstreamx.delete('jobs', 1::bigint);  -- already deleted
SELECT pgstreamx.archive('jobs', 2::bigint);
SELECT * FROM pgstreamx.delete('jobs', ARRAY[3, 4, 999]::bigint[]);
SELECT msg_id, read_ct, reason, message, headers FROM pgstreamx.archived('jobs');

-- an expired claim is delivered again with a higher read_ct; the stale
-- reader's fenced ack changes nothing (and says so)
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
SELECT msg_id, read_ct FROM pgstreamx.set_vt('jobs', 5, 0);
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
SELECT pgstreamx.delete('jobs', 5::bigint, 1);
SELECT pgstreamx.delete('jobs', 5::bigint, 2);

-- a read in a rolled-back transaction leaves the message as it was
BEGIN;
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
ROLLBACK;
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
-- ... and so does a read in a rolled-back savepoint
SELECT pgstreamx.send('jobs', '{"n": 7}');
BEGIN;
SAVEPOINT s;
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
ROLLBACK TO SAVEPOINT s;
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 1);
COMMIT;
-- a delete in a rolled-back transaction: the message is still there
BEGIN;
SELECT pgstreamx.delete('jobs', 7::bigint);
ROLLBACK;
SELECT msg_id, read_ct FROM pgstreamx.set_vt('jobs', 7, 0);
SELECT pgstreamx.delete('jobs', 7::bigint);

-- release gives a message back early (read_ct stays)
SELECT pgstreamx.release('jobs', 6, 0);
SELECT msg_id, read_ct FROM pgstreamx.read('jobs', 30, 5);
SELECT pgstreamx.release('jobs', 6, 0, 1);  -- stale: it is at read_ct 2
SELECT pgstreamx.archive('jobs', ARRAY[6]::bigint[], ARRAY[2]);

-- pop reads and deletes in one
SELECT pgstreamx.send('jobs', '{"n": 8}');
SELECT msg_id, read_ct, message FROM pgstreamx.pop('jobs');
SELECT msg_id FROM pgstreamx.read('jobs', 30, 10);
SELECT queue_length, queue_visible_length, in_flight FROM pgstreamx.metrics('jobs');

-- delay: int seconds or a point in time
SELECT pgstreamx.send('jobs', '{"n": 9}', 3600) AS delayed \gset
SELECT pgstreamx.send('jobs', '{"n": 10}', NULL, now() + interval '1 hour');
SELECT msg_id FROM pgstreamx.read('jobs', 30, 10);
SELECT queue_length, queue_visible_length FROM pgstreamx.metrics('jobs');
SELECT msg_id, read_ct FROM pgstreamx.set_vt('jobs', :delayed, 0);  -- deliverable now
SELECT msg_id, read_ct, message FROM pgstreamx.read('jobs', 30, 10);

-- dead letters: after max_receives reads without ack the next read moves it
SELECT pgstreamx.create_queue('jobs_dlq');
SELECT pgstreamx.create_queue('work', max_receives => 2, dead_letter_queue => 'jobs_dlq');
SELECT pgstreamx.send('work', '{"poison": true}', '{"origin": "test"}'::jsonb);
SELECT msg_id, read_ct FROM pgstreamx.read('work', 30, 1);
SELECT 1 FROM pgstreamx.set_vt('work', 1, 0);
SELECT msg_id, read_ct FROM pgstreamx.read('work', 30, 1);
SELECT 1 FROM pgstreamx.set_vt('work', 1, 0);
SELECT msg_id, read_ct FROM pgstreamx.read('work', 30, 1);  -- moved instead
SELECT msg_id, reason, read_ct FROM pgstreamx.archived('work');
SELECT msg_id, message, headers->'origin' AS origin, headers->'x-pgstreamx-dead-letter'->>'queue' AS from_queue,
       headers->'x-pgstreamx-dead-letter'->>'read_ct' AS read_ct
FROM pgstreamx.read('jobs_dlq', 30, 5);
SELECT dead_lettered FROM pgstreamx.metrics('work');
-- without a dead-letter queue it is archived as a dead letter
SELECT pgstreamx.create_queue('once', max_receives => 1);
SELECT pgstreamx.send('once', '{}');
SELECT msg_id FROM pgstreamx.read('once', 30, 1);
SELECT 1 FROM pgstreamx.set_vt('once', 1, 0);
SELECT msg_id FROM pgstreamx.read('once', 30, 1);
SELECT msg_id, reason FROM pgstreamx.archived('once');

-- FIFO: one message per group in flight, in order; other groups go on
SELECT pgstreamx.create_queue('fifo_orders', fifo => true);
SELECT pgstreamx.send('fifo_orders', '{"o": "a1"}', group_id => 'a');
SELECT pgstreamx.send('fifo_orders', '{"o": "a2"}', group_id => 'a');
SELECT pgstreamx.send('fifo_orders', '{"o": "b1"}', group_id => 'b');
SELECT pgstreamx.send('fifo_orders', '{"o": "a3"}', group_id => 'a');
SELECT msg_id, message FROM pgstreamx.read('fifo_orders', 30, 10);
SELECT msg_id, message FROM pgstreamx.read('fifo_orders', 30, 10);  -- both heads in flight
SELECT pgstreamx.delete('fifo_orders', 1::bigint);
SELECT msg_id, message FROM pgstreamx.read('fifo_orders', 30, 10);  -- a2 next, not a3

-- deduplication: the same dedup_id within the window returns the first msg_id
SELECT pgstreamx.send('jobs', '{"n": "d"}', dedup_id => 'order-42') AS first \gset
SELECT pgstreamx.send('jobs', '{"n": "d again"}', dedup_id => 'order-42') = :first AS same;
SELECT array_agg(x ORDER BY x) = ARRAY[:first, :first]::bigint[] AS batch_dedup
FROM pgstreamx.send_batch('jobs', ARRAY['{}', '{}']::jsonb[], NULL, 0, NULL, ARRAY['order-42', 'order-42']) x;

-- purge, list, drop
SELECT pgstreamx.purge_queue('jobs') > 0 AS purged;
SELECT queue_length FROM pgstreamx.metrics('jobs');
SELECT msg_id FROM pgstreamx.read('jobs', 30, 10);
SELECT queue_name, is_fifo, max_receives, dead_letter_queue FROM pgstreamx.list_queues();
SELECT queue_name, queue_length FROM pgstreamx.queues ORDER BY 1;
SELECT pgstreamx.drop_queue('jobs_dlq');  -- refused: 'work' uses it
SELECT pgstreamx.alter_queue('work', drop_max_receives => true);
SELECT pgstreamx.drop_queue('jobs_dlq');
SELECT pgstreamx.drop_queue('nope', if_exists => true);

-- errors
SELECT pgstreamx.send('nope', '{}');
SELECT pgstreamx.send('Bad-Name', '{}');
SELECT pgstreamx.send('jobs', NULL);
SELECT pgstreamx.send('jobs', '{}', -1);
SELECT * FROM pgstreamx.read('jobs', 0, 1);
SELECT * FROM pgstreamx.read('jobs', 30, 0);
SELECT * FROM pgstreamx.read('jobs', 30, 10001);
SELECT * FROM pgstreamx.read_with_poll('jobs', 30, 1, -1);
SELECT pgstreamx.send('jobs', jsonb_build_object('big', repeat('x', 2000000)));
SELECT pgstreamx.send('jobs', '{}', dedup_id => '');
SELECT pgstreamx.create_queue('jobs');
SELECT pgstreamx.create_stream('jobs');
SELECT pgstreamx.create_queue('w2', dead_letter_queue => 'jobs');
SELECT pgstreamx.create_queue('w2', max_receives => 0);
SELECT * FROM pgstreamx.poll('nope', 'c');
SELECT pgstreamx.create_stream('plain');
SELECT pgstreamx.send('plain', '{}');
SELECT pgstreamx.send('fifo_orders', '{}');
BEGIN;
SELECT msg_id FROM pgstreamx.read('fifo_orders', 30, 1);
PREPARE TRANSACTION 'q';
-- (the failed PREPARE rolled back)
SELECT pgstreamx.drop_stream('plain');
-- a transaction that sends and then reads: its own message is not passed
-- over (it is final only at commit), and is delivered once due
SELECT pgstreamx.create_queue('own');
BEGIN;
SELECT pgstreamx.send('own', '{"mine": true}', 1);
SELECT count(*) AS got_own_delayed FROM pgstreamx.read('own', 30, 10);
COMMIT;
SELECT pg_sleep(1.2);
SELECT msg_id, message FROM pgstreamx.read('own', 30, 10);

-- a purge rolled back to a savepoint keeps the claims
SELECT pgstreamx.send_batch('own', ARRAY['{"k": 1}', '{"k": 2}']::jsonb[]);
SELECT msg_id FROM pgstreamx.read('own', 30, 1);
BEGIN;
SAVEPOINT before_purge;
SELECT pgstreamx.purge_queue('own');
SELECT * FROM pgstreamx.read('own', 30, 10);  -- refused: purged in this transaction
ROLLBACK TO SAVEPOINT before_purge;
COMMIT;
SELECT msg_id FROM pgstreamx.read('own', 30, 10);  -- only the unclaimed one

-- REPEATABLE READ / SERIALIZABLE: refused (claims follow the latest state)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pgstreamx.read('own', 30, 1);
ROLLBACK;

-- clean up (later tests use their own names)
SELECT pgstreamx.drop_queue(queue_name) FROM pgstreamx.list_queues() ORDER BY queue_name DESC;
SELECT count(*) FROM pgstreamx.list_queues();
