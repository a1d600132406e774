package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/uringsim/uringsim/exec"
	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

const execUsage = `usage: uringsim exec [--seed=N] [--strategy=random|pct:D[:K]|delay:D[:K]]
                    [--trace=text|json|chrome] [--trace-out=FILE] [--stats] -- PROG [ARGS...]

Runs an unmodified Linux program with its io_uring system calls served by
the simulator (docs/exec.md): a seccomp filter hands io_uring_setup,
io_uring_enter and io_uring_register to uringsim, and every other system
call goes on to the host. The ring the program maps is the simulator's.
A single-threaded program's run is a function of the program, its input
and the seed; the same seed gives the same output and trace.

--seed seeds the simulated machine (default 1). --strategy picks its
scheduling strategy (uringsim explore -h; K defaults to 1000). --trace
writes the simulator's trace to stderr, or to --trace-out. --stats prints
the notifications served and the pages of the program's memory read and
written, on stderr at the end.

Exit status: the program's, or 128+N when signal N killed it (reported on
stderr); 2 for a usage error or when the program could not be started.
`

func runExec(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("exec", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	seed := fset.String("seed", "1", "simulator seed")
	trace := fset.String("trace", "", "text, json or chrome")
	traceOut := fset.String("trace-out", "", "trace file (default stderr)")
	strategy := fset.String("strategy", "random", "scheduling strategy")
	stats := fset.Bool("stats", false, "print run statistics")
	if err := fset.Parse(args); err != nil {
		return flagsFailed("exec", execUsage, err, stdout, stderr)
	}
	prog := fset.Args()
	fail := func(err error) int { return flagsFailed("exec", execUsage, err, stdout, stderr) }
	if len(prog) == 0 {
		return fail(errors.New("no program given"))
	}
	cfg := exec.Config{Log: stderr}
	var err error
	if cfg.Seed, err = strconv.ParseUint(*seed, 0, 64); err != nil {
		return fail(fmt.Errorf("--seed=%s: not a number", *seed))
	}
	spec, err := scenario.ParseStrategy(*strategy)
	if err != nil {
		return fail(fmt.Errorf("--strategy: %v", err))
	}
	if spec.Explores() && spec.Steps == 0 {
		spec.Steps = 1000
	}
	cfg.Strategy = spec.New(cfg.Seed)
	if *traceOut != "" && *trace == "" {
		return fail(errors.New("--trace-out needs --trace"))
	}
	var traceW io.Writer = stderr
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			fmt.Fprintf(stderr, "uringsim exec: %v\n", err)
			return 2
		}
		defer f.Close()
		traceW = f
	}
	var chrome *sim.ChromeSink
	switch *trace {
	case "":
	case "text":
		cfg.Sink = sim.NewTextSink(traceW)
	case "json":
		cfg.Sink = sim.NewJSONSink(traceW)
	case "chrome":
		chrome = sim.NewChromeSink(traceW)
		cfg.Sink = chrome
	default:
		return fail(fmt.Errorf("--trace=%s: want text, json or chrome", *trace))
	}
	if err := exec.Supported(); err != nil {
		fmt.Fprintf(stderr, "uringsim exec: %v\n", err)
		return 2
	}
	res, err := exec.Run(cfg, prog)
	if chrome != nil {
		if cerr := chrome.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "uringsim exec: %v\n", err)
		return 2
	}
	if res.Signal != 0 {
		fmt.Fprintf(stderr, "uringsim exec: %s killed by signal %d (%v)\n", prog[0], int(res.Signal), res.Signal)
	}
	if *stats {
		reread := "pages the program wrote re-read at each call while it had one thread, every page held with more (soft-dirty)"
		if !res.SoftDirty {
			reread = "every page held re-read at each call (the host lacks soft-dirty tracking)"
		}
		fmt.Fprintf(stderr, "uringsim exec: %d notifications, %d pages read, %d written, %d write-backs refused; %s\n",
			res.Calls, res.PagesRead, res.PagesWritten, res.WritesDropped, reread)
	}
	return res.ExitCode
}
