# The background worker (docs/operations.md): the launcher keeps one worker per
# database that has pgstreamx, none elsewhere; it comes after CREATE EXTENSION
# and goes after DROP EXTENSION; DROP DATABASE, RENAME and CREATE DATABASE
# ... TEMPLATE are not blocked by it; it is restarted after
# pg_terminate_backend and after kill -9 of the postmaster; SIGHUP changes
# the naptime; max_workers exhaustion is logged; an immediate stop during
# maintenance loses nothing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pgstreamx'
pgstreamx.naptime = '500ms'
pgstreamx.max_workers = 4
max_worker_processes = 10
});
$node->start;

sub worker_pid {
    my ($db) = @_;
    return $node->safe_psql('postgres',
        "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE backend_type = 'pgstreamx worker' AND datname = '$db'");
}
# Waits up to $secs for the condition; returns the seconds it took, or undef.
sub wait_for {
    my ($secs, $cond) = @_;
    my $t0 = time();
    while (time() - $t0 < $secs) {
        return time() - $t0 if $cond->();
        sleep(0.1);
    }
    return undef;
}

ok(wait_for(30, sub { $node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgstreamx launcher'") eq '1' }),
   'the launcher runs (backend_type pgstreamx launcher)');

# No worker where the extension is not installed.
$node->safe_psql('postgres', 'CREATE DATABASE plain');
sleep(2);
is(worker_pid('plain'), '', 'no worker in a database without pgstreamx');
is(worker_pid('postgres'), '', 'no worker in postgres (no pgstreamx there)');

# CREATE EXTENSION starts one within seconds.
$node->safe_psql('postgres', 'CREATE DATABASE db1');
$node->safe_psql('db1', 'CREATE EXTENSION pgstreamx');
my $took = wait_for(10, sub { worker_pid('db1') ne '' });
ok(defined $took, 'a worker appears after CREATE EXTENSION' . (defined $took ? sprintf(' (%.1f s)', $took) : ''));
is($node->safe_psql('db1', "SELECT application_name FROM pg_stat_activity WHERE backend_type = 'pgstreamx worker' AND datname = 'db1'"),
   'pgstreamx worker', 'application_name says pgstreamx worker');
ok(wait_for(10, sub { $node->safe_psql('db1', 'SELECT rounds FROM pgstreamx.maintenance_stats') >= 3 }),
   'the worker runs maintain() every naptime (maintenance_stats.rounds grows)');
is($node->safe_psql('db1', "SELECT state FROM pgstreamx.workers WHERE database = 'db1'"), 'active', 'pgstreamx.workers shows it active');

# A second database gets its own worker.
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('db2', 'CREATE EXTENSION pgstreamx');
ok(wait_for(10, sub { worker_pid('db2') ne '' }), 'a second database gets its own worker');
isnt(worker_pid('db2'), worker_pid('db1'), 'two databases, two worker processes');

# pg_terminate_backend: restarted (bgw_restart_time).
my $old = worker_pid('db1');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)");
ok(wait_for(20, sub { my $p = worker_pid('db1'); $p ne '' && $p ne $old }), 'restarted after pg_terminate_backend');

# SIGHUP changes the naptime: logged, and the round rate follows.
sub rounds_in {
    my ($secs) = @_;
    my $r0 = $node->safe_psql('db1', 'SELECT rounds FROM pgstreamx.maintenance_stats');
    sleep($secs);
    return $node->safe_psql('db1', 'SELECT rounds FROM pgstreamx.maintenance_stats') - $r0;
}
$node->safe_psql('postgres', "ALTER SYSTEM SET pgstreamx.naptime = '3s'");
$node->reload;
ok(wait_for(10, sub { $node->log_contains('pgstreamx worker: naptime is now 3000 ms') }), 'SIGHUP: the worker logs the new naptime');
sleep(3.5);
my $slow = rounds_in(6);
$node->safe_psql('postgres', "ALTER SYSTEM SET pgstreamx.naptime = '100ms'");
$node->reload;
ok(wait_for(10, sub { $node->log_contains('pgstreamx worker: naptime is now 100 ms') }), 'SIGHUP again: 100 ms');
my $fast = rounds_in(3);
ok($slow <= 3 && $fast >= 8, "the round rate follows the naptime (3 s: $slow rounds in 6 s; 100 ms: $fast rounds in 3 s)");
$node->safe_psql('postgres', "ALTER SYSTEM SET pgstreamx.naptime = '500ms'");
$node->reload;

# DROP EXTENSION: the worker leaves and is not restarted.
$node->safe_psql('db2', 'DROP EXTENSION pgstreamx');
ok(wait_for(10, sub { worker_pid('db2') eq '' }), 'the worker leaves after DROP EXTENSION');
sleep(6.5);    # longer than bgw_restart_time
is(worker_pid('db2'), '', 'and is not restarted');
ok($node->log_contains('extension pgstreamx was dropped from database "db2", exiting'), 'its exit is logged');

# CREATE DATABASE ... TEMPLATE, RENAME and DROP of a database whose worker runs.
ok(worker_pid('db1') ne '', 'db1 has a worker before CREATE DATABASE ... TEMPLATE db1');
my ($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE db3 TEMPLATE db1');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE of a database with a worker succeeds') or diag $err;
ok(wait_for(15, sub { worker_pid('db3') ne '' }), 'the copy (with pgstreamx) gets a worker');
ok(wait_for(15, sub { worker_pid('db1') ne '' }), 'the template gets its worker back');
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE db3 RENAME TO db4');
is($ret, 0, 'ALTER DATABASE ... RENAME of a database with a worker succeeds') or diag $err;
ok(wait_for(15, sub { worker_pid('db4') ne '' }), 'the renamed database gets its worker back');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db4');
is($ret, 0, 'DROP DATABASE of a database with a worker succeeds') or diag $err;
sleep(6.5);
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgstreamx worker' AND datname IS NULL"),
   '0', 'nothing restarted for the dropped database');
