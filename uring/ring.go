package uring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Params are the options of New: the fields of struct io_uring_params the
// application fills in before io_uring_setup(2).
type Params struct {
	// Flags are IORING_SETUP_* flags.
	Flags uint32
	// CQEntries is the CQ size, used with IORING_SETUP_CQSIZE.
	CQEntries uint32
	// SQThreadCPU is the CPU of the SQPOLL thread, with IORING_SETUP_SQ_AFF.
	SQThreadCPU uint32
	// SQThreadIdle is the SQPOLL thread's idle time in milliseconds.
	SQThreadIdle uint32
	// WQFd is the ring whose io-wq to share, with IORING_SETUP_ATTACH_WQ.
	WQFd uint32
}

// Layout of the scratch page every Ring allocates in backend user memory.
const (
	scratchArgOff   = 0   // struct io_uring_getevents_arg (24 bytes)
	scratchTSOff    = 64  // struct __kernel_timespec (16 bytes)
	scratchProbeOff = 128 // struct io_uring_probe + 256 ops (2064 bytes)
	scratchSize     = rings.PAGE_SIZE

	probeOps = 256
)

// Ring is one io_uring instance seen from user space: struct io_uring of
// liburing. It holds the mappings of the rings and SQE array, the
// application's private SQ head/tail (SQEs handed out by GetSQE but not yet
// published), and a page of backend user memory for wait arguments and
// probes.
//
// A Ring is not safe for concurrent use; with a host backend it must be used
// from the goroutine that created it (see the package doc).
//
// Linux: liburing src/include/liburing.h:struct io_uring
type Ring struct {
	be Backend
	// sim is be when it is the simulator, so that yield, called around
	// every shared-word access, calls the thread directly (its fuel check
	// inlined) rather than through the Backend interface.
	sim *simBackend
	// fast is the simulator's thread while every yield point may try its
	// fast path (sim.Thread.YieldFast): no weak-memory store buffer. It
	// is nil on the host and in weak-memory mode, so yieldFast is two
	// loads.
	fast *sim.Thread
	host bool // be is the host kernel, whose Yield does nothing
	fd   int  // ring_fd: -1 with IORING_SETUP_REGISTERED_FD_ONLY
	// enterFD is liburing's enter_ring_fd: the descriptor, or once the
	// ring is registered (regRing) its index in the task's table, which
	// enter uses with IORING_ENTER_REGISTERED_RING and register (with
	// regRegRing, IORING_FEAT_REG_REG_RING) with
	// IORING_REGISTER_USE_REGISTERED_RING.
	enterFD    int
	regRing    bool
	regRegRing bool
	params     rings.Params
	flags      uint32
	layout     rings.Layout
	view       rings.RingView
	sqes       rings.SQEView

	ringMem []byte // IORING_OFF_SQ_RING mapping (or Alloc'd with NO_MMAP)
	sqeMem  []byte // IORING_OFF_SQES mapping (or Alloc'd with NO_MMAP)
	appMem  bool   // ringMem/sqeMem come from Alloc (IORING_SETUP_NO_MMAP)
	scratch []byte // getevents arg, timespec, probe

	argAddr, tsAddr, probeAddr uint64
	arg                        *rings.GeteventsArg
	ts                         *rings.KernelTimespec

	// Ring words, cached from the view.
	sqHead, sqTail, sqFlags, cqHead, cqTail *uint32
	sqEntries                               uint32

	// sqeHead and sqeTail are liburing's sq->sqe_head and sq->sqe_tail:
	// SQEs [sqeHead, sqeTail) were handed out by GetSQE and are published
	// by the next submission (flushSQ).
	sqeHead, sqeTail uint32

	sqpoll     bool
	iopoll     bool
	mixed      bool
	retryEINTR bool
	bound      bool
	closed     bool

	fence atomic.Uint32 // target of the full barrier of sqRingNeedsEnter

	obs Observer // SetObserver

	weak *weakSQ // SetWeakSQ: the user side's store buffer (weaksq.go)
}

// ErrLayout is returned by New when the offsets the kernel reported are not
// the ones rings.RingsLayout computes for the same parameters.
var ErrLayout = errors.New("uring: ring offsets reported by io_uring_setup differ from rings.RingsLayout")

// QueueInit is New with only setup flags: io_uring_queue_init().
//
// Linux: liburing src/setup.c:io_uring_queue_init()
func QueueInit(be Backend, entries uint32, flags uint32) (*Ring, error) {
	return New(be, entries, &Params{Flags: flags})
}

