#!/usr/bin/env bash
# executeJob's answer time with PostgreSQL one network hop away, for two jobd builds side by side
# (bench/README.md, "executeJob in two round trips"). By hand, not part of scripts/bench:
#   bench/remote-db/run.sh BEFORE/build-bench/bin/jobd AFTER/build-bench/bin/jobd [delay_s] [calls]
# Each build gets a fresh database on one throwaway cluster (the test fixture's: fsync off),
# reached through delay_proxy.py, which holds every chunk `delay_s` (default 0.00025) each way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
delay=${3:-0.00025}
calls=${4:-300}
work=$(mktemp -d)
proxy=""
cleanup() {
    [ -n "$proxy" ] && kill "$proxy" 2>/dev/null || true
    "$root/tests/support/pg-cluster" stop --env "$work/pg.env" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"$root/tests/support/pg-cluster" start "$work/pg" "$work/pg.env" >/dev/null
# shellcheck disable=SC1091
source "$work/pg.env"
pg_port=${JOBD_TEST_PG_URL##*:}
pg_port=${pg_port%%/*}
proxy_port=$((20000 + RANDOM % 10000))
python3 "$here/delay_proxy.py" "$proxy_port" "$pg_port" "$delay" &
proxy=$!
sleep 0.5
side=0
for bin in "$1" "$2"; do
    side=$((side + 1))
    dir="$work/jobd$side"
    api_port=$((proxy_port + side))
    mkdir -p "$dir/log"
    psql "$JOBD_TEST_PG_URL" -qc "CREATE DATABASE remote$side"
    printf 'node: {name: remote}\ndatabase: {url: "postgresql://postgres@127.0.0.1:%s/remote%s"}\napi: {listen: "127.0.0.1:%s", unix_socket: ""}\nworkers: {max_concurrent_runs: 4}\nlog: {level: warn, dir: "%s/log"}\n' \
        "$proxy_port" "$side" "$api_port" "$dir" >"$dir/jobd.yaml"
    "$bin" migrate --config "$dir/jobd.yaml" >/dev/null
    company=$("$bin" admin add-company Remote --config "$dir/jobd.yaml" | grep -oE '[0-9]+' | tail -1)
    echo not-secret | "$bin" admin add-user remote@example.com --company "$company" --role IpsAdmin \
        --password-stdin --config "$dir/jobd.yaml" >/dev/null
    token=$("$bin" admin add-token remote@example.com --config "$dir/jobd.yaml" | awk '{print $NF}')
    "$bin" --config "$dir/jobd.yaml" >"$dir/out.log" 2>&1 &
    jobd=$!
    for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$api_port/healthz" && break; sleep 0.1; done
    curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$api_port/api/v1/submitJob" \
        -d "{\"companyHandle\":\"$company\",\"jobName\":\"noop\",\"execTime\":\"2099-01-01T00:00:00Z\",\"overlap\":\"Allow\",\"commandJob\":{\"argv\":[\"/bin/true\"]}}"
    for auth in "Bearer $token" "Basic $(printf remote@example.com:not-secret | base64)"; do
        echo "$bin, ${delay}s each way, ${auth%% *}: $(python3 "$here/execute_calls.py" "$api_port" "$auth" "$company" "$calls")"
    done
    kill "$jobd"
    wait "$jobd" 2>/dev/null || true
done
