package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

const exploreUsage = `usage: uringsim explore [--seeds=N] [--seed0=S] [--jobs=N] [--shard=I/N]
                       [--bug=NAME[,NAME]] [--strategy=random|pct:D[:K]|delay:D[:K]|preempt:P[:N]]
                       [--check-determinism] [--json] PATH...

Runs each scenario on the simulator under N seeds (seed0 .. seed0+N-1, one
world per seed, all in this process) and checks its expectations. A
terminal gets a progress line on stderr (seeds/s, failures so far). Then,
per scenario, stdout gets the totals, a histogram of which either
alternative matched (either #B: alternative A: count), the failing seeds
with their first failure, and the command that replays the first failure
(uringsim replay). stdout depends only on the scenarios and the seeds, not
on --jobs or timing; the rate goes to stderr.

Every run (explore's, run's, replay's) also checks the global invariants
on every ring (package ringcheck): each submitted SQE completes exactly
once (CQE_SKIP_SUCCESS, multishot F_MORE streams and zero-copy
notifications allowed for), no CQE is lost or duplicated across an
overflow, the CQ head and tail only move forward, chain members complete
in order, and the kernel counted no WARN_ON_ONCE; a deadlock or a panic
fails the run too. A violation is a failure like a wrong expectation:
"line L: invariant violated on ring R: ...", with its replay line.

--strategy picks how the simulator decides its scheduling choices:
  random    a seeded random walk, uniform at every choice (the default)
  pct:D     PCT (Burckhardt et al., ASPLOS 2010) for bug depth D: each
            thread gets a random priority, the highest runnable runs, and
            at D-1 change points drawn among the first K thread choices the
            running thread drops below all others. K is the number of
            thread choices of the scenario's probe run (the random walk
            under the scenario's own seed); the replay line spells it out
  pct:D:K   PCT with K given
  delay:D   delay-bounded: every choice takes the schedule without
            preemption (the running thread goes on, else the oldest
            runnable) but for D deviations drawn among the first K choices
            of any kind (K from the probe run): small counterexamples
  delay:D:K the same with K given
  preempt:P preemption-bounded (CHESS): the running thread is never
            switched away from while it can run, but for at most P
            preemptions at yield points drawn among the first N where
            another thread could run (N: the probe run's thread
            choices); the choices that preempt nothing (who runs when a
            thread blocks, timer ties, values) are free (random). A
            counterexample has at most P preemptions; preempt:1 reaches
            every link_timeout_race alternative
  preempt:P:N the same with N given
The random walk rarely lets one thread win a long run of choices; PCT and
delay:2 reach such schedules within a few hundred seeds.

--check-determinism runs each seed twice, with a text trace, and fails a
seed whose second run differs from its first (trace, CQE stream or
result), naming the first line that differs: "nondeterministic: the second
run's trace differs at line L: first "...", second "..."". The first
failing seed printed is the first that differs.

--shard=I/N keeps the seeds whose index (seed-seed0) is I modulo N, so N
machines given I=0..N-1 run every seed once between them. --json prints one
JSON object per run instead, in seed order:
  scenario  the scenario's name          file    its path
  seed      the seed                     bugs    --bug switches, comma-separated
  strategy  pct:D:K or delay:D:K (absent for random)
  status    PASS, FAIL or SKIP           reason  FAIL/SKIP: why (line L: ...)
  either    per either block run, the alternative that matched (1-based)
  replay    FAIL: the command that replays the run
so the outputs of shards merge by concatenation. --jobs runs that many
worlds at once (default 1). --bug switches museum bugs on (uringsim bugs).

Exit status: 0 when every run passed, 1 when one failed, 2 for a usage
error or a file that could not be parsed.
`

// sweepGCPercent is explore's GOGC unless the environment sets one. A
// world allocates ~45 KB and keeps none of it, and the live heap is small,
// so at the default of 100 the collector ran every ~90 worlds, with its
// write barriers on meanwhile: ~9 % of a small world's instructions
// (BenchmarkExploreTwLost, callgrind), which 400 saves for a heap that
// peaks a few MB higher.
const sweepGCPercent = 400

type exploreConfig struct {
	seeds, seed0   uint64
	jobs           int
	shard, nshards uint64
	bugs           uring.Bugs
	strategy       scenario.StrategySpec
	json           bool
	checkDet       bool
	paths          []string
	carriers       *sim.Carriers // thread coroutines reused by every run's world
}

