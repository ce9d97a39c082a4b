# Streams after a restart and after a backend dies mid-refill (found in
# review): rows committed before a restart are still seen as new by a waiting
# reader although the partition's state starts empty; a backend terminated
# while reserving a chunk does not leave the partition stuck.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stream_recovery');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'");
$node->start;
$node->safe_psql('postgres', q{
    CREATE EXTENSION pgstreamx;
    SELECT pgstreamx.create_stream('r', 1);
    SELECT pgstreamx.append('r', '{"i": 1}'::jsonb);
    SELECT pgstreamx.append('r', '{"i": 2}'::jsonb);
});
$node->restart;

# After the restart, one append that rolls back loads the partition's state;
# the two committed rows must still be found by a new consumer.
$node->safe_psql('postgres', q{BEGIN; SELECT pgstreamx.append('r', '{"i": 3}'::jsonb); ROLLBACK;});
is($node->safe_psql('postgres', q{SELECT string_agg(payload->>'i', ',' ORDER BY seq) FROM pgstreamx.poll('r', 'fresh', 10, '1 s')}),
   '1,2', 'rows committed before the restart are read after it');

# A backend terminated while waiting in nextval during a chunk refill.
$node->safe_psql('postgres', q{SELECT pgstreamx.create_stream('rf', 1)});
my $locker = $node->background_psql('postgres');
$locker->query_safe(q{BEGIN; ALTER SEQUENCE pgstreamx."s_rf$h0" INCREMENT BY 1000;});
my $appender = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $appender->query_safe('SELECT pg_backend_pid()');
$appender->query_until(qr/appending/, qq{\\echo appending
SELECT pgstreamx.append('rf', '{}'::jsonb);
});
$node->poll_query_until('postgres',
    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $pid") or die 'appender not blocked';
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$locker->query_safe('COMMIT');
$locker->quit;
eval { $appender->quit };
my ($ret, $out, $err) = $node->psql('postgres', q{SET statement_timeout = '10s'; SELECT pgstreamx.append('rf', '{}'::jsonb) > 0});
is($out, 't', 'appends work after a backend died while reserving a chunk') or diag($err);

$node->stop;
done_testing();
