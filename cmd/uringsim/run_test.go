package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/uring"
)

func cli(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

// TestRunMalformed: a malformed scenario gives exit status 2, the
// parser's FILE:LINE: message and a FAIL line of its own.
func TestRunMalformed(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown_command", "ring r entries=4\nfrobnicate r\n", 2, "frobnicate"},
		{"unknown_key", "ring r entries=4 colour=blue\n", 1, "colour"},
		{"bad_number", "ring r entries=4x\n", 1, "4x"},
		{"missing_object", "ring r entries=4\nsqe q nop\n", 2, "q"},
		{"unterminated_string", "mem m size=8 data=\"abc\n", 1, ""},
		{"end_without_unordered", "ring r entries=4\nend\n", 2, "end"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".scn")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			status, stdout, stderr := cli("run", path)
			if status != 2 {
				t.Errorf("exit status %d, want 2", status)
			}
			prefix := path + ":" + strconv.Itoa(c.line) + ": "
			if !strings.HasPrefix(stderr, prefix) || !strings.Contains(stderr, c.msg) {
				t.Errorf("stderr %q, want %q… mentioning %q", stderr, prefix, c.msg)
			}
			if !strings.Contains(stdout, "FAIL "+c.name+": "+prefix) || strings.Contains(stdout, "PASS") {
				t.Errorf("stdout %q, want the file's FAIL line and nothing run", stdout)
			}
			if !strings.Contains(stdout, "0 passed, 1 failed, 0 skipped") {
				t.Errorf("stdout %q: the malformed file is not counted as failed", stdout)
			}
		})
	}
}

// TestRunMalformedGoesOn: one unparsable file in a directory does not stop
// the others; it is that file's failure and the exit status is 2.
func TestRunMalformedGoesOn(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_good.scn": "ring r entries=4\nsqe r nop ud=1\nsubmit r expect=1\ncqe r ud=1 res=0\n",
		"b_bad.scn":  "ring r entries=4\nfrobnicate r\n",
		"c_good.scn": "ring r entries=4\nsqe r nop ud=2\nsubmit r expect=1\ncqe r ud=2 res=0\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	status, stdout, stderr := cli("run", dir)
	if status != 2 {
		t.Errorf("exit status %d, want 2\n%s", status, stdout)
	}
	for _, want := range []string{"PASS a_good", "FAIL b_bad: " + filepath.Join(dir, "b_bad.scn") + ":2: ", "PASS c_good", "2 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "b_bad.scn:2: ") {
		t.Errorf("stderr %q lacks the parse error", stderr)
	}
}

// TestRunCorpus runs the corpus through the CLI: on both backends (with
// the SAME lines and the table) when the host has io_uring, else on the
// simulator.
func TestRunCorpus(t *testing.T) {
	backend := "sim"
	if uring.HostAvailable() {
		backend = "both"
	}
	status, stdout, stderr := cli("run", "--backend="+backend, "../../testdata/scenarios")
	if status != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	if !strings.Contains(stdout, " passed, 0 failed, ") {
		t.Errorf("no totals line:\n%s", stdout)
	}
	if backend == "both" {
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(l, "DIFF ") && !strings.HasSuffix(l, "(known simulator bug)") &&
				!strings.HasSuffix(l, "accepts either order)") {
				t.Errorf("streams differ: %s", l)
			}
		}
		if !strings.Contains(stdout, "SAME nop\n") || !strings.Contains(stdout, "scenario") {
			t.Errorf("no SAME lines or table:\n%s", stdout)
		}
	}
}

// TestRunFailureExit: a failing scenario gives exit status 1 and the FAIL
// line.
func TestRunFailureExit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wrong.scn")
	src := "ring r entries=4\nsqe r nop ud=1\nsubmit r expect=1\ncqe r ud=1 res=-EIO\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	status, stdout, _ := cli("run", path)
	want := "FAIL wrong: line 4: expected cqe r ud=1 res=-EIO, got cqe r ud=1 res=0 flags=0\n"
	if status != 1 || !strings.Contains(stdout, want) || !strings.Contains(stdout, "0 passed, 1 failed, 0 skipped") {
		t.Errorf("status %d, stdout:\n%s\nwant status 1 and %q", status, stdout, want)
	}
}