func parseExploreFlags(args []string) (*exploreConfig, error) {
	cfg := &exploreConfig{}
	fset := flag.NewFlagSet("explore", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.Uint64Var(&cfg.seeds, "seeds", 1000, "number of seeds")
	fset.Uint64Var(&cfg.seed0, "seed0", 1, "first seed")
	fset.IntVar(&cfg.jobs, "jobs", 1, "worlds run at once")
	shard := fset.String("shard", "0/1", "I/N")
	bugs := fset.String("bug", "", "museum bugs")
	strategy := fset.String("strategy", "random", "random, pct:D[:K], delay:D[:K] or preempt:P[:N]")
	fset.BoolVar(&cfg.json, "json", false, "JSON lines")
	fset.BoolVar(&cfg.checkDet, "check-determinism", false, "run each seed twice, compare traces")
	var err error
	if cfg.paths, err = parseInterleaved(fset, args); err != nil {
		return nil, err
	}
	if cfg.shard, cfg.nshards, err = parseShard(*shard); err != nil {
		return nil, err
	}
	if cfg.jobs < 1 {
		return nil, fmt.Errorf("--jobs=%d: want at least 1", cfg.jobs)
	}
	if cfg.seeds > 0 && cfg.seed0+(cfg.seeds-1) < cfg.seed0 {
		return nil, fmt.Errorf("--seed0=%d --seeds=%d: the last seed overflows 64 bits", cfg.seed0, cfg.seeds)
	}
	if cfg.bugs, err = uring.ParseBugs(*bugs); err != nil {
		return nil, fmt.Errorf("--bug: %v", err)
	}
	if cfg.strategy, err = scenario.ParseStrategy(*strategy); err != nil {
		return nil, fmt.Errorf("--strategy: %v", err)
	}
	if len(cfg.paths) == 0 {
		return nil, errors.New("no scenario given")
	}
	return cfg, nil
}

// parseShard parses --shard=I/N (0 <= I < N).
func parseShard(s string) (i, n uint64, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 64)
	n, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || n == 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard=%s: want I/N with 0 <= I < N", s)
	}
	return i, n, nil
}

// shardSeeds are the seeds of cfg's shard, in increasing order.
func (cfg *exploreConfig) shardSeeds() []uint64 {
	var seeds []uint64
	for k := cfg.shard; k < cfg.seeds; k += cfg.nshards {
		seeds = append(seeds, cfg.seed0+k)
		if k+cfg.nshards < k {
			break // k would wrap around
		}
	}
	return seeds
}

