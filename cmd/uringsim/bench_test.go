package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/uring"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

var benchLine = regexp.MustCompile(`^nop backend=(sim|kernel) mode=(deterministic|concurrent|host) batch=\d+ ops=\d+ ns/op=\d+\.\d ops/s=\d+\n$`)

func TestBenchNop(t *testing.T) {
	cases := [][]string{
		{"bench", "nop", "--ops=1000"},
		{"bench", "nop", "--backend=sim", "--batch=1", "--ops=100"},
		{"bench", "nop", "--backend=sim", "--mode=concurrent", "--batch=7", "--ops=100"},
		{"bench", "nop", "--batch=1000", "--ops=10"},
	}
	if uring.HostAvailable() {
		cases = append(cases, []string{"bench", "nop", "--backend=kernel", "--batch=4", "--ops=100"})
	}
	for _, args := range cases {
		code, out, errs := runCLI(args...)
		if code != 0 || !benchLine.MatchString(out) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	_, out, _ := runCLI("bench", "nop", "--batch=3", "--ops=10", "--mode=concurrent")
	if !strings.HasPrefix(out, "nop backend=sim mode=concurrent batch=3 ops=10 ") {
		t.Errorf("line %q", out)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuchcommand"},
		{"bench"},
		{"bench", "read"},
		{"bench", "nop", "--backend=qemu"},
		{"bench", "nop", "--mode=fast"},
		{"bench", "nop", "--backend=kernel", "--mode=deterministic"},
		{"bench", "nop", "--batch=0"},
		{"bench", "nop", "--batch=40000"},
		{"bench", "nop", "--ops=0"},
		{"bench", "nop", "--ops=x"},
		{"bench", "nop", "--nosuchflag"},
		{"bench", "nop", "stray"},
	} {
		code, out, errs := runCLI(args...)
		if code != 2 || out != "" || !strings.Contains(errs, "usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 with usage", args, code, out, errs)
		}
	}
	if code, out, _ := runCLI("help"); code != 0 || !strings.Contains(out, "bench") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}
