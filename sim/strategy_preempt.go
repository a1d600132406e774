package sim

import "math/rand/v2"

// PreemptionBounded returns the preemption-bounded strategy (Musuvathi
// and Qadeer, PLDI 2007; CHESS) with at most preemptions preemptions. At
// a yield point the running thread goes on (it is never switched away
// from while it can run), except at up to preemptions preemption points
// (yield points where another thread is runnable) drawn uniformly from
// the first points of them, where another runnable thread, drawn
// uniformly, preempts it. The choices that are not preemptions are free,
// as in CHESS: when the running thread blocks or exits, the next one is
// drawn uniformly among the runnable, and so are timer ties and values.
// Only preemptions count against the bound, so a counterexample has at
// most that many; DelayBounded, in contrast, takes option 0 at every
// other choice and spends its budget on choices of every kind. Seeded by
// seed.
func PreemptionBounded(seed uint64, preemptions, points int) Strategy {
	p := &preemptBounded{pcg: *rand.NewPCG(seed, 0x7072656d70742e53)} // "prempt.S"
	p.at = drawPoints(&p.pcg, preemptions, points)
	return p
}

// PreemptionPoints is the number of preemption points a PreemptionBounded
// strategy has met so far (the points of a probe run under
// PreemptionBounded(seed, 0, 1), a schedule without preemptions), or -1
// for another strategy.
func PreemptionPoints(s Strategy) int {
	if p, ok := s.(*preemptBounded); ok {
		return p.point
	}
	return -1
}

type preemptBounded struct {
	w     *World
	pcg   rand.PCG
	at    []int // preemption points (1-based; repeats count once)
	point int   // preemption points met
}

// bindWorld gives the strategy its world, whose running thread tells a
// yield point (options [cur, runq...]) from a blocking one ([runq...]).
func (p *preemptBounded) bindWorld(w *World) { p.w = w }

func (p *preemptBounded) Choose(kind ChoiceKind, n int) int { return bounded(p.pcg.Uint64(), n) }

func (p *preemptBounded) ChooseThread(ids []int) int {
	// At a yield point option 0 is the running thread; when it blocks
	// or exits it is in no run queue, so the options never hold it.
	if p.w == nil || p.w.cur == nil || ids[0] != p.w.cur.id {
		return bounded(p.pcg.Uint64(), len(ids))
	}
	p.point++
	for _, k := range p.at {
		if k == p.point {
			return 1 + bounded(p.pcg.Uint64(), len(ids)-1)
		}
	}
	return 0
}

// worldBinder is a strategy that wants its world (NewWorld binds it).
type worldBinder interface{ bindWorld(w *World) }
