# Hot standby: the in-flight registry exists only on the primary, so reading
# a stream by offset (and appending) is refused on a standby with a clear
# error, while the replicated data and metadata stay queryable.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'");
$primary->start;
$primary->safe_psql('postgres', q{
    CREATE EXTENSION pgstreamx;
    SELECT pgstreamx.create_stream('replicated', 2);
    SELECT count(pgstreamx.append('replicated', jsonb_build_object('i', i))) FROM generate_series(1, 10) i;
});
$primary->backup('b');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT count(*) FROM pgstreamx.s_replicated'), '10',
   'messages are replicated');
my ($ret, $out, $err) = $standby->psql('postgres',
    "\\set VERBOSITY verbose\nSELECT * FROM pgstreamx.poll('replicated', 'c')");
like($err, qr/ERROR:  25006: cannot poll a stream on a hot standby/, 'poll on a standby: 25006');
like($err, qr/HINT:  Connect to the primary server/, 'with a HINT');
($ret, $out, $err) = $standby->psql('postgres',
    "\\set VERBOSITY verbose\nSELECT pgstreamx.append('replicated', '{}'::jsonb)");
like($err, qr/ERROR:  25006: cannot append to a stream during recovery/, 'append on a standby: 25006');

$standby->stop;
$primary->stop;
done_testing();
