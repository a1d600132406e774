package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// asCLIEnv makes the test binary behave as the uringsim command, so a test
// can run the CLI in a fresh process (its own address-space layout).
const asCLIEnv = "URINGSIM_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCLIProcess runs `uringsim args…` in a new process and returns its
// exit status and standard output.
func runCLIProcess(t *testing.T, args ...string) (int, []byte) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCLIEnv+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("uringsim %v: %v", args, err)
	}
	if errb.Len() > 0 {
		t.Logf("uringsim %v stderr:\n%s", args, errb.String())
	}
	return cmd.ProcessState.ExitCode(), out.Bytes()
}

// TestCorpusTwoProcesses runs the whole corpus on the simulator twice, in
// two processes (each with its own ASLR layout, its own mmap addresses),
// for a few seeds: what the runner prints (CQEs, submit results, fdinfo…)
// and the text trace are identical byte for byte. Nothing a run prints may
// depend on where the host put memory or on timing, only on the seed.
func TestCorpusTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	for _, seed := range []int{1, 889} {
		var outs, traces [2][]byte
		for i := range 2 {
			tr := filepath.Join(dir, fmt.Sprintf("trace-%d-%d.txt", seed, i))
			status, out := runCLIProcess(t, "run", fmt.Sprintf("--seed=%d", seed), "--trace=text", "--trace-out="+tr, "-v", "../../testdata/scenarios")
			if status != 0 {
				t.Errorf("seed %d run %d: exit status %d:\n%s", seed, i, status, lastLines(out, 20))
			}
			b, err := os.ReadFile(tr)
			if err != nil {
				t.Fatal(err)
			}
			outs[i], traces[i] = out, b
		}
		if len(traces[0]) == 0 || len(outs[0]) == 0 {
			t.Fatalf("seed %d: empty output (%d bytes) or trace (%d bytes)", seed, len(outs[0]), len(traces[0]))
		}
		if l, ok := firstLineDiff(outs[0], outs[1]); ok {
			t.Errorf("seed %d: the two processes printed different output; first difference at line %d:\n%s", seed, l.n, l.text)
		}
		if l, ok := firstLineDiff(traces[0], traces[1]); ok {
			t.Errorf("seed %d: the two processes wrote different traces; first difference at line %d:\n%s", seed, l.n, l.text)
		}
	}
}

// lastLines is the tail of out, for a failure message.
func lastLines(out []byte, n int) string {
	l := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return string(bytes.Join(l, []byte("\n")))
}
