package vfs

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// eventfd2(2) flags.
// Linux: include/linux/eventfd.h:EFD_SEMAPHORE
const (
	// EFD_SEMAPHORE: a read returns 1 and decrements the counter.
	EFD_SEMAPHORE = 1 << 0
	// EFD_CLOEXEC is O_CLOEXEC.
	EFD_CLOEXEC = unix.O_CLOEXEC
	// EFD_NONBLOCK is O_NONBLOCK.
	EFD_NONBLOCK = unix.O_NONBLOCK
	// EFD_SHARED_FCNTL_FLAGS are the flags shared with fcntl.
	EFD_SHARED_FCNTL_FLAGS = EFD_CLOEXEC | EFD_NONBLOCK
	// EFD_FLAGS_SET is every valid eventfd2 flag.
	EFD_FLAGS_SET = EFD_SHARED_FCNTL_FLAGS | EFD_SEMAPHORE
)

// EventfdCtx is an eventfd's counter and wait queue (struct eventfd_ctx).
// Every change of the counter happens under Wqh's lock and wakes Wqh with
// EPOLLIN (counter grew) or EPOLLOUT (counter shrank) as key; closing the
// file wakes it with EPOLLHUP.
// Linux: fs/eventfd.c:struct eventfd_ctx
type EventfdCtx struct {
	// Wqh is the eventfd's wait queue; its lock guards count.
	Wqh   sim.WaitQueueHead
	count atomic.Uint64 // read locklessly by poll (READ_ONCE)
	flags uint32
	id    uint64
	// host, if set, is a host eventfd (uringsim exec: the program's
	// own) whose counter is the host's; the fields above are unused.
	host *HostFile
}

// eventfdFileOps are eventfd_fops.
type eventfdFileOps struct{}

// NewEventfd creates an eventfd file with counter count, as eventfd2(2)
// does before installing it: flags may hold EFD_SEMAPHORE, EFD_NONBLOCK
// and EFD_CLOEXEC (a descriptor flag the caller applies when installing),
// anything else is -EINVAL. The file is O_RDWR, O_NONBLOCK from the flags,
// and supports IOCB_NOWAIT.
// Linux: fs/eventfd.c:do_eventfd()
func NewEventfd(id uint64, count uint32, flags uint32) (*File, int) {
	if flags&^uint32(EFD_FLAGS_SET) != 0 {
		return nil, -int(unix.EINVAL)
	}
	ctx := &EventfdCtx{flags: flags, id: id}
	ctx.count.Store(uint64(count))
	f := NewFile(eventfdFileOps{}, ctx, "anon_inode:[eventfd]", unix.O_RDWR|flags&unix.O_NONBLOCK, id)
	f.FMode |= FMODE_LSEEK | FMODE_NOWAIT
	return f, 0
}

// EventfdCtxFileget returns the eventfd behind f, or -EINVAL if f is not an
// eventfd (eventfd_ctx_fileget; io_uring's IORING_REGISTER_EVENTFD uses
// it).
// Linux: fs/eventfd.c:eventfd_ctx_fileget()
func EventfdCtxFileget(f *File) (*EventfdCtx, int) {
	if h := HostFileOf(f); h != nil && h.evfd != nil {
		return h.evfd, 0
	}
	if _, ok := f.Op.(eventfdFileOps); !ok {
		return nil, -int(unix.EINVAL)
	}
	return f.Private.(*EventfdCtx), 0
}

// Count is the current counter (for tests and fdinfo).
func (ctx *EventfdCtx) Count() uint64 { return ctx.count.Load() }

// TaskInEventfd is the sim.Thread.TaskFlags bit set while the thread runs
// an eventfd's wakeup (current->in_eventfd): a waiter's wake callback that
// would signal an eventfd from there (io_uring's CQ notification, queued
// by a poll wakeup) must defer the signal (EventfdSignalAllowed).
// Linux: include/linux/sched.h:task_struct.in_eventfd
const TaskInEventfd = 1 << 0

// EventfdSignalAllowed reports whether t may signal an eventfd now: not
// from inside an eventfd's wakeup.
// Linux: include/linux/eventfd.h:eventfd_signal_allowed()
func EventfdSignalAllowed(t *sim.Thread) bool { return t.TaskFlags&TaskInEventfd == 0 }

// eventfdWake runs wake as the thread's eventfd wakeup (in_eventfd set).
func eventfdWake(t *sim.Thread, wake func()) {
	t.TaskFlags |= TaskInEventfd
	wake()
	t.TaskFlags &^= TaskInEventfd
}

// SignalMask adds 1 to the counter (unless it is at ULLONG_MAX) and wakes
// the queue with EPOLLIN|mask as key: what the kernel itself, io_uring's
// CQ notification among others, does to an eventfd. Called from inside an
// eventfd wakeup it does nothing (Linux warns once): callers check
// EventfdSignalAllowed first.
// Linux: fs/eventfd.c:eventfd_signal_mask()
func (ctx *EventfdCtx) SignalMask(t *sim.Thread, mask uint32) {
	if !EventfdSignalAllowed(t) {
		return
	}
	if ctx.host != nil {
		ctx.host.eventfdSignal(t, mask)
		return
	}
	ctx.Wqh.Lock(t)
	if c := ctx.count.Load(); c < math.MaxUint64 {
		ctx.count.Store(c + 1)
	}
	if ctx.Wqh.Active() {
		eventfdWake(t, func() { ctx.Wqh.WakeUpLocked(t, 1, rings.EPOLLIN|mask) })
	}
	ctx.Wqh.Unlock(t)
}

