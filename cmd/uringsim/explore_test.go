package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/uringsim/uringsim/scenario"
)

const (
	lostNotificationScn = "../../testdata/scenarios/tw_lost_notification.scn"
	linkOpenEndScn      = "../../testdata/scenarios/link_open_end.scn"
	nopScn              = "../../testdata/scenarios/nop.scn"
)

// readTrace runs the CLI with --trace-out=FILE appended and returns the
// trace it wrote.
func readTrace(t *testing.T, file string, args ...string) []byte {
	t.Helper()
	status, stdout, stderr := cli(append(args, "--trace-out="+file)...)
	if status != 0 {
		t.Fatalf("%v: status %d\n%s\n%s", args, status, stdout, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplayTrace: replaying a seed twice gives byte-identical text traces,
// the trace `run --seed=S --trace=text` writes (io-wq and two tasks: many
// scheduling choices), and a different seed gives a different trace.
func TestReplayTrace(t *testing.T) {
	dir := t.TempDir()
	a := readTrace(t, filepath.Join(dir, "a"), "replay", "--seed=13", lostNotificationScn)
	b := readTrace(t, filepath.Join(dir, "b"), "replay", "--seed=13", lostNotificationScn)
	r := readTrace(t, filepath.Join(dir, "r"), "run", "--seed=13", "--trace=text", lostNotificationScn)
	o := readTrace(t, filepath.Join(dir, "o"), "replay", "--seed=14", lostNotificationScn)
	if len(a) == 0 || !bytes.Contains(a, []byte("io_uring_queue_async_work")) {
		t.Fatalf("replay trace is empty or lacks io-wq:\n%s", a)
	}
	if l, ok := firstLineDiff(a, b); ok {
		t.Errorf("two replays differ at line %d:\n%s", l.n, l.text)
	}
	if l, ok := firstLineDiff(a, r); ok {
		t.Errorf("replay and run --seed differ at line %d:\n%s", l.n, l.text)
	}
	if bytes.Equal(a, o) {
		t.Error("seeds 13 and 14 give the same trace: the seed does not reach the schedule")
	}
}

// TestReplayUsage: replay wants a seed and runs the simulator only.
func TestReplayUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"replay", lostNotificationScn}, "--seed=S or --tape=FILE is required"},
		{[]string{"replay", "--seed=x", lostNotificationScn}, "--seed=x"},
		{[]string{"replay", "--seed=1", "--backend=kernel", lostNotificationScn}, "simulator only"},
		{[]string{"replay", "--seed=1", "--mode=concurrent", lostNotificationScn}, "simulator only"},
		{[]string{"replay", "--seed=1"}, "no scenario"},
	} {
		status, _, stderr := cli(c.args...)
		if status != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", c.args, status, stderr, c.msg)
		}
	}
	if status, stdout, _ := cli("replay", "-h"); status != 0 || !strings.Contains(stdout, "usage: uringsim replay") {
		t.Errorf("replay -h: status %d\n%s", status, stdout)
	}
}

// TestExploreJobs: what explore prints on stdout, summary or JSON, is the
// same with one job and with three (the runs finish in another order), and
// the either histogram counts every seed.
func TestExploreJobs(t *testing.T) {
	for _, format := range []string{"", "--json"} {
		var outs []string
		for _, jobs := range []string{"1", "3"} {
			args := []string{"explore", "--seeds=120", "--jobs=" + jobs, linkOpenEndScn, nopScn}
			if format != "" {
				args = append(args, format)
			}
			status, stdout, stderr := cli(args...)
			if status != 0 {
				t.Fatalf("%v: status %d\n%s\n%s", args, status, stdout, stderr)
			}
			outs = append(outs, stdout)
		}
		if l, ok := firstLineDiff([]byte(outs[0]), []byte(outs[1])); ok {
			t.Errorf("explore %s: --jobs=1 and --jobs=3 differ at line %d:\n%s", format, l.n, l.text)
		}
		if format != "" {
			continue
		}
		sum := 0
		for _, l := range strings.Split(outs[0], "\n") {
			if rest, ok := strings.CutPrefix(l, "  either #1: alternative "); ok {
				_, n, _ := strings.Cut(rest, ": ")
				v, err := strconv.Atoi(n)
				if err != nil {
					t.Fatalf("histogram line %q", l)
				}
				sum += v
			}
		}
		if !strings.Contains(outs[0], "link_open_end: 120 seeds, 120 passed, 0 failed, 0 skipped\n") ||
			!strings.Contains(outs[0], "nop: 120 seeds, 120 passed") || sum != 120 {
			t.Errorf("summary (histogram total %d, want 120):\n%s", sum, outs[0])
		}
	}
}

