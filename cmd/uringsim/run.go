package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

const runUsage = `usage: uringsim run [--backend=sim|kernel|both] [--seed=N] [--mode=deterministic|concurrent]
                   [--trace=text|json|chrome] [--trace-out=FILE] [--bug=NAME[,NAME]]
                   [--strategy=random|pct:D[:K]|delay:D[:K]] [--tape=FILE] [--tape-out=FILE] [-v] PATH...

Runs scenario files (shared/SCENARIO.md). A PATH is a .scn file or a
directory, searched recursively for *.scn files (in sorted order).

Every reaped CQE is printed as "cqe RING ud=N res=R flags=F", then one line
per scenario (PASS name, FAIL name: line L: ..., SKIP name: reason) and the
totals. With --backend=both each scenario runs on the simulator and on the
host kernel, and a line SAME name / DIFF name: ... says whether the two
reaped CQE streams are identical; a table follows the totals.

--seed overrides the scenarios' seed= on the simulator. --mode=concurrent
runs the simulator on real goroutines and real time instead of the
deterministic scheduler (no seed, no reproducible trace). --trace writes the
simulator's trace to stderr, or to --trace-out (chrome: one scenario only).
--bug switches museum bugs back on in the simulator (uringsim bugs lists
them). --strategy picks the simulator's scheduling strategy (uringsim
explore -h describes them). --tape-out records the run's tape: its seed,
bugs and every scheduling choice; --tape replays one (no --seed, --bug or
--strategy then), and a run that asks for a choice the tape does not match
fails there, naming the choice (one scenario on the simulator each). -v echoes each command before it runs.

Exit status: 0 when nothing failed, 1 when a scenario failed (or the
streams differ with --backend=both), 2 for a usage error or when a file
could not be parsed: it is reported as FILE:LINE: message on stderr and as
that file's FAIL line, and the other files still run.
`

type runConfig struct {
	backend  string
	seed     uint64
	seedSet  bool
	trace    string
	traceOut string
	verbose  bool
	mode     sim.Mode
	bugs     uring.Bugs
	strategy scenario.StrategySpec
	tape     *tape  // --tape: the run to replay
	tapeOut  string // --tape-out: where to record the run
	shrink   bool   // --shrink (replay only)
	paths    []string
}

func parseRunFlags(args []string, stderr io.Writer) (*runConfig, error) {
	cfg := &runConfig{}
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.StringVar(&cfg.backend, "backend", "sim", "sim, kernel or both")
	seed := fset.String("seed", "", "simulator seed")
	fset.StringVar(&cfg.trace, "trace", "", "text, json or chrome")
	fset.StringVar(&cfg.traceOut, "trace-out", "", "trace file (default stderr)")
	fset.BoolVar(&cfg.verbose, "v", false, "echo commands")
	mode := fset.String("mode", "deterministic", "simulator mode: deterministic or concurrent")
	bugs := fset.String("bug", "", "museum bugs to switch on, comma-separated")
	strategy := fset.String("strategy", "random", "scheduling strategy: random, pct:D[:K], delay:D[:K] or preempt:P[:N]")
	tapeIn := fset.String("tape", "", "replay a recorded tape")
	fset.StringVar(&cfg.tapeOut, "tape-out", "", "record the run's tape")
	fset.BoolVar(&cfg.shrink, "shrink", false, "replay: shrink the failing run's tape")
	var err error
	if cfg.paths, err = parseInterleaved(fset, args); err != nil {
		return nil, err
	}
	switch cfg.backend {
	case "sim", "kernel", "both":
	default:
		return nil, fmt.Errorf("--backend=%s: want sim, kernel or both", cfg.backend)
	}
	switch cfg.trace {
	case "", "text", "json", "chrome":
	default:
		return nil, fmt.Errorf("--trace=%s: want text, json or chrome", cfg.trace)
	}
	switch *mode {
	case "deterministic":
		cfg.mode = sim.Deterministic
	case "concurrent":
		cfg.mode = sim.Concurrent
	default:
		return nil, fmt.Errorf("--mode=%s: want deterministic or concurrent", *mode)
	}
	if cfg.traceOut != "" && cfg.trace == "" {
		return nil, errors.New("--trace-out needs --trace")
	}
	if *seed != "" {
		v, err := strconv.ParseUint(*seed, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("--seed=%s: not a number", *seed)
		}
		cfg.seed, cfg.seedSet = v, true
	}
	if cfg.bugs, err = uring.ParseBugs(*bugs); err != nil {
		return nil, fmt.Errorf("--bug: %v", err)
	}
	if cfg.strategy, err = scenario.ParseStrategy(*strategy); err != nil {
		return nil, fmt.Errorf("--strategy: %v", err)
	}
	if cfg.strategy.Explores() && cfg.mode != sim.Deterministic {
		return nil, errors.New("--strategy needs --mode=deterministic")
	}
	if *tapeIn != "" || cfg.tapeOut != "" {
		if cfg.mode != sim.Deterministic || cfg.backend != "sim" || len(cfg.paths) != 1 {
			return nil, errors.New("--tape and --tape-out take one scenario on the deterministic simulator")
		}
	}
	if *tapeIn != "" {
		if *seed != "" || *bugs != "" || cfg.strategy.Explores() {
			return nil, errors.New("--tape holds the seed, the bugs and every choice: no --seed, --bug or --strategy with it")
		}
		if cfg.tape, err = readTape(*tapeIn); err != nil {
			return nil, fmt.Errorf("--tape: %v", err)
		}
		cfg.seed, cfg.seedSet, cfg.bugs = cfg.tape.seed, true, cfg.tape.bugs
	}
	if len(cfg.paths) == 0 {
		return nil, errors.New("no scenario given")
	}
	return cfg, nil
}

