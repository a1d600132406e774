package vfs

// PlainRW is implemented by file operations that have only ->read or
// ->write, without the iterator forms, for a direction. io_uring drives
// such files through loop_rw_iter, which cannot ask them not to block:
// a nonblocking attempt on a file without O_NONBLOCK answers -EAGAIN
// before calling them.
// Linux: io_uring/rw.c:loop_rw_iter()
type PlainRW interface {
	PlainRead() bool
	PlainWrite() bool
}

// PlainRead: eventfd reads have ->read_iter.
func (eventfdFileOps) PlainRead() bool { return false }

// PlainWrite: eventfd_write is a plain ->write.
// Linux: fs/eventfd.c:eventfd_fops
func (eventfdFileOps) PlainWrite() bool { return true }
