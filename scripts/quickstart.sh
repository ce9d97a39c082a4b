#!/usr/bin/env bash
# make quickstart / make stop: a throw-away local PostgreSQL 15 with pgstreamx.
#
#   scripts/quickstart.sh start   install what is missing, build, install,
#                                 initialise .pgstreamx/ (ignored by git) with
#                                 pgstreamx preloaded, start it, create the
#                                 extension, run a short demo, print how to
#                                 connect. Running it again reuses the cluster.
#   scripts/quickstart.sh stop    stop that server.
#
# The server listens on a Unix socket only (no TCP), port $QS_PORT (54329).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=common.sh
. "$ROOT/scripts/common.sh"

QS_PORT=${QS_PORT:-54329}
STATE=$ROOT/.pgstreamx
DB=pgstreamx

# The cluster lives in .pgstreamx/ of the checkout. When the server user cannot
# reach the checkout (root running in /root, say), the data lives in a scratch
# directory of its own and .pgstreamx/cluster points to it.
cluster_dir() {
    if [ -L "$STATE/cluster" ] || [ -d "$STATE/cluster" ]; then
        readlink -f "$STATE/cluster"
        return
    fi
    mkdir -p "$STATE"
    if is_root && ! runuser -u postgres -- test -w "$STATE" 2>/dev/null; then
        chown postgres "$STATE" 2>/dev/null || true
    fi
    if as_server_user test -w "$STATE" 2>/dev/null; then
        mkdir -p "$STATE/cluster"
        is_root && chown postgres "$STATE/cluster"
        chmod 700 "$STATE/cluster"
        echo "$STATE/cluster"
    else
        local dir
        dir=$(make_scratch /var/tmp quickstart)
        ln -sfn "$dir" "$STATE/cluster"
        echo "$dir"
    fi
}

psql_cmd() { echo "psql -h $1 -p $QS_PORT -U postgres $DB"; }

start() {
    ensure_packages "${BUILD_PACKAGES[@]}"
    hold_install_lock  # make install replaces the one system-wide library
    build_and_install "$ROOT"

    local dir data
    dir=$(cluster_dir)
    data=$dir/data
    if [ ! -f "$data/PG_VERSION" ]; then
        log "initialising a cluster in $data"
        as_server_user "$PG_BIN/initdb" -D "$data" -A trust -E UTF8 --locale=C.UTF-8 -U postgres >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log"; die "initdb failed"; }
        cat >>"$data/postgresql.conf" <<CONF
# --- pgstreamx quickstart ---
shared_preload_libraries = 'pgstreamx'
port = $QS_PORT
listen_addresses = ''
unix_socket_directories = '$dir'
CONF
    fi

    if as_server_user "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "restarting the server (picks up the freshly installed library)"
        as_server_user "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -m fast restart >/dev/null
    else
        log "starting the server on port $QS_PORT"
        as_server_user "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w start >/dev/null ||
            { tail -20 "$dir/server.log"; die "the server did not start (log: $dir/server.log)"; }
    fi

    local psql=("$PG_BIN/psql" -X -h "$dir" -p "$QS_PORT" -U postgres)
    "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
        "${psql[@]}" -d postgres -qc "CREATE DATABASE $DB"
    # An unreleased version's install script changes under the same version
    # number: when it changed since the last quickstart, recreate the
    # extension in this throw-away database (its demo data goes with it).
    local sum
    sum=$(cat "$ROOT"/sql/pgstreamx--*.sql | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$STATE/installed.sha256" 2>/dev/null)" != "$sum" ]; then
        log "the install scripts changed: recreating the extension in database $DB"
        # Streams' tables are not extension members: drop the schema too.
        "${psql[@]}" -d "$DB" -q -c "SET client_min_messages = warning" \
            -c "DROP EXTENSION IF EXISTS pgstreamx CASCADE" -c "DROP SCHEMA IF EXISTS pgstreamx CASCADE"
    fi
    "${psql[@]}" -d "$DB" -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pgstreamx"
    "${psql[@]}" -d "$DB" -q -c "SET client_min_messages = warning" -c "ALTER EXTENSION pgstreamx UPDATE"
    echo "$sum" >"$STATE/installed.sha256"

    log "demo"
    "${psql[@]}" -d "$DB" -v ON_ERROR_STOP=1 -f "$ROOT/scripts/demo.sql"

    echo
    log "pgstreamx is running. Connect with:"
    echo "    $(psql_cmd "$dir")"
    echo "Stop it with: make stop"
}

stop() {
    [ -e "$STATE/cluster" ] || { echo "no quickstart cluster in $STATE"; return 0; }
    local dir
    dir=$(readlink -f "$STATE/cluster")
    if as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
        log "stopped the quickstart server ($dir/data)"
    else
        echo "the quickstart server is not running"
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 start|stop" ;;
esac