// decodeRuns parses explore --json output, one object per line.
func decodeRuns(t *testing.T, out string) []map[string]any {
	t.Helper()
	var runs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		runs = append(runs, m)
	}
	return runs
}

// TestExploreShards: the shards I/N of a seed range partition it (every
// seed in exactly one shard, N larger than the range included), and the
// shards' JSON outputs concatenated and ordered by seed are the unsharded
// output.
func TestExploreShards(t *testing.T) {
	const seeds, seed0 = 10, 5
	_, whole, _ := cli("explore", "--json", "--seeds="+strconv.Itoa(seeds), "--seed0="+strconv.Itoa(seed0), linkOpenEndScn)
	wholeLines := strings.Split(strings.TrimRight(whole, "\n"), "\n")
	if len(wholeLines) != seeds {
		t.Fatalf("unsharded: %d lines\n%s", len(wholeLines), whole)
	}
	for _, n := range []int{1, 2, 3, 4, 11} {
		owner := map[uint64]int{}
		var merged []string
		for i := range n {
			shard := strconv.Itoa(i) + "/" + strconv.Itoa(n)
			status, out, stderr := cli("explore", "--json", "--shard="+shard, "--seeds="+strconv.Itoa(seeds), "--seed0="+strconv.Itoa(seed0), linkOpenEndScn)
			if status != 0 {
				t.Fatalf("shard %s: status %d\n%s", shard, status, stderr)
			}
			for _, r := range decodeRuns(t, out) {
				s := uint64(r["seed"].(float64))
				if j, dup := owner[s]; dup {
					t.Errorf("--shard=%s: seed %d is also in shard %d/%d", shard, s, j, n)
				}
				owner[s] = i
			}
			if out != "" {
				merged = append(merged, strings.Split(strings.TrimRight(out, "\n"), "\n")...)
			}
		}
		for s := uint64(seed0); s < seed0+seeds; s++ {
			if _, ok := owner[s]; !ok {
				t.Errorf("%d shards: seed %d in none", n, s)
			}
		}
		if len(owner) != seeds {
			t.Errorf("%d shards: %d seeds, want %d", n, len(owner), seeds)
		}
		seedOf := func(l string) uint64 {
			var r exploreRun
			_ = json.Unmarshal([]byte(l), &r)
			return r.Seed
		}
		slices.SortFunc(merged, func(a, b string) int { return int(seedOf(a)) - int(seedOf(b)) })
		if !slices.Equal(merged, wholeLines) {
			t.Errorf("%d shards merged:\n%s\nunsharded:\n%s", n, strings.Join(merged, "\n"), whole)
		}
	}
}

// TestShardSeedsPartition checks shardSeeds itself over many ranges and
// shard counts, and at the top of the seed space.
func TestShardSeedsPartition(t *testing.T) {
	for seeds := uint64(0); seeds <= 13; seeds++ {
		for n := uint64(1); n <= 6; n++ {
			var all []uint64
			for i := range n {
				cfg := &exploreConfig{seeds: seeds, seed0: 100, shard: i, nshards: n}
				got := cfg.shardSeeds()
				if !slices.IsSorted(got) {
					t.Errorf("seeds=%d shard %d/%d: not increasing: %v", seeds, i, n, got)
				}
				all = append(all, got...)
			}
			slices.Sort(all)
			for k, s := range all {
				if s != 100+uint64(k) {
					t.Fatalf("seeds=%d n=%d: union %v, want 100..%d once each", seeds, n, all, 100+seeds-1)
				}
			}
			if uint64(len(all)) != seeds {
				t.Errorf("seeds=%d n=%d: union has %d seeds", seeds, n, len(all))
			}
		}
	}
	top := &exploreConfig{seeds: 3, seed0: ^uint64(0) - 2, shard: 1, nshards: ^uint64(0)}
	if got := top.shardSeeds(); !slices.Equal(got, []uint64{^uint64(0) - 1}) {
		t.Errorf("top of the seed space: %v", got)
	}
}

