package vfs

import (
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// What block devices offer beyond read and write: polled completions
// (f_op->iopoll), driver commands (f_op->uring_cmd), and the S_ISBLK mode
// bit the io_uring core looks at. The simulated NVMe device of package
// blockdev implements them; the io_uring side reaches a device only
// through these interfaces.

// DoneFunc is a kiocb's ki_complete: called with the transfer's result
// (bytes, or a negated errno) and the token the submitter passed.
type DoneFunc func(t *sim.Thread, token any, res int)

// BlockDevice marks a block device file (S_ISBLK): io-wq does not treat
// its work as unbound, and a short transfer is completed as for a
// regular file.
// Linux: include/linux/stat.h:S_ISBLK()
type BlockDevice interface {
	BlockDevice()
}

// IsBlockDevice reports whether f is a block device.
func IsBlockDevice(f *File) bool {
	_, ok := f.Op.(BlockDevice)
	return ok
}

// Kiocb is a direct transfer as the block layer gets it (struct kiocb
// with IOCB_DIRECT and its iov_iter).
// Linux: include/linux/fs.h:struct kiocb
type Kiocb struct {
	Write bool
	Segs  [][]byte // the user buffers, in order
	Pos   int64    // the file offset
	// Nowait is IOCB_NOWAIT: return -EAGAIN rather than block (a full
	// queue, page-cache pages to write back first).
	Nowait bool
	// Hipri is IOCB_HIPRI: queue the command on a polled queue; Done is
	// then called only from a later Iopoll that finds it finished.
	Hipri bool
	// DSync is iocb_is_dsync: the write must be durable when it
	// completes (REQ_FUA on a device with a volatile write cache).
	DSync bool
	Done  DoneFunc // ki_complete, for a transfer that returned -EIOCBQUEUED
	Token any
}

// DirectIO is implemented by files that do direct I/O (a block device
// opened with O_DIRECT): the transfer is queued to the device and the call
// returns -EIOCBQUEUED, or it fails at once with a negated errno (-EINVAL
// for misalignment, -EAGAIN for a Nowait transfer that would block), or
// returns a count it finished without queueing (0 at the end).
// Linux: block/fops.c:blkdev_read_iter(), blkdev_direct_write(), __blkdev_direct_IO()
type DirectIO interface {
	DirectIO(t *sim.Thread, f *File, io *Kiocb) int
}

// Iopoller is f_op->iopoll and f_op->uring_cmd_iopoll: reap the finished
// commands of the polled queue that the token's transfer went to, calling
// each one's done from the caller's context. With spin the caller busy
// waits (virtual time passes) until at least one command of that queue
// has finished. It returns how many commands it completed, or a negated
// errno.
// Linux: include/linux/fs.h:file_operations.iopoll, block/blk-mq.c:blk_mq_poll()
type Iopoller interface {
	Iopoll(t *sim.Thread, f *File, token any, spin bool) int
}

// UringCmd is struct io_uring_cmd as a driver sees it.
// Linux: include/linux/io_uring/cmd.h:struct io_uring_cmd
type UringCmd struct {
	Op    uint32 // sqe->cmd_op
	Flags uint32 // sqe->uring_cmd_flags
	// Cmd is the SQE's command area (sqe->cmd): 16 bytes, 80 on an
	// IORING_SETUP_SQE128 ring. It is a stable copy.
	Cmd []byte
	// SQE is a copy of the SQE's first 64 bytes, for drivers that take
	// arguments from its other fields (addr, addr3, len).
	SQE rings.SQE
	// MM is the submitting task's address space: user pointers inside
	// the command are resolved there.
	MM *mm.AddressSpace
	// SQE128, CQE32, Iopoll and Nonblock are the issue flags a driver
	// tests (IO_URING_F_SQE128, _CQE32, _IOPOLL, _NONBLOCK).
	SQE128, CQE32, Iopoll, Nonblock bool
	// Done is io_uring_cmd_done, for a command that returned
	// -EIOCBQUEUED: res goes to the CQE, res2 to its first extra word on
	// a 32-byte CQE ring. On a polled command it is called from Iopoll.
	Done  func(t *sim.Thread, token any, res int, res2 uint64)
	Token any
}

// UringCmder is f_op->uring_cmd: it returns the command's result, or
// -EIOCBQUEUED when c.Done will be called later, or -EAGAIN to be retried
// blocking (Nonblock clear) from io-wq.
// Linux: include/linux/fs.h:file_operations.uring_cmd
type UringCmder interface {
	UringCmd(t *sim.Thread, f *File, c *UringCmd) int
}

// WaitEvent sleeps on q until cond holds (wait_event_interruptible), for
// device code outside this package. It returns 0 or -ERESTARTSYS.
// Linux: include/linux/wait.h:wait_event_interruptible()
func WaitEvent(t *sim.Thread, q *sim.WaitQueueHead, reason string, cond func() bool) int {
	return waitEventInterruptible(t, q, reason, cond)
}
