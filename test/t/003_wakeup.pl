# Wake-ups across sessions: several waiters on one channel all wake on one
# commit; a waiter can be cancelled and its session goes on; a fast shutdown
# is not held up by waiting sessions.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('wakeup');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgstreamx'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgstreamx_test CASCADE');

# Three waiters on channel 7: each records the generation, then waits up to 120 s.
my @waiters;
for my $i (1 .. 3) {
    my $w = $node->background_psql('postgres');
    $w->query_safe(q{SELECT set_config('w.seen', pgstreamx_test.wakeup_generation(7)::text, false)});
    $w->query_until(qr/waiting/, qq{\\echo waiting
SELECT 'waiter$i', pgstreamx_test.wakeup_wait(7, current_setting('w.seen')::bigint, 120000);
});
    push @waiters, $w;
}
# They really wait: still waiting after the others started.
$node->poll_query_until('postgres',
    q{SELECT count(*) = 3 FROM pg_stat_activity WHERE query LIKE '%wakeup_wait(7%' AND wait_event_type = 'Extension'})
  or die 'waiters are not waiting';
pass('three sessions wait in the server (wait_event_type Extension)');

# A commit on another channel does not end their wait; one on channel 7 does.
my $t0 = time();
$node->safe_psql('postgres', 'BEGIN; SELECT pgstreamx_test.wakeup_notify(7); COMMIT;');
for my $i (1 .. 3) {
    my $out = $waiters[$i - 1]->query_safe(q{SELECT 'after'});
    like($out, qr/waiter$i\|t/, "waiter $i woken by the commit");
}
my $elapsed = time() - $t0;
ok($elapsed < 60, sprintf('woken, not timed out (%.3f s for all three)', $elapsed));
$_->quit for @waiters;

# Cancel: a waiting session gets 57014 and stays usable.
my $w = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $w->query_safe('SELECT pg_backend_pid()');
$w->query_until(qr/waiting/, qq{\\echo waiting
SELECT pgstreamx_test.wakeup_wait(8, 600000);
});
$node->poll_query_until('postgres',
    "SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $pid") or die 'not waiting';
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $after = $w->query('SELECT 42');
like($w->{stderr}, qr/canceling statement due to user request/, 'cancelled wait raises 57014');
like($after, qr/42/, 'the cancelled session goes on');

# Fast shutdown while a session waits: it must not hang.
$w->query_until(qr/waiting/, qq{\\echo waiting
SELECT pgstreamx_test.wakeup_wait(9, 600000);
});
$node->poll_query_until('postgres',
    "SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $pid") or die 'not waiting';
my $s0 = time();
$node->stop('fast');
ok(time() - $s0 < 30, 'fast shutdown is not held up by a waiting session');
eval { $w->quit };

done_testing();
