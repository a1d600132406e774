package uring

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// epollOut is what an epoll test observes: each step's CQEs, and the
// events an EPOLL_WAIT copied out.
type epollOut struct {
	CQEs   []cqeRec
	Events []string
}

// submitOne queues one SQE made by prep with user data ud, submits it and,
// when wait, reaps its CQE.
func submitOne(t *testing.T, r *Ring, ud uint64, wait bool, prep func(sqe *rings.SQE)) []cqeRec {
	t.Helper()
	sqe := r.GetSQE()
	prep(sqe)
	sqe.UserData = ud
	if n, err := r.Submit(); n != 1 || err != nil {
		t.Fatalf("%s: Submit = %d, %v", r.Backend().Name(), n, err)
	}
	if !wait {
		return nil
	}
	return reapAll(t, r, 1)
}

// TestPrepEpoll: IORING_OP_EPOLL_CTL and IORING_OP_EPOLL_WAIT, on both
// backends. A wait with nothing ready waits (on the epoll file, through
// poll arming) and completes when a write makes the pipe readable; a
// level-triggered item is reported again while the pipe stays readable,
// an edge-triggered one only after the next write, a one-shot one once
// until EPOLL_CTL_MOD re-arms it; and epoll_ctl's errors come in the
// kernel's order.
func TestPrepEpoll(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) epollOut {
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		fs, pr, pw, closePipe := openPipe(t, be)
		defer closePipe()
		ep, err := fs.EpollCreate()
		if err != nil {
			t.Fatalf("%s: EpollCreate: %v", be.Name(), err)
		}
		defer fs.Close(ep)
		file, err := fs.TempFile([]byte("x"), 0)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close(file)
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		evAddr, outAddr := addrOf(mem), addrOf(mem[64:])
		setEv := func(events uint32, data uint64) {
			binary.LittleEndian.PutUint32(mem[0:], events)
			binary.LittleEndian.PutUint64(mem[4:], data)
		}
		var out epollOut
		ctl := func(ud uint64, op uint32, fd int, events uint32, data uint64) {
			setEv(events, data)
			out.CQEs = append(out.CQEs, submitOne(t, r, ud, true, func(sqe *rings.SQE) {
				PrepEpollCtl(sqe, int32(ep), int32(fd), op, evAddr)
			})...)
		}
		wait := func(ud uint64, epfd int, max int32, reap bool) {
			out.CQEs = append(out.CQEs, submitOne(t, r, ud, reap, func(sqe *rings.SQE) {
				PrepEpollWait(sqe, int32(epfd), outAddr, max, 0)
			})...)
		}
		events := func(n int) {
			for i := range n {
				e := mem[64+12*i:]
				out.Events = append(out.Events, fmt.Sprintf("%#x/%#x",
					binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint64(e[4:])))
			}
		}
		write := func() {
			if _, err := fs.Write(pw, []byte("y")); err != nil {
				t.Fatal(err)
			}
		}

		ctl(1, unix.EPOLL_CTL_ADD, pr, unix.EPOLLIN, 0x1122334455667788)
		ctl(2, unix.EPOLL_CTL_ADD, pr, unix.EPOLLIN, 0)                     // -EEXIST
		ctl(3, unix.EPOLL_CTL_MOD, pw, unix.EPOLLOUT, 0)                    // -ENOENT
		ctl(4, unix.EPOLL_CTL_DEL, pw, 0, 0)                                // -ENOENT
		ctl(5, unix.EPOLL_CTL_ADD, ep, unix.EPOLLIN, 0)                     // itself: -EINVAL
		ctl(6, unix.EPOLL_CTL_ADD, file, unix.EPOLLIN, 0)                   // no poll: -EPERM
		ctl(7, 99, pw, unix.EPOLLIN, 0)                                     // bad op: -EINVAL
		ctl(8, unix.EPOLL_CTL_ADD, 1000, unix.EPOLLIN, 0)                   // -EBADF
		ctl(9, unix.EPOLL_CTL_MOD, pr, unix.EPOLLIN|unix.EPOLLEXCLUSIVE, 0) // -EINVAL
		wait(10, pr, 4, true)                                               // not an epoll: -EINVAL
		wait(11, ep, 0, true)                                               // maxevents 0: -EINVAL

		wait(20, ep, 4, false) // nothing ready: waits
		write()
		out.CQEs = append(out.CQEs, reapAll(t, r, 1)...)
		events(1)
		wait(21, ep, 4, true) // level-triggered, still readable: at once
		events(1)

		ctl(30, unix.EPOLL_CTL_MOD, pr, unix.EPOLLIN|unix.EPOLLET, 7)
		wait(31, ep, 4, true)  // MOD found it ready
		wait(32, ep, 4, false) // edge-triggered: waits for the next write
		write()
		out.CQEs = append(out.CQEs, reapAll(t, r, 1)...)
		events(1)

		ctl(40, unix.EPOLL_CTL_MOD, pr, unix.EPOLLIN|unix.EPOLLONESHOT, 8)
		wait(41, ep, 4, true)
		events(1)
		wait(42, ep, 4, false) // disabled: even a write does not report it
		write()
		out.CQEs = append(out.CQEs, submitOne(t, r, 43, false, func(sqe *rings.SQE) { PrepCancel64(sqe, 42, 0) })...)
		out.CQEs = append(out.CQEs, reapAll(t, r, 2)...)
		ctl(44, unix.EPOLL_CTL_MOD, pr, unix.EPOLLIN|unix.EPOLLOUT, 9) // re-armed
		wait(45, ep, 4, true)
		events(1)
		ctl(46, unix.EPOLL_CTL_DEL, pr, 0, 0)
		want := []int32{0, -int32(unix.EEXIST), -int32(unix.ENOENT), -int32(unix.ENOENT), -int32(unix.EINVAL),
			-int32(unix.EPERM), -int32(unix.EINVAL), -int32(unix.EBADF), -int32(unix.EINVAL), -int32(unix.EINVAL),
			-int32(unix.EINVAL), 1, 1, 0, 1, 1, 0, 1, 0, -int32(unix.ECANCELED), 0, 1, 0}
		checkRes(t, be, out.CQEs, want)
		return out
	})
}

