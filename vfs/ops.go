package vfs

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Kernel-private constants of the file layer.
const (
	// PAGE_SIZE is the simulated page size (x86-64).
	PAGE_SIZE = 4096
	// MAX_RW_COUNT caps the byte count of one read or write: INT_MAX
	// rounded down to a page.
	// Linux: include/linux/fs.h:MAX_RW_COUNT
	MAX_RW_COUNT = math.MaxInt32 &^ (PAGE_SIZE - 1)
	// MAX_LFS_FILESIZE is the largest file size (s_maxbytes of tmpfs).
	// Linux: include/linux/fs.h:MAX_LFS_FILESIZE
	MAX_LFS_FILESIZE = math.MaxInt64
	// ERESTARTSYS is what an interrupted blocking file operation returns
	// (negated); system call exit turns it into EINTR when the signal
	// has a handler (and, in the simulator, always), io_uring turns it
	// into -EINTR in its CQE (io_rw_done()).
	// Linux: include/linux/errno.h:ERESTARTSYS
	ERESTARTSYS = 512
)

// Reader is read_iter: read into dst at *off (advancing it) or, for a
// stream file (FMODE_STREAM), ignoring off (nil is fine). It returns the
// bytes read or a negated errno. nonblock is IOCB_NOWAIT: the caller cannot
// sleep, so where the read would block it returns -EAGAIN; the file's own
// O_NONBLOCK (f.Flags) has the same effect and is checked by the
// implementation, as in Linux. A read that blocks and is interrupted
// returns -ERESTARTSYS.
// Linux: include/linux/fs.h:struct file_operations.read_iter
type Reader interface {
	Read(t *sim.Thread, f *File, dst []byte, off *int64, nonblock bool) int
}

// Writer is write_iter, the counterpart of Reader: it writes src at *off
// (advancing it) and returns the bytes written or a negated errno.
// Linux: include/linux/fs.h:struct file_operations.write_iter
type Writer interface {
	Write(t *sim.Thread, f *File, src []byte, off *int64, nonblock bool) int
}

// PollTable is a poll_table: what vfs_poll's callers pass to learn which
// wait queues to watch. The file's Poll calls PollWait on each of its wait
// queues before it computes the mask, so a waiter queued there cannot miss
// a change that happens after the mask was computed.
// Linux: include/linux/poll.h:struct poll_table_struct
type PollTable struct {
	// Qproc queues the caller's entry on q (poll_queue_proc). Nil turns
	// PollWait into a no-op (a poll table used only for the mask).
	Qproc func(t *sim.Thread, f *File, q *sim.WaitQueueHead, pt *PollTable)
	// Key is the events the caller is interested in (_key).
	Key uint32
	// Private is free for the owner of the table (io_uring's
	// io_poll_table keeps its request and error here).
	Private any
}

// PollWait registers the poll table's entry on q (poll_wait).
// Linux: include/linux/poll.h:poll_wait()
func PollWait(t *sim.Thread, f *File, q *sim.WaitQueueHead, pt *PollTable) {
	if pt != nil && pt.Qproc != nil && q != nil {
		pt.Qproc(t, f, q, pt)
	}
}

// Poller is f_op->poll: it calls PollWait for each wait queue that wakes
// on a change of readiness (with the EPOLL* mask of the change as key, or
// 0 when the change is not described) and returns the current ready mask.
// pt may be nil.
// Linux: include/linux/fs.h:struct file_operations.poll
type Poller interface {
	Poll(t *sim.Thread, f *File, pt *PollTable) uint32
}

// Fsyncer is f_op->fsync over [start, end] (datasync: fdatasync).
// Linux: include/linux/fs.h:struct file_operations.fsync
type Fsyncer interface {
	Fsync(t *sim.Thread, f *File, start, end int64, datasync bool) int
}

// Truncater sets the size of a regular file (notify_change with ATTR_SIZE,
// the inode's setattr).
// Linux: include/linux/fs.h:struct inode_operations.setattr
type Truncater interface {
	Truncate(t *sim.Thread, f *File, size int64) int
}

// Sizer reports the file's size (i_size_read).
// Linux: include/linux/fs.h:i_size_read()
type Sizer interface {
	Size(f *File) int64
}

// Seeker is f_op->llseek: it moves f.Pos and returns the new position or
// a negated errno. The caller holds the position lock (LockPos).
// Linux: include/linux/fs.h:struct file_operations.llseek
type Seeker interface {
	Llseek(t *sim.Thread, f *File, off int64, whence int) int64
}

