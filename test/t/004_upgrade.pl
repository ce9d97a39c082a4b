# Upgrades: for the oldest installable version and every version CHANGELOG.md
# lists as released, CREATE EXTENSION ... VERSION that one, ALTER EXTENSION
# UPDATE, and compare the result with a fresh install of the default version
# object by object (definitions, privileges, settings, comments).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = $ENV{PGSTREAMX_ROOT} // '../..';
my $changelog = -f "$root/CHANGELOG.md" ? "$root/CHANGELOG.md" : '../CHANGELOG.md';

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'");
$node->start;

# What the server can install, and what CHANGELOG.md says is released.
my $default = $node->safe_psql('postgres',
    q{SELECT default_version FROM pg_available_extensions WHERE name = 'pgstreamx'});
my @available = split /\n/, $node->safe_psql('postgres',
    q{SELECT version FROM pg_available_extension_versions WHERE name = 'pgstreamx'
      ORDER BY string_to_array(version, '.')::int[]});
ok(scalar(@available) >= 1, "installable versions: @available (default $default)");

my @released;
if (open my $fh, '<', $changelog) {
    while (<$fh>) { push @released, $1 if /^## (\d+\.\d+\.\d+) - \d{4}-\d{2}-\d{2}\s*$/; }
    close $fh;
}
note('released per CHANGELOG.md: ' . (@released ? "@released" : 'none yet'));
for my $v (@released) {
    ok((grep { $_ eq $v } @available), "released version $v is installable");
}

# A canonical description of everything the extension owns.
my $fingerprint = q{
SELECT string_agg(line, E'\n' ORDER BY line) FROM (
  SELECT 'ext ' || extname || ' ' || extrelocatable || ' ' || extnamespace::regnamespace
         || ' config=' || coalesce(extconfig::regclass[]::text, '{}') || ' cond=' || coalesce(extcondition::text, '{}') AS line
  FROM pg_extension WHERE extname = 'pgstreamx'
  UNION ALL
  SELECT 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, '') || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
  FROM pg_namespace n WHERE n.nspname = 'pgstreamx'
  UNION ALL
  SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_depend d
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgstreamx')
  UNION ALL
  SELECT 'function ' || p.oid::regprocedure || E'\n' || pg_get_functiondef(p.oid)
         || ' acl=' || coalesce(p.proacl::text, '') || ' config=' || coalesce(p.proconfig::text, '')
         || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
  FROM pg_proc p WHERE p.pronamespace = 'pgstreamx'::regnamespace AND p.prokind IN ('f', 'p', 'w')
  UNION ALL
  SELECT 'aggregate ' || p.oid::regprocedure FROM pg_proc p
  WHERE p.pronamespace = 'pgstreamx'::regnamespace AND p.prokind = 'a'
  UNION ALL
  SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
         || ' acl=' || coalesce(c.relacl::text, '') || ' options=' || coalesce(c.reloptions::text, '')
         || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
         || coalesce(' view=' || pg_get_viewdef(c.oid), '')
  FROM pg_class c WHERE c.relnamespace = 'pgstreamx'::regnamespace
  UNION ALL
  SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
         || ' acl=' || coalesce(a.attacl::text, '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE c.relnamespace = 'pgstreamx'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'constraint ' || con.conrelid::regclass || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
  FROM pg_constraint con WHERE con.connamespace = 'pgstreamx'::regnamespace
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE c.relnamespace = 'pgstreamx'::regnamespace
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = 'pgstreamx'::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text FROM pg_type t
  WHERE t.typnamespace = 'pgstreamx'::regnamespace AND t.typrelid = 0
  UNION ALL
  SELECT 'role ' || r.rolname || ' login=' || r.rolcanlogin FROM pg_roles r WHERE r.rolname LIKE 'pgstreamx\_%'
) s};

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION pgstreamx');
my $fresh = $node->safe_psql('fresh', $fingerprint);
ok(length($fresh) > 0, 'fresh install described');

my %from = map { $_ => 1 } ($available[0], @released);
for my $v (sort keys %from) {
    my $db = "from_" . ($v =~ s/\./_/gr);
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, "CREATE EXTENSION pgstreamx VERSION '$v'");
    $node->safe_psql($db, 'ALTER EXTENSION pgstreamx UPDATE');
    is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pgstreamx'}),
       $default, "$v updates to $default");
    my $upgraded = $node->safe_psql($db, $fingerprint);
    is($upgraded, $fresh, "$v -> $default equals a fresh $default install");
    if ($upgraded ne $fresh) {
        my %f = map { $_ => 1 } split /\n/, $fresh;
        my %u = map { $_ => 1 } split /\n/, $upgraded;
        diag("only in fresh:    $_") for grep { !$u{$_} } sort keys %f;
        diag("only in upgraded: $_") for grep { !$f{$_} } sort keys %u;
    }
}

# Every released version has an update path to the default version.
for my $v (@released) {
    next if $v eq $default;
    is($node->safe_psql('postgres',
        qq{SELECT path IS NOT NULL FROM pg_extension_update_paths('pgstreamx') WHERE source = '$v' AND target = '$default'}),
       't', "update path $v -> $default exists");
}

$node->stop;
done_testing();
