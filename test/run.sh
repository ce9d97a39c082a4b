#!/usr/bin/env bash
# make test: every test suite of pgstreamx, on throw-away servers.
#
# On a fresh Debian 12 machine (as root) it installs the packages it needs,
# builds (-Werror), installs pgstreamx and the test-only extension
# pgstreamx_test, then runs, as an unprivileged user:
#   unit       GoogleTest unit tests of src/core/ (no server)
#   regress    pg_regress: sql/*.sql against expected/*.out
#   pgtap      pgTAP API contracts: test/pgtap/*.sql with pg_prove
#   isolation  pg_isolation_regress: test/specs/*.spec against test/expected/
#   tap        Perl TAP (PostgreSQL::Test::Cluster): test/t/*.pl
# and prints "N passed, M failed" per suite. Exit status is non-zero if any
# test failed or a suite could not run.
#
# Environment: SUITES="unit regress ..." runs a subset; KEEP=1 keeps the
# scratch directory (logs, results, diffs) for inspection.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/common.sh
. "$ROOT/scripts/common.sh"

SUITES=${SUITES:-unit regress pgtap isolation tap}
TEST_PACKAGES=("${BUILD_PACKAGES[@]}" libgtest-dev postgresql-$PG_MAJOR-pgtap
               libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
               postgresql-$PG_MAJOR-cron)

declare -A PASSED FAILED NOTE
record() { PASSED[$1]=$2; FAILED[$1]=$3; NOTE[$1]=${4:-}; }

# ---- 1. packages, build, install ----------------------------------------------
ensure_packages "${TEST_PACKAGES[@]}"
hold_install_lock
build_and_install "$ROOT" || exit 1
make -C "$ROOT/test/modules/pgstreamx_test" -s install PG_CONFIG="$PG_CONFIG" >/dev/null ||
    die "could not install the test-only extension pgstreamx_test"

