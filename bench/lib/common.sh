# Helpers for bench/run.sh (sourced). Expects: BENCH_DIR, WORK, SOCK, PORT, PGBIN.
# shellcheck shell=bash

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() { log "ERROR: $*"; exit 1; }

# Run a command as the unprivileged server user (root cannot run initdb/postgres).
as_server_user() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$SERVER_USER" -- env TMPDIR="$WORK/tmp" "$@"
    else
        env TMPDIR="$WORK/tmp" "$@"
    fi
}

# psql against the bench database: -X (no psqlrc), stop on the first error.
bpsql() {
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U "$DBUSER" -d "$DBNAME" "$@"
}
# one value, unaligned, no header
bval() { bpsql -At "$@" | tail -n 1; }

# apt-get install the Debian packages that provide missing pieces.
APT_UPDATED=0
ensure_packages() {
    local -a want=()
    [[ -x /usr/lib/postgresql/15/bin/postgres ]] || want+=(postgresql-15)
    [[ -x /usr/lib/postgresql/15/bin/pgbench ]] || want+=(postgresql-15)
    command -v pg_config >/dev/null && [[ -d "$(pg_config --includedir-server 2>/dev/null)" ]] \
        || want+=(postgresql-server-dev-15)
    [[ -f /usr/share/postgresql/15/extension/pgq.control ]] || want+=(postgresql-15-pgq3)
    command -v gnuplot >/dev/null || want+=(gnuplot-nox)
    [[ -f "$(pg_config --includedir 2>/dev/null)/libpq-fe.h" || -f /usr/include/postgresql/libpq-fe.h ]] \
        || want+=(libpq-dev)
    command -v cc >/dev/null || want+=(gcc)
    command -v make >/dev/null || want+=(make)
    command -v g++ >/dev/null || want+=(g++)
    command -v perl >/dev/null || want+=(perl)
    [[ ${#want[@]} -eq 0 ]] && return 0
    mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
    [[ $EUID -eq 0 ]] || die "missing packages (${want[*]}) and not root: install them first"
    log "installing Debian packages: ${want[*]}"
    if [[ $APT_UPDATED -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null
}

# Server CPU accounting. Prints "<ticks> <busy>", where ticks is
# utime+stime+cutime+cstime of the postmaster plus those of its live children
# (terminated backends are reaped by the postmaster, so their time lands in its
# cutime/cstime), and busy counts the children that are client backends (title
# "postgres: <user> <db>") or exiting (zombie, or cmdline already gone).
server_stat() {
    perl -e '
        my ($pm, $tag) = @ARGV; my ($t, $n) = (0, 0);
        opendir(my $d, "/proc") or die;
        for my $p (grep { /^\d+$/ } readdir $d) {
            open(my $f, "<", "/proc/$p/stat") or next; my $s = <$f>; close $f;
            defined $s or next; $s =~ s/^.*\)\s+//; my @x = split " ", $s;
            next unless $p == $pm || $x[1] == $pm;
            $t += $x[11] + $x[12] + $x[13] + $x[14];
            next if $p == $pm;
            # an exited, not yet reaped child (zombie) has its CPU time in neither its
            # own stat nor in the cutime of the postmaster yet: wait for it too
            if ($x[0] eq "Z") { $n++; next }
            if (open(my $c, "<", "/proc/$p/cmdline")) {
                my $cmd = <$c> // ""; close $c; $n++ if $cmd eq "" || index($cmd, $tag) == 0;
            }
        }
        print "$t $n\n";' "$PM_PID" "postgres: $DBUSER $DBNAME"
}

# Wait (max ~5 s) until no client backend is left, so that their CPU time has
# been reaped into the postmaster's counters; print the ticks.
server_ticks_quiet() {
    local i t n
    for ((i = 0; i < 100; i++)); do
        read -r t n < <(server_stat)
        [[ $n -eq 0 ]] && break
        sleep 0.05
    done
    [[ $n -eq 0 ]] || warn "$n client backend(s) still running after 5 s: CPU figure of this run is approximate"
    echo "$t"
}

# median of numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print 0} else if (NR%2) {print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN {printf "%.1f", b - a}'; }
