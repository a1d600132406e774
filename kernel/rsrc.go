package kernel

import (
	"encoding/binary"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The ring side of registered resources (io_uring/rsrc.c): registering,
// updating and unregistering the fixed file and buffer tables, the nodes
// requests hold, and the tag CQE posted when a node is finally freed. The
// tables themselves are package rsrc; every call here runs with
// uringLock held.

// putRsrcNode drops a reference on node; the last one frees it.
// Linux: io_uring/rsrc.h:io_put_rsrc_node()
func (ctx *Ctx) putRsrcNode(t *sim.Thread, node *rsrc.Node) {
	if ctx.k.warnOn(node.Refs() <= 0, "rsrc node put with no reference") {
		return
	}
	if node.Put() {
		ctx.freeRsrcNode(t, node)
	}
}

// freeRsrcNode posts the node's tag, if any, and releases its file or
// buffer.
// Linux: io_uring/rsrc.c:io_free_rsrc_node()
func (ctx *Ctx) freeRsrcNode(t *sim.Thread, node *rsrc.Node) {
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_free_rsrc_node", sim.U("ctx", ctx.ID), sim.U("type", uint64(node.Type)), sim.X("tag", node.Tag))
	}
	if node.Tag != 0 && !ctx.released {
		ctx.postAuxCQE(t, node.Tag, 0, 0)
	}
	switch node.Type {
	case rsrc.IORING_RSRC_FILE:
		node.File.Put(t)
		node.File = nil
	case rsrc.IORING_RSRC_BUFFER:
		node.Buf.Put()
		node.Buf = nil
	default:
		ctx.k.warnOn(true, "rsrc node of unknown type %d", node.Type)
	}
}

// resetRsrcNode empties slot index of data, dropping the table's
// reference; it reports whether the slot held a node.
// Linux: io_uring/rsrc.h:io_reset_rsrc_node()
func (ctx *Ctx) resetRsrcNode(t *sim.Thread, data *rsrc.Data, index int) bool {
	node := data.Reset(index)
	if node == nil {
		return false
	}
	ctx.putRsrcNode(t, node)
	return true
}

// rsrcDataFree drops the table's reference on every node of data.
// Linux: io_uring/rsrc.c:io_rsrc_data_free()
func (ctx *Ctx) rsrcDataFree(t *sim.Thread, data *rsrc.Data) {
	for _, node := range data.Take() {
		ctx.putRsrcNode(t, node)
	}
}

// reqPutRsrcNodes drops the nodes a finished request held. Most requests
// hold none: that test inlines into the free path.
// Linux: io_uring/rsrc.h:io_req_put_rsrc_nodes()
func (ctx *Ctx) reqPutRsrcNodes(t *sim.Thread, req *Req) {
	if req.fileNode != nil || req.flags&REQ_F_BUF_NODE != 0 || req.extraNode != nil {
		ctx.reqPutRsrcNodesHeld(t, req)
	}
}

// reqPutRsrcNodesHeld is reqPutRsrcNodes for a request holding a node.
func (ctx *Ctx) reqPutRsrcNodesHeld(t *sim.Thread, req *Req) {
	if req.fileNode != nil {
		ctx.putRsrcNode(t, req.fileNode)
		req.fileNode = nil
	}
	if req.flags&REQ_F_BUF_NODE != 0 {
		ctx.putRsrcNode(t, req.bufNode)
		req.bufNode = nil
		req.flags &^= REQ_F_BUF_NODE
	}
	if req.extraNode != nil {
		ctx.putRsrcNode(t, req.extraNode)
		req.extraNode = nil
	}
}

// rsrcTablesFree drops both tables when the ring is freed. The ring is
// gone, so no tag CQE is posted.
// Linux: io_uring/io_uring.c:io_ring_ctx_free()
func (ctx *Ctx) rsrcTablesFree(t *sim.Thread) {
	ctx.bufTableRsrc.ClearTags()
	ctx.rsrcDataFree(t, &ctx.bufTableRsrc)
	ctx.fileTable.Data.ClearTags()
	for _, node := range ctx.fileTable.Free() {
		ctx.putRsrcNode(t, node)
	}
}