// New sets up a ring of at least entries SQEs on be and maps it:
// io_uring_queue_init_params(). opt may be nil. With
// IORING_SETUP_NO_MMAP the ring memory is allocated from be (Alloc) and
// passed in sq_off/cq_off.user_addr, as io_uring_queue_init_mem() does.
//
// On a host backend New locks the calling goroutine to its OS thread until
// Close.
//
// Linux: liburing src/setup.c:io_uring_queue_init_params(), io_uring_queue_mmap()
func New(be Backend, entries uint32, opt *Params) (*Ring, error) {
	r := &Ring{be: be, fd: -1, retryEINTR: be.Host()}
	r.sim, _ = be.(*simBackend)
	if r.sim != nil {
		r.fast = r.sim.task.Thread
	}
	r.host = be.Host()
	be.BindThread()
	r.bound = true
	if err := r.init(entries, opt); err != nil {
		r.release()
		return nil, err
	}
	return r, nil
}

func (r *Ring) init(entries uint32, opt *Params) error {
	be := r.be
	var p rings.Params
	if opt != nil {
		p.Flags = opt.Flags
		p.CQEntries = opt.CQEntries
		p.SQThreadCPU = opt.SQThreadCPU
		p.SQThreadIdle = opt.SQThreadIdle
		p.WQFd = opt.WQFd
	}
	var err error
	if r.scratch, err = be.Alloc(scratchSize); err != nil {
		return err
	}
	base := unsafe.Pointer(unsafe.SliceData(r.scratch))
	r.argAddr = addrOf(r.scratch) + scratchArgOff
	r.tsAddr = addrOf(r.scratch) + scratchTSOff
	r.probeAddr = addrOf(r.scratch) + scratchProbeOff
	r.arg = (*rings.GeteventsArg)(unsafe.Add(base, scratchArgOff))
	r.ts = (*rings.KernelTimespec)(unsafe.Add(base, scratchTSOff))

	if p.Flags&rings.IORING_SETUP_NO_MMAP != 0 {
		// Size the memory as the kernel will; a failure here is the
		// kernel's failure too, so let io_uring_setup report it.
		q := p
		if rings.FillParams(entries, &q) == nil {
			if l, ok := rings.RingsLayout(q.Flags, q.SQEntries, q.CQEntries); ok {
				if r.ringMem, err = be.Alloc(l.RingsRegionSize()); err != nil {
					return err
				}
				if r.sqeMem, err = be.Alloc(l.SQEsRegionSize()); err != nil {
					return err
				}
				r.appMem = true
				p.CQOff.UserAddr = addrOf(r.ringMem)
				p.SQOff.UserAddr = addrOf(r.sqeMem)
			}
		}
	}

	if r.fd, err = be.Setup(entries, &p); err != nil {
		r.fd = -1
		return err
	}
	r.enterFD = r.fd
	if p.Flags&rings.IORING_SETUP_REGISTERED_FD_ONLY != 0 {
		r.fd = -1
		r.regRing, r.regRegRing = true, true
	}
	r.params = p
	r.flags = p.Flags
	l, ok := rings.RingsLayout(p.Flags, p.SQEntries, p.CQEntries)
	if !ok || l.SQOff.Head != p.SQOff.Head || l.SQOff.Tail != p.SQOff.Tail ||
		l.SQOff.Flags != p.SQOff.Flags || l.SQOff.Array != p.SQOff.Array ||
		l.CQOff.Head != p.CQOff.Head || l.CQOff.Tail != p.CQOff.Tail ||
		l.CQOff.CQEs != p.CQOff.CQEs || l.CQOff.Overflow != p.CQOff.Overflow {
		return fmt.Errorf("%w: sq_off %+v cq_off %+v", ErrLayout, p.SQOff, p.CQOff)
	}
	if p.Features&rings.IORING_FEAT_SINGLE_MMAP == 0 {
		return fmt.Errorf("uring: kernel lacks IORING_FEAT_SINGLE_MMAP: %w", unix.EOPNOTSUPP)
	}
	if err := r.attach(l); err != nil {
		return err
	}
	r.sqpoll = p.Flags&rings.IORING_SETUP_SQPOLL != 0
	r.iopoll = p.Flags&rings.IORING_SETUP_IOPOLL != 0
	r.mixed = p.Flags&rings.IORING_SETUP_CQE_MIXED != 0
	// The application's view of the SQ starts where the kernel's is.
	r.sqeHead = rings.ReadOnce(r.sqTail)
	r.sqeTail = r.sqeHead
	return nil
}