// Fdinfoer is f_op->show_fdinfo: the file-specific lines of
// /proc/<pid>/fdinfo/<fd>, each ending in a newline.
// Linux: include/linux/fs.h:struct file_operations.show_fdinfo
type Fdinfoer interface {
	ShowFdinfo(f *File) string
}

// DEFAULT_POLLMASK is what vfs_poll reports for a file without a poll
// operation (regular files): always readable and writable.
// Linux: include/linux/poll.h:DEFAULT_POLLMASK
const DEFAULT_POLLMASK = rings.EPOLLIN | rings.EPOLLOUT | rings.EPOLLRDNORM | rings.EPOLLWRNORM

// CanPoll reports whether the file has a poll operation (file_can_poll).
// Linux: include/linux/poll.h:file_can_poll()
func CanPoll(f *File) bool {
	_, ok := f.Op.(Poller)
	return ok
}

// Poll is vfs_poll: the file's poll, or DEFAULT_POLLMASK without one.
// Linux: include/linux/poll.h:vfs_poll()
func Poll(t *sim.Thread, f *File, pt *PollTable) uint32 {
	p, ok := f.Op.(Poller)
	if !ok {
		return DEFAULT_POLLMASK
	}
	return p.Poll(t, f, pt)
}

// rwVerifyArea checks a read or write of count bytes at *pos (nil for a
// stream file) and returns count clamped to MAX_RW_COUNT, or -EINVAL.
// Linux: fs/read_write.c:rw_verify_area()
func rwVerifyArea(f *File, pos *int64, count int) int {
	if count < 0 {
		return -int(unix.EINVAL)
	}
	if pos != nil {
		p := *pos
		if p < 0 || p > math.MaxInt64-int64(count) {
			return -int(unix.EINVAL)
		}
	}
	return min(count, MAX_RW_COUNT)
}

// ReadCheck is what vfs_read checks before it looks at the user buffer:
// -EBADF unless the file is open for reading, -EINVAL without a read
// operation (FMODE_CAN_READ), else 0.
// Linux: fs/read_write.c:vfs_read()
func ReadCheck(f *File) int {
	if f.FMode&FMODE_READ == 0 {
		return -int(unix.EBADF)
	}
	if _, ok := f.Op.(Reader); !ok {
		return -int(unix.EINVAL)
	}
	return 0
}

// WriteCheck is ReadCheck for writing (FMODE_WRITE, FMODE_CAN_WRITE).
// Linux: fs/read_write.c:vfs_write()
func WriteCheck(f *File) int {
	if f.FMode&FMODE_WRITE == 0 {
		return -int(unix.EBADF)
	}
	if _, ok := f.Op.(Writer); !ok {
		return -int(unix.EINVAL)
	}
	return 0
}

// Read is vfs_read on a kernel-side view of the user buffer: ReadCheck,
// then rw_verify_area (-EINVAL for a bad position), then the file's Read
// with the count clamped to MAX_RW_COUNT. pos is nil for a stream file or
// the position to read at (a copy of f.Pos for read(2), the offset for
// pread(2)); the caller stores it back.
// Differs from Linux: the caller resolves the user buffer to memory before
// the call, so an unmapped buffer fails with -EFAULT before the file is
// touched (Linux finds it while copying, after a pipe read may have
// blocked or an eventfd read consumed the counter).
// Linux: fs/read_write.c:vfs_read()
func Read(t *sim.Thread, f *File, dst []byte, pos *int64, nonblock bool) int {
	if ret := ReadCheck(f); ret < 0 {
		return ret
	}
	n := rwVerifyArea(f, pos, len(dst))
	if n < 0 {
		return n
	}
	return f.Op.(Reader).Read(t, f, dst[:n], pos, nonblock)
}

// Write is vfs_write, the counterpart of Read.
// Linux: fs/read_write.c:vfs_write()
func Write(t *sim.Thread, f *File, src []byte, pos *int64, nonblock bool) int {
	if ret := WriteCheck(f); ret < 0 {
		return ret
	}
	n := rwVerifyArea(f, pos, len(src))
	if n < 0 {
		return n
	}
	return f.Op.(Writer).Write(t, f, src[:n], pos, nonblock)
}