// readU64 and readI32 are copy_from_user of one value.
func readU64(task *Task, addr uint64) (uint64, bool) {
	var b [8]byte
	if task.Proc.MM.CopyFromUser(b[:], addr) != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

func readI32(task *Task, addr uint64) (int32, bool) {
	var b [4]byte
	if task.Proc.MM.CopyFromUser(b[:], addr) != 0 {
		return 0, false
	}
	return int32(binary.LittleEndian.Uint32(b[:])), true
}

// readIovec copies one struct iovec: -EFAULT, or -EINVAL for a length
// that is negative as an ssize_t.
// Linux: lib/iov_iter.c:iovec_from_user()
func readIovec(task *Task, addr uint64) (rsrc.Iovec, int) {
	var b [16]byte
	if task.Proc.MM.CopyFromUser(b[:], addr) != 0 {
		return rsrc.Iovec{}, -EFAULT
	}
	v := rsrc.Iovec{Base: binary.LittleEndian.Uint64(b[:]), Len: binary.LittleEndian.Uint64(b[8:])}
	if int64(v.Len) < 0 {
		return rsrc.Iovec{}, -EINVAL
	}
	return v, 0
}

// readTag copies tag i of a registration's tag array (0 without one).
func readTag(task *Task, tags uint64, i uint32) (uint64, bool) {
	if tags == 0 {
		return 0, true
	}
	return readU64(task, tags+8*uint64(i))
}

// tableFile takes descriptor fd for a fixed-file slot: -EBADF when it is
// not open or is a ring (no io_uring instances in the table).
// Linux: io_uring/rsrc.c:io_sqe_files_register(), __io_sqe_files_update()
func tableFile(task *Task, fd int32) (*vfs.File, int) {
	t := task.Thread
	f := task.Proc.Files.Get(t, int(fd))
	if f == nil {
		return nil, -EBADF
	}
	if isRingFile(f) {
		f.Put(t)
		return nil, -EBADF
	}
	return f, 0
}

// newFileNode makes a file node holding f's reference, with the flags a
// request picks up from the slot.
// Linux: io_uring/filetable.h:io_fixed_file_set()
func newFileNode(f *vfs.File) *rsrc.Node {
	node := rsrc.NewNode(rsrc.IORING_RSRC_FILE)
	node.File = f
	node.FileFlags = fileGetFlags(f)
	return node
}

// sqeFilesRegister registers nrArgs files from the int32 array at arg (0:
// all sparse), -1 entries sparse, with optional tags.
// Linux: io_uring/rsrc.c:io_sqe_files_register()
func (ctx *Ctx) sqeFilesRegister(task *Task, arg uint64, nrArgs uint32, tags uint64) int {
	t := task.Thread
	if ctx.fileTable.Data.Nr() != 0 {
		return -EBUSY
	}
	if nrArgs == 0 {
		return -EINVAL
	}
	if nrArgs > rsrc.IORING_MAX_FIXED_FILES {
		return -EMFILE
	}
	// Differs from Linux: RLIMIT_NOFILE is the simulator's fixed
	// vfs.MaxFDs (docs/divergences.md).
	if nrArgs > vfs.MaxFDs {
		return -EMFILE
	}
	ctx.fileTable.Alloc(int(nrArgs))
	fail := func(ret int) int {
		ctx.fileTable.Data.ClearTags()
		ctx.sqeFilesUnregister(t)
		return ret
	}
	for i := range nrArgs {
		tag, ok := readTag(task, tags, i)
		if !ok {
			return fail(-EFAULT)
		}
		fd := int32(-1)
		if arg != 0 {
			v, ok := readI32(task, arg+4*uint64(i))
			if !ok {
				return fail(-EFAULT)
			}
			fd = v
		}
		if arg == 0 || fd == -1 { // allow sparse sets
			if tag != 0 {
				return fail(-EINVAL)
			}
			continue
		}
		f, e := tableFile(task, fd)
		if e != 0 {
			return fail(e)
		}
		node := newFileNode(f)
		node.Tag = tag
		ctx.fileTable.Data.Nodes[i] = node
		ctx.fileTable.BitmapSet(int(i))
	}
	// Default the allocation range to the whole table.
	ctx.fileTable.SetAllocRange(0, ctx.fileTable.Data.Nr())
	return 0
}

// sqeFilesUnregister drops the fixed file table: -ENXIO if there is none.
// Linux: io_uring/rsrc.c:io_sqe_files_unregister()
func (ctx *Ctx) sqeFilesUnregister(t *sim.Thread) int {
	if ctx.fileTable.Data.Nr() == 0 {
		return -ENXIO
	}
	for _, node := range ctx.fileTable.Free() {
		ctx.putRsrcNode(t, node)
	}
	return 0
}

// sqeFilesUpdate replaces nr slots from up.Offset with the descriptors
// at up.Data (-1 empties a slot, IORING_REGISTER_FILES_SKIP leaves it),
// with optional tags. It returns how many were done, or the error of the
// first when none was.
// Linux: io_uring/rsrc.c:__io_sqe_files_update()
func (ctx *Ctx) sqeFilesUpdate(task *Task, up *rings.RsrcUpdate2, nrArgs uint32) int {
	t := task.Thread
	ft := &ctx.fileTable
	if ft.Data.Nr() == 0 {
		return -ENXIO
	}
	if uint64(up.Offset)+uint64(nrArgs) > uint64(ft.Data.Nr()) {
		return -EINVAL
	}
	var done uint32
	err := 0
	for ; done < nrArgs; done++ {
		tag, ok := readTag(task, up.Tags, done)
		if !ok {
			err = -EFAULT
			break
		}
		fd, ok := readI32(task, up.Data+4*uint64(done))
		if !ok {
			err = -EFAULT
			break
		}
		if (fd == rings.IORING_REGISTER_FILES_SKIP || fd == -1) && tag != 0 {
			err = -EINVAL
			break
		}
		if fd == rings.IORING_REGISTER_FILES_SKIP {
			continue
		}
		i := int(up.Offset + done)
		if ctx.resetRsrcNode(t, &ft.Data, i) {
			ctx.k.warnOn(!ft.BitmapClear(i), "fixed file bitmap clear of a free slot")
		}
		if fd != -1 {
			f, e := tableFile(task, fd)
			if e != 0 {
				err = e
				break
			}
			node := newFileNode(f)
			node.Tag = tag
			ft.Data.Nodes[i] = node
			ctx.k.warnOn(!ft.BitmapSet(i), "fixed file bitmap set of a used slot")
		}
	}
	if done != 0 {
		return int(done)
	}
	return err
}

// sqeBuffersRegister registers nrArgs buffers from the iovec array at arg
// (0: all sparse), with optional tags.
// Linux: io_uring/rsrc.c:io_sqe_buffers_register()
func (ctx *Ctx) sqeBuffersRegister(task *Task, arg uint64, nrArgs uint32, tags uint64) int {
	if ctx.bufTableRsrc.Nr() != 0 {
		return -EBUSY
	}
	if nrArgs == 0 || nrArgs > rsrc.IORING_MAX_REG_BUFFERS {
		return -EINVAL
	}
	var data rsrc.Data
	data.Alloc(int(nrArgs))
	ret := 0
	var pa rsrc.PinAcct // ctx->buf_table stays empty until the loop ends
	for i := range nrArgs {
		var iov rsrc.Iovec
		if arg != 0 {
			v, e := readIovec(task, arg+16*uint64(i))
			if e != 0 {
				ret = e
				break
			}
			iov = v
		}
		tag, ok := readTag(task, tags, i)
		if !ok {
			ret = -EFAULT
			break
		}
		node, e := ctx.taggedBufferNode(task, iov, tag, &pa)
		if e != 0 {
			ret = e
			break
		}
		data.Nodes[i] = node
	}
	ctx.bufTableRsrc = data
	if ret != 0 {
		ctx.bufTableRsrc.ClearTags()
		ctx.sqeBuffersUnregister(task.Thread)
	}
	return ret
}

// sqeBufferRegister pins one buffer into a new node (nil for a sparse
// iovec), charged against the kernel's MemlockLimit; pa carries the
// huge-folio accounting of the call (last_hpage).
// Linux: io_uring/rsrc.c:io_sqe_buffer_register()
func (ctx *Ctx) sqeBufferRegister(task *Task, iov rsrc.Iovec, pa *rsrc.PinAcct) (*rsrc.Node, int) {
	as := task.Proc.MM
	imu, ret := rsrc.RegisterBuffer(as, iov.Base, iov.Len, as, ctx.k.MemlockLimit, pa)
	if ret != 0 || imu == nil {
		return nil, ret
	}
	node := rsrc.NewNode(rsrc.IORING_RSRC_BUFFER)
	node.Buf = imu
	return node, 0
}

// taggedBufferNode pins iov into a node carrying tag: a tag on a sparse
// (empty) iovec is -EINVAL.
// Linux: io_uring/rsrc.c:io_sqe_buffers_register(), __io_sqe_buffers_update()
func (ctx *Ctx) taggedBufferNode(task *Task, iov rsrc.Iovec, tag uint64, pa *rsrc.PinAcct) (*rsrc.Node, int) {
	node, e := ctx.sqeBufferRegister(task, iov, pa)
	if e != 0 || tag == 0 {
		return node, e
	}
	if node == nil {
		return nil, -EINVAL
	}
	node.Tag = tag
	return node, 0
}

// sqeBuffersUnregister drops the registered buffer table: -ENXIO if
// there is none.
// Linux: io_uring/rsrc.c:io_sqe_buffers_unregister()
func (ctx *Ctx) sqeBuffersUnregister(t *sim.Thread) int {
	if ctx.bufTableRsrc.Nr() == 0 {
		return -ENXIO
	}
	ctx.rsrcDataFree(t, &ctx.bufTableRsrc)
	return 0
}

// sqeBuffersUpdate replaces nr buffer slots from up.Offset with the
// iovecs at up.Data (a zero iovec empties a slot), with optional tags.
// Linux: io_uring/rsrc.c:__io_sqe_buffers_update()
func (ctx *Ctx) sqeBuffersUpdate(task *Task, up *rings.RsrcUpdate2, nrArgs uint32) int {
	t := task.Thread
	bt := &ctx.bufTableRsrc
	if bt.Nr() == 0 {
		return -ENXIO
	}
	if uint64(up.Offset)+uint64(nrArgs) > uint64(bt.Nr()) {
		return -EINVAL
	}
	var done uint32
	err := 0
	pa := rsrc.PinAcct{Table: bt}
	for ; done < nrArgs; done++ {
		iov, e := readIovec(task, up.Data+16*uint64(done))
		if e != 0 {
			err = e
			break
		}
		tag, ok := readTag(task, up.Tags, done)
		if !ok {
			err = -EFAULT
			break
		}
		node, e := ctx.taggedBufferNode(task, iov, tag, &pa)
		if e != 0 {
			err = e
			break
		}
		i := int(up.Offset + done)
		ctx.resetRsrcNode(t, bt, i)
		bt.Nodes[i] = node
	}
	if done != 0 {
		return int(done)
	}
	return err
}

// registerRsrcUpdate dispatches a files or buffers update.
// Linux: io_uring/rsrc.c:__io_register_rsrc_update()
func (ctx *Ctx) registerRsrcUpdate(task *Task, typ uint8, up *rings.RsrcUpdate2, nrArgs uint32) int {
	if uint64(up.Offset)+uint64(nrArgs) > 0xffffffff {
		return -EOVERFLOW
	}
	switch typ {
	case rsrc.IORING_RSRC_FILE:
		return ctx.sqeFilesUpdate(task, up, nrArgs)
	case rsrc.IORING_RSRC_BUFFER:
		return ctx.sqeBuffersUpdate(task, up, nrArgs)
	}
	return -EINVAL
}

// registerFilesUpdate is IORING_REGISTER_FILES_UPDATE: a struct
// io_uring_rsrc_update (no tags) and nrArgs descriptors.
// Linux: io_uring/rsrc.c:io_register_files_update()
func (ctx *Ctx) registerFilesUpdate(task *Task, arg uint64, nrArgs uint32) int {
	if nrArgs == 0 {
		return -EINVAL
	}
	var raw [unsafe.Sizeof(rings.RsrcUpdate{})]byte
	if task.Proc.MM.CopyFromUser(raw[:], arg) != 0 {
		return -EFAULT
	}
	u := *(*rings.RsrcUpdate)(unsafe.Pointer(&raw[0]))
	if u.Resv != 0 {
		return -EINVAL
	}
	up := rings.RsrcUpdate2{Offset: u.Offset, Data: u.Data}
	return ctx.registerRsrcUpdate(task, rsrc.IORING_RSRC_FILE, &up, nrArgs)
}

// registerRsrcUpdate2 is IORING_REGISTER_FILES_UPDATE2 and
// IORING_REGISTER_BUFFERS_UPDATE: a struct io_uring_rsrc_update2 of size
// bytes.
// Linux: io_uring/rsrc.c:io_register_rsrc_update()
func (ctx *Ctx) registerRsrcUpdate2(task *Task, arg uint64, size uint32, typ uint8) int {
	var up rings.RsrcUpdate2
	if size != uint32(unsafe.Sizeof(up)) {
		return -EINVAL
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&up)), unsafe.Sizeof(up))
	if task.Proc.MM.CopyFromUser(raw, arg) != 0 {
		return -EFAULT
	}
	if up.Nr == 0 || up.Resv != 0 || up.Resv2 != 0 {
		return -EINVAL
	}
	return ctx.registerRsrcUpdate(task, typ, &up, up.Nr)
}

