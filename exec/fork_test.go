package exec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFork runs fail/fork.c: a child's io_uring calls — a ring of its
// own, a submit on the parent's — fail with -ENOSYS and one line each;
// the parent's wait in io_uring_enter, which only the child's write to
// a pipe can end, is not taken for a deadlock while the child lives; and
// the grandchild left asleep is killed with the program's process group,
// as every descriptor of the supervisor is released.
func TestFork(t *testing.T) {
	dir := programs(t)
	prog := filepath.Join(dir, "fork")
	before := openFds(t)
	for _, seed := range []uint64{1, 2, 3} {
		out, log, _, res := simulated(t, seed, prog)
		want := "child: queue_init: Function not implemented\n" +
			"child: submit on the parent's ring: Function not implemented\n" +
			"parent: poll completed\n" +
			"parent: child exited 0\n"
		if res.ExitCode != 0 || out != want {
			t.Fatalf("seed %d: exit %d, output:\n%s\nsupervisor said:\n%s", seed, res.ExitCode, out, log)
		}
		lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "uringsim exec: unsupported: io_uring_setup from a child process of the program at pc=0x") ||
			!strings.HasPrefix(lines[1], "uringsim exec: unsupported: io_uring_enter from a child process of the program at pc=0x") ||
			!strings.HasSuffix(lines[1], ": -ENOSYS") {
			t.Fatalf("seed %d: supervisor said:\n%s", seed, log)
		}
	}
	// SIGKILL is sent to the group when the program ends; the
	// grandchild dies as soon as the host delivers it.
	left := processesOf(t, prog)
	for i := 0; i < 100 && len(left) > 0; i++ {
		time.Sleep(20 * time.Millisecond)
		left = processesOf(t, prog)
	}
	if len(left) > 0 {
		t.Errorf("processes of %s left running: %v", prog, left)
	}
	if after := openFds(t); after != before {
		t.Errorf("the supervisor holds %d descriptors after the runs, %d before", after, before)
	}
}

// processesOf lists the live processes running prog (/proc/PID/exe).
func processesOf(t *testing.T, prog string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range ents {
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == prog {
			if st := procState("/proc/" + e.Name() + "/stat"); st != 'Z' && st != 'X' && st != 0 {
				pids = append(pids, e.Name())
			}
		}
	}
	return pids
}
