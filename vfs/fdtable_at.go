package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// InstallAt puts f at descriptor fd, closing what was there (dup2's
// replace), with the close-on-exec flag cloexec. The table takes over the
// caller's reference. -EBADF for fd outside [0, MaxFDs).
// Linux: fs/file.c:do_dup2(), replace_fd()
func (ft *FDTable) InstallAt(t *sim.Thread, fd int, f *File, cloexec bool) int {
	if fd < 0 || fd >= MaxFDs {
		return -int(unix.EBADF)
	}
	ft.lock.Lock(t)
	for len(ft.fds) <= fd {
		ft.fds = append(ft.fds, nil)
		ft.cloexec = append(ft.cloexec, false)
	}
	old := ft.fds[fd]
	ft.fds[fd], ft.cloexec[fd] = f, cloexec
	ft.lock.Unlock(t)
	if old != nil {
		old.Put(t)
	}
	return fd
}

// Move moves the file at descriptor from to descriptor to (dup2 then
// close), keeping its close-on-exec flag; to == from does nothing. It
// returns 0 or -EBADF.
func (ft *FDTable) Move(t *sim.Thread, from, to int) int {
	if from == to {
		return 0
	}
	f := ft.GetRaw(t, from)
	if f == nil {
		return -int(unix.EBADF)
	}
	cloexec, _ := ft.CloseOnExec(t, from)
	if r := ft.InstallAt(t, to, f, cloexec); r < 0 {
		f.Put(t)
		return r
	}
	return ft.Close(t, from)
}

// SetMissing makes the table ask missing for the file of an empty slot
// when a lookup finds it empty (uringsim exec: the program's own
// descriptor, which the simulator learns of when an SQE or a system call
// names it); a file it returns is installed there. missing runs with the
// table's lock held and must not call into the world.
func (ft *FDTable) SetMissing(missing func(fd int) *File) { ft.missing = missing }

// fill asks missing for an empty slot fd.
func (ft *FDTable) fill(fd int) {
	if ft.missing == nil || fd < 0 || fd >= MaxFDs || fd < len(ft.fds) && ft.fds[fd] != nil {
		return
	}
	f := ft.missing(fd)
	if f == nil {
		return
	}
	for len(ft.fds) <= fd {
		ft.fds = append(ft.fds, nil)
		ft.cloexec = append(ft.cloexec, false)
	}
	ft.fds[fd] = f
}

// Drop closes fd if it is open (the program closed or replaced it), and
// reports whether it was.
func (ft *FDTable) Drop(t *sim.Thread, fd int) bool {
	return ft.Close(t, fd) == 0
}
