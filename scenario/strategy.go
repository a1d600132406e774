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
//
// The zero value is random.
type StrategySpec struct {
	PCT   bool
	Depth int // PCT: bug depth, >= 1
	Steps int // PCT: change points are drawn in [1, Steps]; 0 until Resolve
}

// ParseStrategy parses a StrategySpec ("" is random).
func ParseStrategy(s string) (StrategySpec, error) {
	if s == "" || s == "random" {
		return StrategySpec{}, nil
	}
	rest, ok := strings.CutPrefix(s, "pct:")
	if !ok {
		return StrategySpec{}, fmt.Errorf("strategy %q: want random, pct:D or pct:D:K", s)
	}
	d, k, hasK := strings.Cut(rest, ":")
	spec := StrategySpec{PCT: true}
	var err error
	if spec.Depth, err = strconv.Atoi(d); err != nil || spec.Depth < 1 || spec.Depth > 100 {
		return StrategySpec{}, fmt.Errorf("strategy %q: the depth D of pct:D is a number from 1 to 100", s)
	}
	if hasK {
		if spec.Steps, err = strconv.Atoi(k); err != nil || spec.Steps < 1 {
			return StrategySpec{}, fmt.Errorf("strategy %q: the steps K of pct:D:K are a number from 1", s)
		}
	}
	return spec, nil
}

// String spells s as ParseStrategy takes it.
func (s StrategySpec) String() string {
	switch {
	case !s.PCT:
		return "random"
	case s.Steps == 0:
		return "pct:" + strconv.Itoa(s.Depth)
	}
	return "pct:" + strconv.Itoa(s.Depth) + ":" + strconv.Itoa(s.Steps)
}

// Resolve returns s with Steps set, for a PCT spec that has none: the
// number of thread choices (choice points with more than one runnable
// thread) of the probe run, sc on the random walk under its own seed with
// opt's bugs. It depends only on the scenario and the bugs, so every run
// of the same spec uses the same K.
func (s StrategySpec) Resolve(sc *Scenario, opt RunOptions) StrategySpec {
	if !s.PCT || s.Steps > 0 {
		return s
	}
	seed := sc.RunSeed(RunOptions{})
	probe := &threadCounter{walk: sim.RandomWalk(seed)}
	Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: opt.Bugs, MaxSteps: opt.MaxSteps, Strategy: probe})
	s.Steps = max(probe.n, 1)
	return s
}

// New returns the strategy of one run under seed: nil for random (the
// world's own random walk from the seed), else a fresh PCT. A PCT spec
// must have been resolved.
func (s StrategySpec) New(seed uint64) sim.Strategy {
	if !s.PCT {
		return nil
	}
	return sim.PCT(seed, s.Depth, s.Steps)
}

// threadCounter is the random walk, counting its thread choices.
type threadCounter struct {
	walk sim.Strategy
	n    int
}

func (c *threadCounter) Choose(kind sim.ChoiceKind, n int) int {
	if kind == sim.ChooseThread {
		c.n++
	}
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
