package sim

import "testing"

// TestDelayBounded: option 0 everywhere but at most D deviations, each to
// another option, all within the first K choices; the same seed makes the
// same choices; D=0 is the schedule without preemptions.
func TestDelayBounded(t *testing.T) {
	picks := func(seed uint64, d, k int) []int {
		s := DelayBounded(seed, d, k)
		var out []int
		for i := range 3 * k {
			out = append(out, s.Choose(ChooseThread, 2+i%3))
		}
		return out
	}
	sawDeviation := false
	for seed := uint64(1); seed <= 200; seed++ {
		for _, d := range []int{0, 1, 3} {
			p := picks(seed, d, 20)
			dev := 0
			for i, v := range p {
				if v != 0 {
					dev++
					sawDeviation = true
					if i >= 20 || v >= 2+i%3 {
						t.Fatalf("seed %d d=%d: pick %d at choice %d", seed, d, v, i+1)
					}
				}
			}
			if dev > d || (d > 0 && dev == 0) {
				t.Fatalf("seed %d d=%d: %d deviations: %v", seed, d, dev, p)
			}
			q := picks(seed, d, 20)
			for i := range p {
				if p[i] != q[i] {
					t.Fatalf("seed %d d=%d: not deterministic", seed, d)
				}
			}
		}
	}
	if !sawDeviation {
		t.Error("no deviation at all")
	}
}