// attach maps the rings of layout l (unless the memory is the
// application's, NO_MMAP), builds the views and caches the ring words, and
// directly maps SQ slots to SQEs, as liburing does at setup and after a
// resize.
//
// Linux: liburing src/setup.c:io_uring_mmap(), io_uring_setup_ring_pointers()
func (r *Ring) attach(l rings.Layout) error {
	var err error
	r.layout = l
	if !r.appMem {
		if r.ringMem, err = r.be.MapRing(r.fd, rings.IORING_OFF_SQ_RING, l.RingsRegionSize()); err != nil {
			return err
		}
		if r.sqeMem, err = r.be.MapRing(r.fd, rings.IORING_OFF_SQES, l.SQEsRegionSize()); err != nil {
			return err
		}
	}
	if r.view, err = rings.NewRingView(r.ringMem, l); err != nil {
		return err
	}
	if r.sqes, err = rings.NewSQEView(r.sqeMem, l); err != nil {
		return err
	}
	r.sqHead, r.sqTail, r.sqFlags = r.view.SQHead(), r.view.SQTail(), r.view.SQFlags()
	r.cqHead, r.cqTail = r.view.CQHead(), r.view.CQTail()
	r.sqEntries = l.SQEntries
	if l.HasSQArray() {
		for i := range l.SQEntries {
			*r.view.SQArray(i) = i
		}
	}
	return nil
}

// release frees whatever init got, in liburing's order: unmap, close, free.
func (r *Ring) release() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if !r.appMem {
		if r.sqeMem != nil {
			keep(r.be.Unmap(r.sqeMem))
		}
		if r.ringMem != nil {
			keep(r.be.Unmap(r.ringMem))
		}
	}
	if r.regRing {
		// Not strictly needed, but frees the slot now rather than at
		// task exit (and, with REGISTERED_FD_ONLY, the ring itself).
		keep(r.UnregisterRingFD())
	}
	if r.fd >= 0 {
		keep(r.be.Close(r.fd))
		r.fd = -1
	}
	if r.appMem {
		if r.sqeMem != nil {
			keep(r.be.Free(r.sqeMem))
		}
		if r.ringMem != nil {
			keep(r.be.Free(r.ringMem))
		}
	}
	if r.scratch != nil {
		keep(r.be.Free(r.scratch))
	}
	r.sqeMem, r.ringMem, r.scratch, r.arg, r.ts = nil, nil, nil, nil, nil
	if r.bound {
		r.be.UnbindThread()
		r.bound = false
	}
	return first
}

// Close unmaps the rings, closes the ring fd and frees the Ring's user
// memory: io_uring_queue_exit(). On a host backend it also unlocks the OS
// thread New locked. Closing twice is a no-op.
//
// Linux: liburing src/setup.c:io_uring_queue_exit()
func (r *Ring) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.weak = nil // stores still buffered die with the mapping
	return r.release()
}

// Backend is the backend the ring runs on.
func (r *Ring) Backend() Backend { return r.be }

// FD is the ring's file descriptor.
func (r *Ring) FD() int { return r.fd }

// Params is the struct io_uring_params io_uring_setup(2) returned: the
// ring sizes, features, flags and offsets.
func (r *Ring) Params() rings.Params { return r.params }

// Flags are the ring's setup flags.
func (r *Ring) Flags() uint32 { return r.flags }

// Features is the features word io_uring_setup(2) reported.
func (r *Ring) Features() uint32 { return r.params.Features }

// Layout is the ring's memory layout.
func (r *Ring) Layout() rings.Layout { return r.layout }

// View gives access to the shared ring words and CQE slots, to poke and
// peek them directly (scenarios, tests). Accesses through it do not call
// the backend's Yield.
func (r *Ring) View() rings.RingView { return r.view }

// SQEs gives access to the SQE array (slots of SQESize bytes).
func (r *Ring) SQEs() rings.SQEView {
	if r.weak != nil {
		return r.weak.shadow // the program's own view of its stores
	}
	return r.sqes
}

// SQESize is the SQE slot size: 64, or 128 with IORING_SETUP_SQE128.
func (r *Ring) SQESize() uint32 { return r.layout.SQESize }

// CQESize is the CQE slot size: 16, or 32 with IORING_SETUP_CQE32.
func (r *Ring) CQESize() uint32 { return r.layout.CQESize }

// SQEntries and CQEntries are the ring sizes.
func (r *Ring) SQEntries() uint32 { return r.params.SQEntries }

// CQEntries is the CQ ring size.
func (r *Ring) CQEntries() uint32 { return r.params.CQEntries }

// BigCQE returns cqe as a 32-byte CQE (big_cqe[] of an
// IORING_SETUP_CQE32 ring, or an IORING_CQE_F_32 entry of a CQE_MIXED
// ring). It must only be used for such CQEs.
func BigCQE(cqe *rings.CQE) *rings.CQE32 { return (*rings.CQE32)(unsafe.Pointer(cqe)) }

// SQECmd returns the command area (sqe->cmd) of an SQE from GetSQE: 16
// bytes, or 80 on an IORING_SETUP_SQE128 ring.
func (r *Ring) SQECmd(sqe *rings.SQE) []byte {
	n := uintptr(rings.SQECmdSize)
	if r.layout.SQESize == rings.SQE128Size {
		n = rings.SQE128CmdSize
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(sqe), rings.SQECmdOffset)), n)
}

