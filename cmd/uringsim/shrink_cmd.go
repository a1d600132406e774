package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

// maxShrinkRuns bounds the candidate runs of one replay --shrink.
const maxShrinkRuns = 20_000

// runShrink is `uringsim replay --shrink`: it runs the scenario as replay
// would (seed and strategy, or a tape), shrinks the failing run's tape
// (shrinkTape), writes the smallest to --tape-out (default NAME.tape in
// the current directory) and prints it as a narrated trace.
func runShrink(cfg *runConfig, stdout, stderr io.Writer) int {
	var err error
	switch {
	case !cfg.seedSet:
		err = errors.New("--seed=S or --tape=FILE is required")
	case cfg.backend != "sim" || cfg.mode != sim.Deterministic:
		err = errors.New("replay runs the deterministic simulator only (no --backend, no --mode)")
	case len(cfg.paths) != 1:
		err = errors.New("--shrink takes one scenario")
	}
	if err != nil {
		return flagsFailed("replay", replayUsage, err, stdout, stderr)
	}
	scs, ok := loadPaths("replay", cfg.paths, stderr)
	if !ok {
		return 2
	}
	if len(scs) != 1 || scs[0].err != nil {
		if len(scs) != 1 {
			fmt.Fprintln(stderr, "uringsim replay: --shrink takes one scenario, not a directory")
		}
		return 2
	}
	l := scs[0]
	base := scenario.RunOptions{Seed: cfg.seed, SeedSet: true, Bugs: cfg.bugs}

	// The run to shrink.
	opt := base
	if cfg.tape != nil {
		opt.Strategy = cfg.tape.strategy()
	} else {
		opt.Strategy = cfg.strategy.Resolve(l.sc, base).New(cfg.seed)
	}
	r0 := scenario.Run(l.sc, opt)
	want, failed := classOf(r0)
	if !failed {
		fmt.Fprintln(stdout, r0.String())
		fmt.Fprintln(stdout, "nothing to shrink: the run does not fail")
		return 0
	}
	if strings.Contains(r0.Reason, "replay diverged") {
		fmt.Fprintln(stdout, r0.String())
		fmt.Fprintln(stderr, "uringsim replay: --shrink: the tape does not match the scenario")
		return 1
	}

	res := shrinkTape(r0.Choices, func(cand []sim.Choice) ([]sim.Choice, bool) {
		o := base
		o.Strategy = &guide{picks: cand}
		r := scenario.Run(l.sc, o)
		got, ok := classOf(r)
		return r.Choices, ok && got == want
	}, maxShrinkRuns)
	tp := &tape{file: l.file, seed: cfg.seed, bugs: cfg.bugs, thenDefault: true, choices: res.choices}
	path := cfg.tapeOut
	if path == "" {
		path = l.sc.Name + ".tape"
	}
	if err := writeTape(path, tp); err != nil {
		fmt.Fprintf(stderr, "uringsim replay: --tape-out: %v\n", err)
		return 2
	}

	// The shrunk run, replayed from the tape as replay --tape does, narrated.
	sink, chrome, closeTrace, err := openTrace(cfg, true, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "uringsim replay: %v\n", err)
		return 2
	}
	defer closeTrace()
	nar := &shrinkNarrator{inner: tp.strategy()}
	opt = base
	opt.Strategy, opt.Sink, opt.Before, opt.Out = nar, nar, nar.before, nar
	if sink != nil {
		opt.Sink = sim.Tee(nar, sink)
	}
	r := scenario.Run(l.sc, opt)
	if chrome != nil {
		if err := chrome.Close(); err != nil {
			fmt.Fprintf(stderr, "uringsim replay: trace: %v\n", err)
		}
	}

	with := ""
	if b := cfg.bugs.String(); b != "" {
		with = " --bug=" + b
	}
	fmt.Fprintf(stdout, "shrink %s (seed %d%s): %d choices, %d off option 0 (%d of them thread choices) -> %d choices, %d off option 0 (%d thread), %d runs\n",
		l.sc.Name, cfg.seed, with, len(r0.Choices), deviations(r0.Choices), preemptions(r0.Choices),
		len(res.choices), deviations(res.choices), preemptions(res.choices), res.runs)
	if !res.complete {
		fmt.Fprintf(stdout, "stopped at the budget of %d runs before the smallest tape: shrink the tape written again to go on\n", maxShrinkRuns)
	}
	fmt.Fprintf(stdout, "tape: %s (uringsim replay --tape=%s %s)\n", path, shellQuote(path), shellQuote(l.file))
	fmt.Fprintf(stdout, "\nthe interleaving (option 0 of every choice, the schedule without preemption, but at the >> lines):\n")
	nar.write(stdout, l.src)
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, r.String())
	if got, ok := classOf(r); !ok || got != want {
		fmt.Fprintf(stderr, "uringsim replay: --shrink: internal error: the shrunk tape replays to %q, not to the failure %q\n", r.String(), r0.String())
		return 1
	}
	return 1
}
