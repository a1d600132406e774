package uringtest

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/ringcheck"
	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// Command-line flags of a test binary that uses the package. They
// override Options, so a failing schedule is rerun without editing code.
var (
	flagSeeds    = flag.Int("uringtest.seeds", 0, "uringtest: schedules per Run (0: Options.Seeds)")
	flagSeed     = flag.Uint64("uringtest.seed", 0, "uringtest: run only this seed (0: all)")
	flagStrategy = flag.String("uringtest.strategy", "", "uringtest: random, pct:D[:K], delay:D[:K] or preempt:P[:N] (empty: Options.Strategy)")
)

// Options say which schedules a program runs under.
type Options struct {
	// Seeds is how many schedules Run explores: seeds Seed0 ..
	// Seed0+Seeds-1 (0: 100). -uringtest.seeds overrides it.
	Seeds int
	// Seed0 is the first seed (0: 1).
	Seed0 uint64
	// Strategy is how the simulator makes its scheduling choices, as
	// uringsim explore --strategy spells it: random (the default),
	// pct:D[:K], delay:D[:K], preempt:P[:N]. Without K (N), Run takes it from a
	// probe run of the program. -uringtest.strategy overrides it.
	Strategy string
	// Bugs switches museum bugs back on (uring.ParseBugs; "" none).
	Bugs string
	// MaxSteps bounds one run's scheduling steps; a program that goes on
	// past them fails as a livelock (0: scenario.DefaultMaxSteps).
	MaxSteps int64
}

func (o Options) seeds() (seed0 uint64, n int) {
	seed0, n = o.Seed0, o.Seeds
	if seed0 == 0 {
		seed0 = 1
	}
	if n <= 0 {
		n = 100
	}
	if *flagSeeds > 0 {
		n = *flagSeeds
	}
	return seed0, n
}

func (o Options) strategy() (scenario.StrategySpec, error) {
	s := o.Strategy
	if *flagStrategy != "" {
		s = *flagStrategy
	}
	return scenario.ParseStrategy(s)
}

// World is one simulated machine, running a program under one schedule.
// Rings made with NewRing (or given to Watch) have their global
// invariants checked (package ringcheck); the run fails on a violation, a
// deadlock, a panic in the simulator or a kernel WARN_ON_ONCE.
type World struct {
	// Seed and Strategy name the schedule.
	Seed     uint64
	Strategy string

	m     *uring.Machine
	check *ringcheck.Checker
	rings []watched
}

type watched struct {
	r *uring.Ring
	s *ringcheck.Stream
}

// Machine is the simulated machine (its world, kernel and process).
func (w *World) Machine() *uring.Machine { return w.m }

// Backend is the machine's io_uring, for uring.New and friends.
func (w *World) Backend() uring.Backend { return w.m.Backend() }

// NewRing is uring.New on the machine, with the ring watched.
func (w *World) NewRing(entries uint32, p *uring.Params) (*uring.Ring, error) {
	r, err := uring.New(w.m.Backend(), entries, p)
	if err == nil {
		w.Watch(r)
	}
	return r, err
}

// Watch checks r's invariants from now on (a ring made otherwise than by
// NewRing, or on another task of the machine).
func (w *World) Watch(r *uring.Ring) {
	s := w.check.Watch(fmt.Sprintf("ring%d", len(w.rings)+1), r)
	w.rings = append(w.rings, watched{r, s})
}

// Err is the first invariant violated so far, or nil.
func (w *World) Err() error { return w.check.Err() }

// finish checks what only the end of the run shows: a deadlock, a kernel
// WARN_ON_ONCE, and on each ring still open a CQE lost (more SQEs
// without a CQE than the kernel holds completions for).
func (w *World) finish() error {
	if d := w.m.World().Deadlock(); d != nil {
		return fmt.Errorf("uringtest: the simulator stopped: %v", d)
	}
	if n := w.m.Kernel().Warnings(); n > 0 {
		return fmt.Errorf("uringtest: kernel invariant violated (WARN_ON_ONCE) %d times", n)
	}
	for _, x := range w.rings {
		x.s.End()
	}
	return w.check.Err()
}

// failer is what a run reports to: *testing.T or *rapid.T.
type failer interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Failed() bool
}

// runWorld runs prog on a fresh machine under seed and strategy spec,
// then the end checks; a failure, a panic or a deadlock is reported to t
// with replay appended.
func runWorld(t failer, opt Options, seed uint64, spec scenario.StrategySpec, bugs uring.Bugs, replay func() string, prog func(w *World)) {
	t.Helper()
	steps := opt.MaxSteps
	if steps == 0 {
		steps = scenario.DefaultMaxSteps
	}
	m := uring.NewSimMachine(uring.SimConfig{Seed: seed, Strategy: spec.New(seed), Bugs: bugs, MaxSteps: steps})
	w := &World{Seed: seed, Strategy: spec.String(), m: m, check: ringcheck.New()}
	done := false
	defer func() {
		p := recover()
		for _, x := range w.rings {
			_ = x.r.Close()
		}
		m.Close()
		switch {
		case p == errStop:
			panic(p) // Explore's failer stopping the program
		case p != nil:
			t.Fatalf("uringtest: panic: %v\n%s", p, replay())
		case !done && t.Failed():
			t.Logf("%s", replay()) // the program called t.Fatal
		}
	}()
	prog(w)
	done = true
	if err := w.finish(); err != nil {
		t.Fatalf("%v\n%s", err, replay())
	}
	if t.Failed() {
		t.Logf("%s", replay())
	}
}

