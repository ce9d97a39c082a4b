# Table capture across a crash (invariant I1): a committed bulk INSERT into
# a captured table, then kill -9 of the postmaster right after the commit
# was acknowledged, while another transaction's captured insert is still
# open. After restart every event of the committed insert is present exactly
# once, none of the open one, and capture goes on with higher seqs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgstreamxTest;

my $node = PostgreSQL::Test::Cluster->new('capture_crash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\nrestart_after_crash = off");
$node->start;
$node->safe_psql('postgres', q{
    CREATE EXTENSION pgstreamx;
    CREATE TABLE bulk (id int PRIMARY KEY, body text);
    SELECT pgstreamx.capture_table('bulk', stream => 'bulk_events', partitions => 2);
});

my $open = $node->background_psql('postgres');
$open->query_safe(q{BEGIN; INSERT INTO bulk SELECT i, 'open' FROM generate_series(1000001, 1000500) i;});

my $n = 20000;
$node->safe_psql('postgres', qq{INSERT INTO bulk SELECT i, repeat('x', 50) FROM generate_series(1, $n) i});
my $oldpid = $node->{_pid};
$node->kill9;
eval { $open->quit };

my $started = start_after_kill9($node, $oldpid);
ok($started, 'server restarted after kill -9');

# Every stored event, read with peek in windows of 10000 seqs per partition
# (events are stored in packs; the message table is not read directly).
my $events = q{(SELECT m.* FROM generate_series(0, 1) p, generate_series(0, 60000, 10000) a,
                    LATERAL pgstreamx.peek('bulk_events', p, a, 10000) m WHERE m.seq <= a + 10000)};
is($node->safe_psql('postgres', q{SELECT count(*) FROM bulk}), $n, 'the committed rows are there');
is($node->safe_psql('postgres',
       qq{SELECT count(DISTINCT payload->>'id') || '/' || count(*) FROM $events e
         WHERE topic = 'public.bulk.insert' AND (payload->>'id')::int <= 20000}),
   "$n/$n", 'every event of the committed insert is present exactly once');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM $events e WHERE payload->>'body' = 'open'}),
   '0', 'nothing of the transaction that was open at the crash');
is($node->safe_psql('postgres', q{SELECT messages FROM pgstreamx.streams WHERE name = 'bulk_events'}),
   $n, 'the stream counts the events, not the rows that hold them');
# A consumer reads them all after the restart (poll + commit until empty).
my $read = 0;
for (1 .. 20) {
    my $got = $node->safe_psql('postgres', q{
        WITH p AS (SELECT * FROM pgstreamx.poll('bulk_events', 'after_crash', 5000)),
             c AS (SELECT pgstreamx.commit_offset('bulk_events', 'after_crash', partition, max(seq)) FROM p GROUP BY partition)
        SELECT (SELECT count(*) FROM p) + 0 * (SELECT count(*) FROM c)});
    last if $got == 0;
    $read += $got;
}
is($read, $n, 'a consumer reads them all after the restart');

$node->safe_psql('postgres', q{INSERT INTO bulk VALUES (0, 'after')});
my ($after, $max_before) = split /\|/, $node->safe_psql('postgres', qq{
    WITH e AS $events
    SELECT a.seq, (SELECT max(seq) FROM e m WHERE m.partition = a.partition AND m.seq <> a.seq)
    FROM e a WHERE payload->>'body' = 'after'});
ok($after > $max_before, "capture goes on after the restart (seq $after above $max_before in its partition)");

$node->stop;
done_testing();
