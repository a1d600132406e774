package scenario

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/uringsim/uringsim/ringcheck"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// Backend names accepted by RunOptions.Backend.
const (
	BackendSim    = "sim"
	BackendKernel = "kernel"
)

// DefaultMaxSteps is the simulator's step bound when RunOptions.MaxSteps
// is 0: far more than any scenario of the corpus needs.
const DefaultMaxSteps = 10_000_000

// DefaultSeed is the simulator seed of a scenario without seed= when the
// caller gives none.
const DefaultSeed = 1

// simVersion is the kernel release the simulator mirrors
// (kernel.LinuxVersion; package scenario may not import kernel).
var simVersion = [3]int{6, 18, 0}

// RunOptions configure Run.
type RunOptions struct {
	// Backend is BackendSim (the default) or BackendKernel.
	Backend string
	// Seed, when SeedSet, overrides the scenario's seed= on the simulator.
	Seed    uint64
	SeedSet bool
	// Sink receives the simulator's trace (nil: no trace).
	Sink sim.Sink
	// Out receives what the runner prints while it runs: every reaped CQE
	// (`cqe RING ud=N res=R flags=F`), submit/enter/register results,
	// probe and fdinfo output, which either alternative matched. nil
	// discards it.
	Out io.Writer
	// Before, if set, is called before each top-level command runs (the
	// tour prints the narration and the command there).
	Before func(c *Command)
	// CQEWait bounds the wait of `cqe`, `unordered` and `either` for one
	// CQE: virtual time on the simulator, real time on the host. 0: 1s.
	CQEWait time.Duration
	// Settle is how long `nocqe` lets the system run before looking at
	// the CQ. 0: 20ms.
	Settle time.Duration
	// Limit bounds the real time a whole scenario may take before it is
	// abandoned and reported as failed. 0: 2 minutes.
	Limit time.Duration
	// MaxSteps bounds the simulator's scheduling steps (sim.Config.MaxSteps):
	// a kernel that loops without end is reported as a livelock (a FAIL)
	// instead of spinning until Limit. 0: DefaultMaxSteps; -1: unlimited.
	MaxSteps int64
	// Mode is the simulator's execution mode: sim.Deterministic (the zero
	// value) or sim.Concurrent (real goroutines and real time).
	Mode sim.Mode
	// Bugs switches museum bugs back on in the simulator (uring.Bugs; the
	// zero value is Linux 6.18). The host kernel ignores it.
	Bugs uring.Bugs
	// Strategy decides the simulator's scheduling choices (nil: the
	// random walk from the seed, sim.RandomWalk). A strategy has state:
	// give each Run a fresh one.
	Strategy sim.Strategy
	// SkipInvariants turns off the global invariants (package
	// ringcheck) that every run checks on every ring besides the
	// scenario's expectations (invariants.go).
	SkipInvariants bool
	// NoChoiceLog turns off the simulator's decision log (Result.Choices
	// is then nil): for sweeps that replay a run by its seed, not its log
	// (explore), where recording it was a third of a world's allocation.
	NoChoiceLog bool
	// Carriers is a pool of sim thread coroutines that the simulator's
	// worlds take and give back (sim.Carriers), and of the goroutines
	// their main threads run on (Carriers.Go): a sweep that keeps one
	// across its runs saves each thread its coroutine and stack growth.
	// Nil: none. It changes nothing in a run.
	Carriers *sim.Carriers
}

// Status is the outcome of one scenario on one backend.
type Status uint8

// Outcomes.
const (
	Pass Status = iota + 1
	Fail
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Skip:
		return "SKIP"
	}
	return "?"
}

// Result is the outcome of running one scenario on one backend.
type Result struct {
	Name    string
	Backend string
	Seed    uint64 // the simulator seed used (sim only)
	Status  Status
	Line    int    // Fail: the line of the command that failed (0: none)
	Reason  string // Fail: "expected …, got …" or the error; Skip: why
	Detail  string // Fail after a panic: where (the first frames of the stack)
	CQEs    []string
	// Either records, per either block run, which alternative matched
	// (1-based), in execution order.
	Either []int
	// Choices is the simulator's decision log (sim only): under the same
	// seed and bugs, RunOptions.Strategy = sim.Replay(Choices, …)
	// reproduces the run.
	Choices []sim.Choice
}

