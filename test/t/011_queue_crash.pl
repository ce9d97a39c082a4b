# Durability of queues across kill -9 (invariants I1, I3): senders send in
# explicit transactions and record a msg_id as acknowledged only after COMMIT
# returned; consumers read and delete (or archive) in one transaction and
# record the msg_ids whose COMMIT returned. The postmaster is killed with
# SIGKILL mid-load. After restart:
#   - every acknowledged send is either still deliverable, or was deleted /
#     archived (by a committed consumer transaction) - none is lost;
#   - nothing is delivered that was never sent;
#   - a message whose delete committed is never delivered again; a message
#     claimed but not finished before the crash is delivered again (the
#     allowed duplicate), and deliveries after the restart are unique.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgstreamxTest;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('queue_crash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\nrestart_after_crash = off\npgstreamx.worker_enabled = off");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION pgstreamx; SELECT pgstreamx.create_queue('crashq')});

my $connstr = $node->connstr('postgres');
my ($nsend, $per) = (3, 4000);

my @senders;
for my $p (1 .. $nsend) {
    my $sql = '';
    for my $i (1 .. $per) {
        my $id = "$p-$i";
        $sql .= "BEGIN;\nSELECT 'id ' || pgstreamx.send('crashq', '{\"id\": \"$id\"}'::jsonb);\nCOMMIT;\n\\echo ack $id\n";
    }
    my ($in, $out, $err) = ($sql, '', '');
    push @senders, [IPC::Run::start(['psql', '-X', '-At', '-d', $connstr], '<', \$in, '>', \$out, '2>', \$err), \$out];
}

# Consumers: read 5, finish them (delete, or archive every third batch), commit.
my @consumers;
for my $c (1 .. 2) {
    my $sql = '';
    for my $i (1 .. 3000) {
        my $op = $i % 3 == 0 ? 'archive' : 'delete';
        $sql .= "BEGIN;\n"
          . "SELECT coalesce(array_agg(msg_id)::text, '{}') AS ids, "
          . "coalesce(string_agg((message->>'id') || ':' || msg_id, ','), '') AS got FROM pgstreamx.read('crashq', 60, 5) \\gset\n"
          . "SELECT 'fin ' || count(*) FROM pgstreamx.$op('crashq', :'ids'::bigint[]);\n"
          . "\\echo got :got\nCOMMIT;\n\\echo done\n";
    }
    my ($in, $out, $err) = ($sql, '', '');
    push @consumers, [IPC::Run::start(['psql', '-X', '-At', '-d', $connstr], '<', \$in, '>', \$out, '2>', \$err), \$out, \$err];
}

my $deadline = time() + 60;
while (time() < $deadline) {
    my $acked = 0;
    $_->[0]->pump_nb for @senders, @consumers;
    $acked += () = ${ $_->[1] } =~ /^ack /mg for @senders;
    my $fin = 0;
    $fin += () = ${ $_->[1] } =~ /^done$/mg for @consumers;
    last if $acked > 2000 && $fin > 100;
    select(undef, undef, undef, 0.05);
}
# A reader that claims messages and never finishes them (its claims are
# committed, vt 10 minutes): after the crash they must be delivered again.
my %held = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', q{
    SELECT pgstreamx.create_queue('heldq');
    SELECT count(*) FROM pgstreamx.send_batch('heldq', (SELECT array_agg(jsonb_build_object('id', 'held-' || g)) FROM generate_series(1, 20) g));
    SELECT message->>'id' FROM pgstreamx.read('heldq', 600, 20)});
delete @held{ '', '20' };    # the output of create_queue and count(*)
my $oldpid = $node->{_pid};
$node->kill9;
eval { $_->[0]->finish } for @senders, @consumers;

my %acked;    # payload id -> 1 (its send committed)
for my $s (@senders) { $acked{$1} = 1 while ${ $s->[1] } =~ /^ack (\S+)$/mg; }
my %finished;    # payload id -> msg_id, from consumer transactions whose COMMIT returned
my %delivered_before;    # payload id -> times delivered before the crash
for my $c (@consumers) {
    my @pending;
    for my $line (split /\n/, ${ $c->[1] }) {
        if ($line =~ /^got ?(.*)$/) {
            @pending = ();
            for my $pair (split /,/, $1) { my ($id, $mid) = split /:/, $pair; push @pending, [$id, $mid]; $delivered_before{$id}++; }
        } elsif ($line eq 'done') {
            $finished{ $_->[0] } = $_->[1] for @pending;
            @pending = ();
        }
    }
}
my $nacked = scalar keys %acked;
my $nfin = scalar keys %finished;
ok($nacked > 0, "$nacked sends were acknowledged before the crash");
ok($nfin > 0, "$nfin messages were finished by committed consumer transactions");
my @twice = grep { $delivered_before{$_} > 1 } keys %delivered_before;
is(scalar(@twice), 0, 'before the crash no message was delivered twice (vt 60 s never passed)');

