package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// tapeMagic is a tape file's first line.
const tapeMagic = "uringsim tape 1"

// tape is a recorded simulator run: the seed and bugs it ran under and
// every choice its strategy made, in order. Replaying it takes each
// choice from the tape instead of a strategy, so a tape reproduces a run
// whatever strategy recorded it, and one that no longer matches the code
// stops at the first choice that differs.
//
// The file is text: the magic line, "scenario PATH", "seed S", an
// optional "bugs A,B", an optional "then default", then one "KIND PICK/N"
// line per choice (KIND as sim.ChoiceKind prints it: thread, timer-tie,
// value, fault, kindN). Without "then default" a run that asks for more
// choices than the tape holds has diverged from it; with it (the tapes
// --shrink writes, which end at their last choice other than option 0)
// every later choice takes option 0: the running thread goes on, else
// the thread runnable the longest; the first timer, the first value.
type tape struct {
	file        string
	seed        uint64
	bugs        uring.Bugs
	thenDefault bool
	choices     []sim.Choice
}

func writeTape(path string, t *tape) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%s\nscenario %s\nseed %d\n", tapeMagic, t.file, t.seed)
	if b := t.bugs.String(); b != "" {
		fmt.Fprintf(w, "bugs %s\n", b)
	}
	if t.thenDefault {
		fmt.Fprintf(w, "then default\n")
	}
	for _, c := range t.choices {
		fmt.Fprintf(w, "%v %d/%d\n", c.Kind, c.Pick, c.N)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// choiceKinds maps the names sim.ChoiceKind prints back to kinds.
func choiceKind(name string) (sim.ChoiceKind, bool) {
	for k := range 256 {
		if sim.ChoiceKind(k).String() == name {
			return sim.ChoiceKind(k), true
		}
	}
	return 0, false
}

func readTape(path string) (*tape, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseTape(path, f)
}

// parseTape parses a tape; errors are PATH:LINE: message.
func parseTape(path string, r io.Reader) (*tape, error) {
	t := &tape{}
	sc := bufio.NewScanner(r)
	n, seedSeen := 0, false
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, n, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		n++
		l := sc.Text()
		if n == 1 {
			if l != tapeMagic {
				return nil, bad("not a tape (want %q)", tapeMagic)
			}
			continue
		}
		key, val, _ := strings.Cut(l, " ")
		switch key {
		case "scenario":
			t.file = val
		case "seed":
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return nil, bad("seed %q: not a number", val)
			}
			t.seed, seedSeen = v, true
		case "bugs":
			b, err := uring.ParseBugs(val)
			if err != nil {
				return nil, bad("%v", err)
			}
			t.bugs = b
		case "then":
			if val != "default" {
				return nil, bad("then %q: want then default", val)
			}
			t.thenDefault = true
		default:
			kind, ok := choiceKind(key)
			p, m, ok2 := strings.Cut(val, "/")
			pick, err1 := strconv.Atoi(p)
			opts, err2 := strconv.Atoi(m)
			if !ok || !ok2 || err1 != nil || err2 != nil || opts < 2 || pick < 0 || pick >= opts {
				return nil, bad("%q: want a choice KIND PICK/N (0 <= PICK < N, N > 1)", l)
			}
			t.choices = append(t.choices, sim.Choice{Kind: kind, N: opts, Pick: pick})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 || !seedSeen {
		return nil, errors.New(path + ": not a tape (no seed line)")
	}
	return t, nil
}

// strategy replays the tape's choices; a run that asks for more choices
// than the tape holds stops there (tapeEnded), or takes option 0 from
// there on (then default).
func (t *tape) strategy() sim.Strategy {
	if t.thenDefault {
		return sim.Replay(t.choices, nil)
	}
	return sim.Replay(t.choices, tapeEnded{len(t.choices)})
}

// tapeEnded is the strategy after a tape's last choice: the run asks for
// a choice the tape does not have, so the code no longer matches it.
type tapeEnded struct{ n int }

func (e tapeEnded) Choose(kind sim.ChoiceKind, n int) int {
	panic(fmt.Sprintf("sim: replay diverged: the tape ends after %d choices but the run asks for another (kind %v, %d options)", e.n, kind, n))
}
