package main

import (
	"slices"
	"strings"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

// Shrinking a failing run's tape (replay --shrink).
//
// A tape is the list of choices a run made; option 0 of every choice is
// the schedule without preemption (the running thread goes on, else the
// thread runnable the longest; the first of tied timers, the first
// value), so a tape's choices other than option 0, its deviations, are
// what makes the run differ from that schedule. The shrinker looks for a
// smaller tape under which the run still fails the same way: with the
// same failing line and the same class of message (failureClass). Smaller
// is, in this order: fewer deviations, a shorter tape (a shrunk tape ends
// at its last deviation, "then default"), smaller picks at the first
// place two tapes differ. Every accepted candidate is smaller than the
// last, so shrinking ends, and it ends at a tape no pass can make smaller:
// shrinking that tape again gives it back.
//
// A candidate is run leniently (guide): its i-th pick answers the run's
// i-th choice (clamped to the options there), option 0 after its end; the
// run's own record of its choices is then the candidate's real tape,
// which replays strictly. The passes, repeated until none succeeds:
//
//   - zero deviations, in chunks halving from half of them to one
//     (delta debugging over the deviations);
//   - delete choices, in chunks halving from half the tape to one, which
//     moves later deviations earlier;
//   - zero two deviations at once, each with one of the next few (a
//     preemption and the switch back);
//   - zero a deviation and delete the few choices after it (the choices
//     the deviation's schedule made that the default one does not), so
//     the later deviations fall where they did;
//   - delete choices, in chunks halving from half the tape to one, which
//     moves later deviations earlier;
//   - move each deviation one choice earlier;
//   - lower each pick above 1 to the smallest that still fails.

// failureClass is what a shrunk run must keep: the failing line and the
// class of the reason (reasonClass).
type failureClass struct {
	line  int
	class string
}

// classOf returns r's failure class; false when r did not fail.
func classOf(r scenario.Result) (failureClass, bool) {
	if r.Status != scenario.Fail {
		return failureClass{}, false
	}
	return failureClass{line: r.Line, class: reasonClass(r.Reason)}, true
}

// reasonClass reduces a failure's reason to its class: what was expected
// and the first word of what came instead ("got no CQE" and "got cqe …"
// differ, two orders of the same CQEs do not), every number masked as #
// (a deadlock's time and step count, a panic's addresses).
func reasonClass(reason string) string {
	class := reason
	if before, after, ok := strings.Cut(reason, ", got "); ok {
		word, _, _ := strings.Cut(after, " ")
		class = before + ", got " + word
	}
	var b strings.Builder
	for i := 0; i < len(class); i++ {
		if c := class[i]; c < '0' || c > '9' {
			b.WriteByte(c)
		} else if i == 0 || class[i-1] < '0' || class[i-1] > '9' {
			b.WriteByte('#')
		}
	}
	return b.String()
}

// guide is the lenient replay of a candidate tape: pick i answers the
// run's i-th choice whatever its kind, clamped to its options; after the
// tape, option 0.
type guide struct {
	picks []sim.Choice
	i     int
}

func (g *guide) Choose(kind sim.ChoiceKind, n int) int {
	if g.i >= len(g.picks) {
		return 0
	}
	p := g.picks[g.i].Pick
	g.i++
	return min(p, n-1)
}

// deviations counts the choices that did not take option 0.
func deviations(cs []sim.Choice) int {
	n := 0
	for _, c := range cs {
		if c.Pick != 0 {
			n++
		}
	}
	return n
}

// preemptions counts the thread choices that did not take option 0.
func preemptions(cs []sim.Choice) int {
	n := 0
	for _, c := range cs {
		if c.Pick != 0 && c.Kind == sim.ChooseThread {
			n++
		}
	}
	return n
}

// placeSum adds up the places of the deviations.
func placeSum(cs []sim.Choice) int {
	n := 0
	for i, c := range cs {
		if c.Pick != 0 {
			n += i
		}
	}
	return n
}

// trimDefault drops the trailing choices that take option 0 (a tape with
// "then default" takes them anyway).
func trimDefault(cs []sim.Choice) []sim.Choice {
	n := len(cs)
	for n > 0 && cs[n-1].Pick == 0 {
		n--
	}
	return cs[:n:n]
}

// tapeLess orders tapes for shrinking: fewer deviations, then shorter,
// then deviations earlier (a smaller sum of their places), then the
// smaller pick where they first differ.
func tapeLess(a, b []sim.Choice) bool {
	if x, y := deviations(a), deviations(b); x != y {
		return x < y
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	if x, y := placeSum(a), placeSum(b); x != y {
		return x < y
	}
	for i := range a {
		if a[i].Pick != b[i].Pick {
			return a[i].Pick < b[i].Pick
		}
	}
	return false
}

// shrinker holds the smallest failing tape found so far.
type shrinker struct {
	// run runs the program under a candidate (leniently, guide) and
	// returns the choices the run made and whether it failed the same way.
	run     func(cand []sim.Choice) ([]sim.Choice, bool)
	best    []sim.Choice // trimmed
	maxLen  int          // no tape longer than the original
	runs    int
	maxRuns int
}

// shrinkResult is what shrinkTape found.
type shrinkResult struct {
	choices  []sim.Choice // the smallest failing tape, trimmed
	runs     int          // candidate runs made
	complete bool         // false: maxRuns stopped it before a fixpoint
}

// shrinkTape shrinks a failing run's choices (the full record of the
// run, which run(choices) reproduces) within maxRuns candidate runs.
func shrinkTape(choices []sim.Choice, run func([]sim.Choice) ([]sim.Choice, bool), maxRuns int) shrinkResult {
	best := trimDefault(slices.Clone(choices))
	s := &shrinker{run: run, best: best, maxLen: len(best), maxRuns: maxRuns}
	for {
		progress := s.zeroChunks()
		progress = s.zeroPairs() || progress
		progress = s.zeroRealign() || progress
		progress = s.deleteChunks() || progress
		progress = s.moveEarlier() || progress
		progress = s.lowerPicks() || progress
		if s.runs >= s.maxRuns {
			return shrinkResult{choices: s.best, runs: s.runs}
		}
		if !progress {
			return shrinkResult{choices: s.best, runs: s.runs, complete: true}
		}
	}
}

// try runs a candidate and keeps the tape the run made if it fails the
// same way and is smaller than the best so far.
func (s *shrinker) try(cand []sim.Choice) bool {
	cand = trimDefault(cand)
	if s.runs >= s.maxRuns || !tapeLess(cand, s.best) {
		return false
	}
	s.runs++
	got, same := s.run(cand)
	got = trimDefault(got)
	if !same || len(got) > s.maxLen || !tapeLess(got, s.best) {
		return false
	}
	s.best = slices.Clone(got)
	return true
}

// deviationIndexes lists where cs deviates from option 0.
func deviationIndexes(cs []sim.Choice) []int {
	var idx []int
	for i, c := range cs {
		if c.Pick != 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

// chunks tries cand(i, size) for chunk sizes halving from first to 1
// and i stepping by size while i < count() (count is re-read: it shrinks
// as candidates succeed); a success keeps i.
func (s *shrinker) chunks(first int, count func() int, cand func(i, size int) []sim.Choice) bool {
	progress := false
	for size := max(1, first); ; size /= 2 {
		for i := 0; i < count() && s.runs < s.maxRuns; {
			if s.try(cand(i, size)) {
				progress = true
				continue
			}
			i += size
		}
		if size <= 1 {
			return progress
		}
	}
}

// zeroChunks sets chunks of deviations to option 0, halving the chunk.
func (s *shrinker) zeroChunks() bool {
	return s.chunks(deviations(s.best)/2, func() int { return deviations(s.best) }, func(i, size int) []sim.Choice {
		dev := deviationIndexes(s.best)
		cand := slices.Clone(s.best)
		for _, j := range dev[i:min(i+size, len(dev))] {
			cand[j].Pick = 0
		}
		return cand
	})
}

// pairWindow is how many following deviations zeroPairs pairs each
// deviation with, and how many following choices zeroRealign deletes.
const pairWindow = 4

// perDeviation tries, for each deviation in turn, the candidates cands
// makes from it (i indexes dev, the deviations' places in s.best), until
// one succeeds; then the same i again, on the new best.
func (s *shrinker) perDeviation(cands func(i int, dev []int) [][]sim.Choice) bool {
	progress := false
	for i := 0; ; i++ {
		dev := deviationIndexes(s.best)
		if i >= len(dev) || s.runs >= s.maxRuns {
			return progress
		}
		for _, cand := range cands(i, dev) {
			if s.try(cand) {
				progress = true
				i--
				break
			}
		}
	}
}

// zeroPairs zeroes two deviations at once, the second among the next
// pairWindow.
func (s *shrinker) zeroPairs() bool {
	return s.perDeviation(func(i int, dev []int) [][]sim.Choice {
		var out [][]sim.Choice
		for j := i + 1; j < min(i+1+pairWindow, len(dev)); j++ {
			cand := slices.Clone(s.best)
			cand[dev[i]].Pick, cand[dev[j]].Pick = 0, 0
			out = append(out, cand)
		}
		return out
	})
}

// zeroRealign zeroes a deviation and deletes up to pairWindow choices
// after it.
func (s *shrinker) zeroRealign() bool {
	return s.perDeviation(func(i int, dev []int) [][]sim.Choice {
		var out [][]sim.Choice
		d := dev[i]
		for w := 1; w <= pairWindow && d+1+w <= len(s.best); w++ {
			out = append(out, slices.Concat(s.best[:d], []sim.Choice{{Kind: s.best[d].Kind, N: s.best[d].N}}, s.best[d+1+w:]))
		}
		return out
	})
}

// moveEarlier swaps each deviation with the choice before it when that
// one takes option 0.
func (s *shrinker) moveEarlier() bool {
	progress := false
	for i := 1; i < len(s.best) && s.runs < s.maxRuns; i++ {
		if s.best[i].Pick == 0 || s.best[i-1].Pick != 0 {
			continue
		}
		cand := slices.Clone(s.best)
		cand[i-1].Pick, cand[i].Pick = cand[i].Pick, 0
		if s.try(cand) {
			progress = true
		}
	}
	return progress
}

// deleteChunks removes chunks of choices, halving the chunk.
func (s *shrinker) deleteChunks() bool {
	return s.chunks(len(s.best)/2, func() int { return len(s.best) }, func(i, size int) []sim.Choice {
		return slices.Concat(s.best[:i], s.best[min(i+size, len(s.best)):])
	})
}

// lowerPicks lowers each pick above 1 to the smallest that still fails.
func (s *shrinker) lowerPicks() bool {
	progress := false
	for i := 0; i < len(s.best); i++ {
		for v := 1; v < s.best[i].Pick && s.runs < s.maxRuns; v++ {
			cand := slices.Clone(s.best)
			cand[i].Pick = v
			if s.try(cand) {
				progress = true
				break
			}
		}
	}
	return progress
}
