// Package vfs is the simulated file layer the io_uring ops call: struct file
// with its operations, and per-process file descriptor tables.
//
// A File is reference counted like struct file (fget/fput); its behaviour
// comes from an Operations value (f_op). Optional capabilities — reading,
// writing, polling, fsync, truncate, llseek — are separate interfaces an
// Operations value may also implement (Reader, Writer, Poller, Fsyncer,
// Truncater, Sizer, Seeker), checked with a type assertion, as the kernel
// checks for a non-NULL f_op member. The vfs_* helpers (Read, Write, Poll,
// Fsync, Llseek) do that check and the generic validation around it.
//
// Three file kinds live here: tmpfs regular files (NewTmpfile), pipes
// (NewPipe) and eventfds (NewEventfd). Each blocks only through the sim
// task-state protocol on its own sim.WaitQueueHead, so deterministic worlds
// interleave and report deadlocks correctly, and each wakes its queue with
// the poll mask as key, as Linux does, so io_uring's poll wait entries can
// sit on the same queues.
//
// Linux: include/linux/fs.h:struct file, struct file_operations
package vfs

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// File mode bits (f_mode), kernel-private. Only those the simulator uses.
// Linux: include/linux/fs.h:FMODE_READ
const (
	// FMODE_READ: the file is open for reading.
	FMODE_READ uint32 = 1 << 0
	// FMODE_WRITE: the file is open for writing.
	FMODE_WRITE uint32 = 1 << 1
	// FMODE_LSEEK: the file is seekable.
	FMODE_LSEEK uint32 = 1 << 2
	// FMODE_PREAD: pread(2) is allowed.
	FMODE_PREAD uint32 = 1 << 3
	// FMODE_PWRITE: pwrite(2) is allowed.
	FMODE_PWRITE uint32 = 1 << 4
	// FMODE_ATOMIC_POS: f_pos updates are serialised by f_pos_lock.
	FMODE_ATOMIC_POS uint32 = 1 << 15
	// FMODE_CAN_ODIRECT: O_DIRECT may be set on the file (fcntl F_SETFL).
	FMODE_CAN_ODIRECT uint32 = 1 << 22
	// FMODE_STREAM: the file has no position (pipes, sockets); reads and
	// writes ignore f_pos.
	FMODE_STREAM uint32 = 1 << 21
	// FMODE_NOWAIT: the file supports IOCB_NOWAIT (nonblocking attempts).
	FMODE_NOWAIT uint32 = 1 << 27
)

// Operations is the minimum every file type provides: f_op->release.
type Operations interface {
	// Release is called when the last reference is dropped.
	Release(t *sim.Thread, f *File)
}

// File is an open file description (struct file).
type File struct {
	Op      Operations
	Private any    // private_data: the object behind the file
	Name    string // what /proc/self/fd would show, e.g. "anon_inode:[io_uring]"
	Flags   uint32 // f_flags (O_NONBLOCK, O_RDWR, ...)
	ID      uint64 // stable identity within a kernel, for traces and io-wq hashing
	// FMode is f_mode (FMODE_*). NewFile derives FMODE_READ/FMODE_WRITE
	// from the access mode in Flags; the file kinds of this package set
	// the rest.
	FMode uint32
	// Pos is f_pos, the file position read(2) and write(2) use. Access
	// it with the file's position lock held (LockPos) when FMODE_ATOMIC_POS
	// is set.
	Pos int64

	posLock sim.Mutex // f_pos_lock
	refs    atomic.Int64
	ep      fileEp      // f_ep: the epoll items watching the file
	epAny   atomic.Bool // ep.items is not empty (the lockless f_ep check)
}

// NewFile returns a file holding one reference. Its f_mode has FMODE_READ
// and FMODE_WRITE as the access mode of flags says (O_RDONLY, O_WRONLY,
// O_RDWR).
// Linux: fs/file_table.c:alloc_empty_file(), fs/open.c:do_dentry_open()
func NewFile(op Operations, private any, name string, flags uint32, id uint64) *File {
	f := &File{Op: op, Private: private, Name: name, Flags: flags, ID: id, FMode: accModeFMode(flags)}
	f.refs.Store(1)
	return f
}

// accModeFMode is OPEN_FMODE(): the f_mode read/write bits of an access mode.
func accModeFMode(flags uint32) uint32 {
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		return FMODE_READ
	case unix.O_WRONLY:
		return FMODE_WRITE
	case unix.O_RDWR:
		return FMODE_READ | FMODE_WRITE
	}
	return 0
}

// LockPos takes f_pos_lock if the file's position needs it (fdget_pos):
// FMODE_ATOMIC_POS files. It returns whether it locked, for UnlockPos.
// Differs from Linux: the lock is taken even when the file has a single
// reference (Linux skips it then).
// Linux: fs/file.c:fdget_pos(), file_needs_f_pos_lock()
func (f *File) LockPos(t *sim.Thread) bool {
	if f.FMode&FMODE_ATOMIC_POS == 0 {
		return false
	}
	f.posLock.Lock(t)
	return true
}

// UnlockPos releases what LockPos took (fdput_pos).
func (f *File) UnlockPos(t *sim.Thread, locked bool) {
	if locked {
		f.posLock.Unlock(t)
	}
}

// Get takes a reference (get_file).
func (f *File) Get() *File {
	f.refs.Add(1)
	return f
}

// Put drops a reference and releases the file on the last one, at once:
// fput as a caller holding no lock sees it. Kernel code that may drop the
// last reference under a lock defers the release with Unref and Release.
// Linux: fs/file_table.c:fput()
func (f *File) Put(t *sim.Thread) {
	if f.Unref() {
		f.Release(t)
	}
}

// Unref drops a reference and reports whether it was the last one, when
// the caller must call Release (now, or later from task_work as fput
// arranges).
// Linux: fs/file_table.c:fput() (file_ref_put)
func (f *File) Unref() bool { return f.refs.Add(-1) == 0 }

// Release tears down a file whose last reference is gone.
// Linux: fs/file_table.c:__fput()
func (f *File) Release(t *sim.Thread) {
	eventpollRelease(t, f)
	f.Op.Release(t, f)
}

// Refs is the current reference count, for tests and fdinfo.
func (f *File) Refs() int64 { return f.refs.Load() }
