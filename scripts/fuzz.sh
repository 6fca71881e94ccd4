#!/usr/bin/env bash
# Runs every Go fuzz target for a bounded time (FUZZTIME, default 30s each). New failing
# inputs land in the package's testdata/fuzz/, where `go test` replays them from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-30s}
git grep -l '^func Fuzz' -- '*_test.go' | while read -r f; do
	pkg=./$(dirname "$f")
	for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "== $pkg $name ($t)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg"
	done
done
