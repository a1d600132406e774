package uring

import (
	"errors"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// timeoutPrepResult is what TestPrepTimeoutAndCancel observes.
type timeoutPrepResult struct {
	CQEs             []cqeRec // sorted by user_data
	SyncCancel       string   // the sync cancel of a pending read
	SyncCancelNone   string   // ... of nothing
	SyncCancelCQE    cqeRec
	PendingAfterSync uint32
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// TestPrepTimeoutAndCancel: the liburing-named timeout and cancel helpers
// fill the SQE the kernel reads, on both backends. A pure timeout fires
// (-ETIME); an updated one fires at its new time; a removed one is
// cancelled; a count timeout completes with 0 after one NOP; a linked
// timeout cancels a read that never gets data; cancel by user_data and by
// fd finds their read, a cancel of nothing is -ENOENT; RegisterSyncCancel
// cancels a pending read and has completed it when it returns.
func TestPrepTimeoutAndCancel(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) timeoutPrepResult {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		_, pr, _, closePipe := openPipe(t, be)
		defer closePipe()
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		ts := func(i int, d int64) uint64 { // a timespec of d ns in slot i
			p := (*rings.KernelTimespec)(unsafe.Pointer(&mem[16*i]))
			*p = rings.KernelTimespec{TvSec: d / 1e9, TvNsec: d % 1e9}
			return addrOf(mem[16*i:])
		}
		buf := addrOf(mem[1024:])
		short, long := ts(0, 1e6), ts(1, 10e9)

		add := func(ud uint64, prep func(*rings.SQE)) {
			sqe := r.GetSQE()
			prep(sqe)
			sqe.UserData = ud
		}
		add(1, func(s *rings.SQE) { PrepTimeout(s, short, 0, 0) })
		add(2, func(s *rings.SQE) { PrepTimeout(s, long, 0, 0) })
		add(4, func(s *rings.SQE) { PrepTimeout(s, long, 0, 0) })
		add(6, func(s *rings.SQE) { PrepTimeout(s, long, 1, 0) })
		add(7, func(s *rings.SQE) { PrepNop(s) })
		add(8, func(s *rings.SQE) { PrepRead(s, int32(pr), buf, 1, 0); s.Flags = rings.IOSQE_IO_LINK })
		add(9, func(s *rings.SQE) { PrepLinkTimeout(s, short, 0) })
		add(10, func(s *rings.SQE) { PrepRead(s, int32(pr), buf, 1, 0) })
		if n, err := r.Submit(); n != 8 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		add(3, func(s *rings.SQE) { PrepTimeoutUpdate(s, short, 2, 0) })
		add(5, func(s *rings.SQE) { PrepTimeoutRemove(s, 4, 0) })
		add(11, func(s *rings.SQE) { PrepCancel64(s, 10, 0) })
		add(12, func(s *rings.SQE) { PrepCancel64(s, 99, 0) })
		if n, err := r.Submit(); n != 4 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		var res timeoutPrepResult
		res.CQEs = reapAll(t, r, 12)
		add(13, func(s *rings.SQE) { PrepRead(s, int32(pr), buf, 1, 0) })
		add(15, func(s *rings.SQE) { PrepRead(s, int32(pr), buf, 1, 0) })
		if n, err := r.Submit(); n != 2 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		add(14, func(s *rings.SQE) { PrepCancelFd(s, int32(pr), rings.IORING_ASYNC_CANCEL_ALL) })
		if n, err := r.Submit(); n != 1 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		res.CQEs = append(res.CQEs, reapAll(t, r, 3)...)
		slices.SortFunc(res.CQEs, func(a, b cqeRec) int { return int(a.UserData) - int(b.UserData) })

		add(16, func(s *rings.SQE) { PrepRead(s, int32(pr), buf, 1, 0) })
		if n, err := r.Submit(); n != 1 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		noLimit := rings.KernelTimespec{TvSec: -1, TvNsec: -1}
		res.SyncCancel = errName(r.RegisterSyncCancel(&rings.SyncCancelReg{Addr: 16, Timeout: noLimit}))
		res.PendingAfterSync = r.CQReady()
		res.SyncCancelNone = errName(r.RegisterSyncCancel(&rings.SyncCancelReg{Addr: 16, Timeout: noLimit}))
		res.SyncCancelCQE = reapAll(t, r, 1)[0]

		e := func(errno unix.Errno) int32 { return -int32(errno) }
		want := []cqeRec{
			{1, e(unix.ETIME), 0}, {2, e(unix.ETIME), 0}, {3, 0, 0}, {4, e(unix.ECANCELED), 0}, {5, 0, 0},
			{6, 0, 0}, {7, 0, 0}, {8, e(unix.ECANCELED), 0}, {9, e(unix.ETIME), 0}, {10, e(unix.ECANCELED), 0},
			{11, 0, 0}, {12, e(unix.ENOENT), 0}, {13, e(unix.ECANCELED), 0}, {14, 2, 0}, {15, e(unix.ECANCELED), 0},
		}
		if !slices.Equal(res.CQEs, want) {
			t.Errorf("%s: CQEs\n got %v\nwant %v", be.Name(), res.CQEs, want)
		}
		if res.SyncCancel != "ok" || res.PendingAfterSync != 1 || res.SyncCancelNone != "ENOENT" {
			t.Errorf("%s: sync cancel %s with %d CQEs ready after it, then %s; want ok, 1, ENOENT",
				be.Name(), res.SyncCancel, res.PendingAfterSync, res.SyncCancelNone)
		}
		if want := (cqeRec{16, e(unix.ECANCELED), 0}); res.SyncCancelCQE != want {
			t.Errorf("%s: sync-cancelled read %v, want %v", be.Name(), res.SyncCancelCQE, want)
		}
		return res
	})
}
