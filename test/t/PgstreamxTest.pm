# Helpers shared by the Perl TAP tests of pgstreamx.
package PgstreamxTest;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(start_after_kill9);

# Starts $node again after $node->kill9. Waits for the killed postmaster
# ($oldpid) and its orphaned backends to be gone, then starts; on PG 15 a
# start right after kill9 may still find them, so it retries. Returns true
# once the server is up.
sub start_after_kill9 {
    my ($node, $oldpid) = @_;
    for (1 .. 100) { last unless kill(0, $oldpid); select(undef, undef, undef, 0.1); }
    for (1 .. 30) {
        $node->{_pid} = undef;    # the pid file left by kill -9 is stale
        return 1 if $node->start(fail_ok => 1);
        sleep 1;
    }
    return 0;
}

1;