// doRead takes the counter (or 1 of it with EFD_SEMAPHORE); Wqh's lock is
// held.
// Linux: fs/eventfd.c:eventfd_ctx_do_read()
func (ctx *EventfdCtx) doRead() uint64 {
	c := ctx.count.Load()
	n := c
	if ctx.flags&EFD_SEMAPHORE != 0 {
		n = 1
	}
	ctx.count.Store(c - n)
	return n
}

// Read returns the counter as 8 native-endian bytes and resets it (or
// returns 1 and decrements it with EFD_SEMAPHORE). dst shorter than 8
// bytes is -EINVAL; a longer one gets 8. At 0 it sleeps until a write
// (unless O_NONBLOCK or nonblock: -EAGAIN); interrupted it returns
// -ERESTARTSYS. It wakes the queue with EPOLLOUT.
// Linux: fs/eventfd.c:eventfd_read()
func (eventfdFileOps) Read(t *sim.Thread, f *File, dst []byte, _ *int64, nonblock bool) int {
	ctx := f.Private.(*EventfdCtx)
	if len(dst) < 8 {
		return -int(unix.EINVAL)
	}
	ctx.Wqh.Lock(t)
	if ctx.count.Load() == 0 {
		if f.Flags&unix.O_NONBLOCK != 0 || nonblock {
			ctx.Wqh.Unlock(t)
			return -int(unix.EAGAIN)
		}
		if waitEventInterruptibleLocked(t, &ctx.Wqh, "eventfd_read", func() bool { return ctx.count.Load() != 0 }) < 0 {
			ctx.Wqh.Unlock(t)
			return -ERESTARTSYS
		}
	}
	ucnt := ctx.doRead()
	if ctx.Wqh.Active() {
		eventfdWake(t, func() { ctx.Wqh.WakeUpLocked(t, 1, rings.EPOLLOUT) })
	}
	ctx.Wqh.Unlock(t)
	binary.NativeEndian.PutUint64(dst, ucnt)
	return 8
}

// Write adds the 8-byte native-endian value in src to the counter. src of
// any other length is -EINVAL, and so is the value ULLONG_MAX. If the sum
// would exceed ULLONG_MAX-1 it sleeps until a read makes room (unless
// O_NONBLOCK: -EAGAIN); interrupted it returns -ERESTARTSYS. It wakes the
// queue with EPOLLIN.
// eventfd_write is a plain .write (PlainRW): io_uring never calls it with
// nonblock set on a blocking eventfd, loop_rw_iter answers -EAGAIN first.
// Linux: fs/eventfd.c:eventfd_write()
func (eventfdFileOps) Write(t *sim.Thread, f *File, src []byte, _ *int64, nonblock bool) int {
	ctx := f.Private.(*EventfdCtx)
	if len(src) != 8 {
		return -int(unix.EINVAL)
	}
	ucnt := binary.NativeEndian.Uint64(src)
	if ucnt == math.MaxUint64 {
		return -int(unix.EINVAL)
	}
	fits := func() bool { return math.MaxUint64-ctx.count.Load() > ucnt }
	ctx.Wqh.Lock(t)
	res := -int(unix.EAGAIN)
	if fits() {
		res = 8
	} else if f.Flags&unix.O_NONBLOCK == 0 && !nonblock {
		res = waitEventInterruptibleLocked(t, &ctx.Wqh, "eventfd_write", fits)
		if res == 0 {
			res = 8
		}
	}
	if res > 0 {
		ctx.count.Store(ctx.count.Load() + ucnt)
		if ctx.Wqh.Active() {
			eventfdWake(t, func() { ctx.Wqh.WakeUpLocked(t, 1, rings.EPOLLIN) })
		}
	}
	ctx.Wqh.Unlock(t)
	return res
}

// Poll queues pt's entry on the queue, then reports EPOLLIN when the
// counter is not 0, EPOLLOUT when a write of 1 would not block, EPOLLERR
// at ULLONG_MAX (reachable only through SignalMask overflow).
// Linux: fs/eventfd.c:eventfd_poll()
func (eventfdFileOps) Poll(t *sim.Thread, f *File, pt *PollTable) uint32 {
	ctx := f.Private.(*EventfdCtx)
	PollWait(t, f, &ctx.Wqh, pt)
	count := ctx.count.Load()
	var events uint32
	if count > 0 {
		events |= rings.EPOLLIN
	}
	if count == math.MaxUint64 {
		events |= rings.EPOLLERR
	}
	if math.MaxUint64-1 > count {
		events |= rings.EPOLLOUT
	}
	return events
}

// Release wakes the queue with EPOLLHUP.
// Linux: fs/eventfd.c:eventfd_release()
func (eventfdFileOps) Release(t *sim.Thread, f *File) {
	ctx := f.Private.(*EventfdCtx)
	ctx.Wqh.WakeUp(t, rings.EPOLLHUP)
}

// ShowFdinfo prints the counter, the id and the semaphore flag.
// Linux: fs/eventfd.c:eventfd_show_fdinfo()
func (eventfdFileOps) ShowFdinfo(f *File) string {
	ctx := f.Private.(*EventfdCtx)
	sem := 0
	if ctx.flags&EFD_SEMAPHORE != 0 {
		sem = 1
	}
	return fmt.Sprintf("eventfd-count: %16x\neventfd-id: %d\neventfd-semaphore: %d\n", ctx.count.Load(), ctx.id, sem)
}
