package uring

import (
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
)

// futexPrepResult is what TestPrepFutex observes.
type futexPrepResult struct {
	CQEs  []cqeRec // in the order they were reaped
	Wakes []int    // what each plain futex(FUTEX_WAKE_PRIVATE) returned
}

// TestPrepFutex: the liburing-named futex helpers fill the SQE the kernel
// reads, on both backends. FUTEX_WAIT waits while the word holds the value
// and FUTEX_WAKE wakes it (its own CQE first, with the count); a wait on a
// word that changed is -EAGAIN. FUTEX_WAITV completes with the index of
// the word woken, by FUTEX_WAKE or a plain futex(2) wake; a second wake in
// the same batch finds the entry of another word still queued but owned
// by the first wakeup and counts it (io_futex_wakev_fn declines it), and
// the result stays the first word's index. A WAITV whose later word
// differs is -EAGAIN with its earlier words taken off again; a cancelled
// WAITV is -ECANCELED (the cancel returns 1); the prep refuses an empty or
// oversized vector, a nonzero __reserved, a bad futex2 flag, an unreadable
// array and a set addr2, and the issue a misaligned word.
func TestPrepFutex(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) futexPrepResult {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		word := func(i int) uint64 { return addrOf(mem[4*i:]) } // words 0..63
		vec := func(slot int, ents ...FutexWaitv) uint64 {      // arrays from 512 on, 8 entries a slot
			off := 512 + slot*8*FutexWaitvSize
			for i, e := range ents {
				*(*FutexWaitv)(unsafe.Pointer(&mem[off+i*FutexWaitvSize])) = e
			}
			return addrOf(mem[off:])
		}
		const priv32 = kernel.FUTEX2_SIZE_U32 | kernel.FUTEX2_PRIVATE
		const matchAny = kernel.FUTEX_BITSET_MATCH_ANY
		ent := func(i int, val uint64) FutexWaitv { return FutexWaitv{Val: val, Uaddr: word(i), Flags: priv32} }
		var res futexPrepResult
		add := func(ud uint64, prep func(*rings.SQE)) {
			sqe := r.GetSQE()
			prep(sqe)
			sqe.UserData = ud
		}
		submit := func(n int) {
			t.Helper()
			if got, err := r.Submit(); got != n || err != nil {
				t.Fatalf("%s: Submit = %d, %v; want %d", be.Name(), got, err, n)
			}
		}
		reap := func(n int) { t.Helper(); res.CQEs = append(res.CQEs, reapAll(t, r, n)...) }
		wake := func(i int) {
			t.Helper()
			n, err := FutexWake(be, word(i), 1)
			if err != nil {
				t.Fatalf("%s: FutexWake: %v", be.Name(), err)
			}
			res.Wakes = append(res.Wakes, n)
		}

		// FUTEX_WAIT, FUTEX_WAKE, -EAGAIN.
		add(1, func(s *rings.SQE) { PrepFutexWait(s, word(0), 0, matchAny, priv32, 0) })
		submit(1)
		add(2, func(s *rings.SQE) { PrepFutexWake(s, word(0), 5, matchAny, priv32, 0) })
		submit(1)
		reap(2)
		*(*uint32)(unsafe.Pointer(&mem[0])) = 3
		add(3, func(s *rings.SQE) { PrepFutexWait(s, word(0), 0, matchAny, priv32, 0) })
		submit(1)
		reap(1)

		// WAITV woken on its second word by FUTEX_WAKE, on its third by futex(2).
		add(4, func(s *rings.SQE) { PrepFutexWaitv(s, vec(0, ent(1, 0), ent(2, 0), ent(3, 0)), 3, 0) })
		submit(1)
		add(5, func(s *rings.SQE) { PrepFutexWake(s, word(2), 1, matchAny, priv32, 0) })
		submit(1)
		reap(2)
		add(6, func(s *rings.SQE) { PrepFutexWaitv(s, vec(1, ent(1, 0), ent(2, 0), ent(3, 0)), 3, 0) })
		submit(1)
		wake(3)
		reap(1)

		// Two wakes in one batch: the second finds its entry owned.
		add(7, func(s *rings.SQE) { PrepFutexWaitv(s, vec(2, ent(4, 0), ent(5, 0)), 2, 0) })
		submit(1)
		add(8, func(s *rings.SQE) { PrepFutexWake(s, word(5), 1, matchAny, priv32, 0) })
		add(9, func(s *rings.SQE) { PrepFutexWake(s, word(4), 1, matchAny, priv32, 0) })
		submit(2)
		reap(3)
		wake(4)
		wake(5)

		// -EAGAIN on the third word takes the first two off; cancel.
		*(*uint32)(unsafe.Pointer(&mem[4*8])) = 1
		add(10, func(s *rings.SQE) { PrepFutexWaitv(s, vec(3, ent(6, 0), ent(7, 0), ent(8, 0)), 3, 0) })
		submit(1)
		reap(1)
		wake(6)
		add(11, func(s *rings.SQE) { PrepFutexWaitv(s, vec(4, ent(9, 0), ent(10, 0)), 2, 0) })
		submit(1)
		add(12, func(s *rings.SQE) { PrepCancel64(s, 11, 0) })
		submit(1)
		reap(2)
		wake(9)

		// Refused by prep or issue, one submit each (a failed prep ends the batch).
		bad := []func(*rings.SQE){
			func(s *rings.SQE) { PrepFutexWaitv(s, vec(5, ent(11, 0)), 0, 0) },
			func(s *rings.SQE) { PrepFutexWaitv(s, vec(5, ent(11, 0)), kernel.FUTEX_WAITV_MAX+1, 0) },
			func(s *rings.SQE) {
				PrepFutexWaitv(s, vec(5, FutexWaitv{Uaddr: word(11), Flags: priv32, Reserved: 1}), 1, 0)
			},
			func(s *rings.SQE) {
				PrepFutexWaitv(s, vec(5, FutexWaitv{Uaddr: word(11), Flags: 0x1000 | priv32}), 1, 0)
			},
			func(s *rings.SQE) {
				PrepFutexWaitv(s, vec(5, FutexWaitv{Uaddr: word(11), Flags: kernel.FUTEX2_SIZE_U8}), 1, 0)
			},
			func(s *rings.SQE) {
				PrepFutexWaitv(s, vec(5, FutexWaitv{Val: 1 << 32, Uaddr: word(11), Flags: priv32}), 1, 0)
			},
			func(s *rings.SQE) { PrepFutexWaitv(s, 0, 1, 0) },
			func(s *rings.SQE) { PrepFutexWaitv(s, vec(5, ent(11, 0)), 1, 0); s.Off = 1 },
			func(s *rings.SQE) { PrepFutexWaitv(s, vec(5, ent(11, 0)), 1, 1) },
			func(s *rings.SQE) { PrepFutexWaitv(s, vec(5, FutexWaitv{Uaddr: word(11) + 2, Flags: priv32}), 1, 0) },
			func(s *rings.SQE) { PrepFutexWait(s, word(11), 0, matchAny, priv32, 1) },
		}
		for i, prep := range bad {
			add(uint64(20+i), prep)
			submit(1)
			reap(1)
		}
		if n := r.CQReady(); n != 0 {
			t.Errorf("%s: %d CQEs left", be.Name(), n)
		}

		e := func(errno unix.Errno) int32 { return -int32(errno) }
		want := []cqeRec{
			{2, 1, 0}, {1, 0, 0}, {3, e(unix.EAGAIN), 0},
			{5, 1, 0}, {4, 1, 0}, {6, 2, 0},
			{8, 1, 0}, {9, 1, 0}, {7, 1, 0},
			{10, e(unix.EAGAIN), 0}, {12, 1, 0}, {11, e(unix.ECANCELED), 0},
		}
		for i := range bad {
			want = append(want, cqeRec{uint64(20 + i), e(unix.EINVAL), 0})
		}
		want[len(want)-5].Res = e(unix.EFAULT) // the array at address 0
		if !slices.Equal(res.CQEs, want) {
			t.Errorf("%s: CQEs\n got %v\nwant %v", be.Name(), res.CQEs, want)
		}
		if wantWakes := []int{1, 0, 0, 0, 0}; !slices.Equal(res.Wakes, wantWakes) {
			t.Errorf("%s: futex(2) wakes %v, want %v", be.Name(), res.Wakes, wantWakes)
		}
		return res
	})
}
