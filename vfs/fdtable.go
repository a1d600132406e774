package vfs

import (
	"golang.org/x/sys/unix"
	"sync/atomic"

	"github.com/uringsim/uringsim/sim"
)

// MaxFDs is the simulated RLIMIT_NOFILE.
const MaxFDs = 1024

// FDTable is a process's descriptor table (struct files_struct). Lookups
// and changes are serialised by its spin lock, a scheduling point in
// deterministic mode.
// Linux: include/linux/fdtable.h:struct files_struct
type FDTable struct {
	lock    sim.SpinLock
	fds     []*File
	cloexec []bool // close_on_exec bitmap, parallel to fds
	// sharers counts the threads that use the table besides its first
	// task (files->count - 1): other tasks of the process, io-wq workers,
	// the SQ thread. Never decremented: once shared, lookups lock and
	// take references for good (a cost, not a behaviour, differs).
	sharers atomic.Int32
	// missing, if set (SetMissing), supplies the file of an empty slot.
	missing func(fd int) *File
	// outside, if set (SetOutside), numbers host files (fdtable_outside.go);
	// displaced holds what its numbers pushed out, to put once unlocked.
	outside   func(f *File, cloexec bool) int
	displaced []*File
}

// Share records one more thread using the table (CLONE_FILES).
// Linux: kernel/fork.c:copy_files() (atomic_inc(&oldf->count))
func (ft *FDTable) Share() { ft.sharers.Add(1) }

// Fdget is fdget(): the file at fd for the length of a system call made
// by the table's own task, or nil (an O_PATH file included, as fget). A
// table no other thread uses cannot change under the caller, so the file
// is borrowed — no lock, no reference — and ref is false; otherwise it is
// Get's referenced file and ref is true. Drop it with Fdput.
// Linux: fs/file.c:__fget_light(), include/linux/file.h:fdget()
func (ft *FDTable) Fdget(t *sim.Thread, fd int) (f *File, ref bool) {
	if ft.sharers.Load() == 0 {
		// fill has work only for an empty slot: a descriptor in the
		// table costs no call.
		if uint(fd) >= uint(len(ft.fds)) || ft.fds[fd] == nil {
			ft.fill(fd)
			if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
				return nil, false
			}
		}
		if f = ft.fds[fd]; f.FMode&FMODE_PATH != 0 {
			return nil, false
		}
		return f, false
	}
	f = ft.Get(t, fd)
	return f, f != nil
}

// Fdput drops what Fdget took.
// Linux: include/linux/file.h:fdput()
func Fdput(t *sim.Thread, f *File, ref bool) {
	if ref {
		f.Put(t)
	}
}

// Install puts f at the lowest free descriptor and returns it, or -EMFILE.
// The table takes over the caller's reference.
// Linux: fs/file.c:get_unused_fd_flags(), fd_install()
func (ft *FDTable) Install(t *sim.Thread, f *File) int {
	return ft.InstallFlags(t, f, 0)
}

// InstallFlags is Install honouring O_CLOEXEC in flags (the close-on-exec
// descriptor flag; other bits are ignored).
// Linux: fs/file.c:get_unused_fd_flags(), fd_install()
func (ft *FDTable) InstallFlags(t *sim.Thread, f *File, flags uint32) int {
	ft.lock.Lock(t)
	fd := ft.installLocked(f, flags&unix.O_CLOEXEC != 0)
	ft.lock.Unlock(t)
	ft.putDisplaced(t)
	return fd
}

// InstallPair installs a and b at the two lowest free descriptors, a
// first, both or neither (as pipe2 reserves both before installing); it
// returns -EMFILE if there is no room for both.
// Linux: fs/pipe.c:__do_pipe_flags(), do_pipe_flags()
func (ft *FDTable) InstallPair(t *sim.Thread, a, b *File, flags uint32) (int, int, int) {
	ft.lock.Lock(t)
	defer ft.putDisplaced(t)
	defer ft.lock.Unlock(t)
	cloexec := flags&unix.O_CLOEXEC != 0
	fa := ft.installLocked(a, cloexec)
	if fa < 0 {
		return -1, -1, fa
	}
	fb := ft.installLocked(b, cloexec)
	if fb < 0 {
		ft.fds[fa], ft.cloexec[fa] = nil, false
		return -1, -1, fb
	}
	return fa, fb, 0
}

func (ft *FDTable) installLocked(f *File, cloexec bool) int {
	if fd, ok := ft.installOutside(f, cloexec); ok {
		return fd
	}
	for i, o := range ft.fds {
		if o == nil {
			ft.fds[i], ft.cloexec[i] = f, cloexec
			return i
		}
	}
	if len(ft.fds) >= MaxFDs {
		return -int(unix.EMFILE)
	}
	ft.fds = append(ft.fds, f)
	ft.cloexec = append(ft.cloexec, cloexec)
	return len(ft.fds) - 1
}

// CloseOnExec reports fd's close-on-exec flag (FD_CLOEXEC), or -EBADF.
// Linux: fs/file.c:close_on_exec()
func (ft *FDTable) CloseOnExec(t *sim.Thread, fd int) (bool, int) {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return false, -int(unix.EBADF)
	}
	return ft.cloexec[fd], 0
}

// Get returns the file at fd with a new reference, or nil (fget): an
// O_PATH file is not returned, so every system call and io_uring request
// that does I/O on a descriptor sees -EBADF for one.
// Linux: fs/file.c:fget(), __fget(fd, FMODE_PATH)
func (ft *FDTable) Get(t *sim.Thread, fd int) *File {
	return ft.get(t, fd, FMODE_PATH)
}

// GetRaw is Get that also returns O_PATH files (fget_raw): the directory
// descriptor of a *at() call, /proc/PID/fdinfo.
// Linux: fs/file.c:fget_raw()
func (ft *FDTable) GetRaw(t *sim.Thread, fd int) *File {
	return ft.get(t, fd, 0)
}

// get is __fget: the file at fd unless its f_mode has a bit of mask.
// Linux: fs/file.c:__fget_files()
func (ft *FDTable) get(t *sim.Thread, fd int, mask uint32) *File {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	ft.fill(fd)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil || ft.fds[fd].FMode&mask != 0 {
		return nil
	}
	return ft.fds[fd].Get()
}

// SetCloseOnExec sets or clears fd's close-on-exec flag, or returns -EBADF.
// Linux: fs/file.c:set_close_on_exec()
func (ft *FDTable) SetCloseOnExec(t *sim.Thread, fd int, on bool) int {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return -int(unix.EBADF)
	}
	ft.cloexec[fd] = on
	return 0
}

// Close removes fd from the table and drops the table's reference.
// Linux: fs/file.c:close_fd()
func (ft *FDTable) Close(t *sim.Thread, fd int) int {
	ft.lock.Lock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		ft.lock.Unlock(t)
		return -int(unix.EBADF)
	}
	f := ft.fds[fd]
	ft.fds[fd], ft.cloexec[fd] = nil, false
	ft.lock.Unlock(t)
	f.Put(t)
	return 0
}

// CloseAll closes every descriptor, lowest first (exit_files).
func (ft *FDTable) CloseAll(t *sim.Thread) {
	for fd := 0; ; fd++ {
		ft.lock.Lock(t)
		n := len(ft.fds)
		ft.lock.Unlock(t)
		if fd >= n {
			return
		}
		ft.Close(t, fd)
	}
}
