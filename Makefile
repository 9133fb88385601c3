# Jiaotong (交通) — build and test targets. `make test` is the one command that
# runs every test; .ci/run calls it.
GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 30s

.PHONY: all build run test test-short test-pg fuzz bench vet

all: build

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/jiaotong ./cmd/jiaotong

# Run the platform with the Chengdu demo data on the embedded default.
run:
	$(GO) run ./cmd/jiaotong serve --demo

vet:
	@unformatted=$$(git ls-files '*.go' | xargs gofmt -l); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# Every test: vet, the unit and integration suites (SQLite always; PostgreSQL
# and NATS when reachable; every fuzz target's seed corpus, captured frames
# and earlier findings included) and the race detector on the concurrent
# packages. It is deterministic, so a red run means a regression: fuzzing,
# which explores new inputs, is its own target (`make fuzz`).
test: vet
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race ./internal/platform/bus/... ./internal/platform/httpapi/... ./internal/iam/... ./internal/basemap/... ./internal/waybill/...

test-short:
	$(GO) test -short $(PKGS)

# Fail instead of skipping when PostgreSQL or NATS is unreachable.
test-pg:
	JIAOTONG_TEST_REQUIRE_SERVICES=1 $(GO) test -count=1 $(PKGS)

# Each fuzz target for FUZZTIME (go test runs one -fuzz target at a time); a
# finding is written to the package's testdata/fuzz and, once fixed, kept
# there as a seed that `make test` runs.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