// yield is the backend's scheduling point before a shared-word access.
// Hot paths write it as `if !r.yieldFast() { r.yield() }`, which inlines
// the common case.
func (r *Ring) yield() {
	if s := r.sim; s != nil {
		if r.weak != nil && len(r.weak.pend) > 0 {
			r.weakDrainOne(false)
		}
		s.task.Thread.Yield()
	} else if !r.host {
		r.be.Yield()
	}
}

// yieldFast is yield when it is a fuel decrement: the simulator, no
// weak-memory store buffer, and a yield point that cannot switch threads
// (sim.Thread.YieldFast). It reports false, having done nothing, otherwise.
func (r *Ring) yieldFast() bool {
	t := r.fast
	return t != nil && t.YieldFast()
}

// loadSQHead is io_uring_load_sq_head(): with SQPOLL the kernel thread
// moves sq.head concurrently, so it is an acquire.
func (r *Ring) loadSQHead() uint32 {
	r.yield()
	if r.sqpoll {
		return rings.LoadAcquire(r.sqHead)
	}
	return rings.ReadOnce(r.sqHead)
}

// readSQHead is loadSQHead past its yield point.
func (r *Ring) readSQHead() uint32 {
	if r.sqpoll {
		return rings.LoadAcquire(r.sqHead)
	}
	return rings.ReadOnce(r.sqHead)
}

// GetSQE returns the next free SQE, cleared, or nil when the SQ is full
// (every slot handed out and not yet consumed by the kernel). The SQE is
// published by the next Submit.
//
// Differs from liburing: the whole 64-byte SQE is zeroed (liburing clears
// only the fields its prep helpers do not set); the second half of an
// SQE128 slot is left as it was.
//
// Linux: liburing src/include/liburing.h:_io_uring_get_sqe()
func (r *Ring) GetSQE() *rings.SQE {
	// loadSQHead, with yield's fast path inlined.
	if !r.yieldFast() {
		r.yield()
	}
	head := r.readSQHead()
	tail := r.sqeTail
	if tail-head >= r.sqEntries {
		return nil
	}
	r.sqeTail = tail + 1
	if r.weak != nil {
		return r.weakGetSQE(tail)
	}
	sqe := r.sqes.SQE(tail)
	*sqe = rings.SQE{}
	return sqe
}

// CatchUpSQ moves the application's SQ tail up to the kernel's SQ head
// when the kernel has consumed past it — a tail written directly through
// View (a program poking the ring) and submitted — so that the next
// GetSQE hands out the slot the kernel reads next. SQEs handed out and not
// yet published are kept when the head has not passed them.
//
// It is not a scheduling point of the simulator (a plain load), so adding
// it to a program does not change the interleavings a seed gives.
func (r *Ring) CatchUpSQ() {
	head := rings.LoadAcquire(r.sqHead)
	if int32(head-r.sqeTail) > 0 {
		r.sqeHead, r.sqeTail = head, head
	}
}

// SyncSQ re-reads sq.tail into the application's private SQ state,
// dropping SQEs handed out but not yet published. Use it after writing
// sq.tail directly through View, which liburing's bookkeeping cannot see.
func (r *Ring) SyncSQ() {
	r.yield()
	r.sqeHead = rings.ReadOnce(r.sqTail)
	r.sqeTail = r.sqeHead
}

// FlushSQ publishes the SQEs handed out since the last flush by storing
// sq.tail, and returns how many SQEs the kernel has not consumed yet
// (tail − head), the to_submit of the next io_uring_enter.
//
// Linux: liburing src/queue.c:__io_uring_flush_sq()
func (r *Ring) FlushSQ() uint32 {
	tail := r.sqeTail
	if r.sqeHead != tail {
		if r.obs != nil {
			r.obs.SQEsPublished(r, r.sqeHead, tail)
		}
		r.sqeHead = tail
		// Release: the kernel must see the SQE stores before the tail.
		if r.weak != nil {
			if r.weak.plainTail {
				// liburing e9209a3c6053: IO_URING_WRITE_ONCE for SQPOLL.
				r.weak.storeTailPlain(tail)
				r.yield()
				return tail - rings.ReadOnce(r.sqHead)
			}
			r.weakDrain()
		}
		if !r.yieldFast() {
			r.yield()
		}
		rings.StoreRelease(r.sqTail, tail)
	}
	if !r.yieldFast() {
		r.yield()
	}
	return tail - rings.ReadOnce(r.sqHead)
}

// smpMB is a full memory barrier (a locked read-modify-write).
func (r *Ring) smpMB() { r.weakDrain(); r.fence.Add(0) }

// sqRingNeedsEnter reports whether submitting needs io_uring_enter: always
// without SQPOLL; with SQPOLL only to wake a sleeping SQ thread, adding
// IORING_ENTER_SQ_WAKEUP to flags.
//
// Linux: liburing src/queue.c:sq_ring_needs_enter()
func (r *Ring) sqRingNeedsEnter(submit uint32, flags *uint32) bool {
	if submit == 0 {
		return false
	}
	if !r.sqpoll {
		return true
	}
	return r.sqThreadNeedsWakeup(flags)
}

