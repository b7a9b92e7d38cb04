# gorunit: see README.md. `make` builds bin/, `make test` runs every test,
# `make demo` runs a demo service tree, `make bench` compares with Debian's runit.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man8
GO      ?= go
GOFLAGS_BUILD = -trimpath -ldflags '-s -w'
PROGRAMS = runsv sv runit svlogd runsvdir runsvchdir runit-init chpst utmpset
# chpst's daemontools names (chpst(8)): links to chpst, no program of their own.
CHPST_NAMES = envdir envuidgid pgrphack setuidgid setlock softlimit
# runit's other name (runit.8): phusion's my_init, a link to runit.
RUNIT_NAMES = my_init
PAGES    = $(wildcard docs/*.8)

.PHONY: all build separate test test-short race vet demo bench install clean

all: build

# One static multi-call binary, with each program name as a link to it.
build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o bin/gorunit ./cmd/gorunit
	@for p in $(PROGRAMS) $(CHPST_NAMES) $(RUNIT_NAMES); do ln -sf gorunit bin/$$p; done

# Each program as its own static binary, for the benchmark's comparison.
separate:
	@mkdir -p bin/separate
	@for p in $(PROGRAMS); do CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o bin/separate/$$p ./cmd/$$p || exit 1; done
	@for p in $(CHPST_NAMES); do ln -sf chpst bin/separate/$$p; done
	@for p in $(RUNIT_NAMES); do ln -sf runit bin/separate/$$p; done

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# Every test, with the race detector, each test process killed after 20 min.
test: vet build
	$(GO) test -race -count=1 -timeout 20m ./...

test-short: build
	$(GO) test -count=1 -short ./...

demo: build
	@sh testdata/demo/demo.sh

bench: build separate
	$(GO) run ./bench

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 bin/gorunit $(DESTDIR)$(BINDIR)/gorunit
	@for p in $(PROGRAMS) $(CHPST_NAMES) $(RUNIT_NAMES); do ln -sf gorunit $(DESTDIR)$(BINDIR)/$$p; done
	@for m in $(PAGES); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/; done

clean:
	rm -rf bin bench/out
