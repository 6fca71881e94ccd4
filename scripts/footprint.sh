#!/usr/bin/env bash
# Footprint of one node: binary size, cold start (exec → /readyz 200) on a fresh data dir
# (migrations + demo account) and on an existing one, and idle RSS after start.
# Usage: scripts/footprint.sh [runs]   (default 5; prints each run and the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rc=$?; kill $(jobs -p) 2>/dev/null || true; [ $rc -eq 0 ] || cat "$work/out" >&2; rm -rf "$work"' EXIT

go build -trimpath -ldflags "-s -w" -o "$work/baton" ./cmd/baton
size=$(stat -c %s "$work/baton")
printf 'binary: %.1f MB (%d bytes, -trimpath -ldflags "-s -w", web assets embedded)\n' "$(echo "$size/1048576" | bc -l)" "$size"

now_ms() { date +%s%3N; }
# start DIR: starts a node on a free port (pid), waits for /readyz, sets took to the
# milliseconds it took.
start() {
	local t0 t1 url=""
	t0=$(now_ms)
	: >"$work/out"
	BATON_ADMIN_PASSWORD=footprint-pass-1 BATON_LOG_LEVEL=error "$work/baton" serve --data-dir "$1" --addr 127.0.0.1:0 >"$work/out" 2>&1 &
	pid=$!
	until [ -n "$url" ] && curl -sf -o /dev/null "$url/readyz"; do
		kill -0 "$pid" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
		url=$(sed -n 's|^  Console: \(http://[^/]*\)/app/$|\1|p' "$work/out")
		sleep 0.005
	done
	t1=$(now_ms)
	took=$((t1 - t0))
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

fresh=() warm=() rss=()
for i in $(seq "$runs"); do
	dir="$work/data$i"
	start "$dir"; fresh+=("$took"); stop
	start "$dir"; warm+=("$took")
	sleep 10 # idle: River's maintenance started, nothing connected
	rss+=("$(awk '/VmRSS/ {print $2}' /proc/$pid/status)")
	stop
done
echo "cold start, fresh data dir (ms): ${fresh[*]} → median $(printf '%s\n' "${fresh[@]}" | median)"
echo "cold start, existing data dir (ms): ${warm[*]} → median $(printf '%s\n' "${warm[@]}" | median)"
echo "idle RSS after 10 s (KB): ${rss[*]} → median $(printf '%s\n' "${rss[@]}" | median)"
