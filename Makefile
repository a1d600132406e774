# uringsim — the two commands a new user needs are `make run` and `make test`.
GO ?= go

.PHONY: run test race bench fuzz vet conformance nightly museum

# The main job: the guided tour of io_uring on the simulator.
run:
	$(GO) run ./cmd/uringsim tour

# Every test, with kernel invariants (WARN_ON_ONCE) turned into panics; then
# the concurrent mode (real goroutines) under the race detector.
test: vet
	$(GO) test -tags invariants -count=1 ./...
	$(GO) test -tags invariants -race -count=1 ./sim/ ./iowq/ ./sqpoll/ ./uring/
	$(GO) test -tags invariants -race -count=1 -run 'Concurrent' ./kernel/ ./scenario/

vet:
	$(GO) vet ./...

# The nightly-sized sweep: every corpus scenario under SEEDS seeds from
# SEED0 (make test runs 200 from seed 1). A failure names the seed and the
# command that replays it.
SEEDS ?= 5000
SEED0 ?= 1
nightly:
	$(GO) test -tags invariants -count=1 -timeout=2h -run 'TestCorpusSeeds' ./scenario/ -corpus.seeds=$(SEEDS) -corpus.seed0=$(SEED0)

# Every benchmark, then the tables the README shows: per-request cost as the
# load grows (BenchmarkScale*), NOP, socket echo round trips (BenchmarkEcho)
# and 4 KiB NVMe reads (BenchmarkNVMeRandRead4K) on the simulator against the host.
# The scaling and NOP benchmarks run BENCHCOUNT times (the tables take the
# medians); the host's CPU and its syscall-entry mitigations are printed
# with them, since the NOP ratios depend on what a system call costs there.
BENCHOUT ?= $${TMPDIR:-/tmp}/uringsim-bench.txt
BENCHCOUNT ?= 5
bench:
	$(GO) test -run='^$$' -bench=. -skip='^Benchmark(Scale|Nop)' -benchmem ./... > $(BENCHOUT) || { cat $(BENCHOUT); exit 1; }
	$(GO) test -run='^$$' -bench='^Benchmark(Scale|Nop)' -count=$(BENCHCOUNT) -benchmem ./uring/ >> $(BENCHOUT) || { cat $(BENCHOUT); exit 1; }
	cat $(BENCHOUT)
	@echo
	$(GO) run ./cmd/uringsim bench report < $(BENCHOUT)
	@echo
	@echo "host: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $$(nproc) CPUs, Linux $$(uname -r)"
	@for v in meltdown spectre_v2; do echo "  $$v: $$(cat /sys/devices/system/cpu/vulnerabilities/$$v 2>/dev/null || echo unknown)"; done

# Short fuzz runs of every fuzz target (longer: make fuzz FUZZTIME=10m).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzSQE -fuzztime=$(FUZZTIME) ./kernel/
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzRingGarbage -fuzztime=$(FUZZTIME) ./kernel/
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzEntryArgs -fuzztime=$(FUZZTIME) ./kernel/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./scenario/
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzRun -fuzztime=$(FUZZTIME) ./scenario/
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzPathOps -fuzztime=$(FUZZTIME) ./uring/
	$(GO) test -tags invariants -run='^$$' -fuzz=FuzzRingWords -fuzztime=$(FUZZTIME) ./uring/

# The scenario corpus on the simulator and on the host kernel's io_uring,
# ending with a table: scenario, sim, host, identical (reaped CQE streams).
conformance:
	$(GO) run ./cmd/uringsim run --backend=both testdata/scenarios

# The bug museum: every switch of `uringsim bugs` over its whole seed budget
# (testdata/museum/NAME.scn passes with the switch off, fails with it on
# showing the historical symptom; make test runs short sweeps), then the
# museum scenarios with every switch off on the simulator and the host.
museum:
	$(GO) test -tags invariants -count=1 -run 'TestMuseum' ./scenario/ -museum.full -v
	$(GO) test -tags invariants -count=1 -run 'TestMuseum' ./iowq/ ./sqpoll/
	$(GO) run ./cmd/uringsim run --backend=both testdata/museum