// TestRunTraceText: the same scenario and seed give byte-identical text
// traces through the CLI.
func TestRunTraceText(t *testing.T) {
	dir := t.TempDir()
	var traces [2][]byte
	for i := range traces {
		out := filepath.Join(dir, "trace"+strconv.Itoa(i)+".txt")
		status, stdout, stderr := cli("run", "--seed=7", "--trace=text", "--trace-out="+out, "../../testdata/scenarios/link_fail.scn")
		if status != 0 {
			t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		traces[i] = b
	}
	if len(traces[0]) == 0 || !bytes.Equal(traces[0], traces[1]) {
		t.Errorf("traces differ or are empty (%d, %d bytes)", len(traces[0]), len(traces[1]))
	}
	if !bytes.Contains(traces[0], []byte("io_uring_fail_link")) {
		t.Errorf("trace lacks io_uring_fail_link:\n%s", traces[0])
	}
}

// TestRunTraceChrome: --trace=chrome writes JSON with a named track per
// thread.
func TestRunTraceChrome(t *testing.T) {
	out := filepath.Join(t.TempDir(), "trace.json")
	status, stdout, stderr := cli("run", "--trace=chrome", "--trace-out="+out, "../../testdata/scenarios/cq_overflow.scn")
	if status != 0 {
		t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(b, &events); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	names := 0
	for _, e := range events {
		if e["name"] == "thread_name" {
			names++
		}
	}
	if names == 0 {
		t.Error("no thread_name tracks")
	}
	// More than one scenario cannot share one Chrome trace.
	if status, _, _ := cli("run", "--trace=chrome", "../../testdata/scenarios"); status != 2 {
		t.Errorf("chrome trace of a directory: status %d, want 2", status)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"run", "--backend=qemu", "x.scn"}, {"run", "--trace=svg", "x.scn"}, {"run", "nonexistent.scn"}} {
		if status, _, _ := cli(args...); status != 2 {
			t.Errorf("%v: status %d, want 2", args, status)
		}
	}
	if status, stdout, _ := cli("run", "-h"); status != 0 || !strings.Contains(stdout, "usage: uringsim run") {
		t.Errorf("run -h: status %d", status)
	}
}

// TestTour: the tour runs every chapter, passes, fits 80 columns and
// shows the trace events it narrates.
func TestTour(t *testing.T) {
	status, stdout, stderr := cli("tour")
	if status != 0 {
		t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
	}
	for i, l := range strings.Split(stdout, "\n") {
		if len(l) > tourWidth {
			t.Errorf("line %d is %d columns: %q", i+1, len(l), l)
		}
	}
	for _, want := range []string{"io_uring_submit_req", "io_uring_complete", "io_uring_fail_link",
		"io_uring_cqe_overflow", "io_uring_poll_arm", "io_uring_queue_async_work", "io_sq_thread_idle",
		"io_uring_local_work_run", "PASS 1_nop", "PASS 2_link_fail", "PASS 3_cq_overflow",
		"PASS 4_poll_armed_read", "PASS 5_iowq", "PASS 6_sqpoll", "PASS 7_defer_taskrun",
		"PASS 8_link_timeout_race", "PASS 9_link_timeout_race_again", "PASS 10_weak_sq_tail", "user_store_visible"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tour output lacks %q", want)
		}
	}
	// Chapters 8 and 9 are one race under two seeds: they must resolve it
	// differently.
	alts := regexp.MustCompile(`either r: alternative (\d+)`).FindAllStringSubmatch(stdout, -1)
	if len(alts) != 2 || alts[0][1] == alts[1][1] {
		t.Errorf("the link timeout race chapters matched alternatives %v, want two different ones", alts)
	}
	if status, stdout, _ := cli("tour", "--list"); status != 0 || strings.Count(stdout, "\n") != 10 {
		t.Errorf("tour --list: status %d\n%s", status, stdout)
	}
	if status, _, _ := cli("tour", "11"); status != 2 {
		t.Errorf("tour 11: status %d, want 2", status)
	}
}

// TestTourScenarios: what the tour narrates is what the host kernel does:
// the same CQEs, or for a chapter on a race (an either block) one of the
// outcomes it allows.
func TestTourScenarios(t *testing.T) {
	chs, err := tourChapters()
	if err != nil {
		t.Fatal(err)
	}
	if !uring.HostAvailable() {
		t.Skip("host io_uring unavailable")
	}
	for _, ch := range chs {
		sc, err := scenario.Parse(ch.file, ch.src)
		if err != nil {
			t.Fatal(err)
		}
		s := scenario.Run(sc, scenario.RunOptions{Backend: scenario.BackendSim})
		h := scenario.Run(sc, scenario.RunOptions{Backend: scenario.BackendKernel})
		if s.Status != scenario.Pass || h.Status != scenario.Pass {
			t.Errorf("%s: sim %s; kernel %s", ch.file, s.String(), h.String())
		}
		racy := slices.ContainsFunc(sc.Cmds, func(c scenario.Command) bool {
			_, ok := c.Cmd.(*scenario.EitherBlock)
			return ok
		})
		if !racy && strings.Join(s.CQEs, "\n") != strings.Join(h.CQEs, "\n") { // a race's order is the host's to pick
			t.Errorf("%s: CQE streams differ:\n%v\n%v", ch.file, s.CQEs, h.CQEs)
		}
	}
}