// sqThreadNeedsWakeup is sqRingNeedsEnter on an SQPOLL ring: whether the
// SQ thread sleeps (IORING_SQ_NEED_WAKEUP), adding IORING_ENTER_SQ_WAKEUP
// to flags if it does.
//
// Linux: liburing src/queue.c:sq_ring_needs_enter()
func (r *Ring) sqThreadNeedsWakeup(flags *uint32) bool {
	// The kernel must see the sq.tail store before we read the flags
	// (liburing 744f4156): a full barrier between them.
	r.smpMB()
	r.yield()
	if rings.ReadOnce(r.sqFlags)&rings.IORING_SQ_NEED_WAKEUP != 0 {
		*flags |= rings.IORING_ENTER_SQ_WAKEUP
		return true
	}
	return false
}

// cqRingNeedsFlush reports CQEs waiting in the kernel: an overflow list or
// task work (IORING_SQ_CQ_OVERFLOW, IORING_SQ_TASKRUN).
//
// Linux: liburing src/queue.c:cq_ring_needs_flush()
func (r *Ring) cqRingNeedsFlush() bool {
	if !r.yieldFast() {
		r.yield()
	}
	return rings.ReadOnce(r.sqFlags)&(rings.IORING_SQ_CQ_OVERFLOW|rings.IORING_SQ_TASKRUN) != 0
}

// Linux: liburing src/queue.c:cq_ring_needs_enter()
func (r *Ring) cqRingNeedsEnter() bool {
	return r.iopoll || r.cqRingNeedsFlush()
}

// enter is the backend's io_uring_enter, retried on EINTR on the host
// (the Go runtime's preemption signals interrupt waits; a call that fails
// with EINTR consumed no SQE, so repeating it is safe).
func (r *Ring) enter(toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	if r.regRing {
		flags |= rings.IORING_ENTER_REGISTERED_RING // as Enter does
	}
	if r.weak != nil {
		r.weakDrain() // a system call is a full barrier
	}
	for {
		var n int
		var err error
		if s := r.sim; s != nil {
			// The simulator called directly, not through the Backend
			// interface: one dynamic call less per system call.
			n, err = s.Enter(r.enterFD, toSubmit, minComplete, flags, argp, argsz)
		} else {
			n, err = r.be.Enter(r.enterFD, toSubmit, minComplete, flags, argp, argsz)
		}
		if err == unix.EINTR && r.retryEINTR {
			continue
		}
		if r.obs != nil {
			r.obs.Entered(r)
		}
		return n, err
	}
}

// Linux: liburing src/queue.c:__io_uring_submit()
func (r *Ring) submit(submitted, waitNr uint32, getevents bool) (int, error) {
	cqNeedsEnter := getevents || waitNr != 0 || r.cqRingNeedsEnter()
	var flags uint32
	if r.sqRingNeedsEnter(submitted, &flags) || cqNeedsEnter {
		if cqNeedsEnter {
			flags |= rings.IORING_ENTER_GETEVENTS
		}
		return r.enter(submitted, waitNr, flags, 0, 0)
	}
	return int(submitted), nil
}

// Submit publishes the prepared SQEs and, unless an SQPOLL thread is awake
// to pick them up, calls io_uring_enter to submit them. It also enters with
// IORING_ENTER_GETEVENTS when the kernel holds back CQEs (overflow, task
// work) or the ring is IOPOLL. It returns the number of SQEs submitted.
//
// Linux: liburing src/queue.c:io_uring_submit()
func (r *Ring) Submit() (int, error) { return r.submit(r.FlushSQ(), 0, false) }

// SubmitAndWait is Submit, also waiting for waitNr CQEs.
//
// Linux: liburing src/queue.c:io_uring_submit_and_wait()
func (r *Ring) SubmitAndWait(waitNr uint32) (int, error) { return r.submit(r.FlushSQ(), waitNr, false) }

// SubmitAndGetEvents is Submit with IORING_ENTER_GETEVENTS always set, so
// overflowed CQEs and task work are flushed.
//
// Linux: liburing src/queue.c:io_uring_submit_and_get_events()
func (r *Ring) SubmitAndGetEvents() (int, error) { return r.submit(r.FlushSQ(), 0, true) }

// SQRingWait waits for SQ space with an SQPOLL ring (IORING_ENTER_SQ_WAIT);
// without SQPOLL, or when there is space, it returns at once.
//
// Linux: liburing src/queue.c:io_uring_sqring_wait()
func (r *Ring) SQRingWait() (int, error) {
	if !r.sqpoll || r.SQSpaceLeft() != 0 {
		return 0, nil
	}
	return r.enter(0, 0, rings.IORING_ENTER_SQ_WAIT, 0, 0)
}

