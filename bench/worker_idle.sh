#!/usr/bin/env bash
# bench/worker_idle.sh: CPU cost of an idle pgstreamx worker and launcher.
#
# Starts a throw-away PostgreSQL 15 server with pgstreamx preloaded, creates
# the extension (with one stream) in one database, waits for its worker, and
# reads utime+stime of the worker and the launcher from /proc before and
# after IDLE_S seconds (default 60) of idleness. Writes the result under
# "Background worker idle cost" in docs/benchmarks.md (WRITE_DOCS=0: only
# prints it). NAPTIME sets pgstreamx.naptime (default: the default, 10s).
# A measurement, never a test: nothing fails on the figure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/common.sh
. "$ROOT/scripts/common.sh"

IDLE_S=${IDLE_S:-60}
NAPTIME=${NAPTIME:-}
WRITE_DOCS=${WRITE_DOCS:-1}

ensure_packages "${BUILD_PACKAGES[@]}"
hold_install_lock
build_and_install "$ROOT" >/dev/null
WORK=$(make_scratch /var/tmp worker-idle)
PGDATA_DIR=$WORK/data
PORT=$(free_port 55600)
cleanup() {
    as_server_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
as_server_user "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust --no-sync >/dev/null
cat >>"$PGDATA_DIR/postgresql.conf" <<CONF
shared_preload_libraries = 'pgstreamx'
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK'
${NAPTIME:+pgstreamx.naptime = '$NAPTIME'}
CONF
as_server_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/server.log" -w start >/dev/null
psql_() { as_server_user "$PG_BIN/psql" -X -At -h "$WORK" -p "$PORT" "$@"; }
psql_ -d postgres -c 'CREATE DATABASE idle' >/dev/null
psql_ -d idle -c "CREATE EXTENSION pgstreamx; SELECT pgstreamx.create_stream('idle', 4)" >/dev/null
worker=
for _ in $(seq 1 100); do
    worker=$(psql_ -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgstreamx worker' AND datname = 'idle'")
    [ -n "$worker" ] && break
    sleep 0.1
done
[ -n "$worker" ] || die "no worker appeared"
launcher=$(psql_ -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgstreamx launcher'")
naptime=$(psql_ -d idle -c 'SHOW pgstreamx.naptime')
sleep 2   # past the first rounds
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
w0=$(ticks "$worker") l0=$(ticks "$launcher") r0=$(psql_ -d idle -c 'SELECT rounds FROM pgstreamx.maintenance_stats')
sleep "$IDLE_S"
w1=$(ticks "$worker") l1=$(ticks "$launcher") r1=$(psql_ -d idle -c 'SELECT rounds FROM pgstreamx.maintenance_stats')
line=$(awk -v w=$((w1 - w0)) -v l=$((l1 - l0)) -v hz="$hz" -v s="$IDLE_S" -v r=$((r1 - r0)) -v n="$naptime" \
    -v d="$(date -u '+%Y-%m-%d %H:%M UTC')" 'BEGIN {
    tick = 1 / hz
    fw = w > 0 ? sprintf("%.2f s (%.3f %%)", w / hz, 100 * w / hz / s) : sprintf("< %.2f s (< %.3f %%)", tick, 100 * tick / s)
    fl = l > 0 ? sprintf("%.2f s (%.3f %%)", l / hz, 100 * l / hz / s) : sprintf("< %.2f s (< %.3f %%)", tick, 100 * tick / s)
    printf "| %s | %s | %d s | %d | %s | %s |", d, n, s, r, fw, fl }')
echo "$line"
[ "$WRITE_DOCS" = 1 ] || exit 0
DOC=$ROOT/docs/benchmarks.md
if ! grep -q '^## Background worker idle cost' "$DOC"; then
    cat >>"$DOC" <<'MD'

## Background worker idle cost

`bench/worker_idle.sh`: one database with pgstreamx and one empty stream; the
worker's and the launcher's utime+stime from `/proc/<pid>/stat` over an idle
period (one core = 100 %; `/proc` counts in ticks of 1/CLK_TCK = 10 ms, so
"< 0.01 s" means no tick was charged). Rounds are `maintain()` calls in that period. A
measurement, not a test.

| when | naptime | period | rounds | worker CPU | launcher CPU |
| --- | --- | --- | --- | --- | --- |
MD
fi
printf '%s\n' "$line" >>"$DOC"
log "appended to docs/benchmarks.md: $line"