// exploreRun is one run's outcome, a line of --json.
type exploreRun struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	Seed     uint64 `json:"seed"`
	Bugs     string `json:"bugs,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Either   []int  `json:"either,omitempty"`
	Replay   string `json:"replay,omitempty"`
}

// runExplore is `uringsim explore`.
func runExplore(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseExploreFlags(args)
	if err != nil {
		return flagsFailed("explore", exploreUsage, err, stdout, stderr)
	}
	scs, ok := loadPaths("explore", cfg.paths, stderr)
	if !ok {
		return 2
	}
	seeds := cfg.shardSeeds()
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(sweepGCPercent))
	}
	cfg.carriers = sim.NewCarriers(0)
	defer cfg.carriers.Close()
	tty := isTerminal(stderr)
	status := 0
	for _, l := range scs {
		if l.err != nil {
			status = 2
			continue
		}
		start := time.Now()
		// pct:D takes its K from the scenario's probe run, once.
		scfg := *cfg
		scfg.strategy = cfg.strategy.Resolve(l.sc, scenario.RunOptions{Bugs: cfg.bugs})
		runs := exploreSeeds(l.sc, l.file, seeds, &scfg, func(done, failed int) {
			if tty {
				rate := float64(done) / max(time.Since(start).Seconds(), 1e-9)
				fmt.Fprintf(stderr, "\r%s: %d/%d seeds, %.0f seeds/s, %d failed ", l.sc.Name, done, len(seeds), rate, failed)
			}
		})
		took := time.Since(start)
		if tty {
			fmt.Fprintln(stderr)
		}
		fmt.Fprintf(stderr, "%s: %d seeds in %v (%.0f seeds/s)\n", l.sc.Name, len(runs), took.Round(time.Millisecond),
			float64(len(runs))/max(took.Seconds(), 1e-9))
		for _, r := range runs {
			if r.Status == scenario.Fail.String() && status == 0 {
				status = 1
			}
		}
		if cfg.json {
			enc := json.NewEncoder(stdout)
			for _, r := range runs {
				_ = enc.Encode(r)
			}
			continue
		}
		printExplore(stdout, l.sc.Name, runs, &scfg)
	}
	return status
}

// exploreSeeds runs sc under every seed, cfg.jobs at a time, and returns
// the runs in seed order, whatever the order they finished in. progress
// is called after each run (serialised).
func exploreSeeds(sc *scenario.Scenario, file string, seeds []uint64, cfg *exploreConfig, progress func(done, failed int)) []exploreRun {
	runs := make([]exploreRun, len(seeds))
	var mu sync.Mutex
	next, done, failed := 0, 0, 0
	var wg sync.WaitGroup
	for range min(cfg.jobs, max(len(seeds), 1)) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(seeds) {
					return
				}
				run := exploreOne(sc, file, seeds[i], cfg)
				mu.Lock()
				runs[i] = run
				done++
				if run.Status == scenario.Fail.String() {
					failed++
				}
				progress(done, failed)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return runs
}

// runScenario runs a scenario; tests replace it to make runs differ.
var runScenario = scenario.Run

// exploreOne runs sc under one seed (twice with --check-determinism, which
// makes a run whose second trace, result or CQE stream differs from the
// first a failure naming the first line that differs). A panic that
// escapes the runner (it recovers its own) is that run's failure, not the
// end of the sweep.
func exploreOne(sc *scenario.Scenario, file string, seed uint64, cfg *exploreConfig) (run exploreRun) {
	run = exploreRun{Scenario: sc.Name, File: file, Seed: seed, Bugs: cfg.bugs.String()}
	if cfg.strategy.Explores() {
		run.Strategy = cfg.strategy.String()
	}
	defer func() {
		if p := recover(); p != nil {
			run.Status, run.Reason, run.Either = scenario.Fail.String(), fmt.Sprintf("panic: %v", p), nil
		}
		if run.Status == scenario.Fail.String() {
			run.Replay = replayCommand(run)
		}
	}()
	opt := scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: cfg.bugs, Strategy: cfg.strategy.New(seed), NoChoiceLog: true, Carriers: cfg.carriers}
	var traces [2]bytes.Buffer
	if cfg.checkDet {
		opt.Sink = sim.NewTextSink(&traces[0])
	}
	r := runScenario(sc, opt)
	run.Status, run.Either = r.Status.String(), r.Either
	if r.Status != scenario.Pass {
		run.Reason = r.Reason
		if r.Line > 0 {
			run.Reason = fmt.Sprintf("line %d: %s", r.Line, r.Reason)
		}
	}
	if !cfg.checkDet {
		return run
	}
	opt.Sink, opt.Strategy = sim.NewTextSink(&traces[1]), cfg.strategy.New(seed)
	r2 := runScenario(sc, opt)
	diff, differs := firstLineDiff(traces[0].Bytes(), traces[1].Bytes())
	what := "trace"
	if !differs {
		what = "CQE stream"
		diff, differs = firstLineDiff([]byte(strings.Join(r.CQEs, "\n")), []byte(strings.Join(r2.CQEs, "\n")))
	}
	if !differs {
		what = "result"
		diff, differs = firstLineDiff([]byte(r.String()), []byte(r2.String()))
	}
	if differs {
		run.Status, run.Either = scenario.Fail.String(), nil
		run.Reason = fmt.Sprintf("%s: the second run's %s differs at line %d: first %q, second %q", nondeterministic, what, diff.n, diff.a, diff.b)
	}
	return run
}

// nondeterministic starts the reason of a run that --check-determinism
// found to differ from itself.
const nondeterministic = "nondeterministic"

// diffLine is where two texts part: the line number (1-based), both
// lines (a, b) and the two quoted on two lines (text).
type diffLine struct {
	n    int
	a, b []byte
	text string
}

// firstLineDiff finds the first line where a and b differ.
func firstLineDiff(a, b []byte) (diffLine, bool) {
	if bytes.Equal(a, b) {
		return diffLine{}, false
	}
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	i := 0
	for i < len(la) && i < len(lb) && bytes.Equal(la[i], lb[i]) {
		i++
	}
	var x, y []byte
	if i < len(la) {
		x = la[i]
	}
	if i < len(lb) {
		y = lb[i]
	}
	return diffLine{i + 1, x, y, fmt.Sprintf("  first:  %q\n  second: %q", x, y)}, true
}

// replayCommand is the command line that replays run r.
func replayCommand(r exploreRun) string {
	cmd := "uringsim replay --seed=" + strconv.FormatUint(r.Seed, 10)
	if r.Bugs != "" {
		cmd += " --bug=" + r.Bugs
	}
	if r.Strategy != "" {
		cmd += " --strategy=" + r.Strategy
	}
	return cmd + " " + shellQuote(r.File)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and the punctuation of ordinary paths.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+,:=@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printExplore prints one scenario's summary: totals, the either
// histogram (by block, then alternative), the failing seeds and the
// replay line of the first failure. It depends only on runs.
func printExplore(w io.Writer, name string, runs []exploreRun, cfg *exploreConfig) {
	var fails []exploreRun
	passed, skipped := 0, 0
	type alt struct{ block, alt int }
	hist := map[alt]int{}
	for _, r := range runs {
		switch r.Status {
		case scenario.Pass.String():
			passed++
		case scenario.Skip.String():
			skipped++
		default:
			fails = append(fails, r)
		}
		for b, a := range r.Either {
			hist[alt{b + 1, a}]++
		}
	}
	var with []string
	if s := cfg.bugs.String(); s != "" {
		with = append(with, "--bug="+s)
	}
	if cfg.strategy.Explores() {
		with = append(with, "--strategy="+cfg.strategy.String())
	}
	bugs := ""
	if len(with) > 0 {
		bugs = " with " + strings.Join(with, " ")
	}
	shard := ""
	if cfg.nshards > 1 {
		shard = fmt.Sprintf(" (shard %d/%d)", cfg.shard, cfg.nshards)
	}
	fmt.Fprintf(w, "%s: %d seeds%s%s, %d passed, %d failed, %d skipped\n",
		name, len(runs), shard, bugs, passed, len(fails), skipped)
	keys := make([]alt, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b alt) int {
		if a.block != b.block {
			return a.block - b.block
		}
		return a.alt - b.alt
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  either #%d: alternative %d: %d\n", k.block, k.alt, hist[k])
	}
	const shown = 20
	for i, r := range fails {
		if i == shown {
			fmt.Fprintf(w, "  ... and %d more failing seeds\n", len(fails)-shown)
			break
		}
		fmt.Fprintf(w, "  FAIL seed %d: %s\n", r.Seed, r.Reason)
	}
	if len(fails) > 0 {
		fmt.Fprintf(w, "  replay: %s\n", fails[0].Replay)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const replayUsage = `usage: uringsim replay (--seed=S [--bug=NAME[,NAME]] [--strategy=...] | --tape=FILE)
                      [--shrink] [--tape-out=FILE] [--trace=text|json|chrome] [--trace-out=FILE] PATH...

