package sim

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// ChoiceKind names the kind of a choice point. Values from ChooseUser on
// are free for other packages to name their own kinds.
type ChoiceKind uint8

const (
	// ChooseThread: which runnable thread runs next (CP1, CP2).
	ChooseThread ChoiceKind = iota + 1
	// ChooseTimerTie: which of several timers due at the same instant
	// fires first (CP8).
	ChooseTimerTie
	// ChooseValue: a value picked through World.Choose, e.g. a device
	// latency or completion order (CP3, CP5).
	ChooseValue
	// ChooseFault: whether and which fault to inject (CP9).
	ChooseFault
	// ChooseUser is the first kind free for other packages.
	ChooseUser ChoiceKind = 32
)

// String returns a short name for the kind.
func (k ChoiceKind) String() string {
	switch k {
	case ChooseThread:
		return "thread"
	case ChooseTimerTie:
		return "timer-tie"
	case ChooseValue:
		return "value"
	case ChooseFault:
		return "fault"
	}
	return fmt.Sprintf("kind%d", uint8(k))
}

// Choice is one entry of the decision log: at a choice point of kind Kind
// with N options (N > 1), option Pick (0 <= Pick < N) was taken.
type Choice struct {
	Kind ChoiceKind
	N    int
	Pick int
}

// String returns "kind:pick/n".
func (c Choice) String() string { return fmt.Sprintf("%v:%d/%d", c.Kind, c.Pick, c.N) }

// Strategy decides choice points. Choose returns an option in [0, n); it
// is only asked when n > 1. For ChooseThread, option 0 is the running
// thread when it may go on running (a yield point), else the thread that
// has been runnable the longest; the other options follow in run-queue
// order (oldest first). A Strategy belongs to one World and is called by
// one thread at a time.
type Strategy interface {
	Choose(kind ChoiceKind, n int) int
}

// ThreadStrategy is a Strategy that wants to know which threads it chooses
// among (PCT keeps a priority per thread). When the world's strategy
// implements it, thread choices call ChooseThread instead of
// Choose(ChooseThread, len(ids)); ids[i] is the ID of option i. The
// decision is recorded the same way.
type ThreadStrategy interface {
	Strategy
	ChooseThread(ids []int) int
}

// checkPick panics if a strategy returned an option out of range.
func checkPick(kind ChoiceKind, n, pick int) {
	if pick < 0 || pick >= n {
		panic(fmt.Sprintf("sim: strategy chose %d of %d options (kind %v)", pick, n, kind))
	}
}

// Choose is a recorded choice point for other packages (device latency,
// completion order, fault injection): it returns an option in [0, n)
// decided by the world's strategy and appends it to the decision log. For
// n <= 1 it returns 0 and records nothing. Not a yield point. In
// concurrent mode it is safe for concurrent use (the log then records the
// calls in the order they took the lock).
func (w *World) Choose(t *Thread, kind ChoiceKind, n int) int {
	if n <= 1 {
		return 0
	}
	if !w.det {
		w.chooseMu.Lock()
		defer w.chooseMu.Unlock()
	}
	pick := w.strategy.Choose(kind, n)
	checkPick(kind, n, pick)
	if w.record {
		w.choices = append(w.choices, Choice{Kind: kind, N: n, Pick: pick})
	}
	return pick
}

// Choices returns a copy of the decision log: every choice with more than
// one option, in order. Replay(w.Choices(), nil) with the same Seed and
// program reproduces the run.
func (w *World) Choices() []Choice {
	if !w.det {
		w.chooseMu.Lock()
		defer w.chooseMu.Unlock()
	}
	if w.choices == nil {
		return nil
	}
	out := make([]Choice, len(w.choices))
	copy(out, w.choices)
	return out
}

// bounded maps a uniform 64-bit value to [0, n) (Lemire's multiply-shift;
// the bias is negligible for the small n used here). It is ours rather than
// math/rand/v2's IntN so that recorded runs stay identical across Go
// releases.
func bounded(x uint64, n int) int {
	hi, _ := bits.Mul64(x, uint64(n))
	return int(hi)
}