// TestExploreJSONFields: every --json line has the documented fields, with
// the either alternatives for a scenario that has an either block.
func TestExploreJSONFields(t *testing.T) {
	status, out, stderr := cli("explore", "--json", "--seeds=3", "--seed0=7", linkOpenEndScn)
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	runs := decodeRuns(t, out)
	if len(runs) != 3 {
		t.Fatalf("%d runs:\n%s", len(runs), out)
	}
	for i, r := range runs {
		if r["scenario"] != "link_open_end" || r["file"] != linkOpenEndScn || r["seed"] != float64(7+i) || r["status"] != "PASS" {
			t.Errorf("run %d: %v", i, r)
		}
		either, ok := r["either"].([]any)
		if !ok || len(either) != 1 {
			t.Errorf("run %d: either %v, want one alternative", i, r["either"])
		}
		for _, k := range []string{"reason", "replay", "bugs"} {
			if _, ok := r[k]; ok {
				t.Errorf("run %d: a passing run without bugs has %q: %v", i, k, r)
			}
		}
	}
}

// TestExploreFindsMuseumBug: with UserWaitIgnoresTWASignal switched on,
// explore finds a seed on which the lost-notification scenario fails
// (the linked NOP ud=10 never completes: a lost wakeup of t2 with it
// among its queued task_work) and prints a replay line; that
// line, run as given, reproduces the failure; without the bug the seeds
// up to the first failing one pass.
func TestExploreFindsMuseumBug(t *testing.T) {
	status, out, stderr := cli("explore", "--seeds=1000", "--jobs=2", "--bug=UserWaitIgnoresTWASignal", lostNotificationScn)
	if status != 1 {
		t.Fatalf("status %d, want 1\n%s\n%s", status, out, stderr)
	}
	if !strings.Contains(out, "tw_lost_notification: 1000 seeds with --bug=UserWaitIgnoresTWASignal, ") {
		t.Errorf("summary:\n%s", out)
	}
	var first, replay string
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "  FAIL seed "); ok && first == "" {
			first, _, _ = strings.Cut(rest, ":")
			if !lostLinkedNOP(rest) {
				t.Errorf("the failure is not the lost wakeup of the linked NOP: %s", l)
			}
		}
		if rest, ok := strings.CutPrefix(l, "  replay: "); ok {
			replay = rest
		}
	}
	want := "uringsim replay --seed=" + first + " --bug=UserWaitIgnoresTWASignal " + lostNotificationScn
	if first == "" || replay != want {
		t.Fatalf("first failing seed %q, replay line %q; want %q\n%s", first, replay, want, out)
	}
	args := append(strings.Fields(replay)[1:], "--trace-out="+filepath.Join(t.TempDir(), "trace"))
	if status, out, _ := cli(args...); status != 1 || !strings.Contains(out, "FAIL tw_lost_notification: line ") {
		t.Errorf("%s: status %d, want the failure again\n%s", replay, status, out)
	}
	_, json1, _ := cli("explore", "--json", "--seeds=1", "--seed0="+first, "--bug=UserWaitIgnoresTWASignal", lostNotificationScn)
	r := decodeRuns(t, json1)
	if len(r) != 1 || r[0]["status"] != "FAIL" || r[0]["replay"] != want || r[0]["bugs"] != "UserWaitIgnoresTWASignal" ||
		!lostLinkedNOP(r[0]["reason"].(string)) {
		t.Errorf("--json of the failing seed: %v", r)
	}
	if status, out, _ := cli("explore", "--seeds="+first, "--jobs=2", lostNotificationScn); status != 0 || !strings.Contains(out, first+" passed, 0 failed") {
		t.Errorf("without the bug: status %d\n%s", status, out)
	}
}