# ---- 2. scratch copy readable by the server user ------------------------------
WORK=$(make_scratch /var/tmp test)
cleanup() {
    [ -n "${PGDATA_DIR:-}" ] && as_server_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1
    if [ "${KEEP:-0}" = 1 ]; then echo "scratch directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
(cd "$ROOT" && tar cf - sql expected test CHANGELOG.md) | (cd "$WORK" && tar xf -)
is_root && chown -R "$(server_user)" "$WORK"

# ---- 3. suites ----------------------------------------------------------------
run_unit() {
    log "unit: GoogleTest (src/core)"
    local out
    out=$(make -C "$ROOT/test/unit" -s run 2>&1)
    echo "$out" | grep -E '^\[  (FAILED|PASSED) |^\[==========\]|Failure' || echo "$out" | tail -20
    local pass fail
    pass=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
    fail=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
    if [ -z "$pass" ] && [ -z "$fail" ]; then record unit 0 1 "did not run (build failed?)"; echo "$out" | tail -30; return; fi
    record unit "${pass:-0}" "${fail:-0}"
    make -C "$ROOT/test/unit" -s clean >/dev/null
}

start_server() {
    PGDATA_DIR=$WORK/data
    PGPORT_T=$(free_port 54400)
    log "starting a throw-away server on port $PGPORT_T (pgstreamx preloaded)"
    as_server_user "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust --no-sync -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
        { cat "$WORK/initdb.log"; return 1; }
    cat >>"$PGDATA_DIR/postgresql.conf" <<CONF
shared_preload_libraries = 'pgstreamx'
port = $PGPORT_T
listen_addresses = ''
unix_socket_directories = '$WORK'
max_prepared_transactions = 10
# regress/isolation call maintain() themselves, deterministically
pgstreamx.worker_enabled = off
fsync = off
log_min_messages = warning
CONF
    as_server_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/server.log" -w -t 60 start >/dev/null ||
        { cat "$WORK/server.log"; return 1; }
}

# count_results FILE: "passed failed" from a pg_regress-style summary.
count_results() {
    local ok bad
    ok=$(grep -cE '\.\.\. ok' "$1" 2>/dev/null)
    bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$1" 2>/dev/null)
    echo "${ok:-0} ${bad:-0}"
}

# pg_regress_suite SUITE DRIVER INPUTDIR TESTS...: runs pg_regress or
# pg_isolation_regress against the throw-away server and records the counts.
pg_regress_suite() {
    local suite=$1 driver=$2 inputdir=$3
    shift 3
    as_server_user "$driver" --host="$WORK" --port="$PGPORT_T" --inputdir="$inputdir" \
        --outputdir="$WORK/$suite" --dbname="pgstreamx_$suite" "$@" >"$WORK/$suite.log" 2>&1
    local rc=$? ok bad
    grep -E '\.\.\. |tests? (passed|failed)' "$WORK/$suite.log"
    read -r ok bad < <(count_results "$WORK/$suite.log")
    [ "$rc" != 0 ] && [ "$bad" = 0 ] && bad=1 && tail -20 "$WORK/$suite.log"
    [ -s "$WORK/$suite/regression.diffs" ] && head -100 "$WORK/$suite/regression.diffs"
    record "$suite" "$ok" "$bad"
}

run_regress() {
    log "regress: pg_regress"
    # shellcheck disable=SC2046
    pg_regress_suite regress "$PGXS_DIR/src/test/regress/pg_regress" "$WORK" \
        $(make -s -C "$ROOT" print-regress)
}

run_isolation() {
    log "isolation: pg_isolation_regress"
    # shellcheck disable=SC2046
    pg_regress_suite isolation "$PGXS_DIR/src/test/isolation/pg_isolation_regress" "$WORK/test" \
        $(make -s -C "$ROOT" print-isolation)
}

# prove_counts LOG: "files_ok files_failed assertions" from prove's output.
prove_counts() {
    local files bad tests
    files=$(sed -n 's/^Files=\([0-9]*\), .*/\1/p' "$1")
    tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$1")
    bad=$(grep -cE '^[^ ]+\.(pl|sql) +\(Wstat' "$1")
    [ -z "$files" ] && { echo "0 1 0"; return; }
    echo "$((files - bad)) $bad ${tests:-0}"
}

run_pgtap() {
    log "pgtap: pg_prove test/pgtap/*.sql"
    as_server_user "$PG_BIN/createdb" -h "$WORK" -p "$PGPORT_T" pgstreamx_pgtap || { record pgtap 0 1 "createdb failed"; return; }
    (cd "$WORK" && as_server_user pg_prove -h "$WORK" -p "$PGPORT_T" -d pgstreamx_pgtap test/pgtap/*.sql) \
        >"$WORK/pgtap.log" 2>&1
    local rc=$?
    cat "$WORK/pgtap.log"
    read -r ok bad tests < <(prove_counts "$WORK/pgtap.log")
    [ "$rc" != 0 ] && [ "$bad" = 0 ] && bad=1
    record pgtap "$ok" "$bad" "$tests assertions"
}

run_tap() {
    log "tap: prove test/t/*.pl (PostgreSQL::Test::Cluster)"
    mkdir -p "$WORK/tap" && is_root && chown "$(server_user)" "$WORK/tap"
    (cd "$WORK/test" && as_server_user env PATH="$PG_BIN:$PATH" \
        PERL5LIB="$PGXS_DIR/src/test/perl" TESTDIR="$WORK/tap" TMPDIR="$WORK/tap" \
        PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" PGSTREAMX_ROOT="$WORK" \
        prove -v t/*.pl) >"$WORK/tap.log" 2>&1
    local rc=$?
    grep -E '^t/|^(not )?ok |^#   Failed|^# +(got|expected)|^Files=|^Result' "$WORK/tap.log"
    read -r ok bad tests < <(prove_counts "$WORK/tap.log")
    if [ "$rc" != 0 ]; then
        [ "$bad" = 0 ] && bad=1
        for f in "$WORK"/tap/tmp_check/log/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
    fi
    record tap "$ok" "$bad" "$tests assertions"
}

server_needed=0
for s in $SUITES; do case $s in regress|pgtap|isolation) server_needed=1 ;; esac; done

for s in $SUITES; do
    case $s in
        unit) run_unit ;;
        regress|pgtap|isolation)
            if [ "$server_needed" = 1 ]; then
                start_server || { for t in regress pgtap isolation; do record $t 0 1 "server did not start"; done; server_needed=2; }
                [ "$server_needed" = 1 ] && server_needed=3
            fi
            [ "$server_needed" = 3 ] && "run_$s"
            ;;
        tap) run_tap ;;
        *) die "unknown suite $s" ;;
    esac
done

# ---- 4. summary ---------------------------------------------------------------
echo
log "summary"
status=0
for s in $SUITES; do
    [ -z "${PASSED[$s]+x}" ] && record "$s" 0 1 "did not run"
    printf '  %-10s %4s passed, %s failed%s\n' "$s" "${PASSED[$s]}" "${FAILED[$s]}" \
        "${NOTE[$s]:+  (${NOTE[$s]})}"
    [ "${FAILED[$s]}" != 0 ] && status=1
    [ "${PASSED[$s]}" = 0 ] && [ "${FAILED[$s]}" = 0 ] && status=1
done
[ $status = 0 ] && echo "all suites passed" || echo "SOME TESTS FAILED"
[ $status != 0 ] && KEEP=${KEEP:-0}
exit $status
