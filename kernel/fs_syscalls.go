package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The plain file system calls on the task's descriptor table: what a
// program does to pipes, eventfds and tmpfs files outside io_uring. Each
// returns what the system call returns (a negated errno on failure) and
// runs pending task_work on its way out, like every entry point.

// accessOK is access_ok(addr, n) (mm.AccessOK).
func accessOK(addr, n uint64) bool { return mm.AccessOK(addr, n) }

// userBuf resolves the user range [addr, addr+n) to memory: the part of it
// mapped contiguously from addr (a fault past that point ends the copy
// early, as in Linux), or -EFAULT if addr itself is not mapped.
func (task *Task) userBuf(addr, n uint64) ([]byte, int) {
	if n == 0 {
		return nil, 0
	}
	m := task.Proc.MM.Lookup(addr)
	if m == nil {
		return nil, -EFAULT
	}
	b, errno := task.Proc.MM.Slice(addr, min(n, m.End()-addr))
	if errno != 0 {
		return nil, -EFAULT
	}
	return b, 0
}

// syscallRet turns the kernel-internal restart code into what user space
// sees: an interrupted blocking call fails with EINTR (in the simulator
// every interruption is one a handler would see).
// Linux: arch/x86/kernel/signal.c:handle_signal()
func syscallRet(ret int) int {
	if ret == -vfs.ERESTARTSYS {
		return -EINTR
	}
	return ret
}

// Read is read(2): up to n bytes from fd into user memory at buf, at the
// file position (which it advances) unless fd is a stream.
// Differs from Linux: only the part of the buffer mapped contiguously from
// buf is offered to the file (see vfs.Read).
// Linux: fs/read_write.c:ksys_read(), vfs_read()
func Read(task *Task, fd int, buf, n uint64) int {
	return readWrite(task, fd, buf, n, false)
}

// Write is write(2): n bytes from user memory at buf to fd, at the file
// position (which it advances; O_APPEND writes at the end) unless fd is a
// stream. Writing to a pipe with no reader is -EPIPE.
// Differs from Linux: no SIGPIPE is raised; only the part of the buffer
// mapped contiguously from buf is offered to the file.
// Linux: fs/read_write.c:ksys_write(), vfs_write()
func Write(task *Task, fd int, buf, n uint64) int {
	return readWrite(task, fd, buf, n, true)
}

// readWrite is ksys_read/ksys_write: the descriptor, f_pos lock, mode,
// access_ok and count checks, then the transfer at the file position
// (none for a stream), advancing it.
func readWrite(task *Task, fd int, buf, n uint64, write bool) int {
	return fdSyscall(task, fd, func(t *sim.Thread, f *vfs.File) int {
		return task.readWriteFile(t, f, buf, n, write)
	})
}

// readWriteFile is the part of ksys_read/ksys_write after fdget_pos.
func (task *Task) readWriteFile(t *sim.Thread, f *vfs.File, buf, n uint64, write bool) int {
	locked := f.LockPos(t)
	defer f.UnlockPos(t, locked)
	check := vfs.ReadCheck
	if write {
		check = vfs.WriteCheck
	}
	if ret := check(f); ret < 0 {
		return ret
	}
	if !accessOK(buf, n) {
		return -EFAULT
	}
	if n > uint64(1<<63-1) {
		return -EINVAL // rw_verify_area: (ssize_t)count < 0
	}
	b, errno := task.userBuf(buf, min(n, vfs.MAX_RW_COUNT))
	if errno != 0 {
		return errno
	}
	var pos int64
	ppos := vfs.Ppos(f)
	if ppos != nil {
		pos = *ppos
		ppos = &pos
	}
	var ret int
	if write {
		ret = vfs.Write(t, f, b, ppos, false)
	} else {
		ret = vfs.Read(t, f, b, ppos, false)
	}
	if ret >= 0 && ppos != nil && pos != f.Pos {
		f.Pos = pos // unchanged for files that ignore it: no racing store
	}
	return syscallRet(ret)
}

// Pipe2 is pipe2(2): it creates a pipe and installs its read and write
// ends at the two lowest free descriptors. flags: O_NONBLOCK, O_CLOEXEC,
// O_DIRECT (packet mode); others are -EINVAL. It returns the two
// descriptors, or an errno (negated) with r and w -1.
// Differs from Linux: the descriptors are returned, not stored to user
// memory.
// Linux: fs/pipe.c:do_pipe2(), __do_pipe_flags()
func Pipe2(task *Task, flags uint32) (r, w, errno int) {
	defer task.ReturnToUser()
	t := task.Thread
	k := task.Proc.K
	rf, wf, errno := vfs.NewPipe(k.NewFileID(), k.NewFileID(), flags)
	if errno != 0 {
		return -1, -1, errno
	}
	r, w, errno = task.Proc.Files.InstallPair(t, rf, wf, flags)
	if errno != 0 {
		rf.Put(t)
		wf.Put(t)
		return -1, -1, errno
	}
	return r, w, 0
}