// TestExploreUsage: bad flags are usage errors that say what is wrong.
func TestExploreUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.scn")
	if err := os.WriteFile(bad, []byte("ring r entries=4\nfrobnicate r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--shard=3/2", nopScn}, "--shard=3/2: want I/N with 0 <= I < N"},
		{[]string{"--shard=2/2", nopScn}, "--shard=2/2"},
		{[]string{"--shard=0/0", nopScn}, "--shard=0/0"},
		{[]string{"--shard=1", nopScn}, "--shard=1"},
		{[]string{"--shard=-1/2", nopScn}, "--shard=-1/2"},
		{[]string{"--shard=a/b", nopScn}, "--shard=a/b"},
		{[]string{"--jobs=0", nopScn}, "--jobs=0"},
		{[]string{"--seeds=-3", nopScn}, "-seeds"},
		{[]string{"--seed0=18446744073709551615", "--seeds=2", nopScn}, "overflows"},
		{[]string{"--bug=NoSuchBug", nopScn}, "NoSuchBug"},
		{[]string{"--frobnicate", nopScn}, "frobnicate"},
		{[]string{}, "no scenario given"},
		{[]string{filepath.Join(dir, "missing.scn")}, "missing.scn"},
		{[]string{bad}, "bad.scn:2:"},
	} {
		status, _, stderr := cli(append([]string{"explore", "--seeds=2"}, c.args...)...)
		if status != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("explore %v: status %d, stderr %q; want 2 and %q", c.args, status, stderr, c.msg)
		}
	}
	if status, stdout, _ := cli("explore", "-h"); status != 0 || !strings.Contains(stdout, "usage: uringsim explore") {
		t.Errorf("explore -h: status %d", status)
	}
}

// TestExploreCheckDeterminism: every seed of two scenarios with many
// scheduling choices (io-wq, two tasks, an either race) gives the same
// trace, CQEs and result twice in one process.
func TestExploreCheckDeterminism(t *testing.T) {
	status, out, stderr := cli("explore", "--check-determinism", "--seeds=40", "--jobs=2", lostNotificationScn, linkOpenEndScn)
	if status != 0 || !strings.Contains(out, "tw_lost_notification: 40 seeds, 40 passed, 0 failed") ||
		!strings.Contains(out, "link_open_end: 40 seeds, 40 passed, 0 failed") {
		t.Errorf("status %d\n%s\n%s", status, out, stderr)
	}
}

// TestExploreCheckDeterminismDetects: --check-determinism fails the seeds
// whose second run differs, and only those, and says what differs first:
// here the second run of seed 7 really runs seed 8 (another schedule, so
// another trace), and the second run of seed 4 keeps its trace but reaps
// one CQE more. The first seed that differs (4) is the first printed, with
// jobs finishing in any order.
func TestExploreCheckDeterminismDetects(t *testing.T) {
	var mu sync.Mutex
	calls := map[uint64]int{}
	runScenario = func(sc *scenario.Scenario, opt scenario.RunOptions) scenario.Result {
		mu.Lock()
		calls[opt.Seed]++
		second := calls[opt.Seed] == 2
		mu.Unlock()
		seed := opt.Seed
		if second && seed == 7 {
			opt.Seed = 8
		}
		r := scenario.Run(sc, opt)
		if second && seed == 4 {
			r.CQEs = append(r.CQEs, "cqe r2 ud=99 res=0 flags=0")
		}
		return r
	}
	defer func() { runScenario = scenario.Run }()
	status, out, _ := cli("explore", "--check-determinism", "--seeds=10", "--jobs=2", lostNotificationScn)
	if status != 1 {
		t.Errorf("status %d, want 1\n%s", status, out)
	}
	lines := strings.Split(out, "\n")
	want := []string{
		"tw_lost_notification: 10 seeds, 8 passed, 2 failed, 0 skipped",
		`  FAIL seed 4: nondeterministic: the second run's CQE stream differs at line 11: first "", second "cqe r2 ud=99 res=0 flags=0"`,
		`  FAIL seed 7: nondeterministic: the second run's trace differs at line `,
		"  replay: uringsim replay --seed=4 " + lostNotificationScn,
	}
	if len(lines) < len(want) {
		t.Fatalf("output:\n%s", out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want %q…", i+1, lines[i], w)
		}
	}
	for s := uint64(1); s <= 10; s++ {
		if calls[s] != 2 {
			t.Errorf("seed %d ran %d times, want 2", s, calls[s])
		}
	}
	// Without the check each seed runs once and the difference goes unseen.
	clear(calls)
	if status, out, _ := cli("explore", "--seeds=10", lostNotificationScn); status != 0 || calls[4] != 1 {
		t.Errorf("without --check-determinism: status %d, seed 4 ran %d times\n%s", status, calls[4], out)
	}
}

