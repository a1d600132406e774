package uring

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// simVariants are the simulator configurations every differential test runs
// on: they must all agree with each other and with the host.
var simVariants = []struct {
	name string
	cfg  SimConfig
}{
	{"sim/deterministic/seed=1", SimConfig{Seed: 1}},
	{"sim/deterministic/seed=7", SimConfig{Seed: 7}},
	{"sim/concurrent", SimConfig{Seed: 1, Mode: sim.Concurrent}},
}

// hostOrSkip returns the host backend or skips the test.
func hostOrSkip(t testing.TB) Backend {
	t.Helper()
	be, err := HostBackend()
	if err != nil {
		t.Skipf("host io_uring unavailable: %v", err)
	}
	return be
}

// onSim runs f on a fresh simulated machine of cfg, driven from this
// goroutine, and closes the machine afterwards.
func onSim[T any](t *testing.T, cfg SimConfig, f func(t *testing.T, be Backend) T) T {
	t.Helper()
	m := NewSimMachine(cfg)
	defer m.Close()
	return f(t, m.Backend())
}

// onSimVariants runs f on every simulator variant, each with its config
// changed by tweak, and returns the first variant's result; a variant
// that gives another result fails the test.
func onSimVariants[T any](t *testing.T, tweak func(*SimConfig), f func(t *testing.T, be Backend) T) T {
	t.Helper()
	var first T
	for i, v := range simVariants {
		cfg := v.cfg
		tweak(&cfg)
		got := onSim(t, cfg, f)
		if i == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("%s differs from %s:\n got  %+v\n want %+v", v.name, simVariants[0].name, got, first)
		}
	}
	return first
}

// differential runs f on every simulator variant and on the host kernel
// and fails when any result differs from the first simulator's. The host
// part is skipped (after the simulator parts ran) when io_uring is not
// available here.
func differential[T any](t *testing.T, f func(t *testing.T, be Backend) T) {
	t.Helper()
	var first T
	for i, v := range simVariants {
		got := onSim(t, v.cfg, f)
		if i == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("%s differs from %s:\n got  %+v\n want %+v", v.name, simVariants[0].name, got, first)
		}
	}
	if t.Failed() {
		return
	}
	if !HostAvailable() {
		t.Skipf("host io_uring unavailable; simulator gave %+v", first)
	}
	be, _ := HostBackend()
	if host := f(t, be); !reflect.DeepEqual(first, host) {
		t.Errorf("simulator and host kernel differ:\n sim  %+v\n host %+v", first, host)
	}
}

// openPipe makes a pipe on be; done closes both ends (defer it, so the
// ends are closed before the backend's machine is).
func openPipe(tb testing.TB, be Backend) (fs FileSys, r, w int, done func()) {
	tb.Helper()
	fs, err := Files(be)
	if err != nil {
		tb.Fatal(err)
	}
	r, w, err = fs.Pipe()
	if err != nil {
		tb.Fatalf("%s: Pipe: %v", be.Name(), err)
	}
	return fs, r, w, func() { fs.Close(r); fs.Close(w) }
}

// mustAlloc allocates n bytes of be's user memory (the caller frees it).
func mustAlloc(tb testing.TB, be Backend, n uint64) []byte {
	tb.Helper()
	mem, err := be.Alloc(n)
	if err != nil {
		tb.Fatal(err)
	}
	return mem
}

// mustNew sets up a ring or fails the test.
func mustNew(t testing.TB, be Backend, entries uint32, p *Params) *Ring {
	t.Helper()
	r, err := New(be, entries, p)
	if err != nil {
		t.Fatalf("%s: New(%d, %+v): %v", be.Name(), entries, p, err)
	}
	return r
}

// cqeRec is a CQE as tests compare it.
type cqeRec struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

func (c cqeRec) String() string {
	return fmt.Sprintf("{ud=%d res=%d flags=%#x}", c.UserData, c.Res, c.Flags)
}

func rec(cqe *rings.CQE) cqeRec { return cqeRec{cqe.UserData, cqe.Res, cqe.Flags} }

// errnoOfErr returns err's errno (0 for nil, -1 for a non-errno error).
func errnoOfErr(err error) unix.Errno {
	if err == nil {
		return 0
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return ^unix.Errno(0)
}

// reapAll waits for n CQEs and returns them in order.
func reapAll(t testing.TB, r *Ring, n int) []cqeRec {
	t.Helper()
	out := make([]cqeRec, 0, n)
	for len(out) < n {
		cqe, err := r.WaitCQE()
		if err != nil {
			t.Fatalf("%s: WaitCQE after %d of %d CQEs: %v", r.Backend().Name(), len(out), n, err)
		}
		out = append(out, rec(cqe))
		r.CQESeen(cqe)
	}
	return out
}

// submitNops queues NOPs with the given user data, submitting whenever the
// SQ is full and at the end; it returns what each Submit returned.
func submitNops(t testing.TB, r *Ring, uds ...uint64) []int {
	t.Helper()
	var subs []int
	for _, ud := range uds {
		sqe := r.GetSQE()
		if sqe == nil {
			n, err := r.Submit()
			if err != nil {
				t.Fatalf("%s: Submit: %v", r.Backend().Name(), err)
			}
			subs = append(subs, n)
			if sqe = r.GetSQE(); sqe == nil {
				t.Fatalf("%s: SQ still full after Submit", r.Backend().Name())
			}
		}
		PrepNop(sqe)
		sqe.UserData = ud
	}
	n, err := r.Submit()
	if err != nil {
		t.Fatalf("%s: Submit: %v", r.Backend().Name(), err)
	}
	return append(subs, n)
}

// checkNops checks that got are successful NOP completions with user data
// uds, in order.
func checkNops(t testing.TB, be Backend, got []cqeRec, uds ...uint64) {
	t.Helper()
	if len(got) != len(uds) {
		t.Errorf("%s: %d CQEs, want %d", be.Name(), len(got), len(uds))
		return
	}
	for i, c := range got {
		if c != (cqeRec{UserData: uds[i]}) {
			t.Errorf("%s: CQE %d = %v, want ud=%d res=0 flags=0", be.Name(), i, c, uds[i])
		}
	}
}
