package sim

// Rand returns 64 seeded random bits from the world's own PCG stream
// (math/rand/v2's PCG seeded by Config.Seed; never the global source). The
// draws are not choice points: they are a function of the seed and of the
// order of calls, which the schedule fixes in deterministic mode. Use
// World.Choose for decisions an explorer should see and replay. Safe for
// concurrent use in concurrent mode.
func (w *World) Rand(t *Thread) uint64 {
	if w.det {
		return w.rng.Uint64()
	}
	w.rngMu.Lock()
	x := w.rng.Uint64()
	w.rngMu.Unlock()
	return x
}

// RandN returns a seeded random int in [0, n) (n > 0), from the same
// stream as Rand.
func (w *World) RandN(t *Thread, n int) int {
	if n <= 0 {
		panic("sim: RandN with n <= 0")
	}
	return bounded(w.Rand(t), n)
}
