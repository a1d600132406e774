package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// TestTapeReplay: the tape a run records (random walk or PCT, with a bug
// switched on) replays to the same trace and result; the tape of another
// scenario, or a cut one, fails loudly at the choice that differs.
func TestTapeReplay(t *testing.T) {
	dir := t.TempDir()
	for i, args := range [][]string{
		{"--seed=13"},
		{"--seed=370", "--strategy=pct:2", "--bug=UserWaitIgnoresTWASignal"},
	} {
		tp := filepath.Join(dir, "tape"+string(rune('a'+i)))
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		st1, out1, _ := cli(append([]string{"replay", "--tape-out=" + tp, "--trace-out=" + a, lostNotificationScn}, args...)...)
		st2, out2, _ := cli("replay", "--tape="+tp, "--trace-out="+b, lostNotificationScn)
		ta, _ := os.ReadFile(a)
		tb, _ := os.ReadFile(b)
		if st1 != st2 || out1 != out2 || len(ta) == 0 {
			t.Errorf("%v: recorded run: status %d\n%s\nreplayed tape: status %d\n%s", args, st1, out1, st2, out2)
		}
		if l, ok := firstLineDiff(ta, tb); ok {
			t.Errorf("%v: traces differ at line %d:\n%s", args, l.n, l.text)
		}
		tap, err := readTape(tp)
		if err != nil || tap.seed == 0 || len(tap.choices) < 10 || tap.file != lostNotificationScn {
			t.Fatalf("%v: tape %+v, %v", args, tap, err)
		}
		if i == 1 && tap.bugs != (uring.Bugs{UserWaitIgnoresTWASignal: true}) {
			t.Errorf("the tape lost its bugs: %+v", tap.bugs)
		}
	}
	tp := filepath.Join(dir, "tapea")
	if st, out, _ := cli("replay", "--tape="+tp, "../../testdata/scenarios/link_timeout_race.scn"); st != 1 || !strings.Contains(out, "replay diverged at choice") {
		t.Errorf("another scenario's tape: status %d\n%s", st, out)
	}
	src, _ := os.ReadFile(tp)
	lines := strings.SplitAfter(string(src), "\n")
	cut := filepath.Join(dir, "cut")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, out, _ := cli("replay", "--tape="+cut, lostNotificationScn); st != 1 || !strings.Contains(out, "the tape ends after") {
		t.Errorf("a cut tape: status %d\n%s", st, out)
	}
	for _, args := range [][]string{
		{"replay", "--tape=" + tp, "--seed=1", lostNotificationScn},
		{"replay", "--tape=" + tp, "--strategy=pct:2", lostNotificationScn},
		{"run", "--tape=" + tp, "--bug=UserWaitIgnoresTWASignal", lostNotificationScn},
		{"run", "--tape=" + tp, "../../testdata/scenarios"},
		{"run", "--tape-out=" + tp, "--backend=both", lostNotificationScn},
		{"replay", "--tape=" + filepath.Join(dir, "missing"), lostNotificationScn},
	} {
		if st, _, stderr := cli(args...); st != 2 || !strings.Contains(stderr, "--tape") {
			t.Errorf("%v: status %d, stderr %q", args, st, stderr)
		}
	}
}

// TestParseTape: a tape written and read back is the same; malformed ones
// are refused with their line.
func TestParseTape(t *testing.T) {
	want := &tape{file: "x.scn", seed: 42, bugs: uring.Bugs{UserWaitIgnoresTWASignal: true}, thenDefault: true,
		choices: []sim.Choice{{Kind: sim.ChooseThread, N: 3, Pick: 2}, {Kind: sim.ChooseTimerTie, N: 2, Pick: 0},
			{Kind: sim.ChooseValue, N: 5, Pick: 4}, {Kind: sim.ChooseFault, N: 2, Pick: 1}, {Kind: sim.ChooseUser + 1, N: 2, Pick: 1}}}
	path := filepath.Join(t.TempDir(), "t")
	if err := writeTape(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readTape(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, %v; want %+v", got, err, want)
	}
	for _, c := range []struct{ src, msg string }{
		{"", "no seed"},
		{"hello\n", "t:1: not a tape"},
		{tapeMagic + "\nscenario x\n", "no seed"},
		{tapeMagic + "\nseed x\n", "t:2: seed"},
		{tapeMagic + "\nseed 1\nbugs Nope\n", "t:3:"},
		{tapeMagic + "\nseed 1\nthread 2/2\n", "t:3:"},
		{tapeMagic + "\nseed 1\nthread 0/1\n", "t:3:"},
		{tapeMagic + "\nseed 1\nthread -1/2\n", "t:3:"},
		{tapeMagic + "\nseed 1\ncolour 0/2\n", "t:3:"},
		{tapeMagic + "\nseed 1\nthread 0\n", "t:3:"},
		{tapeMagic + "\nseed 1\nthen fifo\n", "t:3: then"},
	} {
		if _, err := parseTape("t", strings.NewReader(c.src)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v, want an error with %q", c.src, err, c.msg)
		}
	}
}
