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