// checkRes checks the results of CQEs, in order.
func checkRes(t *testing.T, be Backend, got []cqeRec, want []int32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d CQEs %v, want %d", be.Name(), len(got), got, len(want))
		return
	}
	for i, c := range got {
		if c.Res != want[i] {
			t.Errorf("%s: CQE %d = %v, want res %d", be.Name(), i, c, want[i])
		}
	}
}

// TestEpollNested: an epoll watching an epoll reports it readable when an
// item of the inner one is, so an EPOLL_WAIT on the outer one completes
// on a write to a pipe the inner one watches; adding the outer epoll back
// into the inner one is -ELOOP, and so is a chain of epolls deeper than
// EP_MAX_NESTS.
func TestEpollNested(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		fs, pr, pw, closePipe := openPipe(t, be)
		defer closePipe()
		var eps []int
		defer func() {
			for _, e := range eps {
				fs.Close(e)
			}
		}()
		for range 6 {
			e, err := fs.EpollCreate()
			if err != nil {
				t.Fatal(err)
			}
			eps = append(eps, e)
		}
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		var out []cqeRec
		ctl := func(ud uint64, epfd, fd int) {
			binary.LittleEndian.PutUint32(mem[0:], unix.EPOLLIN)
			binary.LittleEndian.PutUint64(mem[4:], ud)
			out = append(out, submitOne(t, r, ud, true, func(sqe *rings.SQE) {
				PrepEpollCtl(sqe, int32(epfd), int32(fd), unix.EPOLL_CTL_ADD, addrOf(mem))
			})...)
		}
		ctl(1, eps[0], pr)
		ctl(2, eps[1], eps[0])
		out = append(out, submitOne(t, r, 3, false, func(sqe *rings.SQE) {
			PrepEpollWait(sqe, int32(eps[1]), addrOf(mem[64:]), 1, 0)
		})...)
		if _, err := fs.Write(pw, []byte("y")); err != nil {
			t.Fatal(err)
		}
		out = append(out, reapAll(t, r, 1)...)
		if ev := binary.LittleEndian.Uint32(mem[64:]); ev != unix.EPOLLIN {
			t.Errorf("%s: outer epoll event %#x, want EPOLLIN", be.Name(), ev)
		}
		ctl(4, eps[0], eps[1]) // a loop
		for i := 2; i < len(eps); i++ {
			ctl(uint64(3+i), eps[i], eps[i-1]) // the last one nests too deep
		}
		checkRes(t, be, out, []int32{0, 0, 1, -int32(unix.ELOOP), 0, 0, 0, -int32(unix.ELOOP)})
		return out
	})
}

// TestEpollWaitFault: an EPOLL_WAIT whose events array is unmapped (but
// below TASK_SIZE, so access_ok passes) fails with -EFAULT at the first
// event it copies, and the item stays ready: the next wait gets it.
func TestEpollWaitFault(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		fs, pr, pw, closePipe := openPipe(t, be)
		defer closePipe()
		ep, err := fs.EpollCreate()
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close(ep)
		if err := fs.EpollCtl(ep, unix.EPOLL_CTL_ADD, pr, unix.EPOLLIN, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Write(pw, []byte("x")); err != nil {
			t.Fatal(err)
		}
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		var out []cqeRec
		for i, events := range []uint64{0x1000, addrOf(mem)} { // the first page is never mapped
			out = append(out, submitOne(t, r, uint64(i+1), true, func(sqe *rings.SQE) {
				PrepEpollWait(sqe, int32(ep), events, 1, 0)
			})...)
		}
		checkRes(t, be, out, []int32{-int32(unix.EFAULT), 1})
		return out
	})
}
