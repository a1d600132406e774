package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// benchReportUsage is the help of `uringsim bench report`.
const benchReportUsage = `usage: go test -run='^$' -bench='Scale|Nop|Echo|NVMe' ./uring/... | uringsim bench report

Reads Go benchmark output on stdin and prints up to four tables (make bench runs
this): the per-request cost of each BenchmarkScale* load at its smallest and
largest n on the simulator, their ratio (goal: within 2x) and the host kernel at
the largest n; NOP cost per batch size on the simulator and the host with the
host/sim ratio (goal: >= 20x at batch 1, >= 3x at batch 32); socket echo round
trips (BenchmarkEcho, uring/echo) by connections; and 4 KiB random NVMe reads
(BenchmarkNVMeRandRead4K) by queue depth, the host's on a tmpfs file opened
O_DIRECT. The last two give the cost and the rate on each backend.
`

// scaleLoads names the loads of uring/scale_bench_test.go in the table.
var scaleLoads = map[string]string{
	"ScalePendingPolls":  "pending polls, wake + reap",
	"ScalePendingReads":  "pending pipe reads, wake + reap",
	"ScaleOverflow":      "reaping overflowed CQEs",
	"ScaleSetupMappings": "ring setup + close, by mappings",
	"ScaleRings":         "NOP on one of n rings",
	"ScaleClosePolls":    "ring close with pending polls",
}

// benchPoint is one measured value: benchmark, parameter, backend.
type benchPoint struct {
	bench   string // "ScalePendingPolls", "Nop"
	param   string // "n=1000", "batch=32"
	n       int    // the parameter's number
	backend string // "sim", "host", "sim-concurrent"
	value   float64
}

// parseBenchLine reads one `go test -bench` result line. Scale benchmarks
// are named Scale<Load>/<param>/<backend> and report ns/req; the NOP
// benchmarks NopSim, NopSimConcurrent, NopHost /batch=N and report ns/op;
// Echo/conns=N/<backend> reports ns/rt (per round trip) and
// NVMeRandRead4K/qd=N/<backend> ns/op (per read), where a backend
// named host-… (host-tmpfs) counts as the host.
func parseBenchLine(line string) (benchPoint, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return benchPoint{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // the GOMAXPROCS suffix
		}
	}
	parts := strings.Split(name, "/")
	var p benchPoint
	unit := "ns/op"
	switch {
	case strings.HasPrefix(parts[0], "Scale") && len(parts) == 3:
		p = benchPoint{bench: parts[0], param: parts[1], backend: parts[2]}
		unit = "ns/req"
	case len(parts) == 2 && (parts[0] == "NopSim" || parts[0] == "NopSimConcurrent" || parts[0] == "NopHost"):
		backend := map[string]string{"NopSim": "sim", "NopSimConcurrent": "sim-concurrent", "NopHost": "host"}[parts[0]]
		p = benchPoint{bench: "Nop", param: parts[1], backend: backend}
	case len(parts) == 3 && (parts[0] == "Echo" || parts[0] == "NVMeRandRead4K"):
		backend := parts[2]
		if strings.HasPrefix(backend, "host-") {
			backend = "host"
		}
		p = benchPoint{bench: parts[0], param: parts[1], backend: backend}
		if parts[0] == "Echo" {
			unit = "ns/rt"
		}
	default:
		return benchPoint{}, false
	}
	_, num, ok := strings.Cut(p.param, "=")
	if !ok {
		return benchPoint{}, false
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return benchPoint{}, false
	}
	p.n = n
	for i := 2; i+1 < len(f); i += 2 {
		if f[i+1] == unit {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return benchPoint{}, false
			}
			p.value = v
			return p, true
		}
	}
	return benchPoint{}, false
}

// benchTable holds the parsed points by benchmark, in input order.
type benchTable struct {
	order  []string
	points map[string][]benchPoint
}

func (t *benchTable) add(p benchPoint) {
	if t.points == nil {
		t.points = map[string][]benchPoint{}
	}
	if _, ok := t.points[p.bench]; !ok {
		t.order = append(t.order, p.bench)
	}
	t.points[p.bench] = append(t.points[p.bench], p)
}

