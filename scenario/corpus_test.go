package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// corpusBugs parses every scenario of testdata/scenarios and returns, by
// scenario name, the known-sim-bug descriptions.
func corpusBugs(t *testing.T) ([]*Scenario, map[string]string) {
	t.Helper()
	files, err := filepath.Glob("../testdata/scenarios/*.scn")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in ../testdata/scenarios")
	}
	var scs []*Scenario
	bugs := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := Parse(f, src)
		if err != nil {
			t.Fatal(err)
		}
		if bug, ok := KnownSimBug(src); ok {
			bugs[sc.Name] = bug
		}
		scs = append(scs, sc)
	}
	return scs, bugs
}

// run runs sc and logs what the runner printed.
func run(t *testing.T, sc *Scenario, opt RunOptions) Result {
	t.Helper()
	var out bytes.Buffer
	opt.Out = &out
	r := Run(sc, opt)
	if r.Status == Fail {
		t.Logf("output:\n%s", out.String())
	}
	return r
}

// TestCorpus runs the corpus on the simulator and, when io_uring is
// available here, on the host kernel: every scenario passes (or is skipped
// for a stated reason) on each, and when both ran the reaped CQE streams
// are identical.
func TestCorpus(t *testing.T) {
	host := uring.HostAvailable()
	scs, bugs := corpusBugs(t)
	for _, sc := range scs {
		t.Run(sc.Name, func(t *testing.T) {
			s := run(t, sc, RunOptions{Backend: BackendSim})
			bug, known := bugs[sc.Name]
			switch {
			case known && s.Status == Fail:
				t.Logf("known simulator bug (%s): %s", bug, s.String())
			case known:
				t.Logf("marked known-sim-bug but the simulator gives %s: drop the marker?", s.String())
			case s.Status == Fail:
				t.Errorf("sim: %s", s.String())
			}
			if s.Status == Skip {
				t.Logf("sim: %s", s.String())
			}
			if !host {
				return
			}
			h := run(t, sc, RunOptions{Backend: BackendKernel})
			if h.Status == Fail {
				t.Errorf("kernel: %s", h.String())
			}
			if h.Status == Skip {
				t.Logf("kernel: %s", h.String())
			}
			if s.Status == Pass && h.Status == Pass && !known && !sc.AllowsReorder() && !slices.Equal(s.CQEs, h.CQEs) {
				t.Errorf("CQE streams differ:\nsim:\n  %s\nkernel:\n  %s",
					strings.Join(s.CQEs, "\n  "), strings.Join(h.CQEs, "\n  "))
			}
		})
	}
}

// TestCorpusConcurrent runs the corpus on the simulator in concurrent mode
// (real goroutines, real time): every scenario passes there too. make test
// runs it under the race detector.
//
// A CQE is waited for up to 10 s, not 1 s: on the real clock a loaded
// machine (make test's packages in parallel on two cores, under -race) can
// stall a run for longer than a second. Only a failing run waits that long:
// cqe, unordered and either stop waiting at the first match.
func TestCorpusConcurrent(t *testing.T) {
	scs, bugs := corpusBugs(t)
	for _, sc := range scs {
		if _, known := bugs[sc.Name]; known {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			if r := run(t, sc, RunOptions{Backend: BackendSim, Mode: sim.Concurrent, CQEWait: 10 * time.Second}); r.Status == Fail {
				t.Errorf("concurrent: %s", r.String())
			}
		})
	}
}

// TestTraceDeterministic: the same scenario and seed give a byte-identical
// text trace twice.
func TestTraceDeterministic(t *testing.T) {
	scs, bugs := corpusBugs(t)
	for _, sc := range scs {
		if _, known := bugs[sc.Name]; known {
			continue
		}
		var traces [2]bytes.Buffer
		skipped := false
		for i := range traces {
			r := Run(sc, RunOptions{Seed: 42, SeedSet: true, Sink: sim.NewTextSink(&traces[i])})
			skipped = r.Status == Skip
		}
		if skipped {
			continue
		}
		if traces[0].Len() == 0 {
			t.Errorf("%s: empty trace", sc.Name)
		}
		if !bytes.Equal(traces[0].Bytes(), traces[1].Bytes()) {
			t.Errorf("%s: two runs with seed 42 gave different traces", sc.Name)
		}
	}
}