// Run runs prog under Options.Seeds schedules, one subtest per seed
// (named seed=S). prog drives the machine through the uring API from the
// test's goroutine (the simulator's main thread): every ring operation is
// a point where the simulator may switch to a kernel thread, so each seed
// is one interleaving. A failing subtest logs the command that replays
// it: go test -run '^TestX$/^seed=S$' with the strategy.
func Run(t *testing.T, opt Options, prog func(t *testing.T, w *World)) {
	t.Helper()
	spec, err := opt.strategy()
	if err != nil {
		t.Fatalf("uringtest: %v", err)
	}
	bugs, err := uring.ParseBugs(opt.Bugs)
	if err != nil {
		t.Fatalf("uringtest: %v", err)
	}
	seed0, n := opt.seeds()
	if spec.Explores() && spec.Steps == 0 {
		// K from a probe run: the random walk under the first seed.
		t.Run("probe", func(t *testing.T) {
			spec = spec.ResolveBy(seed0, func(probe sim.Strategy) {
				m := uring.NewSimMachine(uring.SimConfig{Seed: seed0, Strategy: probe, Bugs: bugs, MaxSteps: scenario.DefaultMaxSteps})
				defer m.Close()
				w := &World{Seed: seed0, m: m, check: ringcheck.New()}
				defer func() {
					for _, x := range w.rings {
						_ = x.r.Close()
					}
				}()
				prog(t, w)
			})
		})
	}
	for i := range n {
		seed := seed0 + uint64(i)
		if *flagSeed != 0 && seed != *flagSeed {
			continue
		}
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Helper()
			runWorld(t, opt, seed, spec, bugs, func() string { return ReplayCommand(t.Name(), seed, spec.String(), opt.Bugs) },
				func(w *World) { prog(t, w) })
		})
	}
}

// ReplayCommand is the go test command line that reruns one schedule of
// a test named name (t.Name() of Run's subtest): its -run pattern, the
// seed and the strategy as flags.
func ReplayCommand(name string, seed uint64, strategy, bugs string) string {
	var pat []string
	for _, part := range strings.Split(name, "/") {
		pat = append(pat, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := fmt.Sprintf("uringtest: seed %d, strategy %s", seed, strategy)
	if bugs != "" {
		cmd += ", bugs " + bugs
	}
	return fmt.Sprintf("%s; replay: go test -run '%s' -uringtest.seed=%d -uringtest.strategy=%s", cmd, strings.Join(pat, "/"), seed, strategy)
}

// Check is Run as one rapid property: each check draws a seed (and prog
// may draw its own program from t), so rapid shrinks the program and the
// seed together. A failure carries the seed and strategy, and rapid's own
// line that replays the check. A pct or delay strategy needs its K here.
func Check(t *testing.T, opt Options, prog func(t *rapid.T, w *World)) {
	t.Helper()
	spec, err := opt.strategy()
	if err != nil {
		t.Fatalf("uringtest: %v", err)
	}
	if spec.Explores() && spec.Steps == 0 {
		t.Fatalf("uringtest: Check needs the K of %s:D:K", spec)
	}
	bugs, err := uring.ParseBugs(opt.Bugs)
	if err != nil {
		t.Fatalf("uringtest: %v", err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64Min(1).Draw(rt, "seed")
		if *flagSeed != 0 {
			seed = *flagSeed
		}
		runWorld(rt, opt, seed, spec, bugs, func() string {
			return fmt.Sprintf("uringtest: seed %d, strategy %s (-uringtest.seed=%d -uringtest.strategy=%s)", seed, spec, seed, spec)
		}, func(w *World) { prog(rt, w) })
	})
}

// Watch checks the global invariants of r, a ring on any backend (the
// host kernel too), until the test ends, and fails t then if they were
// violated. On the simulator it also checks, at the end, that no CQE was
// lost; r must still be open then.
func Watch(t testing.TB, r *uring.Ring) {
	t.Helper()
	c := ringcheck.New()
	s := c.Watch("ring", r)
	t.Cleanup(func() {
		s.End()
		if err := c.Err(); err != nil {
			t.Errorf("%v", err)
		}
	})
}

// errStop unwinds a program whose Explore failer was told to stop.
var errStop = &struct{ string }{"uringtest: stop"}

// stopper is Explore's failer: the first fatal message, then errStop.
type stopper struct{ err error }

func (s *stopper) Helper()             {}
func (s *stopper) Logf(string, ...any) {}
func (s *stopper) Failed() bool        { return s.err != nil }
func (s *stopper) Fatalf(f string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(f, args...)
	}
	panic(errStop)
}

// Explore is Run outside a test: prog runs under each of opt's
// schedules in turn until one fails (prog returns an error, an invariant
// is violated, the simulator stops or panics); it returns that failure,
// with the seed, the strategy and the flags that replay it, or nil.
func Explore(opt Options, prog func(w *World) error) error {
	spec, err := opt.strategy()
	if err != nil {
		return err
	}
	if spec.Explores() && spec.Steps == 0 {
		return fmt.Errorf("uringtest: Explore needs the K of %s:D:K", spec)
	}
	bugs, err := uring.ParseBugs(opt.Bugs)
	if err != nil {
		return err
	}
	seed0, n := opt.seeds()
	for i := range n {
		seed := seed0 + uint64(i)
		f := &stopper{}
		replay := func() string {
			return fmt.Sprintf("uringtest: seed %d, strategy %s (-uringtest.seed=%d -uringtest.strategy=%s)", seed, spec, seed, spec)
		}
		func() {
			defer func() {
				if p := recover(); p != nil && p != errStop {
					panic(p)
				}
			}()
			runWorld(f, opt, seed, spec, bugs, replay, func(w *World) {
				if err := prog(w); err != nil {
					f.Fatalf("%v\n%s", err, replay())
				}
			})
		}()
		if f.err != nil {
			return f.err
		}
	}
	return nil
}
