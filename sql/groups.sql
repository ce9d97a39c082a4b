-- Consumer groups: join, heartbeat, leave, rebalance, generation fencing.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

SELECT pgstreamx.create_stream('jobs', 4);
SELECT count(pgstreamx.append('jobs', jsonb_build_object('i', i), key => 'k' || i)) FROM generate_series(1, 20) i;

-- Members share the partitions; every membership change is a new generation.
SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'w1');
SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'w2');
SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'w3', session_timeout => '5 minutes');
SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'w1') AS rejoin_same_generation;
SELECT * FROM pgstreamx.heartbeat('jobs', 'workers', 'w1', 3);
SELECT member, generation, partitions FROM pgstreamx.group_members ORDER BY member;

-- Each member polls only its own partitions; together they see everything once.
SELECT 'w1' AS member, array_agg(DISTINCT partition) AS partitions, count(*) FROM pgstreamx.poll('jobs', 'workers', 100, holder => 'w1')
UNION ALL
SELECT 'w2', array_agg(DISTINCT partition), count(*) FROM pgstreamx.poll('jobs', 'workers', 100, holder => 'w2')
UNION ALL
SELECT 'w3', array_agg(DISTINCT partition), count(*) FROM pgstreamx.poll('jobs', 'workers', 100, holder => 'w3')
UNION ALL
SELECT 'outsider', array_agg(DISTINCT partition), count(*) FROM pgstreamx.poll('jobs', 'workers', 100, holder => 'outsider');

-- Commits carry the generation.
SELECT pgstreamx.commit_offset('jobs', 'workers', 'w1', 3, 0, 2);
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'workers', 'w1', 2, 0, 3)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'workers', 'w2', 3, 0, 3)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'workers', 0, 3, 'w1')$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'nogroup', 'w1', 1, 0, 3)$$);
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'workers', 'w1', 3, 0, 1)$$);
SELECT pgstreamx.commit_offset('jobs', 'workers', 'w1', 3, 0, 3);

-- A member that misses its session timeout loses its partitions at the next
-- heartbeat of anyone (or maintain()); its own heartbeat is refused.
UPDATE pgstreamx.group_members SET heartbeat_at = now() - interval '1 hour' WHERE member = 'w2';
-- Even before anyone noticed, a member past its timeout cannot commit.
SELECT error_of($$SELECT pgstreamx.commit_offset('jobs', 'workers', 'w2', 3, 1, 1)$$);
SELECT * FROM pgstreamx.heartbeat('jobs', 'workers', 'w1', 3);
SELECT error_of($$SELECT * FROM pgstreamx.heartbeat('jobs', 'workers', 'w2', 3)$$);
SELECT member, generation, partitions FROM pgstreamx.group_members ORDER BY member;
-- maintain() rebalances groups whose members timed out.
UPDATE pgstreamx.group_members SET heartbeat_at = now() - interval '1 hour' WHERE member = 'w3';
CALL pgstreamx.maintain();
SELECT member, generation, partitions FROM pgstreamx.group_members ORDER BY member;

-- Leaving hands the partitions over at once.
SELECT pgstreamx.leave_group('jobs', 'workers', 'w1'), pgstreamx.leave_group('jobs', 'workers', 'w1');
SELECT partition, committed_seq, holder FROM pgstreamx.consumer_offsets o
JOIN pgstreamx.stream_config c ON c.id = o.stream_id WHERE c.name = 'jobs' ORDER BY partition;
-- and a new member continues from the committed offsets.
SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'w4');
SELECT min(seq) AS first_seq_of_partition_0 FROM pgstreamx.poll('jobs', 'workers', 100, holder => 'w4') WHERE partition = 0;

-- Errors.
SELECT error_of($$SELECT * FROM pgstreamx.join_group('nope', 'workers', 'x')$$);
SELECT error_of($$SELECT * FROM pgstreamx.join_group('jobs', 'Bad', 'x')$$);
SELECT error_of($$SELECT * FROM pgstreamx.join_group('jobs', 'workers', '')$$);
SELECT error_of($$SELECT * FROM pgstreamx.join_group('jobs', 'workers', 'x', '1 ms')$$);
SELECT count(*) FROM pgstreamx.poll('jobs', 'plain', 1);
SELECT error_of($$SELECT * FROM pgstreamx.join_group('jobs', 'plain', 'x')$$);
SELECT error_of($$SELECT * FROM pgstreamx.heartbeat('jobs', 'workers', 'ghost', 1)$$);
SELECT pgstreamx.drop_stream('jobs');
SELECT count(*) AS groups_left FROM pgstreamx.consumer_groups;
