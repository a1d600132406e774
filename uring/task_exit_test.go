package uring

import (
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// exitedThreadRequests submits, from a thread that then exits (onThread
// runs f there and returns once the thread is gone), a poll, a read that
// arms poll, an IOSQE_ASYNC read (a poll armed from io-wq) on three
// pipes, and a timeout. Thread exit cancels none of them (only requests on
// io_uring files are tracked): they stay in flight until their pipe is
// written, and then, their task being gone, their task_work runs on the
// ring's fallback work and each completes -ECANCELED; the timeout's
// -ETIME posts as usual. The io-wq read may instead be cancelled at the
// exit itself, if its worker had not picked it up yet. A NOP after the
// exit completes normally. It returns the CQEs sorted by user_data.
// Liburing: test/thread-exit.c
func exitedThreadRequests(t *testing.T, be Backend, onThread func(f func())) []cqeRec {
	r := mustNew(t, be, 16, nil)
	defer r.Close()
	var rd, wr [3]int
	for i := range rd {
		fs, pr, pw, done := openPipe(t, be)
		defer done()
		_ = fs
		rd[i], wr[i] = pr, pw
	}
	fs, _ := Files(be)
	mem := mustAlloc(t, be, 4096)
	defer be.Free(mem)
	tsp := (*rings.KernelTimespec)(unsafe.Pointer(&mem[1024]))
	tsp.TvNsec = int64(50 * time.Millisecond)
	onThread(func() {
		sqe := r.GetSQE()
		PrepPollAdd(sqe, int32(rd[0]), unix.POLLIN)
		sqe.UserData = 1
		sqe = r.GetSQE()
		PrepRead(sqe, int32(rd[1]), addrOf(mem), 4, 0)
		sqe.UserData = 2
		sqe = r.GetSQE()
		PrepRead(sqe, int32(rd[2]), addrOf(mem[64:]), 4, 0)
		sqe.UserData, sqe.Flags = 3, rings.IOSQE_ASYNC
		sqe = r.GetSQE()
		PrepTimeout(sqe, addrOf(mem[1024:]), 0, 0)
		sqe.UserData = 4
		if n, err := r.Submit(); n != 4 || err != nil {
			t.Errorf("%s: Submit = %d, %v", be.Name(), n, err)
		}
	})
	var got []cqeRec
	for r.CQReady() > 0 {
		got = append(got, reapAll(t, r, 1)...)
	}
	for _, c := range got {
		// The io-wq read may be cancelled at the exit; the timeout may
		// already have expired if the exit took longer than its 50 ms (a
		// loaded host).
		if c.UserData != 3 && (c.UserData != 4 || c.Res != -int32(unix.ETIME)) {
			t.Errorf("%s: %v completed at thread exit", be.Name(), c)
		}
	}
	for _, w := range wr {
		if _, err := fs.Write(w, []byte("x")); err != nil {
			t.Fatalf("%s: write: %v", be.Name(), err)
		}
	}
	for len(got) < 4 {
		if _, err := r.WaitCQETimeout(5 * time.Second); err != nil {
			t.Fatalf("%s: wait with %d of 4 CQEs: %v", be.Name(), len(got), err)
		}
		got = append(got, reapAll(t, r, 1)...)
	}
	PrepNop(r.GetSQE())
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatalf("%s: NOP after exit: %v", be.Name(), err)
	}
	got = append(got, reapAll(t, r, 1)...)
	slices.SortFunc(got, func(a, b cqeRec) int { return int(a.UserData) - int(b.UserData) })
	return got
}

// onExitingHostThread runs f on a fresh OS thread, which exits when f
// returns, and waits until the thread is gone.
func onExitingHostThread(t *testing.T, f func()) {
	if err := WaitThreadGone(<-GoLockedThread(f), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestTaskExitLeavesRequests: requests of a task that exits are not
// cancelled at its exit; their completions after it go through the
// fallback work (io_should_terminate_tw), the same on the simulator and
// the host.
func TestTaskExitLeavesRequests(t *testing.T) {
	want := []cqeRec{
		{1, -int32(unix.ECANCELED), 0}, {2, -int32(unix.ECANCELED), 0},
		{3, -int32(unix.ECANCELED), 0}, {4, -int32(unix.ETIME), 0}, {0, 0, 0},
	}
	slices.SortFunc(want, func(a, b cqeRec) int { return int(a.UserData) - int(b.UserData) })
	onSimTask := func(cfg SimConfig) []cqeRec {
		m := NewSimMachine(cfg)
		defer m.Close()
		return exitedThreadRequests(t, m.Backend(), func(f func()) {
			st := m.NewTask("t2")
			st.Run(f)
			st.Stop()
		})
	}
	for _, v := range simVariants {
		if got := onSimTask(v.cfg); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", v.name, got, want)
		}
	}
	// The io-wq read may be cancelled at the exit or after it: every
	// schedule gives the same CQEs.
	for seed := uint64(2); seed <= 200 && !t.Failed(); seed++ {
		if got := onSimTask(SimConfig{Seed: seed}); !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: %v, want %v", seed, got, want)
		}
	}
	be := hostOrSkip(t)
	if host := exitedThreadRequests(t, be, func(f func()) { onExitingHostThread(t, f) }); !reflect.DeepEqual(host, want) {
		t.Errorf("host: %v, want %v", host, want)
	}
}
