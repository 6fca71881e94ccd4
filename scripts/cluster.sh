#!/usr/bin/env bash
# Starts a local cluster: two `baton serve` nodes on one PostgreSQL database and one NATS
# server, behind baton-proxy on 127.0.0.1:8080. Ctrl+C stops everything.
#
#   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/baton_cluster?sslmode=disable)
#   NATS_URL     (default nats://127.0.0.1:4222)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baton_cluster?sslmode=disable}
nats=${NATS_URL:-nats://127.0.0.1:4222}
dir=${CLUSTER_DIR:-./baton-cluster}
mkdir -p "$dir/bin" "$dir/shared"
go build -o "$dir/bin/baton" ./cmd/baton
go build -o "$dir/bin/baton-proxy" ./cmd/baton-proxy
if command -v psql >/dev/null; then
	name=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$db")
	psql "${db%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
		psql "${db%/*}/postgres" -c "CREATE DATABASE $name" >/dev/null
fi
# One secret key for every node (it encrypts stored secrets), attachments in a shared dir.
[ -f "$dir/shared/secret.key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/shared/secret.key"
export BATON_DATABASE_URL=$db BATON_NATS_URL=$nats BATON_SECRET_KEY=$(cat "$dir/shared/secret.key")
export BATON_PUBLIC_URL=http://127.0.0.1:8080 BATON_ATTACHMENTS_DIR=$(cd "$dir/shared" && pwd)/attachments
# The cluster is for load tests (baton-load opens many sessions from one address): no
# widget budgets. Unset it to try the limits.
export BATON_RATE_LIMITS=${BATON_RATE_LIMITS:-off}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for i in 1 2; do
	mkdir -p "$dir/node$i"
	BATON_DATA_DIR="$dir/node$i" "$dir/bin/baton" serve --addr "127.0.0.1:808$i" > "$dir/node$i.out" 2> "$dir/node$i.log" &
	pids+=($!)
done
"$dir/bin/baton-proxy" -addr 127.0.0.1:8080 -backends http://127.0.0.1:8081,http://127.0.0.1:8082 2> "$dir/proxy.log" &
pids+=($!)
sleep 2
cat "$dir/node1.out"
echo "Cluster: http://127.0.0.1:8080 → nodes :8081 and :8082 (logs in $dir). Ctrl+C stops it."
wait