my $started = start_after_kill9($node, $oldpid);
ok($started, 'server restarted after kill -9');

# Everything that can still be delivered, read in one go (vt long).
my %after;
my $rows = $node->safe_psql('postgres', q{SELECT message->>'id', msg_id, read_ct FROM pgstreamx.read('crashq', 600, 10000)});
my $dups_after = 0;
for my $line (split /\n/, $rows) {
    my ($id, $mid) = split /\|/, $line;
    $dups_after++ if exists $after{$id};
    $after{$id} = $mid;
}
my $more = $node->safe_psql('postgres', q{SELECT count(*) FROM pgstreamx.read('crashq', 600, 10000)});
is($more, '0', 'a second read gets nothing more (claims hold after the restart)');
is($dups_after, 0, 'deliveries after the restart are unique');

my %archived = map { my ($id) = split /\|/; ($id => 1) } split /\n/,
  $node->safe_psql('postgres', q{SELECT message->>'id' FROM pgstreamx.archived('crashq')});
my %sent_ids = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', q{SELECT payload->>'id' FROM pgstreamx.s_crashq WHERE partition = 0});
# Durably finished: the acknowledgement records (partition -1; payload_bytes
# holds little-endian (int64 msg_id, int32 read_ct) pairs).
my %done_ids = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', q{
    SELECT m.payload->>'id'
    FROM pgstreamx.s_crashq a, generate_series(0, length(a.payload_bytes) / 12 - 1) g,
         LATERAL (SELECT sum(get_byte(a.payload_bytes, g * 12 + k)::bigint << (8 * k)) AS id FROM generate_series(0, 7) k) x,
         pgstreamx.s_crashq m
    WHERE a.partition = -1 AND m.partition = 0 AND m.seq = x.id});

my @lost = grep { !exists $after{$_} && !exists $done_ids{$_} } keys %acked;
is(scalar(@lost), 0, 'every acknowledged send is deliverable or durably finished (none lost)')
  or diag("lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
my @fin_not_done = grep { !exists $done_ids{$_} } keys %finished;
is(scalar(@fin_not_done), 0, 'every delete/archive whose COMMIT returned is durable');
my %held_after = map { $_ => 1 } split /\n/,
  $node->safe_psql('postgres', q{SELECT message->>'id' FROM pgstreamx.read('heldq', 600, 100)});
is(join(',', sort grep { !$held_after{$_} } keys %held), '', 'every message claimed (not finished) before the crash is delivered again');
my @redelivered = (grep { $delivered_before{$_} && !exists $done_ids{$_} } keys %delivered_before);
ok(scalar(keys %held) > 0, scalar(keys %held) . ' messages were claimed (and never finished) just before the crash');
my @not_again = grep { !exists $after{$_} } @redelivered;
is(scalar(@not_again), 0, scalar(@redelivered) . ' messages claimed but not finished before the crash are delivered again');
my @phantom = grep { !$sent_ids{$_} } keys %after;
is(scalar(@phantom), 0, 'nothing is delivered that was never sent');
my @again = grep { exists $after{$_} } keys %done_ids;
is(scalar(@again), 0, 'no finished message is delivered again');
my @arch_not_sent = grep { !$sent_ids{$_} } keys %archived;
is(scalar(@arch_not_sent), 0, 'archived messages are sent messages');

# The queue keeps working: new sends get msg_ids above all earlier ones.
my $max_before = $node->safe_psql('postgres', q{SELECT max(seq) FROM pgstreamx.s_crashq WHERE partition = 0});
my $new = $node->safe_psql('postgres', q{SELECT pgstreamx.send('crashq', '{"id": "after"}')});
ok($new > $max_before, "msg_id after restart ($new) is above every earlier one ($max_before)");
is($node->safe_psql('postgres', q{SELECT message->>'id' FROM pgstreamx.read('crashq', 30, 10)}), 'after',
   'and it is delivered');

$node->stop;
done_testing();
