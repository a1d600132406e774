package vfs

// Peek returns the file at fd (nil if none) without the table's lock or a
// reference: for a checker reading the state of a deterministic world from
// its running thread, which no other thread runs beside, and which must
// not yield (a lock is a yield point).
func (ft *FDTable) Peek(fd int) *File {
	if fd < 0 || fd >= len(ft.fds) {
		return nil
	}
	return ft.fds[fd]
}
