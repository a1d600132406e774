package uring

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestEnterRegisterErrors: io_uring_enter and io_uring_register fail the
// same way on both backends for bad descriptors, flags, and arguments.
func TestEnterRegisterErrors(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []unix.Errno {
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		mem, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		base := addrOf(mem)
		arg := (*rings.GeteventsArg)(unsafe.Pointer(&mem[0]))
		ts := (*rings.KernelTimespec)(unsafe.Pointer(&mem[64]))
		argsz := uint64(unsafe.Sizeof(*arg))
		var errs []unix.Errno
		try := func(what string, want unix.Errno, n int, err error) {
			t.Helper()
			e := errnoOfErr(err)
			if e != want {
				t.Errorf("%s: %s = %d, %v; want %v", be.Name(), what, n, err, want)
			}
			errs = append(errs, e)
		}
		n, err := be.Enter(12345, 0, 0, 0, 0, 0)
		try("enter bad fd", unix.EBADF, n, err)
		n, err = be.Enter(-1, 0, 0, 0, 0, 0)
		try("enter fd -1", unix.EBADF, n, err)
		n, err = r.Enter(0, 0, 1<<8, 0, 0)
		try("enter unknown flag", unix.EINVAL, n, err)
		n, err = r.Enter(0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		try("enter unregistered ring index 0", unix.EBADF, n, err)
		n, err = be.Enter(16, 0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		try("enter registered ring index 16", unix.EINVAL, n, err)
		n, err = r.Enter(0, 0, 0, 0, 0)
		try("enter nothing", 0, n, err)

		*arg = rings.GeteventsArg{Ts: base + 64}
		*ts = rings.KernelTimespec{TvNsec: 1000}
		getext := uint32(rings.IORING_ENTER_GETEVENTS | rings.IORING_ENTER_EXT_ARG)
		n, err = r.Enter(0, 1, getext, base, argsz-1)
		try("ext arg short argsz", unix.EINVAL, n, err)
		n, err = r.Enter(0, 1, getext, base, argsz+8)
		try("ext arg long argsz", unix.EINVAL, n, err)
		n, err = r.Enter(0, 1, getext, 0x1000, argsz)
		try("ext arg unmapped", unix.EFAULT, n, err)
		n, err = r.Enter(0, 1, getext, base, argsz)
		try("ext arg 1us timeout", unix.ETIME, n, err)
		arg.Ts = 0x1000
		n, err = r.Enter(0, 1, getext, base, argsz)
		try("ext arg ts unmapped", unix.EFAULT, n, err)
		n, err = r.Enter(0, 0, rings.IORING_ENTER_EXT_ARG, 0x1000, argsz)
		try("ext arg without GETEVENTS is not read", 0, n, err)

		n, err = be.Register(12345, rings.IORING_REGISTER_PROBE, base, 4)
		try("register bad fd", unix.EBADF, n, err)
		n, err = r.Register(9999, 0, 0)
		try("register unknown opcode", unix.EINVAL, n, err)
		n, err = r.Register(rings.IORING_REGISTER_PROBE, 0, 4)
		try("probe arg 0", unix.EINVAL, n, err)
		clear(mem)
		n, err = r.Register(rings.IORING_REGISTER_PROBE, base, 257)
		try("probe 257 ops", unix.EINVAL, n, err)
		mem[20] = 1
		n, err = r.Register(rings.IORING_REGISTER_PROBE, base, 4)
		try("probe not zeroed", unix.EINVAL, n, err)
		clear(mem)
		n, err = r.Register(rings.IORING_REGISTER_PROBE, 0x1000, 4)
		try("probe unmapped", unix.EFAULT, n, err)
		n, err = r.Register(rings.IORING_REGISTER_PROBE, base, 0)
		try("probe 0 ops", 0, n, err)
		n, err = r.Register(rings.IORING_REGISTER_ENABLE_RINGS, 0, 0)
		try("enable an enabled ring", unix.EBADFD, n, err)
		return errs
	})
}

// garbageResult is what TestSQGarbage observes.
type garbageResult struct {
	Submitted []int
	Dropped   []uint32
	SQHead    []uint32
	CQEs      []cqeRec
}

// TestSQGarbage: what the application writes into the shared SQ words is
// untrusted: an SQ array entry out of range is dropped (counted in
// sq_dropped, ending the batch), and a tail far ahead of the head submits at
// most one ring's worth.
func TestSQGarbage(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) garbageResult {
		r := mustNew(t, be, 8, &Params{Flags: rings.IORING_SETUP_CQSIZE, CQEntries: 64})
		defer r.Close()
		v := r.View()
		var res garbageResult
		note := func(n int, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: enter: %v", be.Name(), err)
			}
			res.Submitted = append(res.Submitted, n)
			res.Dropped = append(res.Dropped, *v.SQDropped())
			res.SQHead = append(res.SQHead, *v.SQHead())
		}
		for i := range 3 {
			sqe := r.GetSQE()
			PrepNop(sqe)
			sqe.UserData = uint64(i + 1)
		}
		*v.SQArray(1) = 100 // out of range: dropped
		note(r.Enter(r.FlushSQ(), 0, 0, 0, 0))
		note(r.Enter(r.FlushSQ(), 0, 0, 0, 0))
		*v.SQArray(1) = 1

		// A tail 1000 ahead: one ring's worth of whatever the slots hold.
		*v.SQTail() = *v.SQHead() + 1000
		note(r.Enter(1000, 0, 0, 0, 0))
		*v.SQTail() = *v.SQHead()
		r.SyncSQ()
		note(r.Enter(1000, 0, 0, 0, 0))

		submitNops(t, r, 42)
		for {
			cqe, err := r.PeekCQE()
			if err != nil {
				break
			}
			res.CQEs = append(res.CQEs, rec(cqe))
			r.CQESeen(cqe)
		}
		return res
	})
}

// TestExtArgTimespecNotValidated: io_get_ext_arg reads the timespec with
// get_timespec64, which does not check it, and timespec64_to_ktime adds it
// up: a negative or unnormalised timespec is a timeout (expired at once, or
// sec*1e9+nsec from now), never EINVAL.
func TestExtArgTimespecNotValidated(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []unix.Errno {
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		mem, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		base := addrOf(mem)
		arg := (*rings.GeteventsArg)(unsafe.Pointer(&mem[0]))
		ts := (*rings.KernelTimespec)(unsafe.Pointer(&mem[64]))
		*arg = rings.GeteventsArg{Ts: base + 64}
		getext := uint32(rings.IORING_ENTER_GETEVENTS | rings.IORING_ENTER_EXT_ARG)
		var errs []unix.Errno
		for _, v := range []rings.KernelTimespec{
			{TvSec: -1},
			{TvSec: 0, TvNsec: -5},
			{TvSec: -1, TvNsec: 1e9 + 1000}, // 1000 ns
		} {
			*ts = v
			_, err := r.Enter(0, 1, getext, base, uint64(unsafe.Sizeof(*arg)))
			if err != unix.ETIME {
				t.Errorf("%s: timespec %+v: %v, want ETIME", be.Name(), v, err)
			}
			errs = append(errs, errnoOfErr(err))
		}
		return errs
	})
}
