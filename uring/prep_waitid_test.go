package uring

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// waitidSiginfo is the part of a siginfo_t a waitid fills that is the
// same run to run: the pid is compared with the child's, not kept.
type waitidSiginfo struct {
	Signo, Errno, Code, Uid, Status uint32
	PidIsChild                      bool
}

// waitidPrepResult is what TestPrepWaitid observes.
type waitidPrepResult struct {
	CQEs    []cqeRec // sorted by user_data
	Info    map[uint64]waitidSiginfo
	NoHang  [2]uint32 // si_signo and si_errno of the WNOHANG wait
	PrepBad cqeRec    // a non-zero waitid_flags, refused at prep
}

// TestPrepWaitid: PrepWaitid fills the SQE io_waitid_prep reads, on both
// backends. A WNOHANG wait for a running child is 0 with si_signo 0; a
// P_PID wait and a P_PIDFD wait reap their children when they exit (0,
// SIGCHLD, CLD_EXITED, the status, the child's pid, uid 0 as the tests run
// as root); a WNOWAIT wait only looks, so a later wait reaps the same
// child; a wait for a reaped child is -ECHILD; an armed wait is cancelled
// by user_data (the cancel posts 1, the wait -ECANCELED).
func TestPrepWaitid(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("the host child's si_uid is the test's uid; the simulator's is 0: run as root")
	}
	differential(t, func(t *testing.T, be Backend) waitidPrepResult {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		for i := range mem {
			mem[i] = 0xff
		}
		slot := func(i int) uint64 { return addrOf(mem[128*i:]) }
		spawn := func(status int, d time.Duration) *Child {
			c, err := SpawnChild(be, status, d)
			if err != nil {
				t.Fatalf("%s: SpawnChild: %v", be.Name(), err)
			}
			return c
		}
		a, b := spawn(5, 200*time.Millisecond), spawn(9, 0)
		defer a.Reap()
		defer b.Reap()
		add := func(ud uint64, prep func(*rings.SQE)) {
			sqe := r.GetSQE()
			prep(sqe)
			sqe.UserData = ud
		}
		submit := func(want int) {
			t.Helper()
			if n, err := r.Submit(); n != want || err != nil {
				t.Fatalf("%s: Submit = %d, %v; want %d", be.Name(), n, err, want)
			}
		}
		add(1, func(s *rings.SQE) {
			PrepWaitid(s, unix.P_PID, int32(a.Pid), slot(0), unix.WEXITED|unix.WNOHANG, 0)
		})
		submit(1)
		var res waitidPrepResult
		res.CQEs = reapAll(t, r, 1)
		res.NoHang = [2]uint32{binary.NativeEndian.Uint32(mem[0:]), binary.NativeEndian.Uint32(mem[4:])}
		add(2, func(s *rings.SQE) { PrepWaitid(s, unix.P_PID, int32(a.Pid), slot(1), unix.WEXITED|unix.WNOWAIT, 0) })
		add(3, func(s *rings.SQE) { PrepWaitid(s, unix.P_PIDFD, int32(b.Pidfd), slot(2), unix.WEXITED, 0) })
		submit(2)
		res.CQEs = append(res.CQEs, reapAll(t, r, 2)...)
		add(4, func(s *rings.SQE) { PrepWaitid(s, unix.P_PID, int32(a.Pid), slot(3), unix.WEXITED, 0) })
		submit(1)
		res.CQEs = append(res.CQEs, reapAll(t, r, 1)...)
		add(5, func(s *rings.SQE) { PrepWaitid(s, unix.P_PID, int32(a.Pid), 0, unix.WEXITED, 0) })
		add(6, func(s *rings.SQE) { PrepWaitid(s, unix.P_PIDFD, int32(b.Pidfd), 0, unix.WEXITED, 0) })
		submit(2)
		res.CQEs = append(res.CQEs, reapAll(t, r, 2)...)

		c := spawn(0, 10*time.Second)
		defer c.Reap()
		add(7, func(s *rings.SQE) { PrepWaitid(s, unix.P_PIDFD, int32(c.Pidfd), slot(4), unix.WEXITED, 0) })
		submit(1)
		add(8, func(s *rings.SQE) { PrepCancel64(s, 7, 0) })
		submit(1)
		res.CQEs = append(res.CQEs, reapAll(t, r, 2)...)
		slices.SortFunc(res.CQEs, func(x, y cqeRec) int { return int(x.UserData) - int(y.UserData) })

		add(9, func(s *rings.SQE) { PrepWaitid(s, unix.P_ALL, 0, 0, unix.WEXITED, 1) })
		submit(1)
		res.PrepBad = reapAll(t, r, 1)[0]

		res.Info = map[uint64]waitidSiginfo{}
		for ud, pid := range map[uint64]int{2: a.Pid, 3: b.Pid, 4: a.Pid, 7: c.Pid} {
			i := map[uint64]int{2: 1, 3: 2, 4: 3, 7: 4}[ud]
			m := mem[128*i:]
			u := func(off int) uint32 { return binary.NativeEndian.Uint32(m[off:]) }
			res.Info[ud] = waitidSiginfo{Signo: u(0), Errno: u(4), Code: u(8), Uid: u(20), Status: u(24),
				PidIsChild: int(u(16)) == pid}
		}

		e := func(errno unix.Errno) int32 { return -int32(errno) }
		want := []cqeRec{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}, {5, e(unix.ECHILD), 0}, {6, e(unix.ECHILD), 0},
			{7, e(unix.ECANCELED), 0}, {8, 1, 0}}
		if !slices.Equal(res.CQEs, want) {
			t.Errorf("%s: CQEs\n got %v\nwant %v", be.Name(), res.CQEs, want)
		}
		if res.NoHang != [2]uint32{0, 0} {
			t.Errorf("%s: WNOHANG siginfo signo, errno = %v, want 0, 0", be.Name(), res.NoHang)
		}
		exited := func(status uint32) waitidSiginfo {
			return waitidSiginfo{Signo: uint32(unix.SIGCHLD), Code: 1, Status: status, PidIsChild: true}
		}
		for ud, w := range map[uint64]waitidSiginfo{2: exited(5), 3: exited(9), 4: exited(5)} {
			if got := res.Info[ud]; got != w {
				t.Errorf("%s: siginfo of %d = %+v, want %+v", be.Name(), ud, got, w)
			}
		}
		if got := res.Info[7]; got.Signo != 0 || got.Errno != 0 {
			t.Errorf("%s: cancelled wait's si_signo, si_errno = %d, %d, want 0, 0", be.Name(), got.Signo, got.Errno)
		}
		if want := (cqeRec{9, e(unix.EINVAL), 0}); res.PrepBad != want {
			t.Errorf("%s: waitid_flags 1: %v, want %v", be.Name(), res.PrepBad, want)
		}
		// The cancelled wait's other fields are not set by the kernel
		// (whatever the request held before); keep only what is fixed.
		res.Info[7] = waitidSiginfo{Signo: res.Info[7].Signo, Errno: res.Info[7].Errno}
		return res
	})
}
