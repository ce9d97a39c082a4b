# read_with_poll waits inside the server and is woken by the sender's commit
# (a shared-memory wake-up, not a sleep loop: poll_interval_ms is set far
# above the time it takes), and by a delayed message becoming due. A rolled
# back send does not wake it into returning anything.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('queue_wait');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\npgstreamx.worker_enabled = off");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION pgstreamx; SELECT pgstreamx.create_queue('w')});
my $connstr = $node->connstr('postgres');

# Starts a reader waiting up to $secs; returns [handle, \stdout, start time].
sub start_reader {
    my ($secs) = @_;
    my $sql = "SELECT message->>'n' FROM pgstreamx.read_with_poll('w', 30, 1, $secs, 30000);\n";
    my ($in, $out, $err) = ($sql, '', '');
    my $h = IPC::Run::start(['psql', '-X', '-At', '-d', $connstr], '<', \$in, '>', \$out, '2>', \$err);
    return [$h, \$out, time()];
}

sub finish_reader {
    my ($r) = @_;
    $r->[0]->finish;
    my $out = ${ $r->[1] };
    chomp $out;
    return ($out, time() - $r->[2]);
}

# Woken by a commit.
my $r = start_reader(20);
sleep 1;    # it is waiting now
my $t0 = time();
$node->safe_psql('postgres', q{SELECT pgstreamx.send('w', '{"n": "one"}')});
my ($got, $took) = finish_reader($r);
is($got, 'one', 'the waiting reader got the message');
my $after_commit = time() - $t0;
ok($after_commit < 5, sprintf('it returned %.2f s after the commit (interval 30 s, timeout 20 s)', $after_commit));

# Not woken into a result by a rolled-back send; times out empty.
$r = start_reader(2);
sleep 0.5;
$node->safe_psql('postgres', q{BEGIN; SELECT pgstreamx.send('w', '{"n": "never"}'); ROLLBACK;});
($got, $took) = finish_reader($r);
is($got, '', 'a rolled-back send delivers nothing');
ok($took >= 1.9, sprintf('and the reader waited its full timeout (%.2f s)', $took));

# Woken when a delayed message becomes due.
$node->safe_psql('postgres', q{SELECT pgstreamx.send('w', '{"n": "later"}', 2)});
$r = start_reader(20);
($got, $took) = finish_reader($r);
is($got, 'later', 'the delayed message is delivered when due');
ok($took < 5, sprintf('within %.2f s of a 2 s delay (interval 30 s)', $took));

# Woken when a visibility timeout expires (a message given back with release).
$node->safe_psql('postgres', q{SELECT pgstreamx.send('w', '{"n": "back"}')});
my $id = $node->safe_psql('postgres', q{SELECT msg_id FROM pgstreamx.read('w', 30, 1)});
$r = start_reader(20);
sleep 0.5;
$node->safe_psql('postgres', qq{SELECT pgstreamx.release('w', $id, 1)});
($got, $took) = finish_reader($r);
is($got, 'back', 'a released message is delivered again to the waiting reader');
ok($took < 5, sprintf('about 1 s after its release delay (%.2f s)', $took));

$node->stop;
done_testing();
