# pgstreamx without shared_preload_libraries: the extension installs and what
# needs no shared memory works; what needs it fails with SQLSTATE 55000 and a
# HINT naming shared_preload_libraries. With preloading, it all works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION pgstreamx_test CASCADE');
is($node->safe_psql('postgres', 'SELECT pgstreamx.version() = extversion FROM pg_extension WHERE extname = $$pgstreamx$$'),
   't', 'version() works without preloading');

for my $call ('SELECT * FROM pgstreamx.shared_memory()',
              'SELECT pgstreamx_test.wakeup_generation(1)',
              'SELECT pgstreamx_test.wakeup_notify(1)') {
    my ($ret, $stdout, $stderr) = $node->psql('postgres', "\\set VERBOSITY verbose\n$call");
    isnt($ret, 0, "$call fails without preloading");
    like($stderr, qr/ERROR:  55000: .* requires pgstreamx to be loaded at server start/, "$call: SQLSTATE 55000");
    like($stderr, qr/HINT:  Add pgstreamx to shared_preload_libraries/, "$call: HINT names shared_preload_libraries");
}

# The GUC prefix is reserved even when the library is loaded late.
my ($ret, $stdout, $stderr) = $node->psql('postgres', "LOAD 'pgstreamx'; SET pgstreamx.typo = 1");
like($stderr, qr/invalid configuration parameter name "pgstreamx.typo"/, 'prefix reserved after LOAD');

# Now preload it and restart.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'");
$node->restart;
is($node->safe_psql('postgres', q{SELECT string_agg(segment, ',' ORDER BY segment) FROM pgstreamx.shared_memory()}),
   'pgstreamx offsets,pgstreamx queue config,pgstreamx queues,pgstreamx wakeup,pgstreamx worker', 'shared memory exists after preloading');
is($node->safe_psql('postgres', 'SELECT pgstreamx_test.wakeup_wait(1, 10)'), 'f', 'wake-ups work after preloading');

# A misspelt setting in postgresql.conf is reported, not silently ignored.
$node->append_conf('postgresql.conf', "pgstreamx.wakeup_slotz = 10");
$node->restart;
ok($node->log_contains('invalid configuration parameter name "pgstreamx.wakeup_slotz"'),
   'misspelt pgstreamx.* setting in postgresql.conf is logged');

$node->stop;
done_testing();
