#!/usr/bin/env bash
# pgstreamx benchmark harness: pgstreamx beside raw PostgreSQL and PgQ, on one
# throw-away PostgreSQL 15 server, in one invocation. Entry point of `make bench`.
#
#   bench/run.sh                      full run (<= 10 min), writes docs/benchmarks.md + charts
#   BENCH_QUICK=1 bench/run.sh        smoke run (<= 2 min), results only under bench/results/
#   BENCH_PROFILE=async bench/run.sh  synchronous_commit = off
#
# Everything else is described in bench/README.md (environment variables, how a
# row is added, how each number is computed).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

# ---------------------------------------------------------------- settings
PROFILE=${BENCH_PROFILE:-durable}
case "$PROFILE" in
    durable) SYNC_COMMIT=on ;;
    async) SYNC_COMMIT=off ;;
    *) die "BENCH_PROFILE must be durable or async (got '$PROFILE')" ;;
esac
QUICK=${BENCH_QUICK:-0}
[[ $QUICK == 1 || $QUICK == 0 ]] || die "BENCH_QUICK must be 0 or 1"
PORT=${BENCH_PORT:-55439}
PGBIN=${BENCH_PGBIN:-/usr/lib/postgresql/15/bin}
WORK=${BENCH_WORKDIR:-/var/tmp/pgstreamx-bench-$PORT}
SOCK=$WORK/sock
DBNAME=bench
DBUSER=postgres
if [[ $EUID -eq 0 ]]; then SERVER_USER=${BENCH_SERVER_USER:-postgres}; else SERVER_USER=$(id -un); fi
REPS=${BENCH_REPS:-3}
read -r -a CLIENTS <<<"${BENCH_CLIENTS:-1 4}"
JOBS=${BENCH_JOBS:-1}
ONLY=${BENCH_ONLY:-}
KEEP=${BENCH_KEEP:-0}
if [[ $QUICK == 1 ]]; then
    BUDGET=${BENCH_BUDGET_S:-42} DMIN=1 DMAX=1
    BLOAT_CYCLES=${BENCH_BLOAT_CYCLES:-3} BLOAT_MSGS=${BENCH_BLOAT_MSGS:-10000}
    WRITE_DOCS=${BENCH_WRITE_DOCS:-0}
else
    BUDGET=${BENCH_BUDGET_S:-240} DMIN=3 DMAX=8
    BLOAT_CYCLES=${BENCH_BLOAT_CYCLES:-10} BLOAT_MSGS=${BENCH_BLOAT_MSGS:-100000}
    WRITE_DOCS=${BENCH_WRITE_DOCS:-1}
fi
BLOAT_BATCH=${BENCH_BLOAT_BATCH:-1000}
(( REPS >= 3 )) || warn "BENCH_REPS=$REPS: figures are meant to be medians of at least 3 repetitions"

RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)-$PROFILE$([[ $QUICK == 1 ]] && echo -quick || true)
OUT=${BENCH_RESULTS_DIR:-$BENCH_DIR/results/$RUN_ID}
mkdir -p "$OUT/pgbench" "$OUT/latency"
T_START=$(now_s)
FAILURES=0

# The message every test moves (~100 bytes of JSON), and a batch of 100.
PAYLOAD='{"event":"order.created","order_id":1000042,"customer":"cust-00042","amount":99.95,"currency":"EUR","seq":42}'
BATCH=$(perl -e 'print "[", join(",", map { sprintf(q({"event":"order.created","order_id":%d,"customer":"cust-%05d","amount":99.95,"currency":"EUR","seq":%d}), 1000000 + $_, $_, $_) } 1 .. 100), "]"')

log "run $RUN_ID: profile=$PROFILE (synchronous_commit=$SYNC_COMMIT) quick=$QUICK reps=$REPS clients=${CLIENTS[*]}"
log "results -> $OUT"