ok(!$node->log_contains('database \d+ does not exist'), 'no worker tried to connect to the dropped database');

# max_workers exhaustion is logged.
$node->safe_psql('postgres', 'ALTER SYSTEM SET pgstreamx.max_workers = 1');
$node->reload;
$node->safe_psql('postgres', 'CREATE DATABASE db5');
$node->safe_psql('db5', 'CREATE EXTENSION pgstreamx');
ok(wait_for(15, sub { $node->log_contains(qr/pgstreamx\.max_workers \(1\) reached: database "db5" gets no pgstreamx worker/) }),
   'max_workers exhaustion logs a clear line naming the database');
is(worker_pid('db5'), '', 'and db5 has no worker');
$node->safe_psql('postgres', 'ALTER SYSTEM SET pgstreamx.max_workers = 4');
$node->reload;
ok(wait_for(15, sub { worker_pid('db5') ne '' }), 'raising max_workers (SIGHUP) serves it');

# kill -9 of the postmaster: after a restart the workers come back.
my $oldpid = $node->{_pid};
$node->kill9;
# Wait for the killed postmaster, then start; on PG 15 a start right after
# kill9 may still find its orphans, so retry (as 005_stream_crash.pl does).
for (1 .. 100) { last unless kill(0, $oldpid); sleep(0.1); }
my $started = 0;
for (1 .. 30) {
    $node->{_pid} = undef;    # the pid file left by kill -9 is stale
    $started = $node->start(fail_ok => 1);
    last if $started;
    sleep(1);
}
ok($started, 'the server restarts after kill -9 of the postmaster');
ok(wait_for(20, sub { worker_pid('db1') ne '' && worker_pid('db5') ne '' }), 'both workers are back after kill -9');

# pg_ctl stop -m immediate during maintenance loses nothing. 100 streams,
# so that a round lasts long enough to be seen running (with 20 it was
# sometimes over between two looks).
$node->safe_psql('db1', q{
    SELECT pgstreamx.create_stream('s' || i, 2, retention => '1 hour', segments => 3) FROM generate_series(1, 100) i;
    SELECT count(pgstreamx.append('s' || s, jsonb_build_object('i', i), key => 'k' || i))
    FROM generate_series(1, 100) s, generate_series(1, 10) i;
    SELECT pgstreamx.create_consumer('s' || i, 'c') FROM generate_series(1, 100) i;
    -- due for rotation: every round now seals and tries to truncate
    UPDATE pgstreamx.stream_segments SET opened_at = opened_at - interval '2 hours';
});
ok(wait_for(30, sub { $node->safe_psql('db1', 'SELECT running_pid IS NOT NULL FROM pgstreamx.maintenance_stats') eq 't' }),
   'maintenance is running');
$node->stop('immediate');
$node->start;
is($node->safe_psql('db1', q{SELECT sum(n) FROM (SELECT (SELECT count(*) FROM pgstreamx.poll('s' || i, 'c', 1000)) n FROM generate_series(1, 100) i) x}),
   '1000', 'after an immediate stop during maintenance, every message is still there for the consumer');
my $r = $node->safe_psql('db1', 'SELECT rounds FROM pgstreamx.maintenance_stats');
ok(wait_for(20, sub { $node->safe_psql('db1', 'SELECT rounds FROM pgstreamx.maintenance_stats') > $r + 2 }),
   'maintenance resumes after the restart');
is($node->safe_psql('db1', q{SELECT count(*) FROM pgstreamx.stream_segments WHERE state = 'sealing'}), '0',
   'no segment is left half-sealed');
is($node->safe_psql('db1', q{SELECT (SELECT segments_rotated FROM pgstreamx.maintenance_stats) = (SELECT count(*) FROM pgstreamx.maintenance_log WHERE action = 'rotated')}),
   't', 'the rotation counter agrees with the log (counted in the same transaction)');

$node->stop;
done_testing();
