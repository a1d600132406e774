package sim

import "time"

// Now returns the world's clock: in deterministic mode the virtual time
// since the world started (it moves only when every thread sleeps, to the
// next timer's expiry); in concurrent mode the real time elapsed since
// NewWorld (the only place uringsim reads the real clock).
func (w *World) Now() time.Duration {
	if w.det {
		return w.clock
	}
	return time.Since(w.start)
}

// addClamp returns a+d, saturating at the largest Duration (d >= 0).
func addClamp(a, d time.Duration) time.Duration {
	if s := a + d; s >= a {
		return s
	}
	return MaxTimeout
}
