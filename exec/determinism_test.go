package exec

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSameSeedSameRun runs each single-threaded program several times
// with each of a few seeds: every run with one seed has the same output,
// supervisor messages, exit status and trace, byte for byte. async.c
// gets more seeds and runs: its IOSQE_ASYNC work is still on io-wq when
// an io_uring_enter returns, and the program's own calls on the same
// descriptors come before its next wait, so a world that ran while the
// program was outside would show the host's timing in its trace (one
// seed in twenty did before the main thread answered the calls); so
// does stack.c, whose io-wq reads write a stack page the program writes
// between the calls (34 seeds in 40 lost its locals, or exited, before
// the page was read again at the notification instead of in the call).
func TestSameSeedSameRun(t *testing.T) {
	dir := programs(t)
	for _, cp := range cPrograms(t) {
		name := cp.name
		if cp.threaded {
			continue // threads reach the supervisor in the host's order
		}
		seeds, runs := []uint64{2, 3}, 2
		if name == "async" || name == "stack" {
			seeds, runs = []uint64{1, 2, 3, 4, 5, 6, 7, 8, 20, 45}, 3
		}
		t.Run(name, func(t *testing.T) {
			prog := filepath.Join(dir, name)
			for _, seed := range seeds {
				out, log, trace, res := simulated(t, seed, prog)
				for range runs - 1 {
					out2, log2, trace2, res2 := simulated(t, seed, prog)
					if out2 != out || log2 != log || trace2 != trace || res2.ExitCode != res.ExitCode {
						t.Fatalf("seed %d twice: outputs equal %v, messages equal %v, traces equal %v, exit %d and %d\n%s",
							seed, out2 == out, log2 == log, trace2 == trace, res.ExitCode, res2.ExitCode, firstDiff(trace, trace2))
					}
				}
			}
		})
	}
}

// firstDiff shows where two traces part: a few lines of each from the
// first line that differs.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			ea, eb := min(i+4, len(la)), min(i+4, len(lb))
			return "first run, line " + strconv.Itoa(i+1) + ":\n" + strings.Join(la[i:ea], "\n") +
				"\nsecond run:\n" + strings.Join(lb[i:eb], "\n")
		}
	}
	if len(la) != len(lb) {
		return "one trace is a prefix of the other"
	}
	return ""
}
