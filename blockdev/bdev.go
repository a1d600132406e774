package blockdev

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// dmaAlignment is the NVMe driver's DMA alignment mask: a direct I/O
// buffer must start on a 4-byte boundary.
// Linux: drivers/nvme/host/core.c:nvme_set_ctrl_limits() (dma_alignment = 3)
const dmaAlignment = 3

// bdevOps is the block device's file_operations (def_blk_fops).
// Linux: block/fops.c:def_blk_fops
type bdevOps struct{ ns *Namespace }

// BlockDevice marks the file S_ISBLK.
func (bdevOps) BlockDevice() {}

// Release does nothing: the namespace outlives its files.
func (bdevOps) Release(t *sim.Thread, f *vfs.File) {}

// OpenBlock opens the namespace's block device (/dev/nvme0n1) with the
// open flags flags (access mode, O_DIRECT, O_DSYNC, O_NONBLOCK): direct
// I/O with O_DIRECT, buffered through the page cache without. id is the
// file's identity (kernel.Kernel.NewFileID). The file holds one
// reference.
// Linux: block/fops.c:blkdev_open()
func (ns *Namespace) OpenBlock(id uint64, flags uint32) *vfs.File {
	f := vfs.NewFile(bdevOps{ns}, ns, "/dev/nvme0n1", flags|vfs.O_LARGEFILE, id)
	f.FMode |= vfs.FMODE_LSEEK | vfs.FMODE_PREAD | vfs.FMODE_PWRITE | vfs.FMODE_CAN_ODIRECT | vfs.FMODE_NOWAIT
	return f
}

// Size is the device's size (i_size of the bdev inode).
func (b bdevOps) Size(f *vfs.File) int64 { return b.ns.Size() }

// Llseek is fixed_size_llseek: SEEK_SET, SEEK_CUR and SEEK_END within
// the device.
// Linux: block/fops.c:blkdev_llseek(), fs/read_write.c:fixed_size_llseek()
func (b bdevOps) Llseek(t *sim.Thread, f *vfs.File, off int64, whence int) int64 {
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += f.Pos
	case unix.SEEK_END:
		off += b.ns.Size()
	default:
		return -int64(unix.EINVAL)
	}
	if off < 0 || off > b.ns.Size() {
		return -int64(unix.EINVAL)
	}
	f.Pos = off
	return off
}

// DirectIO queues a direct transfer: checked against the device's size
// and alignment, after writing back (read) or dropping (write) the page
// cache over the range.
// Linux: block/fops.c:blkdev_read_iter(), blkdev_write_iter(), blkdev_direct_IO()
func (b bdevOps) DirectIO(t *sim.Thread, f *vfs.File, io *vfs.Kiocb) int {
	ns := b.ns
	if io.Write && f.FMode&vfs.FMODE_WRITE == 0 || !io.Write && f.FMode&vfs.FMODE_READ == 0 {
		return -int(unix.EBADF)
	}
	count := 0
	for _, s := range io.Segs {
		count += len(s)
	}
	if io.Write && count == 0 {
		return 0
	}
	size := ns.Size()
	if io.Pos >= size {
		if io.Write {
			return -int(unix.ENOSPC)
		}
		return 0
	}
	segs := truncateSegs(io.Segs, int(min(int64(count), size-io.Pos)))
	count = int(min(int64(count), size-io.Pos))
	if count == 0 {
		return 0
	}
	lbs := ns.cfg.LBASize
	if (io.Pos|int64(count))&int64(lbs-1) != 0 || !segsAligned(segs, lbs) {
		return -int(unix.EINVAL) // blkdev_dio_invalid
	}
	if ret := ns.cache.prepareDirect(t, ns, io.Pos, int64(count), io.Write, io.Nowait); ret != 0 {
		return ret
	}
	c := &command{opcode: nvmeCmdRead, slba: uint64(io.Pos) / uint64(lbs), nlb: uint32(count / lbs),
		segs: segs, done: io.Done, token: io.Token, q: &ns.irq}
	if io.Write {
		c.opcode = nvmeCmdWrite
		c.fua = io.DSync || f.Flags&unix.O_DSYNC != 0
	}
	if io.Hipri {
		c.q = &ns.poll
	}
	return ns.submit(t, c, io.Nowait)
}

// truncateSegs cuts segs to n bytes in all.
func truncateSegs(segs [][]byte, n int) [][]byte {
	var out [][]byte
	for _, s := range segs {
		if n == 0 {
			break
		}
		k := min(len(s), n)
		out = append(out, s[:k])
		n -= k
	}
	return out
}