// registerRsrc is IORING_REGISTER_FILES2 and IORING_REGISTER_BUFFERS2: a
// struct io_uring_rsrc_register of size bytes, with tags and
// IORING_RSRC_REGISTER_SPARSE.
// Linux: io_uring/rsrc.c:io_register_rsrc()
func (ctx *Ctx) registerRsrc(task *Task, arg uint64, size uint32, typ uint8) int {
	var rr rings.RsrcRegister
	if size != uint32(unsafe.Sizeof(rr)) {
		return -EINVAL
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&rr)), unsafe.Sizeof(rr))
	if task.Proc.MM.CopyFromUser(raw, arg) != 0 {
		return -EFAULT
	}
	if rr.Nr == 0 || rr.Resv2 != 0 {
		return -EINVAL
	}
	if rr.Flags&^rings.IORING_RSRC_REGISTER_SPARSE != 0 {
		return -EINVAL
	}
	if rr.Flags&rings.IORING_RSRC_REGISTER_SPARSE != 0 && rr.Data != 0 {
		return -EINVAL
	}
	switch typ {
	case rsrc.IORING_RSRC_FILE:
		return ctx.sqeFilesRegister(task, rr.Data, rr.Nr, rr.Tags)
	case rsrc.IORING_RSRC_BUFFER:
		return ctx.sqeBuffersRegister(task, rr.Data, rr.Nr, rr.Tags)
	}
	return -EINVAL
}

