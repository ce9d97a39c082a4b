# The pg_cron path (docs/operations.md): with pgstreamx.worker_enabled = off no
# worker runs, and a pg_cron job 'CALL pgstreamx.maintain()' keeps streams
# healthy: maintenance_stats and maintenance_log show that cron ran it.
# Debian 12's pg_cron is 1.4 (minute schedules only); from 1.5 on the test
# uses a '5 seconds' schedule.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('pg_cron');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pgstreamx,pg_cron'
cron.database_name = 'postgres'
cron.host = '@{[$node->host]}'
pgstreamx.worker_enabled = off
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron; CREATE EXTENSION pgstreamx');
my $cron_version = $node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'");
my ($maj, $min) = split /\./, $cron_version;
my $schedule = ($maj > 1 || $min >= 5) ? '5 seconds' : '* * * * *';
note "pg_cron $cron_version: schedule '$schedule'";

sleep(2);
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgstreamx worker'"), '0',
   'worker_enabled = off: no pgstreamx worker');

# A stream whose current segment is due for rotation.
$node->safe_psql('postgres', q{
    SELECT pgstreamx.create_stream('cronned', 2, retention => '1 hour', segments => 3);
    SELECT count(pgstreamx.append('cronned', jsonb_build_object('i', i), key => 'k' || i)) FROM generate_series(1, 10) i;
    UPDATE pgstreamx.stream_segments SET opened_at = opened_at - interval '31 minutes';
});
$node->safe_psql('postgres', "SELECT cron.schedule('pgstreamx-maintain', '$schedule', 'CALL pgstreamx.maintain()')");

my $ok = 0;
my $t0 = time();
while (time() - $t0 < 150) {
    if ($node->safe_psql('postgres', 'SELECT rounds >= 1 FROM pgstreamx.maintenance_stats') eq 't') { $ok = 1; last; }
    sleep(1);
}
ok($ok, sprintf('pg_cron ran maintain() (maintenance_stats.rounds >= 1 after %.0f s)', time() - $t0));
is($node->safe_psql('postgres', "SELECT count(*) >= 1 FROM pgstreamx.maintenance_log WHERE object = 'cronned' AND action = 'rotated'"),
   't', 'the cron round rotated the due stream (maintenance_log)');
is($node->safe_psql('postgres', 'SELECT segments_rotated FROM pgstreamx.maintenance_stats'), '1', 'and counted it');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job_run_details WHERE command = 'CALL pgstreamx.maintain()' AND status = 'succeeded'}) >= 1 ? 't' : 'f',
   't', 'cron.job_run_details shows the run succeeded');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgstreamx.s_cronned'), '10', 'nothing live was dropped');

$node->stop;
done_testing();
