package exec

import (
	"bytes"
	"encoding/json"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/uringsim/uringsim/sim"
)

// TestMain lets the test binary be its own launcher: Run re-executes
// os.Args[0] with ChildCommand.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ChildCommand {
		os.Exit(ChildMain(os.Args[2:], os.Stderr))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  string // why the C programs cannot be built here (a skip reason)
)

// programs builds every testdata/c/*.c against the host's liburing once,
// or skips the test with the reason when the host cannot (no gcc, no
// liburing headers, no seccomp user notification).
func programs(t *testing.T) string {
	t.Helper()
	if err := Supported(); err != nil {
		t.Skipf("host cannot run exec: %v", err)
	}
	buildOnce.Do(func() {
		if _, err := osexec.LookPath("gcc"); err != nil {
			buildErr = "gcc not found"
			return
		}
		dir, err := os.MkdirTemp("", "uringsim-exec-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		probe := osexec.Command("gcc", "-x", "c", "-o", filepath.Join(dir, "probe"), "-", "-luring")
		probe.Stdin = strings.NewReader("#include <liburing.h>\nint main(void){struct io_uring r; return io_uring_queue_init(1,&r,0) < -1;}\n")
		if out, err := probe.CombinedOutput(); err != nil {
			buildErr = "liburing headers or library missing (apt-get install liburing-dev): " + firstLine(out)
			return
		}
		srcs, _ := filepath.Glob("testdata/c/*.c")
		fails, _ := filepath.Glob("testdata/c/fail/*.c")
		for _, src := range append(srcs, fails...) {
			name := strings.TrimSuffix(filepath.Base(src), ".c")
			cmd := osexec.Command("gcc", "-O2", "-Wall", "-o", filepath.Join(dir, name), src, "-luring")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = "building " + src + ": " + string(out)
				return
			}
		}
		buildDir = dir
	})
	if buildErr != "" {
		if strings.HasPrefix(buildErr, "building ") {
			t.Fatal(buildErr)
		}
		t.Skip(buildErr)
	}
	return buildDir
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// native runs prog on the host and returns its output.
func native(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := osexec.Command(prog, args...).Output()
	if err != nil {
		t.Fatalf("%s natively: %v\n%s", prog, err, out)
	}
	return string(out)
}

// simulated runs prog under the supervisor with seed and returns its
// output, the supervisor's messages and the text trace.
func simulated(t *testing.T, seed uint64, prog string, args ...string) (out, log, trace string, res Result) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var logb, traceb bytes.Buffer
	res, err = Run(Config{Self: os.Args[0], Seed: seed, Sink: sim.NewTextSink(&traceb), Stdout: f, Log: &logb},
		append([]string{prog}, args...))
	if err != nil {
		t.Fatalf("exec %s: %v", prog, err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b), logb.String(), traceb.String(), res
}

// cProgram is one of testdata/c/*.c: its name, and whether it starts
// threads (whose calls reach the supervisor in the host's order).
type cProgram struct {
	name     string
	threaded bool
}

// cPrograms lists testdata/c/*.c.
func cPrograms(t *testing.T) []cProgram {
	t.Helper()
	srcs, _ := filepath.Glob("testdata/c/*.c")
	var out []cProgram
	for _, src := range srcs {
		code, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cProgram{strings.TrimSuffix(filepath.Base(src), ".c"), bytes.Contains(code, []byte("pthread_create"))})
	}
	return out
}

// TestProgramsMatchNative runs each program natively and under exec
// (twice with one seed, once with another): the outputs are the
// program's native output, the two runs with one seed of a
// single-threaded program have one trace (a multi-threaded one's calls
// reach the simulator in the host's order, docs/exec.md), and the trace
// shows the simulated kernel served the ring.
func TestProgramsMatchNative(t *testing.T) {
	dir := programs(t)
	for _, cp := range cPrograms(t) {
		name, threaded := cp.name, cp.threaded
		t.Run(name, func(t *testing.T) {
			prog := filepath.Join(dir, name)
			want := native(t, prog)
			out1, log1, trace1, res := simulated(t, 1, prog)
			if res.ExitCode != 0 || log1 != "" {
				t.Fatalf("exit %d, supervisor said:\n%s", res.ExitCode, log1)
			}
			if out1 != want {
				t.Fatalf("output under exec:\n%s\nnatively:\n%s", out1, want)
			}
			if !strings.Contains(trace1, "io_uring_create") {
				t.Fatalf("the simulator never made the ring; trace:\n%s", trace1)
			}
			out2, _, trace2, _ := simulated(t, 1, prog)
			if out2 != out1 || (!threaded && trace2 != trace1) {
				t.Fatalf("seed 1 twice: outputs equal %v, traces equal %v", out2 == out1, trace2 == trace1)
			}
			if out3, _, _, _ := simulated(t, 99, prog); out3 != want {
				t.Fatalf("seed 99 output:\n%s\nnatively:\n%s", out3, want)
			}
		})
	}
}

