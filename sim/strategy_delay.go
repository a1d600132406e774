package sim

import "math/rand/v2"

// DelayBounded returns the delay-bounded strategy (Emmi, Qadeer and
// Rakamarić, POPL 2011) with at most delays deviations: every choice takes
// option 0 (the running thread goes on, else the thread runnable the
// longest; the first timer, the first value) except at delays choice
// points drawn uniformly from the first steps choices of any kind, where
// it takes one of the other options uniformly. Few deviations make small
// counterexamples: the schedule is FIFO but for them. Seeded by seed.
func DelayBounded(seed uint64, delays, steps int) Strategy {
	d := &delayBounded{pcg: *rand.NewPCG(seed, 0x64656c61792e5369)} // "delay.Si"
	d.at = drawPoints(&d.pcg, delays, steps)
	return d
}

// drawPoints draws n points (none for n < 0) uniformly from 1…span (at
// least 1): where a bounded strategy deviates.
func drawPoints(pcg *rand.PCG, n, span int) []int {
	span = max(span, 1)
	var at []int
	for range max(n, 0) {
		at = append(at, 1+bounded(pcg.Uint64(), span))
	}
	return at
}

type delayBounded struct {
	pcg  rand.PCG
	at   []int // deviation points (choice numbers, 1-based; repeats count once)
	step int
}

func (d *delayBounded) Choose(kind ChoiceKind, n int) int {
	d.step++
	for _, k := range d.at {
		if k == d.step {
			return 1 + bounded(d.pcg.Uint64(), n-1)
		}
	}
	return 0
}