// Ppos is where read(2) and write(2) keep the position: nil for a stream
// file, else f.Pos.
// Linux: fs/read_write.c:file_ppos()
func Ppos(f *File) *int64 {
	if f.FMode&FMODE_STREAM != 0 {
		return nil
	}
	return &f.Pos
}

// Shutdowner is implemented by socket files (sock_from_file finds a
// socket): shutdown(2) on anything else is -ENOTSOCK.
// Linux: net/socket.c:__sys_shutdown_sock()
type Shutdowner interface {
	Shutdown(t *sim.Thread, f *File, how int) int
}

// Fsync is vfs_fsync_range: -EINVAL for a file without fsync.
// Linux: fs/sync.c:vfs_fsync_range()
func Fsync(t *sim.Thread, f *File, start, end int64, datasync bool) int {
	s, ok := f.Op.(Fsyncer)
	if !ok {
		return -int(unix.EINVAL)
	}
	return s.Fsync(t, f, start, end, datasync)
}

// Llseek is vfs_llseek: -ESPIPE unless the file is seekable (FMODE_LSEEK);
// a seekable file without its own llseek keeps its position and returns it
// (noop_llseek).
// Linux: fs/read_write.c:vfs_llseek(), noop_llseek()
func Llseek(t *sim.Thread, f *File, off int64, whence int) int64 {
	if f.FMode&FMODE_LSEEK == 0 {
		return -int64(unix.ESPIPE)
	}
	s, ok := f.Op.(Seeker)
	if !ok {
		return f.Pos
	}
	return s.Llseek(t, f, off, whence)
}

// waitEventInterruptibleExclusive sleeps on q until cond holds
// (wait_event_interruptible_exclusive), queued exclusive so that a wake-one
// wakes one such sleeper. It returns 0, or -ERESTARTSYS when the thread
// was interrupted. cond is evaluated without any lock of the caller held.
// Linux: include/linux/wait.h:wait_event_interruptible_exclusive()
func waitEventInterruptibleExclusive(t *sim.Thread, q *sim.WaitQueueHead, reason string, cond func() bool) int {
	return waitEvent(t, q, reason, cond, true)
}

// waitEventInterruptible sleeps on q until cond holds, queued non-exclusive
// (wait_event_interruptible). It returns 0 or -ERESTARTSYS.
// Linux: include/linux/wait.h:wait_event_interruptible()
func waitEventInterruptible(t *sim.Thread, q *sim.WaitQueueHead, reason string, cond func() bool) int {
	return waitEvent(t, q, reason, cond, false)
}

// waitEvent is the loop of the wait_event_interruptible family
// (___wait_event): prepare, test, sleep, until cond or a signal.
// Linux: include/linux/wait.h:___wait_event()
func waitEvent(t *sim.Thread, q *sim.WaitQueueHead, reason string, cond func() bool, exclusive bool) int {
	if cond() {
		return 0
	}
	e := sim.WaitQueueEntry{Func: sim.AutoremoveWakeFunction}
	t.SetWaitReason(reason)
	ret := 0
	for {
		if exclusive {
			q.PrepareToWaitExclusive(t, &e, sim.TaskInterruptible)
		} else {
			q.PrepareToWait(t, &e, sim.TaskInterruptible)
		}
		if cond() {
			break
		}
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		t.Schedule()
	}
	q.FinishWait(t, &e)
	t.SetWaitReason("")
	return ret
}

// waitEventInterruptibleLocked sleeps on q until cond holds, entered and
// left with q's lock held (wait_event_interruptible_locked_irq): cond is
// evaluated under the lock. It returns 0 or -ERESTARTSYS.
// Differs from Linux: the entry is queued at the head (sim offers no
// non-exclusive tail insertion), which changes only the order in which
// several sleepers are woken.
// Linux: include/linux/wait.h:wait_event_interruptible_locked_irq(), kernel/sched/wait.c:do_wait_intr_irq()
func waitEventInterruptibleLocked(t *sim.Thread, q *sim.WaitQueueHead, reason string, cond func() bool) int {
	e := sim.WaitQueueEntry{Func: sim.AutoremoveWakeFunction, Thread: t}
	t.SetWaitReason(reason)
	ret := 0
	for !cond() {
		if !e.Queued() {
			q.AddLocked(&e)
		}
		t.SetState(sim.TaskInterruptible)
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		q.Unlock(t)
		t.Schedule()
		q.Lock(t)
	}
	q.RemoveLocked(&e)
	t.SetState(sim.TaskRunning)
	t.SetWaitReason("")
	return ret
}
