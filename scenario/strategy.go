package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/sim"
)

// StrategySpec names a scheduling strategy for the simulator, as the
// command line spells it:
//
//	random      the seeded random walk (sim.RandomWalk), the default
//	pct:D       PCT with bug depth D (sim.PCT): D-1 change points drawn
//	            among the first K thread choices, K being the thread
//	            choices of the scenario's probe run (Resolve)
//	pct:D:K     the same with K given
//	delay:D     delay-bounded (sim.DelayBounded): option 0 at every choice
//	            (FIFO, no preemption) but at D deviations drawn among the
//	            first K choices of any kind, K from the probe run
//	delay:D:K   the same with K given
//	preempt:P   preemption-bounded (sim.PreemptionBounded): the FIFO
//	            schedule without preemptions but for at most P, at yield
//	            points drawn among the first N where another thread could
//	            run, N those of the probe run on that FIFO schedule
//	preempt:P:N the same with N given
//
// The zero value is random.
type StrategySpec struct {
	PCT     bool
	Delay   bool
	Preempt bool
	Depth   int // PCT: bug depth, >= 1; delay: deviations, >= 0; preempt: preemptions, >= 0
	Steps   int // change points are drawn in [1, Steps]; 0 until Resolve
}

// ParseStrategy parses a StrategySpec ("" is random).
func ParseStrategy(s string) (StrategySpec, error) {
	if s == "" || s == "random" {
		return StrategySpec{}, nil
	}
	name, rest, _ := strings.Cut(s, ":")
	spec := StrategySpec{PCT: name == "pct", Delay: name == "delay", Preempt: name == "preempt"}
	if !spec.PCT && !spec.Delay && !spec.Preempt {
		return StrategySpec{}, fmt.Errorf("strategy %q: want random, pct:D[:K], delay:D[:K] or preempt:P[:N]", s)
	}
	d, k, hasK := strings.Cut(rest, ":")
	var err error
	lo := 1
	if spec.Delay || spec.Preempt {
		lo = 0
	}
	if spec.Depth, err = strconv.Atoi(d); err != nil || spec.Depth < lo || spec.Depth > 100 {
		return StrategySpec{}, fmt.Errorf("strategy %q: D of %s:D is a number from %d to 100", s, name, lo)
	}
	if hasK {
		if spec.Steps, err = strconv.Atoi(k); err != nil || spec.Steps < 1 {
			return StrategySpec{}, fmt.Errorf("strategy %q: the steps K of %s:D:K are a number from 1", s, name)
		}
	}
	return spec, nil
}

// String spells s as ParseStrategy takes it.
func (s StrategySpec) String() string {
	name := "pct:"
	switch {
	case s.Delay:
		name = "delay:"
	case s.Preempt:
		name = "preempt:"
	case !s.PCT:
		return "random"
	}
	if s.Steps == 0 {
		return name + strconv.Itoa(s.Depth)
	}
	return name + strconv.Itoa(s.Depth) + ":" + strconv.Itoa(s.Steps)
}

// Resolve returns s with Steps set, for a PCT or delay spec that has
// none: the number of thread choices (choice points with more than one
// runnable thread; for delay, choices of any kind) of the probe run, sc on the random walk under its own seed with
// opt's bugs. It depends only on the scenario and the bugs, so every run
// of the same spec uses the same K.
func (s StrategySpec) Resolve(sc *Scenario, opt RunOptions) StrategySpec {
	if !s.Explores() || s.Steps > 0 {
		return s
	}
	seed := sc.RunSeed(RunOptions{})
	return s.ResolveBy(seed, func(probe sim.Strategy) {
		Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: opt.Bugs, MaxSteps: opt.MaxSteps, Strategy: probe})
	})
}

// ResolveBy is Resolve for any program: run runs it once under the
// strategy it is given (the random walk from seed, counting its choices).
func (s StrategySpec) ResolveBy(seed uint64, run func(probe sim.Strategy)) StrategySpec {
	if !s.Explores() || s.Steps > 0 {
		return s
	}
	probe := &threadCounter{walk: sim.RandomWalk(seed)}
	run(probe)
	s.Steps = max(probe.threads, 1)
	if s.Delay {
		s.Steps = max(probe.all, 1)
	}
	return s
}

// Explores reports whether s is a strategy other than the random walk.
func (s StrategySpec) Explores() bool { return s.PCT || s.Delay || s.Preempt }

// New returns the strategy of one run under seed: nil for random (the
// world's own random walk from the seed), else a fresh PCT or
// delay-bounded strategy. Such a spec must have been resolved.
func (s StrategySpec) New(seed uint64) sim.Strategy {
	switch {
	case s.PCT:
		return sim.PCT(seed, s.Depth, s.Steps)
	case s.Delay:
		return sim.DelayBounded(seed, s.Depth, s.Steps)
	case s.Preempt:
		return sim.PreemptionBounded(seed, s.Depth, s.Steps)
	}
	return nil
}

// threadCounter is the random walk, counting its choices.
type threadCounter struct {
	walk         sim.Strategy
	threads, all int
}

func (c *threadCounter) Choose(kind sim.ChoiceKind, n int) int {
	if kind == sim.ChooseThread {
		c.threads++
	}
	c.all++
	return c.walk.Choose(kind, n)
}

// RunSeed is the seed a run of s with opt uses on the simulator: opt's
// when SeedSet, else the scenario's seed=, else DefaultSeed.
func (s *Scenario) RunSeed(opt RunOptions) uint64 {
	switch {
	case opt.SeedSet:
		return opt.Seed
	case s.HasSeed:
		return s.Seed
	}
	return DefaultSeed
}