// scenarioFiles expands the paths: files as given, directories searched
// recursively for *.scn in sorted order.
func scenarioFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".scn") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

// loaded is a parsed scenario with its source lines, or a file that
// could not be read or parsed (err set, sc nil).
type loaded struct {
	sc   *scenario.Scenario
	file string // the path it was read from
	src  []string
	bug  string // scenario.KnownSimBug: the simulator is known to differ
	name string // err: the scenario's name (base name without .scn)
	err  error  // err: why it was not loaded (FILE:LINE: message)
}

// loadScenarios parses every file. A file that cannot be read or parsed
// is reported on stderr and kept as an entry with err set, so that the
// others still run and it is counted as that file's failure.
func loadScenarios(cmd string, files []string, stderr io.Writer) []loaded {
	var out []loaded
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".scn")
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "uringsim %s: %v\n", cmd, err)
			out = append(out, loaded{name: name, err: err})
			continue
		}
		sc, err := scenario.Parse(f, src)
		if err != nil {
			fmt.Fprintln(stderr, err)
			out = append(out, loaded{name: name, err: err})
			continue
		}
		bug, _ := scenario.KnownSimBug(src)
		out = append(out, loaded{sc: sc, file: f, src: strings.Split(string(src), "\n"), bug: bug})
	}
	return out
}

// loadPaths expands paths (scenarioFiles) and loads every file
// (loadScenarios). It reports on stderr, as command name, a path that
// cannot be read or that holds no scenario, and then returns false.
func loadPaths(name string, paths []string, stderr io.Writer) ([]loaded, bool) {
	files, err := scenarioFiles(paths)
	if err != nil {
		fmt.Fprintf(stderr, "uringsim %s: %v\n", name, err)
		return nil, false
	}
	scs := loadScenarios(name, files, stderr)
	if len(scs) == 0 {
		fmt.Fprintf(stderr, "uringsim %s: no scenario found\n", name)
		return nil, false
	}
	return scs, true
}