Replays a run that explore reported: the scenario on the simulator under
seed S with the same bugs, printing its CQEs, its result and its trace
(text on stderr unless --trace says otherwise). The same seed gives a
byte-identical trace on every replay, the one run --seed=S --trace writes.
--tape-out records the run's tape (seed, bugs, every choice) and --tape
replays one; a tape that no longer matches the code fails at the first
choice that differs.

--shrink (one scenario) minimises the failing run's tape while the same
failure persists: the same failing line, the same message up to what
came instead (numbers aside). Option 0 of every choice is the schedule
without preemption (the running thread goes on, else the one runnable
the longest; the first tied timer, the first value); smaller means fewer
choices off option 0, then a shorter tape, then those choices earlier,
then smaller picks. Delta debugging over them, zeroing pairs, deleting
choices and lowering picks run until none shrinks the tape (at most
20,000 runs), so shrinking the result again gives it back. The tape goes
to --tape-out (default NAME.tape here) with "then default": it ends at
its last choice off option 0 and replay --tape takes option 0 after it.
stdout gets a summary, the narrated trace of the shrunk run (each
scenario command as "-- line L", each thread's kernel events as
name[pid], the scenario's output as "user", and a ">> choice N" line at
each choice off option 0: which thread ran instead of which, and after
what step of the one that waited) and the shrunk run's result; --trace
writes its full trace as well. Exit status 1 when the run fails (and is
shrunk), 0 when it passes (nothing to shrink).
`

// runReplay is `uringsim replay`: run on the deterministic simulator with
// a required --seed and a trace.
func runReplay(args []string, stdout, stderr io.Writer) int {
	if cfg, err := parseRunFlags(args, stderr); err == nil && cfg.shrink {
		return runShrink(cfg, stdout, stderr)
	}
	// The text trace by default; a --trace given later overrides it.
	args = append([]string{"--trace=text"}, args...)
	cfg, err := parseRunFlags(args, stderr)
	switch {
	case err != nil:
	case !cfg.seedSet:
		err = errors.New("--seed=S or --tape=FILE is required")
	case cfg.backend != "sim" || cfg.mode != sim.Deterministic:
		err = errors.New("replay runs the deterministic simulator only (no --backend, no --mode)")
	}
	if err != nil {
		return flagsFailed("replay", replayUsage, err, stdout, stderr)
	}
	return runRun(args, stdout, stderr)
}