// String is the result line SCENARIO.md prints: `PASS name`,
// `FAIL name: line L: expected …, got …` or `SKIP name: reason`.
func (r *Result) String() string {
	switch r.Status {
	case Pass:
		return "PASS " + r.Name
	case Skip:
		return "SKIP " + r.Name + ": " + r.Reason
	}
	if r.Line > 0 {
		return fmt.Sprintf("FAIL %s: line %d: %s", r.Name, r.Line, r.Reason)
	}
	return "FAIL " + r.Name + ": " + r.Reason
}

// failure stops a scenario: a FAIL at line, or a SKIP.
type failure struct {
	line int
	msg  string
	skip bool
}

func (f *failure) Error() string { return fmt.Sprintf("line %d: %s", f.line, f.msg) }

func failf(line int, format string, args ...any) *failure {
	return &failure{line: line, msg: fmt.Sprintf(format, args...)}
}

func skipf(format string, args ...any) *failure {
	return &failure{skip: true, msg: fmt.Sprintf(format, args...)}
}

// Run executes s on the backend of opt and returns its result.
//
// Choices the runner makes where shared/SCENARIO.md leaves room:
//
//   - sim: a fresh uring.NewSimMachine per run, seeded with opt.Seed (when
//     SeedSet), else the scenario's seed=, else DefaultSeed. kernel: the
//     host's io_uring; SKIP when it is unavailable.
//   - Commands stop at the first failure: a wrong expectation, or any
//     system call that fails without expect= (submit, enter, register,
//     io_uring_setup, object creation) is a FAIL with its line.
//   - submit follows liburing's __io_uring_submit exactly (enter only when
//     the SQ or the CQ needs it); flags= are added to the call and force
//     it. It prints `submit RING ret=N` (or ret=-ERRNO); enter and register
//     print the same way, probe adds `probe RING: N opcodes supported,
//     last_op=NAME`, fdinfo prints the file indented, either prints which
//     alternative matched. On the host an EINTR (Go's preemption signals)
//     is retried; on the simulator it means a deadlock and is returned.
//   - cqe, unordered and either wait up to opt.CQEWait per CQE (the
//     kernel's wait with a timeout, IORING_ENTER_EXT_ARG: virtual time on
//     the simulator); either reaps one CQE at a time and takes the first
//     alternative (in file order) that the CQEs so far match completely;
//     CQEs reaped ahead stay pending for the next expectation.
//   - nocqe waits opt.Settle for a CQE the same way (flushing overflow and
//     running deferred task work, as liburing's wait does), then requires
//     none.
//   - close of a ring unmaps and closes it (io_uring_queue_exit); later
//     commands on it fail. A closed file keeps its number for -EBADF tests.
//   - task: on the host a goroutine locked to its own OS thread; on the
//     simulator another task (sim thread) of the simulated process
//     (uring.SimTask).
//   - A scenario marked with KnownSimBugMarker is run like any other; the
//     CLI and the corpus test report its simulator failure as XFAIL.
//
// It never
// panics: a panic inside the simulator or the runner is a FAIL. On the host
// the scenario runs on a goroutine locked to a fresh OS thread (the task
// io_uring keys on) that exits with it, so no task state (io_uring's tctx,
// SINGLE_ISSUER ownership) leaks from one scenario into the next.
func Run(s *Scenario, opt RunOptions) Result {
	if opt.Backend == "" {
		opt.Backend = BackendSim
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.CQEWait <= 0 {
		opt.CQEWait = time.Second
	}
	if opt.Settle <= 0 {
		opt.Settle = 20 * time.Millisecond
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	done := make(chan Result, 1)
	if opt.Carriers != nil && opt.Backend == BackendSim {
		// The world's main thread on a goroutine of the pool, whose
		// stack earlier worlds grew.
		opt.Carriers.Go(func() { done <- runOne(s, opt) })
	} else {
		go func() {
			if opt.Backend == BackendKernel {
				// Never unlocked: the OS thread ends with this goroutine.
				runtime.LockOSThread()
			}
			done <- runOne(s, opt)
		}()
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r
	case <-timer.C:
		return Result{Name: s.Name, Backend: opt.Backend, Status: Fail,
			Reason: fmt.Sprintf("did not finish within %v (abandoned)", limit)}
	}
}

func runOne(s *Scenario, opt RunOptions) (res Result) {
	res = Result{Name: s.Name, Backend: opt.Backend}
	x := &runner{s: s, opt: opt, out: opt.Out, res: &res,
		rings: map[string]*ringState{}, mems: map[string][]byte{}, fds: map[string]int{}, closed: map[string]bool{}}
	defer func() {
		if p := recover(); p != nil {
			res.Status = Fail
			res.Line = x.line
			if rep, ok := p.(*sim.DeadlockReport); ok {
				// The world stopped the main thread: a livelock
				// (MaxSteps) or a deadlock it could not interrupt.
				// A lost wakeup too. Detail is the rest: every thread, the
				// kernel's facts.
				first, rest, _ := strings.Cut(rep.String(), "\n")
				res.Reason = "simulator " + strings.TrimPrefix(first, "sim: ")
				res.Detail = strings.TrimRight(rest, "\n")
			} else {
				res.Reason = fmt.Sprintf("panic: %v", p)
				res.Detail = firstFrames(debug.Stack())
			}
		}
		x.cleanup()
		if x.m != nil {
			res.Choices = x.m.World().Choices()
		}
	}()
	if f := x.setup(); f == nil {
		f = x.runAll()
		if f == nil {
			f = x.finishInvariants()
		}
		x.finish(f)
	} else {
		x.finish(f)
	}
	return res
}

// firstFrames trims a stack trace to its first lines.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 24 {
		lines = lines[:24]
	}
	return strings.Join(lines, "\n")
}