// runRun is `uringsim run`.
func runRun(args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "uringsim run: internal error: %v\n", p)
			status = 1
		}
	}()
	cfg, err := parseRunFlags(args, stderr)
	if err == nil && cfg.shrink {
		err = errors.New("--shrink is a flag of uringsim replay")
	}
	if err != nil {
		return flagsFailed("run", runUsage, err, stdout, stderr)
	}
	scs, ok := loadPaths("run", cfg.paths, stderr)
	if !ok {
		return 2
	}
	if (cfg.tape != nil || cfg.tapeOut != "") && len(scs) != 1 {
		fmt.Fprintln(stderr, "uringsim run: --tape and --tape-out take one scenario, not a directory")
		return 2
	}

	// The trace.
	sink, chrome, closeTrace, err := openTrace(cfg, len(scs) == 1 && scs[0].err == nil, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "uringsim run: %v\n", err)
		return 2
	}
	defer closeTrace()

	if cfg.backend != "sim" {
		hostTmpfs()
	}
	var backends []string
	switch cfg.backend {
	case "both":
		backends = []string{scenario.BackendSim, scenario.BackendKernel}
	default:
		backends = []string{cfg.backend}
	}
	var counts [4]int
	xfail := 0
	var rows []conformanceRow
	failed := false
	malformed := false
	for _, l := range scs {
		if l.err != nil {
			// Reported as this file's failure; the others still run.
			fmt.Fprintf(stdout, "FAIL %s: %v\n", l.name, l.err)
			counts[scenario.Fail]++
			malformed = true
			continue
		}
		var results []scenario.Result
		for _, be := range backends {
			opt := scenario.RunOptions{Backend: be, Seed: cfg.seed, SeedSet: cfg.seedSet, Out: stdout, Mode: cfg.mode, Bugs: cfg.bugs}
			if be == scenario.BackendSim {
				opt.Sink = sink
				opt.Strategy = cfg.strategy.Resolve(l.sc, opt).New(l.sc.RunSeed(opt))
				if cfg.tape != nil {
					opt.Strategy = cfg.tape.strategy()
				}
			}
			if cfg.verbose {
				src := l.src
				opt.Before = func(c *scenario.Command) { echoCommand(stdout, src, c) }
			}
			r := scenario.Run(l.sc, opt)
			if cfg.tapeOut != "" {
				t := &tape{file: l.file, seed: r.Seed, bugs: opt.Bugs, choices: r.Choices}
				if err := writeTape(cfg.tapeOut, t); err != nil {
					fmt.Fprintf(stderr, "uringsim run: --tape-out: %v\n", err)
					return 2
				}
			}
			line := r.String()
			if len(backends) > 1 {
				line = strings.Replace(line, " "+r.Name, " "+r.Name+" ["+be+"]", 1)
			}
			known := be == scenario.BackendSim && l.bug != ""
			switch {
			case known && r.Status == scenario.Fail:
				// A known simulator bug: reported, not counted as a failure.
				line = "X" + line + " (known simulator bug)"
				xfail++
			case known && r.Status == scenario.Pass:
				line += " (marked known-sim-bug but passes: drop the marker)"
				counts[r.Status]++
			default:
				counts[r.Status]++
				if r.Status == scenario.Fail {
					failed = true
				}
			}
			fmt.Fprintln(stdout, line)
			if r.Detail != "" {
				for _, d := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
					fmt.Fprintln(stdout, "    "+d)
				}
			}
			results = append(results, r)
		}
		if len(results) == 2 {
			row := compareResults(results[0], results[1], l.bug, l.sc.AllowsReorder())
			if row.verdict == "DIFF" {
				failed = true
			}
			fmt.Fprintln(stdout, row.line)
			rows = append(rows, row)
		}
	}
	if chrome != nil {
		if err := chrome.Close(); err != nil {
			fmt.Fprintf(stderr, "uringsim run: trace: %v\n", err)
		}
	}
	if xfail > 0 {
		fmt.Fprintf(stdout, "%d known simulator bug(s) reproduced (XFAIL, see the scenarios' known-sim-bug comments)\n", xfail)
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", counts[scenario.Pass], counts[scenario.Fail], counts[scenario.Skip])
	if len(rows) > 0 {
		printConformance(stdout, rows)
	}
	if malformed {
		return 2
	}
	if failed {
		return 1
	}
	return 0
}

// openTrace opens the trace cfg asks for (nil: none): to --trace-out or
// stderr, in its format; chrome (non-nil for --trace=chrome) needs one
// scenario and its Close. closeTrace closes --trace-out.
func openTrace(cfg *runConfig, one bool, stderr io.Writer) (sink sim.Sink, chrome *sim.ChromeSink, closeTrace func(), err error) {
	closeTrace = func() {}
	if cfg.trace == "chrome" && !one {
		return nil, nil, closeTrace, errors.New("--trace=chrome takes exactly one scenario")
	}
	var traceW io.Writer = stderr
	if cfg.traceOut != "" && cfg.trace != "" {
		f, err := os.Create(cfg.traceOut)
		if err != nil {
			return nil, nil, closeTrace, err
		}
		closeTrace = func() { f.Close() }
		traceW = f
	}
	switch cfg.trace {
	case "text":
		sink = sim.NewTextSink(traceW)
	case "json":
		sink = sim.NewJSONSink(traceW)
	case "chrome":
		chrome = sim.NewChromeSink(traceW)
		sink = chrome
	}
	return sink, chrome, closeTrace, nil
}