# ---------------------------------------------------------------- test table
T_ID=() T_KIND=() T_MSGS=() T_FIX=() T_BASE=() T_TARGET=() T_EST=() T_LABEL=()
declare -A ENABLED=()
load_tests() {
    local id status kind msgs fix base target est label
    local -a ids=() kinds=() msgss=() fixs=() bases=() targets=() ests=() labels=()
    while IFS=$'\t' read -r id status kind msgs fix base target est label; do
        [[ -z $id || $id == \#* ]] && continue
        [[ $status == on ]] || continue
        [[ -f $BENCH_DIR/scripts/$id.pgbench ]] || die "tests.tsv: $id: missing bench/scripts/$id.pgbench"
        [[ -d $BENCH_DIR/fixtures/$fix ]] || die "tests.tsv: $id: missing bench/fixtures/$fix/"
        [[ $kind == insert || $kind == consume ]] || die "tests.tsv: $id: kind must be insert or consume"
        [[ $msgs =~ ^[0-9]+$ && $est =~ ^[0-9]+$ ]] || die "tests.tsv: $id: msgs and est_rate must be integers"
        [[ $target == - || $target =~ ^\>=[0-9.]+$ ]] || die "tests.tsv: $id: target must be - or >=X"
        ids+=("$id") kinds+=("$kind") msgss+=("$msgs") fixs+=("$fix") bases+=("$base")
        targets+=("$target") ests+=("$est") labels+=("$label")
        ENABLED[$id]=1
    done <"$BENCH_DIR/tests.tsv"
    local i keep
    declare -A wanted=()
    for i in "${!ids[@]}"; do
        if [[ -z $ONLY || ${ids[$i]} =~ $ONLY ]]; then
            wanted[${ids[$i]}]=1
            [[ ${bases[$i]} == - ]] || wanted[${bases[$i]}]=1
        fi
    done
    for i in "${!ids[@]}"; do
        [[ ${bases[$i]} == - || -n ${ENABLED[${bases[$i]}]:-} ]] \
            || die "tests.tsv: ${ids[$i]}: baseline ${bases[$i]} is not an enabled test"
        keep=${wanted[${ids[$i]}]:-}
        [[ -n $keep ]] || continue
        T_ID+=("${ids[$i]}") T_KIND+=("${kinds[$i]}") T_MSGS+=("${msgss[$i]}") T_FIX+=("${fixs[$i]}")
        T_BASE+=("${bases[$i]}") T_TARGET+=("${targets[$i]}") T_EST+=("${ests[$i]}") T_LABEL+=("${labels[$i]}")
    done
    [[ ${#T_ID[@]} -gt 0 ]] || die "no enabled test matches BENCH_ONLY='$ONLY'"
    cp "$BENCH_DIR/tests.tsv" "$OUT/tests.tsv"
}

# ---------------------------------------------------------------- build/install
install_pgstreamx() {
    # Same lock as make test (scripts/common.sh): no other run may replace
    # the installed library while the benchmark server uses it.
    # The braces keep 2>/dev/null to this one open: "exec 9>F 2>/dev/null" would send
    # the rest of the run's log (stderr) to /dev/null.
    { exec 9>/var/lock/pgstreamx-install.lock; } 2>/dev/null || exec 9>/var/tmp/pgstreamx-install.lock
    flock -n 9 || { log "waiting for another pgstreamx test or benchmark run to finish (at most 10 minutes)"
                    flock -w 600 9 || log "still locked after 10 minutes: going on without the lock"; }
    if [[ ${BENCH_SKIP_INSTALL:-0} == 1 ]]; then
        log "BENCH_SKIP_INSTALL=1: using the installed pgstreamx"
        return 0
    fi
    local wait_s=${BENCH_INSTALL_WAIT_S:-0} deadline
    deadline=$(($(date +%s) + wait_s))
    while :; do
        log "make -C $ROOT install"
        if [[ -f $ROOT/Makefile && -f $ROOT/pgstreamx.control ]] \
            && make -C "$ROOT" install >"$OUT/install.log" 2>&1; then
            return 0
        fi
        if (($(date +%s) >= deadline)); then
            [[ -f $OUT/install.log ]] && tail -n 30 "$OUT/install.log" >&2
            die "building/installing pgstreamx failed (log: $OUT/install.log)"
        fi
        warn "pgstreamx build not ready; retrying in 30 s (BENCH_INSTALL_WAIT_S=$wait_s)"
        sleep 30
    done
}

build_latency_client() {
    mkdir -p "$WORK/bin"
    LAT_BIN=$WORK/bin/pgx-latency
    cc -O2 -Wall -pthread -I"$(pg_config --includedir)" "$BENCH_DIR/latency/pgx-latency.c" \
        -L"$(pg_config --libdir)" -lpq -o "$LAT_BIN" || die "cannot build the latency client"
}

# ---------------------------------------------------------------- server
SERVER_STARTED=0
stop_server() {
    [[ $SERVER_STARTED == 1 ]] || return 0
    log "stopping the bench server"
    as_server_user "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast -w -t 120 >/dev/null 2>&1 \
        || as_server_user "$PGBIN/pg_ctl" -D "$WORK/data" stop -m immediate -w >/dev/null 2>&1 || true
    SERVER_STARTED=0
    cp "$WORK/server.log" "$OUT/server.log" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    [[ $KEEP == 1 ]] || rm -rf "$WORK/data"
    if [[ $rc -ne 0 ]]; then log "harness FAILED (exit $rc) after $(elapsed "$T_START") s; results: $OUT"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {
    mkdir -p "$WORK"
    [[ $EUID -eq 0 ]] && chown "$SERVER_USER": "$WORK"
    chmod 700 "$WORK"
    if [[ -f $WORK/data/postmaster.pid ]]; then
        warn "stopping a leftover bench server in $WORK/data"
        as_server_user "$PGBIN/pg_ctl" -D "$WORK/data" stop -m immediate -w >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK/data" "$WORK/sock" "$WORK/tmp" "$WORK/server.log"
    as_server_user mkdir -p "$WORK/sock" "$WORK/tmp"
    log "initdb ($PGBIN, server user $SERVER_USER, $WORK/data)"
    as_server_user "$PGBIN/initdb" -D "$WORK/data" -U "$DBUSER" -A trust -E UTF8 --no-locale \
        >"$OUT/initdb.log" 2>&1 || { cat "$OUT/initdb.log" >&2; die "initdb failed"; }
    cat >>"$WORK/data/postgresql.conf" <<EOF

# ---- pgstreamx bench ($PROFILE profile) ----
port = $PORT
listen_addresses = ''
unix_socket_directories = '$SOCK'
max_connections = 50
shared_buffers = 1GB
effective_cache_size = 8GB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_level = replica
fsync = on
synchronous_commit = $SYNC_COMMIT
full_page_writes = on
wal_buffers = 16MB
wal_compression = off
max_wal_size = 16GB
min_wal_size = 1GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
jit = off
autovacuum = on
shared_preload_libraries = 'pgstreamx'
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    log "starting PostgreSQL on port $PORT (socket $SOCK)"
    as_server_user "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 120 start >/dev/null \
        || { tail -n 30 "$WORK/server.log" >&2; die "the bench server did not start"; }
    SERVER_STARTED=1
    PM_PID=$(head -n 1 "$WORK/data/postmaster.pid")
    "$PGBIN/createdb" -h "$SOCK" -p "$PORT" -U "$DBUSER" "$DBNAME"
    bpsql -c 'CREATE EXTENSION pgq' -c 'CREATE EXTENSION pgstreamx' -f "$BENCH_DIR/sql/common.sql" >/dev/null
    local spl
    spl=$(bval -c 'SHOW shared_preload_libraries')
    [[ $spl == *pgstreamx* ]] || die "shared_preload_libraries is '$spl'"
    log "server up: $(bval -c 'SELECT version()' | cut -d, -f1); pgq $(bval -c 'SELECT pgq.version()');" \
        "pgstreamx $(bval -c "SELECT extversion FROM pg_extension WHERE extname = 'pgstreamx'")"
}

write_meta() {
    local f=$OUT/meta.env
    {
        echo "run_id=$RUN_ID"
        echo "date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "profile=$PROFILE"
        echo "quick=$QUICK"
        echo "cores=$(nproc)"
        echo "mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
        echo "cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
        echo "kernel=$(uname -r)"
        echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "pg_version=$(bval -c 'SHOW server_version')"
        echo "pgq_version=$(bval -c 'SELECT pgq.version()')"
        echo "pgstreamx_version=$(bval -c "SELECT extversion FROM pg_extension WHERE extname = 'pgstreamx'")"
        echo "git_commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
        echo "reps=$REPS"
        echo "clients=${CLIENTS[*]}"
        echo "pgbench_jobs=$JOBS"
        echo "duration_s=$DURATION"
        echo "bloat_cycles=$BLOAT_CYCLES"
        echo "bloat_msgs=$BLOAT_MSGS"
        echo "bloat_batch=$BLOAT_BATCH"
        echo "payload_bytes=${#PAYLOAD}"
        echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "note=${BENCH_NOTE:-}"
    } >"$f"
    bpsql -At -F, -c "SELECT name, current_setting(name) FROM pg_settings
        WHERE name IN ('shared_buffers','synchronous_commit','fsync','full_page_writes','wal_level',
          'wal_buffers','max_wal_size','min_wal_size','checkpoint_timeout','wal_compression',
          'autovacuum','autovacuum_naptime','autovacuum_vacuum_cost_delay','jit','work_mem',
          'max_connections','shared_preload_libraries','huge_pages','wal_sync_method')
        ORDER BY name" >"$OUT/settings.csv"
}

# ---------------------------------------------------------------- throughput
declare -A OBS_RATE=()   # highest msgs/s seen per test:clients (sizes the next pre-fill)
RUNS_CSV=
SEQ=0

setup_fixtures() {
    declare -A done_fix=()
    local f
    for f in "${T_FIX[@]}"; do
        [[ -n ${done_fix[$f]:-} ]] && continue
        done_fix[$f]=1
        log "fixture $f: setup"
        bpsql -f "$BENCH_DIR/fixtures/$f/setup.sql" >>"$OUT/setup.log" 2>&1 \
            || { tail -n 20 "$OUT/setup.log" >&2; die "fixture $f: setup.sql failed"; }
    done
}

# run_one REP INDEX CLIENTS [NEED_FACTOR] -> appends one line to runs.csv; returns 3 if a
# consume test ran dry, 1 on another failure
run_one() {
    local rep=$1 i=$2 c=$3 factor=${4:-1}
    local id=${T_ID[$i]} kind=${T_KIND[$i]} per=${T_MSGS[$i]} fix=${T_FIX[$i]}
    local fdir=$BENCH_DIR/fixtures/${T_FIX[$i]} logf=$OUT/pgbench/$id-c$c-r$rep.log
    local need=0 rate
    if [[ $kind == consume ]]; then
        # messages this run may consume: the highest rate seen so far for this test and
        # client count (x 1.4), or the est_rate guess of tests.tsv (x 1.5) the first time
        rate=${OBS_RATE[$id:$c]:-0}
        need=$(awk -v e="${T_EST[$i]}" -v o="$rate" -v d="$DURATION" -v f="$factor" -v m=$((c * per * 20)) \
            'BEGIN {r = (o > 0 ? o * 1.4 : e * 1.5); print int(r * d * f) + m}')
    fi
    bpsql -v need="$need" -v clients="$c" -f "$fdir/prepare.sql" >>"$OUT/prepare.log" 2>&1 \
        || { tail -n 20 "$OUT/prepare.log" >&2; log "$id: prepare.sql failed"; return 1; }
    local d0 d1 lsn0 wal k0 k1 t0 wall rc=0
    d0=$(bval -v clients="$c" -f "$fdir/depth.sql")
    lsn0=$(bval -c 'SELECT pg_current_wal_lsn()')
    k0=$(server_ticks_quiet)
    t0=$(now_s)
    "$PGBIN/pgbench" -n -M prepared -h "$SOCK" -p "$PORT" -U "$DBUSER" -c "$c" -j "$((JOBS < c ? JOBS : c))" \
        -T "$DURATION" -f "$BENCH_DIR/scripts/$id.pgbench" -D payload="$PAYLOAD" -D batch="$BATCH" \
        "$DBNAME" >"$logf" 2>&1 || rc=$?
    wall=$(elapsed "$t0")
    k1=$(server_ticks_quiet)
    wal=$(bval -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')::bigint")
    d1=$(bval -v clients="$c" -f "$fdir/depth.sql")
    local xacts failed tps
    xacts=$(awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]+0}' "$logf")
    failed=$(awk -F': ' '/number of failed transactions/ {print $2+0}' "$logf")
    tps=$(awk '/^tps = / {print $3}' "$logf" | tail -n 1)
    xacts=${xacts:-0} failed=${failed:-0} tps=${tps:-0}
    local status=ok
    if [[ $kind == consume ]] && { [[ $rc -ne 0 ]] || ((d1 < c * per)); }; then
        status=dry
    elif [[ $rc -ne 0 || $xacts -eq 0 ]]; then
        status=error
    fi
    # msgs, rates, CPU and WAL per message; check the depth moved by exactly the messages counted
    local line
    line=$(awk -v xacts="$xacts" -v per="$per" -v tps="$tps" -v k0="$k0" -v k1="$k1" -v hz="$CLK_TCK" \
        -v wal="$wal" -v d0="$d0" -v d1="$d1" -v kind="$kind" -v st="$status" 'BEGIN {
            msgs = xacts * per; rate = tps * per; cpu = (k1 - k0) / hz
            moved = (kind == "consume") ? d0 - d1 : d1 - d0
            if (st == "ok" && msgs > 0 && (moved - msgs > 0.01 * msgs || msgs - moved > 0.01 * msgs)) st = "mismatch"
            printf "%d,%.1f,%.3f,%.2f,%d,%.1f,%s", msgs, rate, cpu, (msgs ? cpu * 1e6 / msgs : 0), wal,
                   (msgs ? wal / msgs : 0), st }')
    status=${line##*,}
    line=${line%,*}
    SEQ=$((SEQ + 1))
    echo "$RUN_ID,$PROFILE,$rep,$SEQ,$id,$c,$DURATION,$xacts,$failed,$tps,$line,$d0,$d1,$wall,$status" >>"$RUNS_CSV"
    local msgs_s cpu_msg wal_msg
    IFS=, read -r _ msgs_s _ cpu_msg _ wal_msg <<<"$line"
    log "$(printf 'rep %d  %-22s c=%d  %10s msgs/s  %7s us/msg CPU  %7s B/msg WAL  depth %s -> %s  [%s]' \
        "$rep" "$id" "$c" "$msgs_s" "$cpu_msg" "$wal_msg" "$d0" "$d1" "$status")"
    if [[ $status == ok || $status == mismatch ]]; then
        [[ $status == mismatch ]] && warn "$id c=$c: depth moved $d0 -> $d1 but pgbench counted $((xacts * per)) messages"
        OBS_RATE[$id:$c]=$(awk -v a="${OBS_RATE[$id:$c]:-0}" -v b="$msgs_s" 'BEGIN {print (b > a ? b : a)}')
        return 0
    fi
    [[ $status == dry ]] && return 3
    tail -n 5 "$logf" >&2
    return 1
}

run_throughput() {
    RUNS_CSV=$OUT/runs.csv
    echo "run_id,profile,rep,seq,test,clients,duration_s,xacts,failed,tps,msgs,msgs_per_s,cpu_s,cpu_us_per_msg,wal_bytes,wal_bytes_per_msg,depth_before,depth_after,wall_s,status" >"$RUNS_CSV"
    local rep c i rc n=${#T_ID[@]}
    local -a order
    for ((rep = 1; rep <= REPS; rep++)); do
        # interleave: every repetition runs every test; odd repetitions in table
        # order, even ones reversed, so baseline and candidate share the drift
        if ((rep % 2)); then order=($(seq 0 $((n - 1)))); else order=($(seq $((n - 1)) -1 0)); fi
        log "---- repetition $rep/$REPS"
        for c in "${CLIENTS[@]}"; do
            for i in "${order[@]}"; do
                rc=0
                run_one "$rep" "$i" "$c" || rc=$?
                if [[ $rc -eq 3 ]]; then
                    warn "${T_ID[$i]} c=$c ran dry: refilling 3x deeper and repeating it"
                    rc=0
                    run_one "$rep" "$i" "$c" 3 || rc=$?
                fi
                if [[ $rc -ne 0 ]]; then
                    FAILURES=$((FAILURES + 1))
                    warn "${T_ID[$i]} c=$c rep $rep failed (see $OUT/pgbench/)"
                fi
            done
        done
    done
}

# ---------------------------------------------------------------- latency
conf_get() { # conf_get FILE KEY
    awk -v k="$2" '$0 !~ /^[ \t]*#/ { i = index($0, "="); if (i == 0) next
        key = substr($0, 1, i - 1); gsub(/^[ \t]+|[ \t]+$/, "", key)
        if (key == k) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); print v; exit } }' "$1"
}

run_latency() {
    local csv=$OUT/latency.csv conf id label mode n args out
    echo "test,label,samples,p50_us,p90_us,p99_us,max_us,p50_from_ack_us,p99_from_ack_us,commit_p50_us,status" >"$csv"
    for conf in "$BENCH_DIR"/latency/*.conf; do
        id=$(basename "$conf" .conf)
        [[ $(conf_get "$conf" status) == on ]] || continue
        [[ -z $ONLY || $id =~ $ONLY || $ONLY =~ latency ]] || continue
        label=$(conf_get "$conf" label)
        mode=$(conf_get "$conf" mode)
        if [[ $QUICK == 1 ]]; then n=$(conf_get "$conf" samples_quick); else n=$(conf_get "$conf" samples); fi
        args=(-d "host=$SOCK port=$PORT user=$DBUSER dbname=$DBNAME" -n "${n:-100}"
            --delay-ms "$(conf_get "$conf" delay_ms)" --send "$(conf_get "$conf" send)"
            --csv "$OUT/latency/$id.csv")
        [[ -n $(conf_get "$conf" setup) ]] && args+=(--setup "$(conf_get "$conf" setup)")
        case "$mode" in
            listen) args+=(--listen "$(conf_get "$conf" channel)") ;;
            wait) args+=(--wait "$(conf_get "$conf" wait)") ;;
            *) die "$conf: mode must be listen or wait" ;;
        esac
        log "latency $id ($n samples)"
        if out=$("$LAT_BIN" "${args[@]}" 2>"$OUT/latency/$id.err"); then
            echo "$id,\"${label//\"/\'}\",$out,ok" >>"$csv"
            IFS=, read -r _ p50 p90 p99 pmax _ <<<"$out"
            log "$(printf 'latency %-22s p50 %s us  p90 %s us  p99 %s us  max %s us' "$id" "$p50" "$p90" "$p99" "$pmax")"
        else
            cat "$OUT/latency/$id.err" >&2
            echo "$id,\"${label//\"/\'}\",0,0,0,0,0,0,0,0,error" >>"$csv"
            FAILURES=$((FAILURES + 1))
            warn "latency $id failed"
        fi
    done
}

# ---------------------------------------------------------------- bloat
run_bloat() {
    local csv=$OUT/bloat.csv id status label settings cyc t0 fs ds ms s1 s2 dep
    local -a targets=()
    echo "target,cycle,msgs,size_after_fill,size_after_maint,depth_after_drain,fill_s,drain_s,maint_s" >"$csv"
    cp "$BENCH_DIR/bloat.tsv" "$OUT/bloat.tsv"
    while IFS=$'\t' read -r id status label settings; do
        [[ -z $id || $id == \#* || $status != on ]] && continue
        [[ -z $ONLY || $id =~ $ONLY || $ONLY =~ bloat ]] || continue
        for s in setup fill drain maintain size depth; do
            [[ -f $BENCH_DIR/bloat/$id/$s.sql ]] || die "bloat target $id: missing bench/bloat/$id/$s.sql"
        done
        bpsql -f "$BENCH_DIR/bloat/$id/setup.sql" >>"$OUT/setup.log" 2>&1 \
            || { tail -n 20 "$OUT/setup.log" >&2; die "bloat target $id: setup.sql failed"; }
        targets+=("$id")
    done <"$BENCH_DIR/bloat.tsv"
    local b=$BENCH_DIR/bloat
    for ((cyc = 1; cyc <= BLOAT_CYCLES; cyc++)); do
        for id in "${targets[@]}"; do
            t0=$(now_s)
            bpsql -v n="$BLOAT_MSGS" -v batch="$BLOAT_BATCH" -f "$b/$id/fill.sql" >/dev/null
            fs=$(elapsed "$t0")
            s1=$(bval -f "$b/$id/size.sql")
            t0=$(now_s)
            bpsql -v n="$BLOAT_MSGS" -v batch="$BLOAT_BATCH" -f "$b/$id/drain.sql" >/dev/null
            ds=$(elapsed "$t0")
            dep=$(bval -f "$b/$id/depth.sql")
            t0=$(now_s)
            bpsql -f "$b/$id/maintain.sql" >/dev/null
            ms=$(elapsed "$t0")
            s2=$(bval -f "$b/$id/size.sql")
            echo "$id,$cyc,$BLOAT_MSGS,$s1,$s2,$dep,$fs,$ds,$ms" >>"$csv"
            log "$(printf 'bloat %-6s cycle %2d: %6.1f MB after fill, %6.1f MB after drain+maintenance (depth %s; fill %ss drain %ss maint %ss)' \
                "$id" "$cyc" "$(awk -v x="$s1" 'BEGIN {print x / 1048576}')" "$(awk -v x="$s2" 'BEGIN {print x / 1048576}')" \
                "$dep" "$fs" "$ds" "$ms")"
            [[ $dep -eq 0 ]] || warn "bloat $id cycle $cyc: $dep messages left after the drain"
        done
    done
}

# ---------------------------------------------------------------- main
CLK_TCK=$(getconf CLK_TCK)
ensure_packages
load_tests
N_RUNS=$((REPS * ${#T_ID[@]} * ${#CLIENTS[@]}))
DURATION=${BENCH_DURATION:-$(awk -v b="$BUDGET" -v n="$N_RUNS" -v lo="$DMIN" -v hi="$DMAX" \
    'BEGIN {d = int(b / n); if (d < lo) d = lo; if (d > hi) d = hi; print d}')}
log "${#T_ID[@]} tests x ${#CLIENTS[@]} client counts x $REPS reps = $N_RUNS pgbench runs of ${DURATION}s"
install_pgstreamx
build_latency_client
start_server
write_meta
setup_fixtures
bpsql -c CHECKPOINT
CKPT_SQL="SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
CKPT0=$(bval -c "$CKPT_SQL")
run_throughput
echo "checkpoints_during_throughput=$(($(bval -c "$CKPT_SQL") - CKPT0))" >>"$OUT/meta.env"
[[ ${BENCH_SKIP_LATENCY:-0} == 1 ]] || run_latency
[[ ${BENCH_SKIP_BLOAT:-0} == 1 ]] || run_bloat
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
echo "elapsed_s=$(elapsed "$T_START")" >>"$OUT/meta.env"
stop_server

log "summarising"
perl "$BENCH_DIR/lib/report.pl" results "$OUT"
if [[ $WRITE_DOCS == 1 ]]; then
    if [[ $FAILURES -ne 0 ]]; then
        warn "not publishing to docs/: $FAILURES failures"
    else
        pub=$BENCH_DIR/results/published/$PROFILE
        rm -rf "$pub" && mkdir -p "$pub"
        cp "$OUT"/{meta.env,settings.csv,tests.tsv,runs.csv,summary.csv,latency.csv,bloat.csv,bloat.tsv} "$pub/"
        perl "$BENCH_DIR/lib/report.pl" docs "$BENCH_DIR/results/published" "$ROOT/docs"
        log "wrote docs/benchmarks.md and docs/bench-*.png"
    fi
fi
log "done in $(elapsed "$T_START") s: $OUT/report.md"
[[ $FAILURES -eq 0 ]] || die "$FAILURES test(s) failed"