// peek is __io_uring_peek_cqe(): the CQE at the head and how many slots
// are filled, skipping IORING_CQE_F_SKIP fillers of a CQE_MIXED ring.
// With orWait an empty CQ is WaitCQENr(waitNr) instead, as in liburing's
// inline io_uring_peek_cqe() and io_uring_wait_cqe(), which PeekCQE and
// WaitCQE are: written here, they cost one call less per CQE.
//
// Linux: liburing src/include/liburing.h:__io_uring_peek_cqe()
func (r *Ring) peek(orWait bool, waitNr uint32) (*rings.CQE, uint32, error) {
	for {
		if !r.yieldFast() {
			r.yield()
		}
		tail := rings.LoadAcquire(r.cqTail)
		head := rings.ReadOnce(r.cqHead)
		avail := tail - head
		if avail == 0 {
			if orWait {
				cqe, err := r.WaitCQENr(waitNr)
				return cqe, 0, err
			}
			return nil, 0, nil
		}
		cqe := r.view.CQE(head)
		if r.mixed && cqe.Flags&rings.IORING_CQE_F_SKIP != 0 {
			r.CQAdvance(1)
			continue
		}
		return cqe, avail, nil
	}
}

// getData is liburing's struct get_data.
type getData struct {
	submit   uint32
	waitNr   uint32
	getFlags uint32
	hasTS    bool
	arg, sz  uint64
}

// getCQE is _io_uring_get_cqe(): enter the kernel (submitting d.submit
// SQEs and waiting for d.waitNr CQEs) until a CQE is there and enough are,
// returning the CQE at the head (not consumed) and how many SQEs were
// submitted. With a timeout it enters once: no CQE afterwards is ETIME.
//
// Linux: liburing src/queue.c:_io_uring_get_cqe()
func (r *Ring) getCQE(d *getData) (*rings.CQE, int, error) {
	var (
		cqe       *rings.CQE
		looped    bool
		submitted int
		err       error
	)
	for {
		needEnter := false
		var flags uint32
		var avail uint32
		cqe, avail, _ = r.peek(false, 0)
		if cqe == nil && d.waitNr == 0 && d.submit == 0 {
			// Having looped we already entered; with nothing to
			// submit or wait for, don't keep retrying.
			if looped || !r.cqRingNeedsEnter() {
				if submitted == 0 {
					err = unix.EAGAIN
				}
				break
			}
			needEnter = true
		}
		if d.waitNr > avail || needEnter {
			flags = rings.IORING_ENTER_GETEVENTS | d.getFlags
			needEnter = true
		}
		if r.sqRingNeedsEnter(d.submit, &flags) {
			needEnter = true
		}
		if !needEnter {
			break
		}
		if looped && d.hasTS {
			if cqe == nil && submitted == 0 {
				err = unix.ETIME
			}
			break
		}
		ret, e := r.enter(d.submit, d.waitNr, flags, d.arg, d.sz)
		if e != nil {
			err = e
			break
		}
		d.submit -= uint32(ret)
		submitted += ret
		if cqe != nil {
			break
		}
		looped = true
	}
	return cqe, submitted, err
}

// PeekCQE returns the CQE at the head of the CQ without waiting, or
// EAGAIN when there is none. If the kernel holds back CQEs (overflow, task
// work) it enters once to flush them. The CQE stays in the ring until
// CQESeen or CQAdvance.
//
// Linux: liburing src/include/liburing.h:io_uring_peek_cqe()
func (r *Ring) PeekCQE() (*rings.CQE, error) {
	cqe, _, err := r.peek(true, 0)
	return cqe, err
}

// WaitCQE returns the CQE at the head of the CQ, waiting for one.
//
// Linux: liburing src/include/liburing.h:io_uring_wait_cqe()
func (r *Ring) WaitCQE() (*rings.CQE, error) {
	// A CQE already there is returned without the wait loop, as
	// liburing's inline io_uring_wait_cqe() does.
	cqe, _, err := r.peek(true, 1)
	return cqe, err
}

// WaitCQENr waits until waitNr CQEs are in the CQ and returns the one at
// the head. WaitCQENr(0) is a peek that flushes held-back CQEs.
//
// Linux: liburing src/include/liburing.h:io_uring_wait_cqe_nr()
func (r *Ring) WaitCQENr(waitNr uint32) (*rings.CQE, error) {
	d := getData{waitNr: waitNr}
	cqe, _, err := r.getCQE(&d)
	return cqe, err
}