// RandomWalk returns the strategy that picks uniformly among the options,
// from a PCG stream seeded by seed (independent of World.Rand's stream).
func RandomWalk(seed uint64) Strategy {
	return &randomWalk{pcg: *rand.NewPCG(seed, 0x77616c6b2e53696d)} // "walk.Sim"
}

type randomWalk struct{ pcg rand.PCG }

func (r *randomWalk) Choose(kind ChoiceKind, n int) int { return bounded(r.pcg.Uint64(), n) }

// ReplayDivergence is the panic value of a Replay strategy whose log does
// not match the run: at log index Index the log holds Want but the run
// asked for a choice of kind Kind with N options.
type ReplayDivergence struct {
	Index int
	Want  Choice
	Kind  ChoiceKind
	N     int
}

// Error describes the divergence.
func (d *ReplayDivergence) Error() string {
	return fmt.Sprintf("sim: replay diverged at choice %d: the log has %v (kind %v, %d options) but the run asks for kind %v with %d options",
		d.Index, d.Want, d.Want.Kind, d.Want.N, d.Kind, d.N)
}

// Replay returns a strategy that replays a recorded decision log. Each
// choice must match the log's kind and number of options, else Choose
// panics with a *ReplayDivergence naming the index. After the log ends it
// continues with then (nil: always option 0, the schedule without
// preemptions).
func Replay(picks []Choice, then Strategy) Strategy {
	r := &replay{picks: picks, then: then}
	r.thenT, _ = then.(ThreadStrategy)
	return r
}

type replay struct {
	picks []Choice
	i     int
	then  Strategy
	thenT ThreadStrategy
}

func (r *replay) Choose(kind ChoiceKind, n int) int {
	if r.i < len(r.picks) {
		c := r.picks[r.i]
		if c.Kind != kind || c.N != n || c.Pick < 0 || c.Pick >= n {
			panic(&ReplayDivergence{Index: r.i, Want: c, Kind: kind, N: n})
		}
		r.i++
		return c.Pick
	}
	if r.then == nil {
		return 0
	}
	return r.then.Choose(kind, n)
}

func (r *replay) ChooseThread(ids []int) int {
	if r.i >= len(r.picks) && r.thenT != nil {
		return r.thenT.ChooseThread(ids)
	}
	return r.Choose(ChooseThread, len(ids))
}

// PCT returns the probabilistic concurrency testing strategy (Burckhardt
// et al., ASPLOS 2010) for bug depth depth (>= 1): every thread gets a
// random priority when first seen; the runnable thread with the highest
// priority runs; at depth-1 change points drawn uniformly from the first
// steps thread choices the thread about to run is demoted below every
// initial priority. Other kinds of choice are uniform random. Seeded by
// seed.
func PCT(seed uint64, depth, steps int) Strategy {
	if depth < 1 {
		depth = 1
	}
	if steps < 1 {
		steps = 1
	}
	p := &pct{pcg: *rand.NewPCG(seed, 0x7063742e53696d00), depth: depth} // "pct.Sim"
	for range depth - 1 {
		p.change = append(p.change, 1+bounded(p.pcg.Uint64(), steps))
	}
	return p
}

type pct struct {
	pcg    rand.PCG
	depth  int
	change []int    // change points (step numbers)
	prio   []uint64 // by thread id; 0 = not yet seen
	step   int
}

func (p *pct) Choose(kind ChoiceKind, n int) int { return bounded(p.pcg.Uint64(), n) }

func (p *pct) ChooseThread(ids []int) int {
	p.step++
	for _, id := range ids {
		for id >= len(p.prio) {
			p.prio = append(p.prio, 0)
		}
		if p.prio[id] == 0 {
			// Initial priorities lie above every change-point priority.
			p.prio[id] = uint64(p.depth) + 1 + p.pcg.Uint64()>>2
		}
	}
	best := p.best(ids)
	for j, k := range p.change {
		if k == p.step {
			p.prio[ids[best]] = uint64(j + 1)
			best = p.best(ids)
		}
	}
	return best
}

func (p *pct) best(ids []int) int {
	b := 0
	for i, id := range ids {
		if p.prio[id] > p.prio[ids[b]] {
			b = i
		}
	}
	return b
}
