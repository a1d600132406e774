package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const weakRelaxedScn = "../../testdata/weak/sq_tail_relaxed.scn"

// TestWeakSQTail: in the weak-memory SQ mode, a program publishing the SQ
// tail with a plain store lets the SQPOLL thread read a stale SQE (the
// slot's zeroes, a NOP with user_data 0) under some seeds; with the
// release store (the tour's chapter 10, liburing's way) no seed does, and
// without the weak mode the plain store is harmless too.
func TestWeakSQTail(t *testing.T) {
	st, out, _ := cli("explore", "--seeds=300", weakRelaxedScn)
	if st != 1 || !strings.Contains(out, "expected cqe r ud=2 res=0, got cqe r ud=0 res=0") {
		t.Errorf("relaxed tail, weak memory: status %d\n%s", st, out)
	}
	if st, out, _ := cli("explore", "--seeds=300", "tour/10_weak_sq_tail.scn"); st != 0 || !strings.Contains(out, "300 passed, 0 failed") {
		t.Errorf("release tail, weak memory: status %d\n%s", st, out)
	}
	src, err := os.ReadFile(weakRelaxedScn)
	if err != nil {
		t.Fatal(err)
	}
	strong := filepath.Join(t.TempDir(), "strong.scn")
	if err := os.WriteFile(strong, []byte(strings.Replace(string(src), " weak_sq=1", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, out, _ := cli("explore", "--seeds=300", strong); st != 0 || !strings.Contains(out, "300 passed, 0 failed") {
		t.Errorf("relaxed tail, strong memory: status %d\n%s", st, out)
	}
	for _, bad := range []string{"ring r entries=4 weak_sq=2\n", "ring r entries=4\nsubmit r tail=plain\n"} {
		p := filepath.Join(t.TempDir(), "bad.scn")
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if st, _, stderr := cli("run", p); st != 2 || !strings.Contains(stderr, "bad.scn:") {
			t.Errorf("%q: status %d, stderr %q", bad, st, stderr)
		}
	}
}