// TestChromeTrace: the Chrome output of a run parses as JSON and has one
// track (tid, named by a thread_name metadata event) per sim thread that
// emitted an event.
func TestChromeTrace(t *testing.T) {
	scs, bugs := corpusBugs(t)
	for _, sc := range scs {
		if _, known := bugs[sc.Name]; known {
			continue
		}
		var buf bytes.Buffer
		chrome := sim.NewChromeSink(&buf)
		var rec sim.Recorder
		_ = Run(sc, RunOptions{Sink: sim.Tee(chrome, &rec)})
		if err := chrome.Close(); err != nil {
			t.Fatal(err)
		}
		var events []struct {
			Name string          `json:"name"`
			Ph   string          `json:"ph"`
			Tid  *int            `json:"tid"`
			Args json.RawMessage `json:"args"`
		}
		if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
			t.Fatalf("%s: chrome trace is not JSON: %v", sc.Name, err)
		}
		named := map[int]int{}
		used := map[int]bool{}
		for _, e := range events {
			switch {
			case e.Ph == "M" && e.Name == "thread_name" && e.Tid != nil:
				named[*e.Tid]++
			case e.Ph == "i" && e.Tid != nil:
				used[*e.Tid] = true
			}
		}
		threads := map[int]bool{}
		for _, e := range rec.Events {
			if e.Thread >= 0 {
				threads[e.Thread] = true
			}
		}
		for tid := range threads {
			if named[tid] != 1 {
				t.Errorf("%s: thread %d has %d thread_name tracks, want 1", sc.Name, tid, named[tid])
			}
			if !used[tid] {
				t.Errorf("%s: thread %d has no events on its track", sc.Name, tid)
			}
		}
		for tid := range named {
			if !threads[tid] {
				t.Errorf("%s: track %d is no sim thread", sc.Name, tid)
			}
		}
	}
}

// TestRunnerFailures: wrong expectations are reported as FAIL with the
// line, never as a panic.
func TestRunnerFailures(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"wrong res", "ring r entries=4\nsqe r nop ud=1\nsubmit r\ncqe r ud=1 res=5\n",
			"line 4: expected cqe r ud=1 res=5, got cqe r ud=1 res=0 flags=0"},
		{"no cqe", "ring r entries=4\ncqe r ud=1 res=0\n", "line 2: expected cqe r ud=1 res=0, got no CQE"},
		{"submit expect", "ring r entries=4\nsqe r nop\nsubmit r expect=2\n", "line 3: expected submit r = 2, got 1"},
		{"setup expect", "ring r entries=0 expect=-ENOMEM\n", "line 1: expected io_uring_setup = -ENOMEM, got -EINVAL"},
		{"peek", "ring r entries=4\npeek r sq_tail=3\n", "line 2: expected sq_tail=3, got sq_tail=0"},
		{"nocqe", "ring r entries=4\nsqe r nop ud=9\nsubmit r\nnocqe r\n", "line 4: expected no CQE, got cqe r ud=9 res=0 flags=0"},
		{"unordered", "ring r entries=4\nsqe r nop ud=1\nsqe r nop ud=2\nsubmit r\nunordered r\ncqe ud=2 res=0\ncqe ud=3 res=0\nend\n",
			"line 5: expected unordered {ud=2 res=0; ud=3 res=0}, got cqe r ud=1 res=0 flags=0; cqe r ud=2 res=0 flags=0"},
		{"either", "ring r entries=4\nsqe r nop ud=1\nsubmit r\neither r\ncqe ud=2 res=0\nor\ncqe ud=1 res=1\nend\n",
			"line 4: expected one of the alternatives (lines 4, 6), got cqe r ud=1 res=0 flags=0"},
		{"sq full", "ring r entries=1\nsqe r nop\nsqe r nop\n", "line 3: sqe: the SQ of ring r is full"},
		{"check", "mem m size=8 data=\"ab\"\ncheck m data=\"ac\"\n", `line 2: expected m data="ac", got "ab"`},
		{"task", "ring r entries=4 flags=IORING_SETUP_SINGLE_ISSUER\ntask t\nsqe r nop\n@t submit r expect=1\n", "line 4: expected submit r = 1, got -EEXIST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse(c.name+".scn", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			r := Run(sc, RunOptions{})
			if !strings.Contains(r.String(), c.want) {
				t.Errorf("got  %q\nwant it to contain %q", r.String(), c.want)
			}
		})
	}
}

// TestEitherReportsAlternative: the runner records which alternative of
// an either block matched.
func TestEitherReportsAlternative(t *testing.T) {
	src := `ring r entries=4
sqe r nop ud=1
sqe r nop ud=2
submit r
either r
  cqe ud=1 res=7
or
  unordered
    cqe ud=2 res=0
    cqe ud=1 res=0
  end
end
nocqe r
`
	sc, err := Parse("either.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(sc, RunOptions{})
	if r.Status != Pass || !slices.Equal(r.Either, []int{2}) {
		t.Fatalf("%s, either=%v; want PASS with alternative 2", r.String(), r.Either)
	}
}

// TestMain puts the host's temp files on tmpfs, like the simulator's (see
// hostTmpfs in cmd/uringsim).
func TestMain(m *testing.M) {
	const tmpfsMagic = 0x01021994
	var st unix.Statfs_t
	if os.Getenv("TMPDIR") == "" && unix.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic {
		_ = os.Setenv("TMPDIR", "/dev/shm")
	}
	os.Exit(m.Run())
}
