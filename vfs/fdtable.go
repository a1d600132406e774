package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// MaxFDs is the simulated RLIMIT_NOFILE.
const MaxFDs = 1024

// FDTable is a process's descriptor table (struct files_struct). Lookups
// and changes are serialised by its spin lock, a scheduling point in
// deterministic mode.
// Linux: include/linux/fdtable.h:struct files_struct
type FDTable struct {
	lock sim.SpinLock
	fds  []*File
}

// Install puts f at the lowest free descriptor and returns it, or -EMFILE.
// The table takes over the caller's reference.
// Linux: fs/file.c:get_unused_fd_flags(), fd_install()
func (ft *FDTable) Install(t *sim.Thread, f *File) int {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	for i, o := range ft.fds {
		if o == nil {
			ft.fds[i] = f
			return i
		}
	}
	if len(ft.fds) >= MaxFDs {
		return -int(unix.EMFILE)
	}
	ft.fds = append(ft.fds, f)
	return len(ft.fds) - 1
}

// Get returns the file at fd with a new reference, or nil (fget).
// Linux: fs/file.c:fget()
func (ft *FDTable) Get(t *sim.Thread, fd int) *File {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return nil
	}
	return ft.fds[fd].Get()
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
	ft.fds[fd] = nil
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
