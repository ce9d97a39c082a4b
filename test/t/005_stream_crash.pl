# Durability of streams across kill -9 (invariants I1, I5): producers append
# in explicit transactions and record a message as acknowledged only after
# COMMIT returned; a consumer polls and commits offsets the same way. The
# postmaster is killed with SIGKILL mid-load. After restart:
#   - every acknowledged message is present exactly once;
#   - seqs are unique per partition and new seqs are above all old ones
#     (the high-water mark survived, not max(seq));
#   - committed offsets did not regress, and the consumer resumes after them.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgstreamxTest;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('stream_crash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\nrestart_after_crash = off");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION pgstreamx; SELECT pgstreamx.create_stream('crash', 4)});

my $connstr = $node->connstr('postgres');
my $nprod = 3;
my $per = 4000;

# A producer: BEGIN; append; COMMIT; then \echo ack <id> (printed only once
# COMMIT has returned).
my @producers;
for my $p (1 .. $nprod) {
    my $sql = '';
    for my $i (1 .. $per) {
        my $id = "$p-$i";
        $sql .= "BEGIN;\nSELECT 'seq ' || pgstreamx.append('crash', '{\"id\": \"$id\"}'::jsonb, 'k$i');\nCOMMIT;\n\\echo ack $id\n";
    }
    my ($in, $out, $err) = ($sql, '', '');
    my $h = IPC::Run::start(['psql', '-X', '-At', '-d', $connstr], '<', \$in, '>', \$out, '2>', \$err);
    push @producers, [$h, \$out];
}

# A consumer committing offsets as it goes.
my $csql = '';
for my $i (1 .. 2000) {
    $csql .= "BEGIN;\n"
      . "SELECT 'got ' || partition || ' ' || max(seq), pgstreamx.commit_offset('crash', 'c', partition, max(seq), 'crash-consumer') "
      . "FROM pgstreamx.poll('crash', 'c', 50, holder => 'crash-consumer') GROUP BY partition;\n"
      . "COMMIT;\n\\echo committed\n";
}
my ($cin, $cout, $cerr) = ($csql, '', '');
my $consumer = IPC::Run::start(['psql', '-X', '-At', '-d', $connstr], '<', \$cin, '>', \$cout, '2>', \$cerr);

# Let them run, then kill the postmaster mid-load.
my $deadline = time() + 60;
while (time() < $deadline) {
    my $acked = 0;
    for my $pr (@producers) { $pr->[0]->pump_nb; $acked += () = ${ $pr->[1] } =~ /^ack /mg; }
    $consumer->pump_nb;
    last if $acked > 1500;
    select(undef, undef, undef, 0.05);
}
my $oldpid = $node->{_pid};
$node->kill9;
for my $pr (@producers) { eval { $pr->[0]->finish }; }
eval { $consumer->finish };

# What was acknowledged, and the offsets whose commit was acknowledged.
my %acked;
for my $pr (@producers) {
    my $out = ${ $pr->[1] };
    $acked{$1} = 1 while $out =~ /^ack (\S+)$/mg;
}
my %committed;    # partition -> highest offset whose COMMIT returned
{
    my @pending;
    for my $line (split /\n/, $cout) {
        if ($line =~ /^got (\d+) (\d+)\|/) { push @pending, [$1, $2]; }
        elsif ($line eq 'committed') {
            for my $c (@pending) { $committed{ $c->[0] } = $c->[1] if !defined $committed{ $c->[0] } || $c->[1] > $committed{ $c->[0] }; }
            @pending = ();
        }
    }
}
my $nacked = scalar keys %acked;
ok($nacked > 0, "$nacked messages were acknowledged before the crash");

my $started = start_after_kill9($node, $oldpid);
ok($started, 'server restarted after kill -9');

my $rows = $node->safe_psql('postgres', q{SELECT payload->>'id', count(*) FROM pgstreamx.s_crash GROUP BY 1});
my %present = map { my ($id, $n) = split /\|/; ($id => $n) } split /\n/, $rows;
my @lost = grep { !$present{$_} } keys %acked;
is(scalar(@lost), 0, 'no acknowledged message was lost') or diag("lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
my @dups = grep { $present{$_} > 1 } keys %present;
is(scalar(@dups), 0, 'no message is present twice');

is($node->safe_psql('postgres', q{SELECT count(*) FROM (SELECT partition, seq FROM pgstreamx.s_crash GROUP BY 1, 2 HAVING count(*) > 1) d}),
   '0', 'seqs are unique per partition');

# New appends get seqs above everything that existed (durable high-water mark).
my $max_before = $node->safe_psql('postgres', q{SELECT coalesce(max(seq), 0) FROM pgstreamx.s_crash WHERE partition = 0});
my $new = $node->safe_psql('postgres', q{SELECT pgstreamx.append('crash', '{"id": "after"}'::jsonb, 'k1')});
my $p_k1 = $node->safe_psql('postgres', q{SELECT partition FROM pgstreamx.s_crash WHERE payload->>'id' = 'after'});
my $max_p = $node->safe_psql('postgres', qq{SELECT max(seq) FROM pgstreamx.s_crash WHERE partition = $p_k1 AND payload->>'id' <> 'after'});
ok($new > $max_p, "seq after restart ($new) is above every earlier seq of its partition ($max_p)");

# Offsets: never below what was acknowledged; the consumer resumes after them.
my %now = map { my ($p, $s) = split /\|/; ($p => $s) } split /\n/,
  $node->safe_psql('postgres', q{SELECT partition, committed_seq FROM pgstreamx.consumer_offsets WHERE consumer = 'c'});
my $regressed = 0;
for my $p (keys %committed) { $regressed++ if !defined $now{$p} || $now{$p} < $committed{$p}; }
is($regressed, 0, 'committed offsets did not regress (' . join(', ', map { "p$_=$committed{$_}" } sort keys %committed) . ')');
my ($old, $total) = split /\|/, $node->safe_psql('postgres', q{
    SELECT count(*) FILTER (WHERE m.seq <= o.committed_seq), count(*)
    FROM pgstreamx.poll('crash', 'c', 10000, holder => 'crash-consumer') m
    JOIN pgstreamx.consumer_offsets o ON o.consumer = 'c' AND o.partition = m.partition});
is($old, '0', "the consumer resumes after its committed offsets ($total messages left to read)");
ok($total > 0, 'and it still gets the messages after them');

$node->stop;
done_testing();
