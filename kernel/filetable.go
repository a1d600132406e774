package kernel

import (
	"encoding/binary"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The fixed file table as requests see it (io_uring/filetable.c):
// IOSQE_FIXED_FILE lookups, direct descriptors installed by OPENAT,
// OPENAT2, FILES_UPDATE and MSG_RING, and their removal by CLOSE.

// fileGetFixed resolves slot fd of the fixed file table for req and
// holds the slot's node until the request is freed, so the file stays
// alive even if the slot is updated meanwhile. nil for an empty slot or
// one outside the table.
// Linux: io_uring/io_uring.c:io_file_get_fixed()
func (ctx *Ctx) fileGetFixed(t *sim.Thread, req *Req, fd int, issueFlags uint32) *vfs.File {
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	node := ctx.fileTable.Data.Lookup(fd)
	if node == nil {
		return nil
	}
	if req.fileNode != nil {
		// A second lookup by the same request (the file was looked up
		// by an op and then reassigned): drop the first hold.
		ctx.putRsrcNode(t, req.fileNode)
	}
	node.Get()
	req.fileNode = node
	req.flags |= node.FileFlags
	return node.File
}

// fileGetNormal is fget of the request's task's descriptor fd: an io_uring
// file marks the request tracked in flight, so that its task's exit
// cancels it.
// Linux: io_uring/io_uring.c:io_file_get_normal()
func fileGetNormal(t *sim.Thread, req *Req, fd int) *vfs.File {
	f := req.task.Proc.Files.Get(t, fd)
	if f != nil && isRingFile(f) {
		trackInflight(req)
	}
	return f
}

// installFixedFile puts f (whose reference it takes over on success) in
// slot slotIndex, replacing what was there.
// Linux: io_uring/filetable.c:io_install_fixed_file()
func (ctx *Ctx) installFixedFile(t *sim.Thread, f *vfs.File, slotIndex uint32) int {
	if isRingFile(f) {
		return -EBADF
	}
	ft := &ctx.fileTable
	if ft.Data.Nr() == 0 {
		return -ENXIO
	}
	if slotIndex >= uint32(ft.Data.Nr()) {
		return -EINVAL
	}
	node := newFileNode(f)
	if !ctx.resetRsrcNode(t, &ft.Data, int(slotIndex)) {
		ft.BitmapSet(int(slotIndex))
	}
	ft.Data.Nodes[slotIndex] = node
	return 0
}

// FixedFdInstallLocked installs f in ctx's fixed file table at fileSlot
// (1-based), or in a free slot of the allocation range with
// IORING_FILE_INDEX_ALLOC, and returns 0 or the allocated (0-based) slot.
// The caller holds ctx's uringLock; f's reference passes to the table on
// success and stays the caller's on failure. This is the hook IORING_OP_MSG_RING
// uses to pass a file into another ring's table.
// Linux: io_uring/filetable.c:__io_fixed_fd_install()
func FixedFdInstallLocked(t *sim.Thread, ctx *Ctx, f *vfs.File, fileSlot uint32) int {
	alloc := fileSlot == rings.IORING_FILE_INDEX_ALLOC
	if alloc {
		ret := ctx.fileTable.BitmapGet()
		if ret < 0 {
			return ret
		}
		fileSlot = uint32(ret)
	} else {
		fileSlot--
	}
	ret := ctx.installFixedFile(t, f, fileSlot)
	if ret == 0 && alloc {
		ret = int(fileSlot)
	}
	return ret
}

// FixedFdInstall installs f in the ring's fixed file table at slot
// (1-based; IORING_FILE_INDEX_ALLOC picks a free one and returns it).
// On failure f is dropped: -ENXIO with no table, -EINVAL past its end,
// -ENFILE when no slot is free, -EBADF for an io_uring file.
// Linux: io_uring/filetable.c:io_fixed_fd_install()
func FixedFdInstall(t *sim.Thread, req *Req, issueFlags uint32, f *vfs.File, slot uint32) int {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	ret := FixedFdInstallLocked(t, ctx, f, slot)
	ctx.ringSubmitUnlock(t, issueFlags)
	if ret < 0 {
		f.Put(t)
	}
	return ret
}

// FixedFdRemove removes registered file offset (0-based): -ENXIO with no
// table, -EINVAL past its end, -EBADF for an empty slot. A request still
// using the file keeps it until it completes.
// Linux: io_uring/filetable.c:io_fixed_fd_remove(), io_uring/openclose.c:__io_close_fixed()
func FixedFdRemove(t *sim.Thread, req *Req, issueFlags uint32, offset uint32) int {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	return ctx.fixedFdRemove(t, offset)
}

// fixedFdRemove is io_fixed_fd_remove with uringLock held.
// Linux: io_uring/filetable.c:io_fixed_fd_remove()
func (ctx *Ctx) fixedFdRemove(t *sim.Thread, offset uint32) int {
	ft := &ctx.fileTable
	if ft.Data.Nr() == 0 {
		return -ENXIO
	}
	if offset >= uint32(ft.Data.Nr()) {
		return -EINVAL
	}
	if ft.Data.Lookup(int(offset)) == nil {
		return -EBADF
	}
	ctx.resetRsrcNode(t, &ft.Data, int(offset))
	ft.BitmapClear(int(offset))
	return 0
}

// registerFileAllocRange is IORING_REGISTER_FILE_ALLOC_RANGE: the range
// of slots IORING_FILE_INDEX_ALLOC picks from.
// Linux: io_uring/filetable.c:io_register_file_alloc_range()
func (ctx *Ctx) registerFileAllocRange(task *Task, arg uint64) int {
	var raw [16]byte
	if task.Proc.MM.CopyFromUser(raw[:], arg) != 0 {
		return -EFAULT
	}
	off, n := binary.LittleEndian.Uint32(raw[0:]), binary.LittleEndian.Uint32(raw[4:])
	resv := binary.LittleEndian.Uint64(raw[8:])
	end := uint64(off) + uint64(n)
	if end > 0xffffffff {
		return -EOVERFLOW
	}
	if resv != 0 || end > uint64(ctx.fileTable.Data.Nr()) {
		return -EINVAL
	}
	ctx.fileTable.SetAllocRange(int(off), int(n))
	return 0
}

// ReqFileGetFixed looks up slot idx of the ring's fixed file table for a
// second file of an op (splice's input) and returns it, or nil for an
// empty or out-of-range slot. The request holds the slot's node until it
// is freed; the caller takes no file reference and drops none.
// Linux: io_uring/splice.c:io_splice_get_file()
func ReqFileGetFixed(t *sim.Thread, req *Req, idx int, issueFlags uint32) *vfs.File {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	node := ctx.fileTable.Data.Lookup(idx)
	if node == nil {
		return nil
	}
	if req.extraNode != nil {
		ctx.putRsrcNode(t, req.extraNode)
	}
	node.Get()
	req.extraNode = node
	return node.File
}

// ReqFileGetFixedRef returns the file in slot idx of the request's ring
// with a new file reference (the caller puts it), or nil: how
// IORING_OP_MSG_RING grabs the file it passes to another ring.
// Linux: io_uring/msg_ring.c:io_msg_grab_file()
func ReqFileGetFixedRef(t *sim.Thread, req *Req, idx int, issueFlags uint32) *vfs.File {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	if node := ctx.fileTable.Data.Lookup(idx); node != nil && node.File != nil {
		return node.File.Get()
	}
	return nil
}

// Fixed buffers as ops see them.

// ReqFindBufNode looks up the request's registered buffer
// (req->buf_index) and holds it until the request is freed: false for an
// empty slot or one outside the table.
// Linux: io_uring/rsrc.c:io_find_buf_node()
func ReqFindBufNode(t *sim.Thread, req *Req, issueFlags uint32) bool {
	return req.ctx.findBufNode(t, req, issueFlags) != nil
}

// ReqImportRegBuf maps [addr, addr+n) of the request's registered buffer
// for a transfer in direction ddir (rsrc.ITER_DEST for a read): -EFAULT
// for a missing buffer or a range outside it.
// Linux: io_uring/rsrc.c:io_import_reg_buf()
func ReqImportRegBuf(t *sim.Thread, req *Req, addr, n uint64, ddir int, issueFlags uint32) ([][]byte, int) {
	node := req.ctx.findBufNode(t, req, issueFlags)
	if node == nil {
		return nil, -EFAULT
	}
	return node.Buf.ImportFixed(ddir, addr, n)
}

// ReqImportRegVec maps every iovec of a READV_FIXED/WRITEV_FIXED inside
// the request's registered buffer and returns the views and their total.
// Linux: io_uring/rsrc.c:io_import_reg_vec()
func ReqImportRegVec(t *sim.Thread, req *Req, iov []rsrc.Iovec, ddir int, issueFlags uint32) ([][]byte, int, int) {
	node := req.ctx.findBufNode(t, req, issueFlags)
	if node == nil {
		return nil, 0, -EFAULT
	}
	return node.Buf.ImportVec(ddir, iov)
}

// FilesUpdate is IORING_OP_FILES_UPDATE: nr descriptors from the int32
// array at arg go into the fixed file table from offset, or with offset
// IORING_FILE_INDEX_ALLOC each into a free slot, whose index is written
// back over the descriptor. It returns how many were done, or the first
// error.
// Linux: io_uring/rsrc.c:io_files_update(), io_files_update_with_index_alloc()
func FilesUpdate(t *sim.Thread, req *Req, issueFlags uint32, offset uint32, arg uint64, nr uint32) int {
	ctx := req.ctx
	task := req.task
	if offset != rings.IORING_FILE_INDEX_ALLOC {
		up := rings.RsrcUpdate2{Offset: offset, Data: arg}
		ctx.ringSubmitLock(t, issueFlags)
		ret := ctx.registerRsrcUpdate(task, rsrc.IORING_RSRC_FILE, &up, nr)
		ctx.ringSubmitUnlock(t, issueFlags)
		return ret
	}
	if ctx.fileTable.Data.Nr() == 0 {
		return -ENXIO
	}
	var done uint32
	ret := 0
	for ; done < nr; done++ {
		a := arg + 4*uint64(done)
		fd, ok := readI32(task, a)
		if !ok {
			ret = -EFAULT
			break
		}
		f := task.Proc.Files.Get(t, int(fd))
		if f == nil {
			ret = -EBADF
			break
		}
		ret = FixedFdInstall(t, req, issueFlags, f, rings.IORING_FILE_INDEX_ALLOC)
		if ret < 0 {
			break
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(ret))
		if task.Proc.MM.CopyToUser(a, b[:]) != 0 {
			ctx.ringSubmitLock(t, issueFlags)
			ctx.fixedFdRemove(t, uint32(ret))
			ctx.ringSubmitUnlock(t, issueFlags)
			ret = -EFAULT
			break
		}
	}
	if done != 0 {
		return int(done)
	}
	return ret
}