// at is the value of bench at parameter n on backend, if measured: the
// median of its runs when it ran several times (go test -count), the
// mean of the middle two for an even count.
func (t *benchTable) at(bench string, n int, backend string) (float64, bool) {
	var vs []float64
	for _, p := range t.points[bench] {
		if p.n == n && p.backend == backend {
			vs = append(vs, p.value)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	m := len(vs) / 2
	if len(vs)%2 == 0 {
		return (vs[m-1] + vs[m]) / 2, true
	}
	return vs[m], true
}

// ns formats a measured value, or "—" for one that is missing.
func ns(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f ns", v)
	}
	return fmt.Sprintf("%.1f ns", v)
}

// ratio formats a/b, or "—" when either is missing.
func ratio(a float64, aok bool, b float64, bok bool) string {
	if !aok || !bok || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// runBenchReport is `uringsim bench report`.
func runBenchReport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(stdout, benchReportUsage)
			return 0
		}
		fmt.Fprintf(stderr, "uringsim bench report: unexpected argument %q\n", args[0])
		fmt.Fprint(stderr, benchReportUsage)
		return 2
	}
	var t benchTable
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if p, ok := parseBenchLine(sc.Text()); ok {
			t.add(p)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "uringsim bench report: reading stdin: %v\n", err)
		return 1
	}
	if len(t.order) == 0 {
		fmt.Fprintln(stderr, "uringsim bench report: no Scale, Nop, Echo or NVMe benchmark results on stdin")
		return 1
	}
	writeBenchReport(stdout, &t)
	return 0
}

// writeBenchReport prints the scaling table, the NOP table and the
// device tables, each only when its benchmarks ran.
func writeBenchReport(w io.Writer, t *benchTable) {
	scale := slices.DeleteFunc(slices.Clone(t.order), func(b string) bool { return !strings.HasPrefix(b, "Scale") })
	if len(scale) > 0 {
		fmt.Fprintln(w, "Per-request cost as the load grows (simulator; goal: largest n within 2× of smallest)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| load | n | sim, smallest n | sim, largest n | largest / smallest | host, largest n |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, b := range scale {
			params := t.paramRange(b)
			lo, hi := params[0], params[len(params)-1]
			name := scaleLoads[b]
			if name == "" {
				name = b
			}
			slo, slok := t.at(b, lo, "sim")
			shi, shok := t.at(b, hi, "sim")
			hhi, hhok := t.at(b, hi, "host")
			fmt.Fprintf(w, "| %s | %d → %d | %s | %s | %s | %s |\n", name, lo, hi,
				ns(slo, slok), ns(shi, shok), ratio(shi, shok, slo, slok), ns(hhi, hhok))
		}
	}
	if _, ok := t.points["Nop"]; ok {
		if len(scale) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "NOP submitted, completed and reaped (goal: host / sim ≥ 20× at batch 1, ≥ 3× at batch 32)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| batch | sim | sim, concurrent | host | host / sim |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, n := range t.paramRange("Nop") {
			s, sok := t.at("Nop", n, "sim")
			c, cok := t.at("Nop", n, "sim-concurrent")
			h, hok := t.at("Nop", n, "host")
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s |\n", n, ns(s, sok), ns(c, cok), ns(h, hok), ratio(h, hok, s, sok))
		}
	}
	sep := len(scale) > 0 || len(t.points["Nop"]) > 0
	for _, d := range []struct{ bench, title, param, rate string }{
		{"Echo", "Socket echo round trips, 64-byte messages through uring/echo (per round trip)", "connections", "round trips/s"},
		{"NVMeRandRead4K", "4 KiB random direct reads (per read; host: a tmpfs file opened O_DIRECT)", "queue depth", "reads/s"},
	} {
		if len(t.points[d.bench]) == 0 {
			continue
		}
		if sep {
			fmt.Fprintln(w)
		}
		sep = true
		fmt.Fprintln(w, d.title)
		fmt.Fprintln(w)
		fmt.Fprintf(w, "| %s | sim | sim, %s | host | host, %s | host / sim |\n", d.param, d.rate, d.rate)
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, n := range t.paramRange(d.bench) {
			s, sok := t.at(d.bench, n, "sim")
			h, hok := t.at(d.bench, n, "host")
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n", n, ns(s, sok), perSecond(s, sok), ns(h, hok), perSecond(h, hok), ratio(h, hok, s, sok))
		}
	}
}

// perSecond formats the rate of an operation that takes ns nanoseconds.
func perSecond(ns float64, ok bool) string {
	if !ok || ns <= 0 {
		return "—"
	}
	r := 1e9 / ns
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2f M", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0f k", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// paramRange is the sorted, distinct parameters measured for bench.
func (t *benchTable) paramRange(bench string) []int {
	var ns []int
	for _, p := range t.points[bench] {
		ns = append(ns, p.n)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}