// TestExplorePCT: explore --strategy=pct:2 resolves K once per scenario
// and names it in every JSON line; its output does not depend on --jobs;
// the replay of a seed under that strategy gives the same trace twice and
// the one `run --strategy=pct:2` writes, and a different one from the
// random walk's under the same seed.
func TestExplorePCT(t *testing.T) {
	const file = "../../testdata/scenarios/link_timeout_race.scn"
	var outs []string
	for _, jobs := range []string{"1", "2"} {
		status, out, stderr := cli("explore", "--json", "--strategy=pct:2", "--seeds=40", "--jobs="+jobs, file)
		if status != 0 {
			t.Fatalf("status %d\n%s\n%s", status, out, stderr)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Errorf("--jobs=1 and --jobs=2 differ:\n%s\n%s", outs[0], outs[1])
	}
	runs := decodeRuns(t, outs[0])
	spec, _ := runs[0]["strategy"].(string)
	if !strings.HasPrefix(spec, "pct:2:") || len(runs) != 40 {
		t.Fatalf("%d runs, strategy %q", len(runs), spec)
	}
	for _, r := range runs {
		if r["strategy"] != spec {
			t.Errorf("seed %v: strategy %v, want %s", r["seed"], r["strategy"], spec)
		}
	}
	dir := t.TempDir()
	a := readTrace(t, filepath.Join(dir, "a"), "replay", "--seed=3", "--strategy="+spec, file)
	b := readTrace(t, filepath.Join(dir, "b"), "replay", "--seed=3", "--strategy="+spec, file)
	r := readTrace(t, filepath.Join(dir, "r"), "run", "--seed=3", "--trace=text", "--strategy=pct:2", file)
	w := readTrace(t, filepath.Join(dir, "w"), "replay", "--seed=3", file)
	if len(a) == 0 || !bytes.Equal(a, b) || !bytes.Equal(a, r) {
		t.Errorf("pct replays or run differ (%d, %d, %d bytes)", len(a), len(b), len(r))
	}
	if bytes.Equal(a, w) {
		t.Error("pct and the random walk give the same trace for seed 3")
	}
	if got := replayCommand(exploreRun{Seed: 9, File: "a b.scn", Bugs: "X", Strategy: "pct:3:7"}); got != "uringsim replay --seed=9 --bug=X --strategy=pct:3:7 'a b.scn'" {
		t.Errorf("replay command %q", got)
	}
	for _, args := range [][]string{
		{"explore", "--strategy=pct:0", file}, {"explore", "--strategy=walk", file},
		{"run", "--strategy=pct:2:0", file}, {"run", "--strategy=pct:2", "--mode=concurrent", file},
	} {
		if status, _, stderr := cli(args...); status != 2 || !strings.Contains(stderr, "--strategy") {
			t.Errorf("%v: status %d, stderr %q", args, status, stderr)
		}
	}
}
