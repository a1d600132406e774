package vfs

import "github.com/uringsim/uringsim/sim"

// HasFree reports whether a descriptor is free below MaxFDs: what
// get_unused_fd_flags finds before an open does anything, so an open that
// would get -EMFILE fails before it creates its file.
// Differs from Linux: nothing is reserved, so a descriptor installed by
// another thread between this check and the install still makes the
// install fail (after the open).
// Linux: fs/file.c:alloc_fd()
func (ft *FDTable) HasFree(t *sim.Thread) bool {
	ft.lock.Lock(t)
	defer ft.lock.Unlock(t)
	if len(ft.fds) < MaxFDs {
		return true
	}
	for _, f := range ft.fds {
		if f == nil {
			return true
		}
	}
	return false
}