func (x *runner) finish(f *failure) {
	switch {
	case f == nil:
		x.res.Status = Pass
	case f.skip:
		x.res.Status = Skip
		x.res.Reason = f.msg
	default:
		x.res.Status = Fail
		x.res.Line = f.line
		x.res.Reason = f.msg
	}
}

// runner is the state of one scenario run.
type runner struct {
	s   *Scenario
	opt RunOptions
	out io.Writer
	res *Result

	be    uring.Backend
	m     *uring.Machine // simulator only
	files fileSys        // files, pipes, sockets; nil when unavailable
	line  int            // the command running

	rings      map[string]*ringState
	mems       map[string][]byte
	fds        map[string]int  // file objects (pipe ends, sockets, files, eventfds)
	ports      map[string]int  // listening sockets: their port
	closed     map[string]bool // objects closed by `close`
	ringOrder  []string
	tasks      map[string]*taskState
	taskOrder  []string
	curTask    string // the task running the current command ("" main)
	fdOrder    []string
	nvmes      map[string]*uring.NVMe  // `nvme` devices (simulator only)
	children   map[string]*uring.Child // `child` processes
	childOrder []string
	scratch    [][]byte           // user memory for timespecs, iovecs, register arguments
	inv        *ringcheck.Checker // the global invariants (nil with SkipInvariants)
	// scratchMaps are mappings of kernel-allocated buffer rings.
	scratchMaps [][]byte
}

// ringState is a ring of the scenario: the liburing-style Ring and the
// CQEs reaped from it but not yet matched (either blocks may reap ahead).
type ringState struct {
	task    string // the task that created it ("" main)
	name    string
	r       *uring.Ring
	pending []CQE
	files   []string // registered file table: name per slot ("" sparse)
	closed  bool
	pbufs   map[uint16]*pbufState    // buffer rings registered by the scenario, by bgid
	zcrx    map[uint32]*uring.ZcrxRq // refill queues of the ifqs it registered, by zcrx_id
	check   *ringcheck.Stream        // its invariants (nil: not checked)
}

// setup checks the requirements and creates the backend.
func (x *runner) setup() *failure {
	if x.opt.Backend != BackendSim && x.opt.Backend != BackendKernel {
		return failf(0, "unknown backend %q (want sim or kernel)", x.opt.Backend)
	}
	if x.opt.Backend == BackendKernel {
		for _, r := range x.s.Requires {
			if r.Kind == RequireSim {
				return skipf("requires sim")
			}
		}
		be, err := uring.HostBackend()
		if err != nil {
			return skipf("host io_uring unavailable: %v", err)
		}
		x.be = be
	} else {
		seed := x.s.RunSeed(x.opt)
		x.res.Seed = seed
		steps := x.opt.MaxSteps
		switch {
		case steps == 0:
			steps = DefaultMaxSteps
		case steps < 0:
			steps = 0
		}
		x.m = uring.NewSimMachine(uring.SimConfig{Seed: seed, Sink: x.opt.Sink, MaxSteps: steps, Mode: x.opt.Mode, Bugs: x.opt.Bugs, Strategy: x.opt.Strategy, NoChoiceLog: x.opt.NoChoiceLog, Carriers: x.opt.Carriers})
		x.be = x.m.Backend()
	}
	x.files = newFileSys(x.be)
	for _, r := range x.s.Requires {
		if f := x.require(r); f != nil {
			return f
		}
	}
	return nil
}