// segsAligned is bdev_iter_is_aligned: every buffer starts on the DMA
// alignment and is a whole number of logical blocks long.
// Linux: include/linux/blkdev.h:bdev_iter_is_aligned()
func segsAligned(segs [][]byte, lbs int) bool {
	for _, s := range segs {
		if len(s) == 0 {
			continue
		}
		if uintptr(unsafe.Pointer(unsafe.SliceData(s)))&dmaAlignment != 0 || len(s)&(lbs-1) != 0 {
			return false
		}
	}
	return true
}

// Iopoll reaps the polled queue (the only one with polled commands).
// Linux: block/fops.c:blkdev_iopoll()
func (b bdevOps) Iopoll(t *sim.Thread, f *vfs.File, token any, spin bool) int {
	return b.ns.Iopoll(t, spin)
}

// Read is read(2) and io_uring's blocking or nonblocking read: direct
// with O_DIRECT (waiting for the device), else through the page cache.
// Linux: block/fops.c:blkdev_read_iter()
func (b bdevOps) Read(t *sim.Thread, f *vfs.File, dst []byte, off *int64, nonblock bool) int {
	if f.Flags&unix.O_DIRECT != 0 {
		return b.syncDirect(t, f, dst, off, false, nonblock)
	}
	return b.ns.cache.read(t, b.ns, dst, off, nonblock)
}

// Write is the counterpart of Read. A buffered write cannot be tried
// without blocking: -EOPNOTSUPP, which io_uring turns into a retry from
// io-wq.
// Linux: block/fops.c:blkdev_write_iter(), blkdev_buffered_write()
func (b bdevOps) Write(t *sim.Thread, f *vfs.File, src []byte, off *int64, nonblock bool) int {
	if len(src) == 0 {
		return 0
	}
	if *off >= b.ns.Size() {
		return -int(unix.ENOSPC)
	}
	if f.Flags&unix.O_DIRECT != 0 {
		return b.syncDirect(t, f, src, off, true, nonblock)
	}
	if nonblock {
		return -int(unix.EOPNOTSUPP)
	}
	n := b.ns.cache.write(t, b.ns, src, off)
	if n > 0 && f.Flags&unix.O_DSYNC != 0 {
		if ret := b.ns.writeback(t, *off-int64(n), int64(n)); ret < 0 {
			return ret
		}
		if ret := b.ns.Flush(t); ret < 0 {
			return ret
		}
	}
	return n
}

// syncDirect is a direct transfer made synchronously (a sync kiocb):
// queued, then waited for.
// Linux: block/fops.c:__blkdev_direct_IO_simple()
func (b bdevOps) syncDirect(t *sim.Thread, f *vfs.File, buf []byte, off *int64, write, nonblock bool) int {
	var done sim.Completion
	res := 0
	io := &vfs.Kiocb{Write: write, Segs: [][]byte{buf}, Pos: *off, Nowait: nonblock,
		Done: func(t *sim.Thread, _ any, r int) { res = r; done.Complete(t) }}
	ret := b.DirectIO(t, f, io)
	if ret != -vfs.EIOCBQUEUED {
		return ret
	}
	done.Wait(t)
	if res > 0 {
		*off += int64(res)
	}
	return res
}

// Fsync writes back the page cache, then flushes the device's write
// cache.
// Linux: block/fops.c:blkdev_fsync(), block/blk-flush.c:blkdev_issue_flush()
func (b bdevOps) Fsync(t *sim.Thread, f *vfs.File, start, end int64, datasync bool) int {
	ns := b.ns
	if ret := ns.writeback(t, 0, ns.Size()); ret < 0 {
		return ret
	}
	return ns.Flush(t)
}

// Flush issues an NVMe Flush command and waits for it: every write
// completed before it is durable afterwards. It returns 0 or a negated
// errno.
func (ns *Namespace) Flush(t *sim.Thread) int {
	if ns.cfg.NoWriteCache {
		return 0
	}
	return ns.syncCommand(t, &command{opcode: nvmeCmdFlush, q: &ns.irq})
}

// syncCommand submits c on the interrupt queue and waits for it; it
// returns the bytes moved or a negated errno.
func (ns *Namespace) syncCommand(t *sim.Thread, c *command) int {
	var done sim.Completion
	res := 0
	c.done = func(t *sim.Thread, _ any, r int) { res = r; done.Complete(t) }
	if ret := ns.submit(t, c, false); ret != -vfs.EIOCBQUEUED {
		return ret
	}
	done.Wait(t)
	return res
}
