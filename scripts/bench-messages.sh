#!/usr/bin/env bash
# Messages through the whole server (docs/benchmarks.md): baton-load at each rate, with the
# conversations handed to an agent (visitor → agent, the bot silent) and with the bot
# answering every message, RUNS times each on a fresh node; prints every run and the medians
# as a Markdown table.
#
#   scripts/bench-messages.sh sqlite            one node, SQLite
#   scripts/bench-messages.sh cluster           two nodes on PostgreSQL + NATS behind baton-proxy
#
#   RATES (default "500 2000"), MODES (default "agent bot"), RUNS (default 3),
#   DURATION (default 20s), VISITORS (default 1000), NICE (default -10: the server and the
#   load generator ahead of whatever else runs on the machine; 0 to leave priorities alone),
#   DATABASE_URL / NATS_URL for the cluster (default: a baton_bench database on
#   127.0.0.1:5432, NATS on 127.0.0.1:4222).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-sqlite}
rates=${RATES:-500 2000}
modes=${MODES:-agent bot}
runs=${RUNS:-3}
duration=${DURATION:-20s}
visitors=${VISITORS:-1000}
nice=${NICE:--10}
db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baton_bench?sslmode=disable&pool_max_conns=16}
nats=${NATS_URL:-nats://127.0.0.1:4222}
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

go build -o "$work/baton" ./cmd/baton
go build -o "$work/baton-load" ./cmd/baton-load
go build -o "$work/baton-proxy" ./cmd/baton-proxy
run() { nice -n "$nice" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 200); do curl -sf -o /dev/null "$1/readyz" && return 0; sleep 0.05; done; echo "no /readyz at $1" >&2; exit 1; }

# start: a fresh installation; sets url.
start() {
	pids=()
	# The load generator opens thousands of sessions from one address: no widget budgets.
	export BATON_ADMIN_PASSWORD=bench-pass-1 BATON_LOG_LEVEL=warn BATON_RATE_LIMITS=off
	if [ "$kind" = sqlite ]; then
		local port; port=$(free_port)
		nice -n "$nice" "$work/baton" serve --data-dir "$work/data-$1" --addr "127.0.0.1:$port" >"$work/node.log" 2>&1 &
		pids+=($!)
		url=http://127.0.0.1:$port
		wait_ready "$url"
		return
	fi
	local name; name=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$db")
	psql "${db%%/${name}*}/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
	local key; key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	local backends=()
	for i in 1 2; do
		local port; port=$(free_port)
		BATON_DATABASE_URL=$db BATON_NATS_URL=$nats BATON_SECRET_KEY=$key \
			nice -n "$nice" "$work/baton" serve --data-dir "$work/data-$1-$i" --addr "127.0.0.1:$port" >"$work/node$i.log" 2>&1 &
		pids+=($!)
		wait_ready "http://127.0.0.1:$port"
		backends+=("http://127.0.0.1:$port")
	done
	local port; port=$(free_port)
	nice -n "$nice" "$work/baton-proxy" -addr "127.0.0.1:$port" -backends "$(IFS=,; echo "${backends[*]}")" 2>"$work/proxy.log" &
	pids+=($!)
	url=http://127.0.0.1:$port
	wait_ready "$url"
}
stop() { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }

ms() { # a Go duration → milliseconds
	awk -v d="$1" 'BEGIN { if (d ~ /µs$/) { sub(/µs$/, "", d); print d/1000 } else if (d ~ /ms$/) { sub(/ms$/, "", d); print d+0 } else { sub(/s$/, "", d); print d*1000 } }'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

server=${db%%\?*}
if [ "$kind" != sqlite ] && [ "$(psql "${server%/*}/postgres" -Atc 'SHOW autovacuum' 2>/dev/null || true)" = off ]; then
	# Every message rewrites its conversation's row; without autovacuum nothing analyses the
	# new tables or clears the dead rows, and each run is slower than the one before.
	echo "WARNING: autovacuum is off on this PostgreSQL (PostgreSQL's default is on): the figures will not be those of a normal installation" >&2
fi
echo "$(date -u '+%F %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $kind, $visitors visitors, 2 agent sockets, $duration a run"
table="| handled by | rate asked | achieved (median) | shed | ack p50 / p99 | delivery p50 / p99 | server CPU per message | runs: delivery p99 |
|---|---|---|---|---|---|---|---|"
for mode in $modes; do
	for rate in $rates; do
		start "$mode-$rate"
		: >"$work/rows"
		for r in $(seq "$runs"); do
			out=$(run "$work/baton-load" -url "$url" -password bench-pass-1 -visitors "$visitors" -agents 2 \
				-rate "$rate" -duration "$duration" -settle 1s -handled-by "$mode" 2>&1) || { echo "$out" >&2; exit 1; }
			achieved=$(sed -nE 's/.*\(([0-9.]+)\/s target.*/\1/p' <<<"$out")
			shed=$(sed -nE 's/.*failed or shed ([0-9]+).*/\1/p' <<<"$out")
			read -r a50 a99 < <(sed -nE 's/^ack latency.*p50 ([^ ]+) +p90 [^ ]+ +p99 ([^ ]+).*/\1 \2/p' <<<"$out")
			read -r d50 d99 < <(sed -nE 's/^delivery latency.*p50 ([^ ]+) +p90 [^ ]+ +p99 ([^ ]+).*/\1 \2/p' <<<"$out")
			cpu=$(sed -nE 's/^server CPU: ([0-9]+) µs.*/\1/p' <<<"$out")
			resumes=$(sed -nE 's/.*told to reconnect and resume: ([0-9]+) times.*/\1/p' <<<"$out")
			# Behind the proxy, /metrics answers from either node: no CPU figure there.
			[ "$kind" = sqlite ] || cpu=-
			grep -q WARNING <<<"$out" && grep WARNING <<<"$out" >&2
			echo "$mode $rate/s run $r: achieved $achieved/s, shed $shed, ack p50 $a50 p99 $a99, delivery p50 $d50 p99 $d99, server CPU ${cpu} µs/message, agent sockets resumed ${resumes:-0} times"
			echo "$achieved $shed $(ms "$a50") $(ms "$a99") $(ms "$d50") $(ms "$d99") $cpu" >>"$work/rows"
		done
		stop
		col() { awk -v c="$1" '{print $c}' "$work/rows" | median; }
		runs99=$(awk '{printf "%s%.1f", (NR>1 ? ", " : ""), $6}' "$work/rows")
		table+="
| $mode | $rate/s | $(col 1)/s | $(col 2) | $(col 3) / $(col 4) ms | $(col 5) / $(col 6) ms | $(col 7)$([ "$kind" = sqlite ] && echo " µs" || true) | $runs99 ms |"
	done
done
echo
echo "$table"