// findBufNode looks up the request's registered buffer (req->buf_index)
// once and holds its node until the request is freed; nil when the slot
// is empty or outside the table.
// Linux: io_uring/rsrc.c:io_find_buf_node()
func (ctx *Ctx) findBufNode(t *sim.Thread, req *Req, issueFlags uint32) *rsrc.Node {
	if req.flags&REQ_F_BUF_NODE != 0 {
		return req.bufNode
	}
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	node := ctx.bufTableRsrc.Lookup(int(req.bufIndex))
	if node == nil {
		return nil
	}
	node.Get()
	req.bufNode = node
	req.flags |= REQ_F_BUF_NODE
	return node
}

// lockTwoRings takes both rings' uringLock in a fixed order (by ID, as
// the kernel orders by address).
// Linux: io_uring/rsrc.c:lock_two_rings()
func lockTwoRings(t *sim.Thread, a, b *Ctx) {
	if a.ID > b.ID {
		a, b = b, a
	}
	a.uringLock.Lock(t)
	b.uringLock.Lock(t)
}

// registerCloneBuffers is IORING_REGISTER_CLONE_BUFFERS: the registered
// buffers of the ring src_fd names are shared into this one. Called with
// ctx.uringLock held, which it drops and retakes with the source's.
// Linux: io_uring/rsrc.c:io_register_clone_buffers()
func (ctx *Ctx) registerCloneBuffers(task *Task, arg uint64) int {
	t := task.Thread
	var buf rings.CloneBuffers
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&buf)), unsafe.Sizeof(buf))
	if task.Proc.MM.CopyFromUser(raw, arg) != 0 {
		return -EFAULT
	}
	if buf.Flags&^(rings.IORING_REGISTER_SRC_REGISTERED|rings.IORING_REGISTER_DST_REPLACE) != 0 {
		return -EINVAL
	}
	if buf.Flags&rings.IORING_REGISTER_DST_REPLACE == 0 && ctx.bufTableRsrc.Nr() != 0 {
		return -EBUSY
	}
	if buf.Pad != [3]uint32{} {
		return -EINVAL
	}
	src, ref, ret := task.ringFromFD(int(int32(buf.SrcFd)), buf.Flags&rings.IORING_REGISTER_SRC_REGISTERED != 0)
	if src == nil {
		return ret
	}
	if ref {
		defer src.file.Put(t)
	}
	if src != ctx {
		ctx.uringLock.Unlock(t)
		lockTwoRings(t, ctx, src)
		defer src.uringLock.Unlock(t)
		if src.submitterTask != nil && src.submitterTask != task {
			return -EEXIST
		}
	}
	return ctx.cloneBuffers(t, src, &buf)
}