// openFds counts this process's descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestFailures: a crash is reported with its signal, a call the simulator
// cannot serve fails with -ENOSYS and one line naming it and the program
// counter, a wait nothing can end is reported as a deadlock and the
// program killed; each time every descriptor of the supervisor is
// released.
func TestFailures(t *testing.T) {
	dir := programs(t)
	before := openFds(t)

	out, log, _, res := simulated(t, 1, filepath.Join(dir, "crash"))
	if res.Signal != syscall.SIGSEGV || res.ExitCode != 128+int(syscall.SIGSEGV) || out != "nop reaped\n" {
		t.Errorf("crash: signal %v exit %d output %q log %q", res.Signal, res.ExitCode, out, log)
	}

	out, log, _, res = simulated(t, 1, filepath.Join(dir, "cqmap"))
	if res.ExitCode != 0 || out != "cq mmap: Function not implemented\n" ||
		!strings.HasPrefix(log, "uringsim exec: unsupported: mmap of IORING_OFF_CQ_RING") || !strings.Contains(log, " at pc=0x") ||
		strings.Count(log, "\n") != 1 {
		t.Errorf("cqmap: exit %d output %q log %q", res.ExitCode, out, log)
	}

	out, log, _, res = simulated(t, 1, filepath.Join(dir, "hang"))
	if res.Signal != syscall.SIGKILL || out != "" || !strings.Contains(log, "deadlocked") || !strings.Contains(log, "io_cqring_wait") {
		t.Errorf("hang: signal %v exit %d output %q log %q", res.Signal, res.ExitCode, out, log)
	}

	if after := openFds(t); after != before {
		t.Errorf("the supervisor holds %d descriptors after the runs, %d before", after, before)
	}
}

// TestChromeTracks runs the threaded program with a Chrome trace: it
// parses as JSON, and its program process (pid 2) has one named track per
// program thread (the main thread and each of its pthreads
// that made a notified call), apart from the kernel's and the supervisor's in
// pid 1; every event is on a named track.
func TestChromeTracks(t *testing.T) {
	dir := programs(t)
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var trace, logb bytes.Buffer
	sink := sim.NewChromeSink(&trace)
	res, err := Run(Config{Self: os.Args[0], Seed: 1, Sink: sink, Stdout: f, Log: &logb}, []string{filepath.Join(dir, "threads")})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exec threads: %v, exit %d, supervisor said:\n%s", err, res.ExitCode, logb.String())
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Name string `json:"name"`
		Ph   string `json:"ph"`
		Pid  int    `json:"pid"`
		Tid  *int   `json:"tid"`
		Args struct {
			Name string `json:"name"`
		} `json:"args"`
	}
	if err := json.Unmarshal(trace.Bytes(), &events); err != nil {
		t.Fatalf("the trace is not JSON: %v", err)
	}
	type track struct{ pid, tid int }
	named := map[track]string{}
	procs := map[int]string{}
	for _, e := range events {
		switch {
		case e.Ph == "M" && e.Name == "process_name":
			procs[e.Pid] = e.Args.Name
		case e.Ph == "M" && e.Name == "thread_name" && e.Tid != nil:
			named[track{e.Pid, *e.Tid}] = e.Args.Name
		}
	}
	var program []string
	for _, e := range events {
		if e.Ph == "M" || e.Tid == nil {
			continue
		}
		if _, ok := named[track{e.Pid, *e.Tid}]; !ok {
			t.Fatalf("event %q on pid %d tid %d, a track with no thread_name", e.Name, e.Pid, *e.Tid)
		}
	}
	for tr, name := range named {
		if tr.pid == 2 {
			program = append(program, name)
		}
	}
	slices.Sort(program)
	// The leader and the submitter always enter the kernel; a waiter
	// whose CQE is already there when it looks does not.
	var want []string
	for i := range max(res.Threads, 2) {
		if i == 0 {
			want = append(want, "threads")
		} else {
			want = append(want, "threads-"+strconv.Itoa(i+1))
		}
	}
	if !slices.Equal(program, want) {
		t.Errorf("program tracks %q, want %q (%d threads)", program, want, res.Threads)
	}
	if procs[2] != "threads (program)" || procs[1] != "uringsim" || named[track{1, 1}] != "main" {
		t.Errorf("processes %v, main track %q", procs, named[track{1, 1}])
	}
}
