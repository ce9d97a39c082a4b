# A C++ exception that reaches a pgstreamx entry point becomes an ERROR: the
# backend survives and the cluster does not go through crash recovery. The
# negative control (an exception escaping WITHOUT the bridge) proves that this
# test can see such a crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('bridge');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'\nrestart_after_crash = on");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgstreamx_test CASCADE');

# A bystander session that a cluster-wide crash reset would kill.
my $bystander = $node->background_psql('postgres');
my $pid = $bystander->query_safe('SELECT pg_backend_pid()');

sub crashed {
    return $node->log_contains(qr/terminated by signal|server process .* was terminated|all server processes terminated/);
}

my @calls = (
    ["SELECT pgstreamx_test.throw_cxx('runtime_error')", 'XX000'],
    ["SELECT pgstreamx_test.throw_cxx('bad_alloc')",     '53200'],
    ["SELECT pgstreamx_test.throw_cxx('int')",           'XX000'],
    ["SELECT pgstreamx_test.raise('22023', 'mine')",     '22023'],
    ['SELECT pgstreamx_test.guarded_divide(1, 0)',       '22012'],
    ["SELECT pgstreamx_test.destructors('cxx')",         '22023'],
    ["SELECT pgstreamx_test.destructors('pg')",          '22012'],
    ['SELECT pgstreamx_test.alloc(9223372036854775807)', '53200'],
);
for my $c (@calls) {
    my ($sql, $state) = @$c;
    my ($ret, $stdout, $stderr) = $node->psql('postgres', "\\set VERBOSITY sqlstate\n$sql");
    like($stderr, qr/ERROR:  $state/, "$sql raises $state");
}
# Many times in one backend: no leak of C++ exception state.
is($node->safe_psql('postgres',
    q{SELECT count(*) FROM generate_series(1, 2000) i,
        LATERAL (SELECT pgstreamx_test.error_of('SELECT pgstreamx_test.throw_cxx(''runtime_error'')')) e}),
   '2000', '2000 caught C++ exceptions in one backend');

is($bystander->query_safe('SELECT pg_backend_pid()'), $pid, 'bystander session survived every error');
ok(!crashed(), 'no backend crashed, no crash recovery');

# Negative control: the same exception without the bridge kills the backend
# and resets the cluster; the detector above must see it.
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT pgstreamx_test.crash_unguarded()');
isnt($ret, 0, 'unguarded exception: the statement fails');
like($stderr, qr/server closed the connection unexpectedly/, 'unguarded exception: the backend died');
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
ok(crashed(), 'negative control: the crash is detected');
eval { $bystander->query_safe('SELECT 1') };
ok($@, 'negative control: the bystander session was killed by the crash reset');
eval { $bystander->quit };

$node->stop;
done_testing();
