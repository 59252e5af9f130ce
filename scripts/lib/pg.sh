# shellcheck shell=bash
# Shared by scripts/pg-embedded and tests/support/pg-cluster: run a private PostgreSQL cluster
# in a directory, as an unprivileged user. Source it; it defines functions only.
#
# initdb and postgres refuse to run as root (TOOLCHAIN.md), so as root the cluster belongs to the
# `postgres` system user that postgresql-15 creates, and its directory is chowned to it.

pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [[ -x "$dir/initdb" ]]; then
        echo "$dir"
        return
    fi
    # pg_config may come from a libpq-dev of another version than the installed server.
    for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return
        fi
    done
    echo "PostgreSQL server binaries not found: install postgresql-15 (scripts/deps)" >&2
    return 1
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
pg_as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Creates a directory (and parents) the cluster owner may write.
pg_make_dir() {
    mkdir -p "$1"
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$1"
    fi
    chmod 700 "$1"
}

# True when the cluster owner can reach and write DIR (as root, the parents of a build directory
# under /root are closed to `postgres`).
pg_owner_can_use() {
    pg_as_owner test -w "$1" -a -x "$1"
}

# pg_init DATA_DIR SUPERUSER: a fresh cluster with trust authentication. Callers restrict who can
# reach it (loopback only or a private socket directory) through pg_hba.conf and the settings.
pg_init() {
    pg_as_owner "$(pg_bindir)/initdb" --pgdata="$1" --username="$2" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
}

# pg_configure DATA_DIR SETTING...: appends `name = value` settings to postgresql.conf, where
# they override the defaults above them (and avoid quoting paths through pg_ctl -o).
pg_configure() {
    local data=$1 setting
    shift
    for setting in "$@"; do
        printf '%s\n' "$setting" | pg_as_owner tee -a "$data/postgresql.conf" >/dev/null
    done
}

pg_is_running() {
    [[ -f "$1/postmaster.pid" ]] && pg_as_owner "$(pg_bindir)/pg_ctl" status -D "$1" >/dev/null 2>&1
}

# pg_start DATA_DIR LOG_FILE: starts the server and waits until it accepts connections.
pg_start() {
    pg_as_owner "$(pg_bindir)/pg_ctl" start -D "$1" -l "$2" -w -t 60 >/dev/null
}

# pg_stop DATA_DIR MODE: stops a running server (fast keeps data safe, immediate skips the
# shutdown checkpoint for throwaway clusters); quiet when none runs.
pg_stop() {
    if pg_is_running "$1"; then
        pg_as_owner "$(pg_bindir)/pg_ctl" stop -D "$1" -m "$2" -w -t 60 >/dev/null
    fi
}

# pg_restart DATA_DIR LOG_FILE: fast restart (sessions are terminated); waits until the server
# accepts connections again.
pg_restart() {
    pg_as_owner "$(pg_bindir)/pg_ctl" restart -D "$1" -l "$2" -m fast -w -t 60 >/dev/null
}

# True when something listens on TCP port $1 (reads /proc, so it needs neither ss nor lsof).
pg_port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v port="$hex" 'FNR > 1 && $4 == "0A" && toupper(substr($2, index($2, ":") + 1)) == port {
        found = 1
    } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A TCP port that nothing listens on now; the caller retries if it is taken before use.
pg_free_port() {
    local port attempt
    for attempt in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! pg_port_in_use "$port"; then
            echo "$port"
            return
        fi
    done
    echo "no free TCP port found after $attempt attempts" >&2
    return 1
}
