# scripts/common.sh - shared by test/run.sh and scripts/quickstart.sh.
# shellcheck shell=bash

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
PGXS_DIR=/usr/lib/postgresql/$PG_MAJOR/lib/pgxs
export PG_CONFIG

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# ensure_packages pkg...: installs the Debian packages that are missing (as
# root; otherwise says what to install). Runs apt-get update once first: on a
# fresh machine the package lists may be empty or stale.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    is_root || die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages to build and install pgstreamx.
BUILD_PACKAGES=(make g++ binutils postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR)

# The user that runs servers: postgres when invoked as root (initdb and
# postgres refuse to run as root), else the caller.
server_user() { if is_root; then echo postgres; else id -un; fi; }

# as_server_user cmd...: runs cmd as the server user with a clean HOME. runuser
# keeps the working directory; when the server user cannot enter it (a checkout
# under /root), PostgreSQL's tools warn "could not change directory", so such
# commands run from / instead.
as_server_user() {
    if is_root; then
        local dir=.
        runuser -u postgres -- test -x "$PWD" 2>/dev/null || dir=/
        (cd "$dir" && runuser -u postgres -- env HOME=/var/lib/postgresql "$@")
    else
        "$@"
    fi
}

# A fresh scratch directory owned by the server user (checkout parents may not
# be readable by it, and /tmp may not be writable by it).
make_scratch() {
    local dir
    dir=$(mktemp -d "${1:-/var/tmp}/pgstreamx-${2:-work}.XXXXXX")
    is_root && chown "$(server_user)" "$dir"
    chmod 700 "$dir"
    echo "$dir"
}

# hold_install_lock: make install writes into the one PostgreSQL installation
# of the machine, so two runs (two checkouts, tests beside a benchmark) would
# replace each other's library under a running server. Held until the
# calling script exits.
# The wait is bounded: a process that inherited the lock (a server started
# by such a run and left running) must not hang every later run.
hold_install_lock() {
    exec 9>/var/lock/pgstreamx-install.lock 2>/dev/null || exec 9>/var/tmp/pgstreamx-install.lock
    if ! flock -n 9; then
        log "waiting for another pgstreamx test or benchmark run to finish (at most 10 minutes)"
        flock -w 600 9 || log "still locked after 10 minutes: going on without the lock"
    fi
}

# build_and_install ROOT: builds (zero warnings, -Werror) and installs.
build_and_install() {
    local root=$1
    log "building pgstreamx"
    # include/pgstreamx/pg.hpp is the only file that includes PostgreSQL.
    local foreign
    foreign=$(cd "$root" && grep -rn '^#include "' src include | grep -v '#include "pgstreamx/' |
              grep -v '^include/pgstreamx/pg.hpp:' || true)
    [ -z "$foreign" ] || die "PostgreSQL headers outside include/pgstreamx/pg.hpp: $foreign"
    make -C "$root" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
    # A shared library links with undefined symbols; PostgreSQL would only
    # refuse it at load time. Our own C++ symbols must all be defined.
    local undefined
    undefined=$(nm -D --undefined-only "$root/pgstreamx.so" | awk '{print $2}' | grep '^_ZN9pgstreamx' || true)
    [ -z "$undefined" ] || die "pgstreamx.so has undefined pgstreamx symbols: $undefined"
    log "installing pgstreamx into $($PG_CONFIG --pkglibdir)"
    make -C "$root" -s install PG_CONFIG="$PG_CONFIG" >/dev/null ||
        die "make install failed (run as root, or with write access to the PostgreSQL directories)"
}

# free_port START: the first TCP port from START that nothing listens on.
free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || [ -S "/tmp/.s.PGSQL.$p" ]; do p=$((p + 1)); done
    echo "$p"
}