// cloneBuffers copies buf.Nr slots of src's table from buf.SrcOff into
// this ring's from buf.DstOff; the buffers are shared, not pinned again.
// Both rings' uringLock are held.
// Linux: io_uring/rsrc.c:io_clone_buffers()
func (ctx *Ctx) cloneBuffers(t *sim.Thread, src *Ctx, arg *rings.CloneBuffers) int {
	// Differs from Linux: the kernel refuses (-EINVAL) rings whose pages
	// are charged to different users or mms; the simulator's rings all
	// charge the buffer's registering process, which keeps the charge
	// until the last ring lets go (docs/divergences.md).
	if arg.Nr == 0 && (arg.DstOff != 0 || arg.SrcOff != 0) {
		return -EINVAL
	}
	if ctx.bufTableRsrc.Nr() != 0 && arg.Flags&rings.IORING_REGISTER_DST_REPLACE == 0 {
		return -EBUSY
	}
	nbufs := uint64(src.bufTableRsrc.Nr())
	if nbufs == 0 {
		return -ENXIO
	}
	nr := uint64(arg.Nr)
	switch {
	case nr == 0:
		nr = nbufs
	case nr > nbufs:
		return -EINVAL
	case nr > rsrc.IORING_MAX_REG_BUFFERS:
		return -EINVAL
	}
	if off := nr + uint64(arg.SrcOff); off > 0xffffffff || off > nbufs {
		return -EOVERFLOW
	}
	dstEnd := nr + uint64(arg.DstOff)
	if dstEnd > 0xffffffff {
		return -EOVERFLOW
	}
	if dstEnd > rsrc.IORING_MAX_REG_BUFFERS {
		return -EINVAL
	}
	old := &ctx.bufTableRsrc
	var data rsrc.Data
	data.Alloc(int(max(dstEnd, uint64(old.Nr()))))
	for i := 0; i < min(int(arg.DstOff), old.Nr()); i++ {
		if node := old.Nodes[i]; node != nil {
			node.Get()
			data.Nodes[i] = node
		}
	}
	for k := range int(nr) {
		var dst *rsrc.Node
		if sn := src.bufTableRsrc.Lookup(int(arg.SrcOff) + k); sn != nil {
			dst = rsrc.NewNode(rsrc.IORING_RSRC_BUFFER)
			sn.Buf.Get()
			dst.Buf = sn.Buf
		}
		data.Nodes[int(arg.DstOff)+k] = dst
	}
	for i := int(dstEnd); i < old.Nr(); i++ {
		if node := old.Nodes[i]; node != nil {
			node.Get()
			data.Nodes[i] = node
		}
	}
	if arg.Flags&rings.IORING_REGISTER_DST_REPLACE != 0 {
		ctx.rsrcDataFree(t, old)
	}
	ctx.k.warnOn(old.Nr() != 0, "clone into a ring that still has buffers")
	ctx.bufTableRsrc = data
	return 0
}