// setTimeout fills the scratch getevents arg and timespec for a relative
// timeout d and returns the getData for an EXT_ARG wait.
func (r *Ring) setTimeout(d time.Duration) (getData, error) {
	if r.params.Features&rings.IORING_FEAT_EXT_ARG == 0 {
		return getData{}, unix.EINVAL
	}
	if d < 0 {
		d = 0
	}
	r.ts.TvSec = int64(d / time.Second)
	r.ts.TvNsec = int64(d % time.Second)
	*r.arg = rings.GeteventsArg{SigmaskSz: 8, Ts: r.tsAddr} // _NSIG / 8
	return getData{
		getFlags: rings.IORING_ENTER_EXT_ARG,
		hasTS:    true,
		arg:      r.argAddr,
		sz:       uint64(unsafe.Sizeof(rings.GeteventsArg{})),
	}, nil
}

// WaitCQETimeout waits at most timeout for a CQE: ETIME if none came. The
// timeout is a struct __kernel_timespec in backend user memory passed with
// IORING_ENTER_EXT_ARG, measured by the kernel (on the simulator, on its
// virtual clock). On the host a wait interrupted by a signal is restarted
// with the whole timeout.
//
// Linux: liburing src/queue.c:io_uring_wait_cqe_timeout()
func (r *Ring) WaitCQETimeout(timeout time.Duration) (*rings.CQE, error) {
	return r.WaitCQEsTimeout(1, timeout)
}

// WaitCQEsTimeout waits at most timeout for waitNr CQEs.
//
// Linux: liburing src/queue.c:io_uring_wait_cqes()
func (r *Ring) WaitCQEsTimeout(waitNr uint32, timeout time.Duration) (*rings.CQE, error) {
	d, err := r.setTimeout(timeout)
	if err != nil {
		return nil, err
	}
	d.waitNr = waitNr
	cqe, _, err := r.getCQE(&d)
	return cqe, err
}

// SubmitAndWaitTimeout submits the prepared SQEs and waits at most timeout
// for waitNr CQEs. It returns the CQE at the head (nil if none), the number
// of SQEs submitted, and ETIME when nothing was submitted and no CQE came.
//
// Linux: liburing src/queue.c:io_uring_submit_and_wait_timeout()
func (r *Ring) SubmitAndWaitTimeout(waitNr uint32, timeout time.Duration) (*rings.CQE, int, error) {
	d, err := r.setTimeout(timeout)
	if err != nil {
		return nil, 0, err
	}
	d.waitNr = waitNr
	d.submit = r.FlushSQ()
	return r.getCQE(&d)
}

// CQAdvance marks n CQE slots consumed by storing cq.head.
//
// Linux: liburing src/include/liburing.h:io_uring_cq_advance()
func (r *Ring) CQAdvance(n uint32) {
	if n == 0 {
		return
	}
	head := rings.ReadOnce(r.cqHead)
	if r.obs != nil {
		r.obs.CQEsConsumed(r, head, n)
	}
	r.yield()
	// Release: the CQE reads are done before the kernel may reuse the slots.
	rings.StoreRelease(r.cqHead, head+n)
}

// CQESeen marks cqe consumed: one slot, or two for an IORING_CQE_F_32
// entry of a CQE_MIXED ring. A nil cqe is ignored.
//
// Linux: liburing src/include/liburing.h:io_uring_cqe_seen()
func (r *Ring) CQESeen(cqe *rings.CQE) {
	if cqe == nil {
		return
	}
	// CQAdvance(cqeNr(cqe)), written out: one call less per CQE.
	n := r.cqeNr(cqe)
	head := rings.ReadOnce(r.cqHead)
	if r.obs != nil {
		r.obs.CQEsConsumed(r, head, n)
	}
	if !r.yieldFast() {
		r.yield()
	}
	rings.StoreRelease(r.cqHead, head+n)
}

func (r *Ring) cqeNr(cqe *rings.CQE) uint32 {
	if r.mixed && cqe.Flags&rings.IORING_CQE_F_32 != 0 {
		return 2
	}
	return 1
}

// CQReady is the number of filled CQ slots.
//
// Linux: liburing src/include/liburing.h:io_uring_cq_ready()
func (r *Ring) CQReady() uint32 {
	r.yield()
	return rings.LoadAcquire(r.cqTail) - rings.ReadOnce(r.cqHead)
}

// SQReady is the number of SQEs handed out by GetSQE that the kernel has
// not consumed (published or not).
//
// Linux: liburing src/include/liburing.h:io_uring_sq_ready()
func (r *Ring) SQReady() uint32 { return r.sqeTail - r.loadSQHead() }

// SQSpaceLeft is how many more SQEs GetSQE can hand out.
//
// Linux: liburing src/include/liburing.h:io_uring_sq_space_left()
func (r *Ring) SQSpaceLeft() uint32 { return r.sqEntries - r.SQReady() }

// SQFlags reads sq_flags (IORING_SQ_*).
func (r *Ring) SQFlags() uint32 {
	r.yield()
	return rings.ReadOnce(r.sqFlags)
}

