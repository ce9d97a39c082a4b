# Claim windows under pressure: with pgstreamx.max_queues = 2 and 5 queues,
# idle windows are evicted and rebuilt from the durable records, and a window
# with claims is never evicted (its claims keep holding). With a small
# pgstreamx.queue_slots, a window whose oldest message stays unfinished while
# many later ones are finished is rebuilt after a restart (the unfinished one
# gets a slot instead of every finished one).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('queue_windows');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\npgstreamx.worker_enabled = off\n"
                   . "pgstreamx.max_queues = 2\npgstreamx.queue_slots = 64");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION pgstreamx});
for my $q (qw(qa qb qc qd)) {
    $node->safe_psql('postgres', qq{SELECT pgstreamx.create_queue('$q');
        SELECT count(*) FROM pgstreamx.send_batch('$q', (SELECT array_agg(jsonb_build_object('i', g)) FROM generate_series(1, 30) g))});
}

# qa holds 10 claims (vt 10 min): its window is busy.
is($node->safe_psql('postgres', q{SELECT string_agg(msg_id::text, ',') FROM pgstreamx.read('qa', 600, 10)}),
   '1,2,3,4,5,6,7,8,9,10', 'qa: 10 claimed');
# Drain qb, qc, qd one after the other, in chunks: windows come and go.
for my $round (1 .. 3) {
    for my $q (qw(qb qc qd)) {
        $node->safe_psql('postgres', qq{SELECT count(*) FROM pgstreamx.delete('$q', (SELECT array_agg(msg_id) FROM pgstreamx.read('$q', 30, 10)))});
    }
}
for my $q (qw(qb qc qd)) {
    is($node->safe_psql('postgres', qq{SELECT count(*) FROM pgstreamx.read('$q', 30, 100)}), '0',
       "$q: everything deleted stays deleted across evictions");
    is($node->safe_psql('postgres', qq{SELECT queue_length FROM pgstreamx.metrics('$q')}), '0', "$q: queue_length 0");
}
is($node->safe_psql('postgres', q{SELECT string_agg(msg_id::text, ',') FROM pgstreamx.read('qa', 600, 5)}),
   '11,12,13,14,15', "qa's window was not evicted: its claims still hold");

# A fenced ack of an old claim still works (the window kept its read_ct).
is($node->safe_psql('postgres', q{SELECT pgstreamx.delete('qa', 1::bigint, 1)}), 't', 'fenced ack of a claim held across the churn');

# A restart with one old unfinished message and 40 finished after it (more
# than the 48 usable slots would allow as one slot each, with the rest).
$node->safe_psql('postgres', q{SELECT pgstreamx.create_queue('qe');
    SELECT count(*) FROM pgstreamx.send_batch('qe', (SELECT array_agg(jsonb_build_object('i', g)) FROM generate_series(1, 60) g));
    SELECT count(*) FROM pgstreamx.read('qe', 600, 1);});
$node->safe_psql('postgres', q{SELECT count(*) FROM pgstreamx.delete('qe', (SELECT array_agg(msg_id) FROM pgstreamx.read('qe', 30, 40)))});
$node->restart;
# maintain() with REPEATABLE READ as the default isolation: the queues whose
# claim state would have to be rebuilt are skipped, the round completes.
$node->safe_psql('postgres', q{SET default_transaction_isolation TO 'repeatable read'; CALL pgstreamx.maintain();});
ok($node->safe_psql('postgres', q{SELECT count(*) FROM pgstreamx.maintenance_log WHERE action = 'skipped' AND detail LIKE '%REPEATABLE READ%'}) > 0,
   'maintain() under a REPEATABLE READ default skips queues it cannot load, and completes');
is($node->safe_psql('postgres', q{SELECT queue_length FROM pgstreamx.metrics('qe')}), '20', 'qe: 20 unfinished after the restart');
is($node->safe_psql('postgres', q{SELECT count(*) || ':' || min(msg_id) || ':' || max(msg_id) FROM pgstreamx.read('qe', 30, 100)}),
   '20:1:60', 'qe: message 1 (claimed before the restart) and 42..60 are delivered, nothing finished');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pgstreamx.read('qe', 30, 100)}), '0', 'and only once');

$node->stop;
done_testing();
