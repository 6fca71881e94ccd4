# Baton — `make run` to try it, `make test` to test it.
GO ?= go
WEB := web/widget web/console

.PHONY: run build test test-go test-web test-browser screenshots web generate fmt vet clean fuzz cluster drill

run: web
	$(GO) run ./cmd/baton serve

build: web
	$(GO) build -trimpath -ldflags "-s -w" -o bin/baton ./cmd/baton

# Front ends: built when their sources are newer than their dist/ (needs Node and npm).
web:
	@for d in $(WEB); do \
		if [ -f $$d/package.json ]; then \
			if [ ! -d $$d/node_modules ]; then (cd $$d && npm ci --no-audit --no-fund) || exit 1; fi; \
			if [ ! -f $$d/dist/index.html ] && [ ! -f $$d/dist/widget.js ] || [ -n "$$(find $$d/src $$d/package.json -newer $$d/dist/.built 2>/dev/null | head -1)" ] || [ ! -f $$d/dist/.built ]; then \
				(cd $$d && npm run build) && touch $$d/dist/.built || exit 1; \
			fi; \
		fi; \
	done

test: test-go test-web test-browser

# Go tests: SQLite and the in-process bus always; PostgreSQL and NATS when
# BATON_TEST_DATABASE_URL / BATON_TEST_NATS_URL are set (.ci/run sets them).
test-go:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-web:
	@for d in $(WEB); do \
		if [ -f $$d/package.json ]; then \
			if [ ! -d $$d/node_modules ]; then (cd $$d && npm ci --no-audit --no-fund) || exit 1; fi; \
			(cd $$d && npm test) || exit 1; \
		fi; \
	done

# Browser tests drive Debian's chromium (BATON_CHROMIUM, default /usr/bin/chromium) against a
# real server; each front end runs its own with `npm run test:browser`.
test-browser: web
	@for d in $(WEB); do \
		if [ -f $$d/package.json ] && grep -q '"test:browser"' $$d/package.json; then \
			(cd $$d && npm run test:browser) || exit 1; \
		fi; \
	done

# The browser tests again, saving their screenshots into docs/screenshots (the README's
# pictures); `make test` leaves them in a temporary folder so the tree stays clean.
screenshots: web
	BATON_SCREENSHOTS=$(CURDIR)/docs/screenshots $(MAKE) test-browser

# Failure drills against real server processes, each for DRILL_SECONDS (default 30):
# kill -9 a node, restart the SQLite node, restart NATS, a stuck socket, a Telegram
# provider answering 500 and hanging (the outage lasts DRILL_SECONDS). They need
# BATON_TEST_DATABASE_URL and BATON_TEST_NATS_URL for the PostgreSQL + NATS ones.
drill:
	DRILL_SECONDS=$${DRILL_SECONDS:-30} $(GO) test -count=1 -v -run 'Drill|Stuck' ./cmd/baton/ ./internal/realtime/

# Two nodes on PostgreSQL + NATS behind a round-robin proxy on 127.0.0.1:8080.
cluster:
	./scripts/cluster.sh

# Fuzz every parser of outside input for a bounded time each (FUZZTIME=30s by default).
fuzz:
	./scripts/fuzz.sh

generate:
	cd internal/store && sqlc generate

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
