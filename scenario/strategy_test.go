package scenario

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseStrategy(t *testing.T) {
	for _, c := range []struct {
		in, out string
	}{
		{"", "random"}, {"random", "random"}, {"pct:1", "pct:1"}, {"pct:3", "pct:3"}, {"pct:2:40", "pct:2:40"}, {"delay:0", "delay:0"}, {"delay:2:9", "delay:2:9"}, {"preempt:0", "preempt:0"}, {"preempt:2:30", "preempt:2:30"},
	} {
		s, err := ParseStrategy(c.in)
		if err != nil || s.String() != c.out {
			t.Errorf("ParseStrategy(%q) = %v, %v; want %s", c.in, s, err, c.out)
		}
		if back, err := ParseStrategy(s.String()); err != nil || back != s {
			t.Errorf("%q does not round-trip: %v, %v", s.String(), back, err)
		}
	}
	for _, in := range []string{"pct", "pct:", "pct:0", "pct:-1", "pct:101", "pct:x", "pct:2:", "pct:2:0", "pct:2:x", "walk", "PCT:2", "delay", "delay:-1", "delay:1:0", "preempt", "preempt:-1", "preempt:101", "preempt:1:0"} {
		if s, err := ParseStrategy(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseStrategy(%q) = %v, %v; want an error naming it", in, s, err)
		}
	}
}

// TestStrategyResolve: pct:D takes K from the probe run, the same every
// time; a K given is kept; random has no strategy object (the world's own
// walk from the seed) and PCT a fresh one per run.
func TestStrategyResolve(t *testing.T) {
	sc, err := ParseFile(filepath.Join("..", "testdata", "scenarios", "link_timeout_race.scn"))
	if err != nil {
		t.Fatal(err)
	}
	pct, _ := ParseStrategy("pct:2")
	a, b := pct.Resolve(sc, RunOptions{}), pct.Resolve(sc, RunOptions{})
	if a.Steps < 2 || a != b || a.Depth != 2 {
		t.Errorf("resolved %v and %v: want the same K > 1", a, b)
	}
	given, _ := ParseStrategy("pct:2:5")
	if r := given.Resolve(sc, RunOptions{}); r != given {
		t.Errorf("pct:2:5 resolved to %v", r)
	}
	random, _ := ParseStrategy("random")
	if random.Resolve(sc, RunOptions{}) != random || random.New(1) != nil {
		t.Error("random: want no strategy object")
	}
	if x, y := a.New(1), a.New(1); x == nil || x == y {
		t.Error("PCT: want a fresh strategy per run")
	}
}