// hostTmpfs points TMPDIR at /dev/shm when TMPDIR is unset and /dev/shm is
// a tmpfs, so that a scenario's `file` is on tmpfs on the host as it is in
// the simulator (uring.Files creates host temp files in os.TempDir()).
// Filesystems differ in ways io_uring shows: a buffered write to a tmpfs
// file completes inline, one to an ext4 file is punted to io-wq, which
// reorders CQEs and what a read in the same batch sees.
func hostTmpfs() {
	const tmpfsMagic = 0x01021994 // TMPFS_MAGIC
	if os.Getenv("TMPDIR") != "" {
		return
	}
	var st unix.Statfs_t
	if unix.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic {
		_ = os.Setenv("TMPDIR", "/dev/shm")
	}
}

// echoCommand prints the source line(s) of c (-v), blocks and
// continuation lines included.
func echoCommand(w io.Writer, src []string, c *scenario.Command) {
	first, last := commandLines(src, c)
	for i := first; i <= last; i++ {
		fmt.Fprintf(w, "%4d  %s\n", i, strings.TrimRight(src[i-1], " \t\r"))
	}
}

// stripComment drops a trailing # comment outside strings.
func stripComment(s string) string {
	inStr := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inStr:
			i++
		case s[i] == '"':
			inStr = !inStr
		case s[i] == '#' && !inStr:
			return strings.TrimRight(s[:i], " \t")
		}
	}
	return s
}

// conformanceRow compares one scenario's runs on the two backends.
type conformanceRow struct {
	name, sim, host, verdict, line string
}

func compareResults(s, h scenario.Result, bug string, reorder bool) conformanceRow {
	row := conformanceRow{name: s.Name, sim: s.Status.String(), host: h.Status.String()}
	if bug != "" && s.Status == scenario.Fail {
		row.sim = "XFAIL"
	}
	switch {
	case bug != "" && h.Status != scenario.Skip && !slices.Equal(s.CQEs, h.CQEs):
		row.verdict = "KNOWN"
		row.line = "DIFF " + s.Name + ": " + firstDiff(s.CQEs, h.CQEs) + " (known simulator bug)"
	case h.Status == scenario.Skip || s.Status == scenario.Skip:
		row.verdict = "-"
		row.line = "SKIP " + s.Name + ": not run on both backends"
	case slices.Equal(s.CQEs, h.CQEs):
		row.verdict = "SAME"
		row.line = "SAME " + s.Name
	case reorder && s.Status == scenario.Pass && h.Status == scenario.Pass:
		// Both passed an unordered/either block, in different orders.
		row.verdict = "REORDER"
		row.line = "DIFF " + s.Name + ": " + firstDiff(s.CQEs, h.CQEs) + " (allowed: both pass, the scenario accepts either order)"
	default:
		row.verdict = "DIFF"
		row.line = "DIFF " + s.Name + ": " + firstDiff(s.CQEs, h.CQEs)
	}
	return row
}

// firstDiff describes where two CQE streams part.
func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		} else {
			x = "nothing"
		}
		if i < len(b) {
			y = b[i]
		} else {
			y = "nothing"
		}
		if x != y {
			return fmt.Sprintf("CQE %d: sim %s, kernel %s", i+1, x, y)
		}
	}
	return "identical"
}

// printConformance prints the table of --backend=both.
func printConformance(w io.Writer, rows []conformanceRow) {
	width := len("scenario")
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-*s  %-5s  %-4s  %s\n", width, "scenario", "sim", "host", "identical")
	fmt.Fprintf(w, "%s  %s  %s  %s\n", strings.Repeat("-", width), "-----", "----", "---------")
	for _, r := range rows {
		ident := "yes"
		switch r.verdict {
		case "DIFF":
			ident = "NO"
		case "KNOWN":
			ident = "NO (known sim bug)"
		case "REORDER":
			ident = "no (order allowed to differ)"
		case "-":
			ident = "-"
		}
		fmt.Fprintf(w, "%-*s  %-5s  %-4s  %s\n", width, r.name, r.sim, r.host, ident)
	}
}
