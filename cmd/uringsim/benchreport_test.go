package main

import (
	"bytes"
	"strings"
	"testing"
)

// benchOutput is `go test -bench` output as the uring package prints it.
const benchOutput = `goos: linux
BenchmarkNopSim/batch=1-2         	 5000000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkNopSim/batch=32-2        	 5000000	        40.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkNopHost/batch=1-2        	  500000	      2100 ns/op	       0 B/op	       0 allocs/op
BenchmarkNopHost/batch=32-2       	  500000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkScaleOverflow/n=1000/sim-2     	     100	   37600 ns/op	        37.60 ns/req
BenchmarkScaleOverflow/n=100000/sim-2   	       3	 5610000 ns/op	        56.10 ns/req
BenchmarkScaleOverflow/n=100000/host-2  	       3	15800000 ns/op	       158.0 ns/req
BenchmarkSwitch-2	1000	34 ns/op
BenchmarkEcho/conns=1/sim-2         	  159967	      7383 ns/op	      8000 ns/rt	    125000 rt/s	    1883 B/op	      21 allocs/op
BenchmarkEcho/conns=1/host-2        	   81156	     28167 ns/op	     28000 ns/rt	     35714 rt/s	      31 B/op	       2 allocs/op
BenchmarkEcho/conns=16/sim-2        	  114140	     18830 ns/op	     20000 ns/rt	     50000 rt/s	    1881 B/op	      20 allocs/op
BenchmarkNVMeRandRead4K/qd=32/sim-2        	    5000	      5000 ns/op	    200000 reads/s
BenchmarkNVMeRandRead4K/qd=32/host-tmpfs-2 	    5000	      1250 ns/op	    800000 reads/s
BenchmarkNVMeRandRead4K/qd=32/host-tmpfs-2 	    5000	      9000 ns/op	    111111 reads/s
BenchmarkNVMeRandRead4K/qd=32/host-tmpfs-2 	    5000	      1000 ns/op	   1000000 reads/s
PASS
`

func TestBenchReport(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runBenchReport(nil, strings.NewReader(benchOutput), &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	for _, want := range []string{
		"| reaping overflowed CQEs | 1000 → 100000 | 37.6 ns | 56.1 ns | 1.49× | 158 ns |",
		"| 1 | 100 ns | — | 2100 ns | 21.00× |",
		"| 32 | 40.0 ns | — | 100 ns | 2.50× |",
		"| connections | sim | sim, round trips/s | host | host, round trips/s | host / sim |",
		"| 1 | 8000 ns | 125 k | 28000 ns | 36 k | 3.50× |",
		"| 16 | 20000 ns | 50 k | — | — | — |",
		"| 32 | 5000 ns | 200 k | 1250 ns | 800 k | 0.25× |", // the median of three runs
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Switch") {
		t.Errorf("report shows a benchmark that is neither Scale nor Nop:\n%s", out.String())
	}
}

func TestBenchReportErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runBenchReport(nil, strings.NewReader("PASS\n"), &out, &errb); code != 1 || !strings.Contains(errb.String(), "no Scale, Nop, Echo or NVMe") {
		t.Errorf("empty input: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := runBenchReport([]string{"x"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
}