// require checks one `requires` directive (sim was handled in setup).
func (x *runner) require(r Require) *failure {
	switch r.Kind {
	case RequireKernel:
		have := simVersion
		if x.be.Host() {
			v, err := hostVersion()
			if err != nil {
				return skipf("requires %s: %v", r.Text, err)
			}
			have = v
		}
		if cmpVersion(have, r.Version) < 0 {
			return skipf("requires %s (%s is %d.%d.%d)", r.Text, x.be.Name(), have[0], have[1], have[2])
		}
	case RequireOp:
		ring, err := uring.New(x.be, 1, nil)
		if err != nil {
			return skipf("requires %s: cannot set up a ring to probe: %v", r.Text, err)
		}
		p, err := ring.RegisterProbe()
		_ = ring.Close()
		if err != nil {
			return skipf("requires %s: probe: %v", r.Text, err)
		}
		if !p.Supported(r.Op) {
			return skipf("requires %s (not supported on %s)", r.Text, x.be.Name())
		}
	}
	return nil
}

func cmpVersion(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// runAll runs the commands in order; the first failure stops the run.
func (x *runner) runAll() *failure {
	for i := range x.s.Cmds {
		c := &x.s.Cmds[i]
		x.line = c.Line
		if x.opt.Before != nil {
			x.opt.Before(c)
		}
		f := x.execOn(c)
		if f == nil {
			f = x.invariantFailure()
		}
		if f != nil {
			if f.line == 0 && !f.skip {
				f.line = c.Line
			}
			return f
		}
	}
	return nil
}

// cleanup releases everything: files first (a close may complete a
// pending request, whose CQE then lands in a live ring), then the rings,
// then user memory.
func (x *runner) cleanup() {
	defer func() {
		// A simulator that panicked may panic again while closing.
		_ = recover()
	}()
	x.stopTasks()
	for _, name := range x.childOrder {
		x.children[name].Reap()
	}
	if x.files != nil {
		for _, name := range x.fdOrder {
			if !x.closed[name] {
				_ = x.files.close(x.fds[name])
			}
		}
	}
	if x.be != nil {
		for _, b := range x.scratchMaps {
			_ = x.be.Unmap(b)
		}
	}
	for _, name := range x.ringOrder {
		rs := x.rings[name]
		if !rs.closed {
			_ = x.closeRing(rs)
		}
	}
	if x.be != nil {
		for _, name := range x.memOrder() {
			_ = x.be.Free(x.mems[name])
		}
		for _, b := range x.scratch {
			_ = x.be.Free(b)
		}
	}
	if x.m != nil {
		x.m.Close()
	}
}

// closeRing closes a ring of the scenario's, on the host after
// quiesceHostRing.
func (x *runner) closeRing(rs *ringState) error { return x.closeRingQuiesce(rs, true) }

// closeRingQuiesce is closeRing, quiescing a host ring first only if
// quiesce is set (`close RING quiesce=0` leaves its requests to the
// kernel's teardown).
func (x *runner) closeRingQuiesce(rs *ringState, quiesce bool) error {
	rs.closed = true
	if x.m == nil && quiesce {
		quiesceHostRing(rs.r)
	}
	return rs.r.Close()
}

// quiesceHostRing cancels every request still in flight on a host ring and
// waits (up to 100 ms) for them before the ring is closed: the kernel
// tears a closed ring down asynchronously (io_ring_exit_work), and a
// futex wait left queued meanwhile on memory that the next scenario maps
// at the same address would be woken by that scenario's wake (seen:
// futex_cancel, which closes its ring with waits queued, then
// futex_cancel_race). Nothing a scenario checks can see the difference.
func quiesceHostRing(r *uring.Ring) {
	reg := rings.SyncCancelReg{Fd: -1, Flags: rings.IORING_ASYNC_CANCEL_ANY}
	reg.Timeout.TvNsec = int64(100 * time.Millisecond)
	_ = r.RegisterSyncCancel(&reg)
}

// memOrder lists the mem objects in declaration order (no map order).
func (x *runner) memOrder() []string {
	var names []string
	for _, o := range x.s.Objects {
		if _, ok := x.mems[o.Name]; ok && o.Kind == ObjMem {
			names = append(names, o.Name)
		}
	}
	return names
}

// printf writes a line of runner output.
func (x *runner) printf(format string, args ...any) {
	if x.out == io.Discard {
		return
	}
	fmt.Fprintf(x.out, format+"\n", args...)
}
