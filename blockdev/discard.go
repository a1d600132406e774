package blockdev

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// BLOCK_URING_CMD_DISCARD is _IO(0x12, 137): discard a byte range of a
// block device through IORING_OP_URING_CMD (sqe->addr the start,
// sqe->addr3 the length).
// Linux: include/uapi/linux/fs.h:BLOCK_URING_CMD_DISCARD
const BLOCK_URING_CMD_DISCARD = 0x1289

// nvmeCmdDSM is Dataset Management; with the Deallocate attribute the
// blocks read as zeros afterwards (DLFEAT 001b).
const nvmeCmdDSM = 0x09

// UringCmd is the block device's ->uring_cmd: only discard.
// Linux: block/ioctl.c:blkdev_uring_cmd()
func (b bdevOps) UringCmd(t *sim.Thread, f *vfs.File, c *vfs.UringCmd) int {
	sqe := &c.SQE
	if sqe.Ioprio != 0 || sqe.Pad1() != 0 || sqe.Len != 0 || sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return -int(unix.EINVAL)
	}
	switch c.Op {
	case BLOCK_URING_CMD_DISCARD:
		return b.ns.discard(t, f, c, sqe.Addr, sqe.Addr3)
	}
	return -int(unix.EINVAL)
}

// discard deallocates [start, start+n): the page cache over it is dropped
// and the device zeroes the blocks (volatile until a flush, as a write).
// Linux: block/ioctl.c:blkdev_cmd_discard(), blk_validate_discard()
func (ns *Namespace) discard(t *sim.Thread, f *vfs.File, c *vfs.UringCmd, start, n uint64) int {
	if f.FMode&vfs.FMODE_WRITE == 0 {
		return -int(unix.EBADF)
	}
	lbs := uint64(ns.cfg.LBASize)
	if (start|n)&(lbs-1) != 0 || n == 0 || start+n < start || start+n > uint64(ns.Size()) {
		return -int(unix.EINVAL)
	}
	if ret := ns.cache.prepareDirect(t, ns, int64(start), int64(n), true, c.Nonblock); ret != 0 {
		return ret
	}
	cmd := &command{opcode: nvmeCmdDSM, slba: start / lbs, nlb: uint32(n / lbs), q: &ns.irq,
		token: c.Token, cmdDone: func(t *sim.Thread, token any, status int, _ uint64) {
			res := 0
			if status != NVME_SC_SUCCESS {
				res = statusErrno(uint16(status))
			}
			c.Done(t, token, res, 0)
		}}
	cmd.exec = func(ns *Namespace, c *command) {
		zero := make([]byte, uint64(c.nlb)*lbs)
		ns.media.write(c.slba*lbs, [][]byte{zero}, len(zero), ns.cfg.NoWriteCache)
	}
	return ns.submit(t, cmd, c.Nonblock)
}