// CQOverflow reads the cq_overflow counter (CQEs the kernel dropped).
func (r *Ring) CQOverflow() uint32 {
	r.yield()
	return rings.ReadOnce(r.view.CQOverflow())
}

// SQDropped reads the sq_dropped counter (invalid SQ array entries).
func (r *Ring) SQDropped() uint32 {
	r.yield()
	return rings.ReadOnce(r.view.SQDropped())
}

// ForEachCQE calls fn for each CQE in the CQ (skipping CQE_MIXED
// fillers), then marks them all consumed, and returns how many it passed to
// fn. fn must not keep the pointer. It does not enter the kernel.
//
// Linux: liburing src/include/liburing.h:io_uring_for_each_cqe()
func (r *Ring) ForEachCQE(fn func(cqe *rings.CQE)) int {
	r.yield()
	tail := rings.LoadAcquire(r.cqTail)
	head := rings.ReadOnce(r.cqHead)
	n := 0
	for head != tail {
		cqe := r.view.CQE(head)
		head += r.cqeNr(cqe)
		if r.mixed && cqe.Flags&rings.IORING_CQE_F_SKIP != 0 {
			continue
		}
		fn(cqe)
		n++
	}
	if d := head - rings.ReadOnce(r.cqHead); d != 0 {
		r.CQAdvance(d)
	}
	return n
}

// PeekBatchCQE fills cqes with pointers to up to len(cqes) CQEs at the
// head of the CQ, without consuming them (CQAdvance does), and returns how
// many. If the CQ is empty and the kernel holds back CQEs it enters once to
// flush them. On a CQE_MIXED ring use PeekCQE/CQESeen instead.
//
// Linux: liburing src/queue.c:io_uring_peek_batch_cqe()
func (r *Ring) PeekBatchCQE(cqes []*rings.CQE) int {
	overflowChecked := false
	for {
		ready := r.CQReady()
		if ready != 0 {
			head := rings.ReadOnce(r.cqHead)
			n := min(uint32(len(cqes)), ready)
			for i := range n {
				cqes[i] = r.view.CQE(head + i)
			}
			return int(n)
		}
		if overflowChecked || !r.cqRingNeedsFlush() {
			return 0
		}
		_, _ = r.enter(0, 0, rings.IORING_ENTER_GETEVENTS, 0, 0)
		overflowChecked = true
	}
}

// Enter is a raw io_uring_enter(2) on the ring: on its fd, or once the
// ring is registered (RegisterRingFD, IORING_SETUP_REGISTERED_FD_ONLY) on
// its index with IORING_ENTER_REGISTERED_RING added. It does not publish
// prepared SQEs (FlushSQ does).
//
// Linux: liburing src/syscall.h:__sys_io_uring_enter2() as io_uring_enter callers use it
func (r *Ring) Enter(toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	if r.regRing {
		flags |= rings.IORING_ENTER_REGISTERED_RING
	}
	n, err := r.be.Enter(r.enterFD, toSubmit, minComplete, flags, argp, argsz)
	if r.obs != nil {
		r.obs.Entered(r)
	}
	return n, err
}

// Register is a raw io_uring_register(2) on the ring: on its fd, or once
// the ring is registered and the kernel has IORING_FEAT_REG_REG_RING, on
// its index with IORING_REGISTER_USE_REGISTERED_RING added.
//
// Linux: liburing src/register.c:do_register()
func (r *Ring) Register(opcode uint32, arg uint64, nrArgs uint32) (int, error) {
	if r.regRegRing {
		return r.be.Register(r.enterFD, opcode|rings.IORING_REGISTER_USE_REGISTERED_RING, arg, nrArgs)
	}
	return r.be.Register(r.fd, opcode, arg, nrArgs)
}

// EnableRings starts a ring set up with IORING_SETUP_R_DISABLED.
//
// Linux: liburing src/register.c:io_uring_enable_rings()
func (r *Ring) EnableRings() error {
	_, err := r.Register(rings.IORING_REGISTER_ENABLE_RINGS, 0, 0)
	return err
}

// WaitCQEsMinTimeout waits at most timeout for waitNr CQEs, but once
// minWait has passed returns as soon as any CQE is there (or arrives):
// io_uring_getevents_arg's min_wait_usec (IORING_FEAT_MIN_TIMEOUT).
//
// Linux: liburing src/queue.c:io_uring_wait_cqes_min_timeout()
func (r *Ring) WaitCQEsMinTimeout(waitNr uint32, timeout, minWait time.Duration) (*rings.CQE, error) {
	if r.params.Features&rings.IORING_FEAT_MIN_TIMEOUT == 0 {
		return nil, unix.EINVAL
	}
	d, err := r.setTimeout(timeout)
	if err != nil {
		return nil, err
	}
	r.arg.MinWaitUsec = uint32(minWait / time.Microsecond)
	d.waitNr = waitNr
	cqe, _, err := r.getCQE(&d)
	return cqe, err
}