// Eventfd2 is eventfd2(2): an eventfd with counter initval. flags:
// EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC; others are -EINVAL.
// Linux: fs/eventfd.c:do_eventfd()
func Eventfd2(task *Task, initval uint32, flags uint32) int {
	defer task.ReturnToUser()
	f, errno := vfs.NewEventfd(task.Proc.K.NewFileID(), initval, flags)
	return installNew(task, f, errno, flags)
}

// installNew installs a newly made file at the lowest free descriptor
// with flags' O_CLOEXEC (anon_inode_getfd), or returns errno from making
// it; a full table drops the file.
func installNew(task *Task, f *vfs.File, errno int, flags uint32) int {
	if errno != 0 {
		return errno
	}
	fd := task.Proc.Files.InstallFlags(task.Thread, f, flags)
	if fd < 0 {
		f.Put(task.Thread)
	}
	return fd
}

// EpollCreate1 is epoll_create1(2): flags may hold EPOLL_CLOEXEC only.
// Linux: fs/eventpoll.c:do_epoll_create()
func EpollCreate1(task *Task, flags uint32) int {
	defer task.ReturnToUser()
	f, errno := vfs.NewEpoll(task.Proc.K.NewFileID(), flags)
	return installNew(task, f, errno, flags)
}

// EpollCtl is epoll_ctl(2) with the struct epoll_event at user address
// event (not read for EPOLL_CTL_DEL).
// Linux: fs/eventpoll.c:SYSCALL_DEFINE4(epoll_ctl)
func EpollCtl(task *Task, epfd, op, fd int, event uint64) int {
	defer task.ReturnToUser()
	var ev *vfs.EpollEvent
	if op != unix.EPOLL_CTL_DEL {
		e, errno := vfs.ReadEpollEvent(task.Proc.MM, event)
		if errno != 0 {
			return errno
		}
		ev = &e
	}
	return vfs.DoEpollCtl(task.Thread, &task.Proc.Files, epfd, op, fd, ev, false)
}

// ReopenPipeRdwr opens the pipe at fd again with O_RDWR|O_CLOEXEC, as
// open("/proc/self/fd/FD", O_RDWR|O_CLOEXEC) does, and returns the new
// descriptor (vfs.FifoOpenRdwr).
// Linux: fs/proc/fd.c:proc_fd_link(), fs/pipe.c:fifo_open()
func ReopenPipeRdwr(task *Task, fd int) int {
	defer task.ReturnToUser()
	t := task.Thread
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -ENOENT // no /proc/self/fd/FD
	}
	rw, errno := vfs.FifoOpenRdwr(f, task.Proc.K.NewFileID(), unix.O_CLOEXEC)
	f.Put(t)
	if errno != 0 {
		return errno
	}
	nfd := task.Proc.Files.InstallFlags(t, rw, unix.O_CLOEXEC)
	if nfd < 0 {
		rw.Put(t)
	}
	return nfd
}

// OpenTmpfile creates an unnamed tmpfs regular file holding a copy of data,
// opened read-write with its position at 0, and returns its descriptor:
// open(2) of a tmpfs directory with O_TMPFILE|O_RDWR, then the data
// written with pwrite(2). What scenarios' `file NAME size=N data=…` uses
// (with Ftruncate for the size).
// Linux: fs/namei.c:do_o_tmpfile(), mm/shmem.c:shmem_tmpfile()
func OpenTmpfile(task *Task, data []byte) int {
	defer task.ReturnToUser()
	t := task.Thread
	f := vfs.NewTmpfile(task.Proc.K.NewFileID(), unix.O_TMPFILE|unix.O_RDWR|vfs.O_LARGEFILE, data)
	fd := task.Proc.Files.Install(t, f)
	if fd < 0 {
		f.Put(t)
	}
	return fd
}

