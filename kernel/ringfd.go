package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/vfs"
)

// addRegisteredRing stores a ring file in the first free slot of the
// task's registered-ring table in [start, end) and returns its index, or
// -EBUSY. The table takes over the caller's reference.
// Linux: io_uring/tctx.c:io_ring_add_registered_file()
func (tctx *Tctx) addRegisteredRing(f *vfs.File, start, end int) int {
	for i := start; i < end; i++ {
		if tctx.registeredRings[i] == nil {
			tctx.registeredRings[i] = f
			return i
		}
	}
	return -EBUSY
}

// addRegisteredRingFD registers the ring behind descriptor fd.
// Linux: io_uring/tctx.c:io_ring_add_registered_fd()
func (tctx *Tctx) addRegisteredRingFD(task *Task, fd int, start, end int) int {
	t := task.Thread
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -EBADF
	}
	if _, ok := f.Private.(*Ctx); !ok {
		f.Put(t)
		return -EOPNOTSUPP
	}
	off := tctx.addRegisteredRing(f, start, end)
	if off < 0 {
		f.Put(t)
	}
	return off
}

// rsrcUpdateSize is sizeof(struct io_uring_rsrc_update).
const rsrcUpdateSize = uint64(unsafe.Sizeof(rings.RsrcUpdate{}))

func rsrcUpdateBytes(u *rings.RsrcUpdate) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(u)), rsrcUpdateSize)
}

// ringfdRegister is IORING_REGISTER_RING_FDS: each io_uring_rsrc_update
// of the array at arg names a ring descriptor (data) and the slot wanted
// (offset, or -1U for any free one); the slot used is written back. It
// returns how many entries were processed, or the error of the first.
// Linux: io_uring/tctx.c:io_ringfd_register()
func (ctx *Ctx) ringfdRegister(task *Task, arg uint64, nrArgs uint32) int {
	t := task.Thread
	if nrArgs == 0 || nrArgs > ioRingFDRegMax {
		return -EINVAL
	}
	ctx.uringLock.Unlock(t)
	ret := ctx.addTctxNode(task)
	ctx.uringLock.Lock(t)
	if ret != 0 {
		return ret
	}
	tctx := task.ioUring
	as := task.Proc.MM
	i := uint32(0)
	for ; i < nrArgs; i++ {
		var reg rings.RsrcUpdate
		uaddr := arg + uint64(i)*rsrcUpdateSize
		if as.CopyFromUser(rsrcUpdateBytes(&reg), uaddr) != 0 {
			ret = -EFAULT
			break
		}
		if reg.Resv != 0 {
			ret = -EINVAL
			break
		}
		start, end := 0, ioRingFDRegMax
		if reg.Offset != ^uint32(0) {
			if reg.Offset >= ioRingFDRegMax {
				ret = -EINVAL
				break
			}
			start, end = int(reg.Offset), int(reg.Offset)+1
		}
		ret = tctx.addRegisteredRingFD(task, int(int32(uint32(reg.Data))), start, end)
		if ret < 0 {
			break
		}
		reg.Offset = uint32(ret)
		if as.CopyToUser(uaddr, rsrcUpdateBytes(&reg)) != 0 {
			f := tctx.registeredRings[reg.Offset]
			tctx.registeredRings[reg.Offset] = nil
			task.fput(f) // io_ringfd_unregister: fput under uring_lock
			ret = -EFAULT
			break
		}
	}
	if i != 0 {
		return int(i)
	}
	return ret
}

// ringfdUnregister is IORING_UNREGISTER_RING_FDS: each entry's offset
// names a slot to empty (an empty slot is no error; data and resv must be
// zero).
// Linux: io_uring/tctx.c:io_ringfd_unregister()
func (ctx *Ctx) ringfdUnregister(task *Task, arg uint64, nrArgs uint32) int {
	if nrArgs == 0 || nrArgs > ioRingFDRegMax {
		return -EINVAL
	}
	tctx := task.ioUring
	if tctx == nil {
		return 0
	}
	ret := 0
	i := uint32(0)
	for ; i < nrArgs; i++ {
		var reg rings.RsrcUpdate
		if task.Proc.MM.CopyFromUser(rsrcUpdateBytes(&reg), arg+uint64(i)*rsrcUpdateSize) != 0 {
			ret = -EFAULT
			break
		}
		if reg.Resv != 0 || reg.Data != 0 || reg.Offset >= ioRingFDRegMax {
			ret = -EINVAL
			break
		}
		if f := tctx.registeredRings[reg.Offset]; f != nil {
			tctx.registeredRings[reg.Offset] = nil
			task.fput(f) // io_ringfd_unregister: fput under uring_lock
		}
	}
	if i != 0 {
		return int(i)
	}
	return ret
}