// Ftruncate is ftruncate(2): it sets a regular file's size. A negative
// length, a file that is not regular or not open for writing, is -EINVAL.
// Linux: fs/open.c:do_sys_ftruncate(), do_ftruncate()
func Ftruncate(task *Task, fd int, length int64) int {
	defer task.ReturnToUser()
	t := task.Thread
	if length < 0 {
		return -EINVAL
	}
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -EBADF
	}
	defer f.Put(t)
	tr, ok := f.Op.(vfs.Truncater)
	if !ok || f.FMode&vfs.FMODE_WRITE == 0 {
		return -EINVAL
	}
	return tr.Truncate(t, f, length)
}

// Fsync is fsync(2) (datasync: fdatasync(2)): -EINVAL for a file without
// fsync (pipes, eventfds).
// Linux: fs/sync.c:do_fsync(), vfs_fsync()
func Fsync(task *Task, fd int, datasync bool) int {
	return fdSyscall(task, fd, func(t *sim.Thread, f *vfs.File) int {
		return vfs.Fsync(t, f, 0, 1<<63-1, datasync)
	})
}

// Lseek is lseek(2): the new position, -ESPIPE on a pipe (and on a ring),
// -EINVAL for an unknown whence or a bad resulting position. An eventfd
// keeps position 0.
// Linux: fs/read_write.c:ksys_lseek(), vfs_llseek()
func Lseek(task *Task, fd int, offset int64, whence int) int64 {
	defer task.ReturnToUser()
	t := task.Thread
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -int64(EBADF)
	}
	defer f.Put(t)
	locked := f.LockPos(t)
	defer f.UnlockPos(t, locked)
	if whence < 0 || whence > unix.SEEK_HOLE { // SEEK_MAX
		return -int64(EINVAL)
	}
	return vfs.Llseek(t, f, offset, whence)
}

// Shutdown is shutdown(2): -EBADF for a bad descriptor, -ENOTSOCK for a
// file that is not a socket (every file of the simulator so far).
// Linux: net/socket.c:__sys_shutdown()
func Shutdown(task *Task, fd int, how int) int {
	return fdSyscall(task, fd, func(t *sim.Thread, f *vfs.File) int {
		s, ok := f.Op.(vfs.Shutdowner)
		if !ok {
			return -int(unix.ENOTSOCK)
		}
		return s.Shutdown(t, f, how)
	})
}

// setflMask are the file status flags F_SETFL may change.
// Linux: fs/fcntl.c:SETFL_MASK
const setflMask = unix.O_APPEND | unix.O_NONBLOCK | unix.O_NDELAY | unix.O_DIRECT | unix.O_NOATIME | unix.O_ASYNC

// Fcntl is fcntl(2) for the commands on descriptor and status flags:
// F_GETFD/F_SETFD (FD_CLOEXEC), F_GETFL, F_SETFL (O_APPEND, O_NONBLOCK,
// O_DIRECT where the file allows it, O_NOATIME, O_ASYNC). Other commands
// are -EINVAL.
// Differs from Linux: F_SETFL changing f_flags while another thread does
// I/O on the same file is a data race in a concurrent-mode world (Linux
// reads f_flags racily by design); O_NOATIME is not permission-checked and
// O_ASYNC arms no SIGIO.
// Linux: fs/fcntl.c:do_fcntl(), setfl()
func Fcntl(task *Task, fd int, cmd int, arg uint64) int {
	return fdSyscall(task, fd, func(t *sim.Thread, f *vfs.File) int {
		switch cmd {
		case unix.F_GETFD:
			ce, errno := task.Proc.Files.CloseOnExec(t, fd)
			if errno != 0 {
				return errno
			}
			if ce {
				return unix.FD_CLOEXEC
			}
			return 0
		case unix.F_SETFD:
			return task.Proc.Files.SetCloseOnExec(t, fd, arg&unix.FD_CLOEXEC != 0)
		case unix.F_GETFL:
			return int(f.Flags)
		case unix.F_SETFL:
			flags := uint32(arg)
			if flags&unix.O_DIRECT != 0 && f.FMode&vfs.FMODE_CAN_ODIRECT == 0 {
				return -EINVAL
			}
			f.Flags = flags&setflMask | f.Flags&^setflMask
			return 0
		}
		return -EINVAL
	})
}

// fdSyscall runs fn on the file at fd the way a system call on a descriptor
// does: -EBADF for a free descriptor, the reference (fdget) dropped after,
// pending task work run on the way back to user space.
// Linux: include/linux/file.h:CLASS(fd)
func fdSyscall(task *Task, fd int, fn func(t *sim.Thread, f *vfs.File) int) int {
	defer task.ReturnToUser()
	t := task.Thread
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -EBADF
	}
	defer f.Put(t)
	return fn(t, f)
}
