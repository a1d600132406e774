package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// Registered resources, the user side: the fixed file table, registered
// buffers and the SQE preparers that use them, with liburing's names.
// Arrays (descriptors, tags, iovecs) are Go slices; each call copies them
// into backend user memory for the duration of the system call, as the
// kernel copies them in. A nil tags slice passes no tag array.

// Iovec is struct iovec: Len bytes of user memory at Base.
//
// Linux: include/uapi/linux/uio.h:struct iovec
type Iovec struct {
	Base uint64
	Len  uint64
}

// IovecOf is the iovec of user memory b (memory from Backend.Alloc).
func IovecOf(b []byte) Iovec { return Iovec{Base: addrOf(b), Len: uint64(len(b))} }

// userArray runs f with the bytes of v copied into backend user memory
// and their address (0 for an empty or nil slice: f gets a null pointer).
func userArray[T any](r *Ring, v []T, f func(addr uint64) error) error {
	if len(v) == 0 {
		return f(0)
	}
	n := uint64(len(v)) * uint64(unsafe.Sizeof(v[0]))
	return r.withArg(n, func(b []byte, addr uint64) error {
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), n))
		return f(addr)
	})
}

// withArrays copies data and tags into user memory for f.
func withArrays[T any](r *Ring, data []T, tags []uint64, f func(data, tags uint64) error) error {
	return userArray(r, data, func(d uint64) error {
		return userArray(r, tags, func(t uint64) error { return f(d, t) })
	})
}

// registerStruct passes *v, copied into user memory, to io_uring_register
// with nrArgs sizeof(*v) (the FILES2/BUFFERS2/UPDATE2 convention) or the
// given count.
func registerStruct[T any](r *Ring, op uint32, v *T, nrArgs uint32) (int, error) {
	var ret int
	size := uint64(unsafe.Sizeof(*v))
	err := r.withArg(size, func(b []byte, addr uint64) error {
		*(*T)(unsafe.Pointer(&b[0])) = *v
		var err error
		ret, err = r.Register(op, addr, nrArgs)
		return err
	})
	return ret, err
}

const sparse = rings.IORING_RSRC_REGISTER_SPARSE

// registerRsrc is IORING_REGISTER_FILES2 / BUFFERS2 with a struct
// io_uring_rsrc_register.
func (r *Ring) registerRsrc(op uint32, reg *rings.RsrcRegister) error {
	_, err := registerStruct(r, op, reg, uint32(unsafe.Sizeof(*reg)))
	return err
}

// registerArray is a registration whose argument is the array v and
// whose nr_args its length (REGISTER_FILES, REGISTER_BUFFERS).
func registerArray[T any](r *Ring, op uint32, v []T) error {
	return userArray(r, v, func(addr uint64) error {
		_, err := r.Register(op, addr, uint32(len(v)))
		return err
	})
}

// registerTagged is FILES2 / BUFFERS2 of data with tags.
func registerTagged[T any](r *Ring, op uint32, data []T, tags []uint64) error {
	return withArrays(r, data, tags, func(d, t uint64) error {
		return r.registerRsrc(op, &rings.RsrcRegister{Nr: uint32(len(data)), Data: d, Tags: t})
	})
}

// RegisterFiles is IORING_REGISTER_FILES: fds become the fixed file
// table, -1 entries sparse slots.
// Differs from liburing: no retry after raising RLIMIT_NOFILE on
// -EMFILE; the error is returned.
//
// Linux: liburing src/register.c:io_uring_register_files()
func (r *Ring) RegisterFiles(fds []int32) error {
	return registerArray(r, rings.IORING_REGISTER_FILES, fds)
}

// RegisterFilesTags is IORING_REGISTER_FILES2 with a tag per slot (0: no
// tag; a sparse slot must have none); a tagged file's tag is posted as a
// CQE when the file leaves the table for good. tags must be as long as
// fds, or nil.
//
// Linux: liburing src/register.c:io_uring_register_files_tags()
func (r *Ring) RegisterFilesTags(fds []int32, tags []uint64) error {
	return registerTagged(r, rings.IORING_REGISTER_FILES2, fds, tags)
}

// RegisterFilesSparse is IORING_REGISTER_FILES2 with
// IORING_RSRC_REGISTER_SPARSE: a table of nr empty slots.
//
// Linux: liburing src/register.c:io_uring_register_files_sparse()
func (r *Ring) RegisterFilesSparse(nr uint32) error {
	return r.registerRsrc(rings.IORING_REGISTER_FILES2, &rings.RsrcRegister{Nr: nr, Flags: sparse})
}

// RegisterFilesUpdate is IORING_REGISTER_FILES_UPDATE: slots off, off+1, …
// get fds (-1 empties a slot, IORING_REGISTER_FILES_SKIP leaves it). It
// returns how many slots were updated.
//
// Linux: liburing src/register.c:io_uring_register_files_update()
func (r *Ring) RegisterFilesUpdate(off uint32, fds []int32) (int, error) {
	var n int
	err := userArray(r, fds, func(addr uint64) error {
		var err error
		n, err = registerStruct(r, rings.IORING_REGISTER_FILES_UPDATE,
			&rings.RsrcUpdate{Offset: off, Data: addr}, uint32(len(fds)))
		return err
	})
	return n, err
}

// rsrcUpdate2 is IORING_REGISTER_FILES_UPDATE2 / BUFFERS_UPDATE.
func rsrcUpdate2[T any](r *Ring, op uint32, off uint32, data []T, tags []uint64) (int, error) {
	var n int
	err := withArrays(r, data, tags, func(d, t uint64) error {
		up := rings.RsrcUpdate2{Offset: off, Data: d, Tags: t, Nr: uint32(len(data))}
		var err error
		n, err = registerStruct(r, op, &up, uint32(unsafe.Sizeof(up)))
		return err
	})
	return n, err
}

// RegisterFilesUpdateTag is IORING_REGISTER_FILES_UPDATE2: as
// RegisterFilesUpdate, with a tag per new file. It returns how many
// slots were updated.
//
// Linux: liburing src/register.c:io_uring_register_files_update_tag()
func (r *Ring) RegisterFilesUpdateTag(off uint32, fds []int32, tags []uint64) (int, error) {
	return rsrcUpdate2(r, rings.IORING_REGISTER_FILES_UPDATE2, off, fds, tags)
}

// UnregisterFiles is IORING_UNREGISTER_FILES: the fixed file table goes
// away (tags of its files are posted as their last users finish).
//
// Linux: liburing src/register.c:io_uring_unregister_files()
func (r *Ring) UnregisterFiles() error {
	_, err := r.Register(rings.IORING_UNREGISTER_FILES, 0, 0)
	return err
}

// RegisterFileAllocRange is IORING_REGISTER_FILE_ALLOC_RANGE: slots the
// kernel picks for IORING_FILE_INDEX_ALLOC come from [off, off+length).
//
// Linux: liburing src/register.c:io_uring_register_file_alloc_range()
func (r *Ring) RegisterFileAllocRange(off, length uint32) error {
	_, err := registerStruct(r, rings.IORING_REGISTER_FILE_ALLOC_RANGE,
		&rings.FileIndexRange{Off: off, Len: length}, 0)
	return err
}

// RegisterBuffers is IORING_REGISTER_BUFFERS: iovs become the registered
// buffer table, pinned (and charged to RLIMIT_MEMLOCK).
//
// Linux: liburing src/register.c:io_uring_register_buffers()
func (r *Ring) RegisterBuffers(iovs []Iovec) error {
	return registerArray(r, rings.IORING_REGISTER_BUFFERS, iovs)
}

// RegisterBuffersTags is IORING_REGISTER_BUFFERS2 with a tag per buffer
// (0: none; a sparse, zero iovec must have none).
//
// Linux: liburing src/register.c:io_uring_register_buffers_tags()
func (r *Ring) RegisterBuffersTags(iovs []Iovec, tags []uint64) error {
	return registerTagged(r, rings.IORING_REGISTER_BUFFERS2, iovs, tags)
}

// RegisterBuffersSparse is IORING_REGISTER_BUFFERS2 with
// IORING_RSRC_REGISTER_SPARSE: a table of nr empty buffer slots.
//
// Linux: liburing src/register.c:io_uring_register_buffers_sparse()
func (r *Ring) RegisterBuffersSparse(nr uint32) error {
	return r.registerRsrc(rings.IORING_REGISTER_BUFFERS2, &rings.RsrcRegister{Nr: nr, Flags: sparse})
}

// RegisterBuffersUpdateTag is IORING_REGISTER_BUFFERS_UPDATE: buffer
// slots off, off+1, … get iovs (a zero iovec empties a slot), with a tag
// each. It returns how many slots were updated.
//
// Linux: liburing src/register.c:io_uring_register_buffers_update_tag()
func (r *Ring) RegisterBuffersUpdateTag(off uint32, iovs []Iovec, tags []uint64) (int, error) {
	return rsrcUpdate2(r, rings.IORING_REGISTER_BUFFERS_UPDATE, off, iovs, tags)
}

// UnregisterBuffers is IORING_UNREGISTER_BUFFERS.
//
// Linux: liburing src/register.c:io_uring_unregister_buffers()
func (r *Ring) UnregisterBuffers() error {
	_, err := r.Register(rings.IORING_UNREGISTER_BUFFERS, 0, 0)
	return err
}

// PrepReadFixed prepares an IORING_OP_READ_FIXED of nbytes into buf,
// which lies inside registered buffer bufIndex.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_read_fixed()
func PrepReadFixed(sqe *rings.SQE, fd int32, buf uint64, nbytes uint32, offset uint64, bufIndex int) {
	PrepRW(sqe, rings.IORING_OP_READ_FIXED, fd, buf, nbytes, offset)
	sqe.BufIndex = uint16(bufIndex)
}

// PrepWriteFixed prepares an IORING_OP_WRITE_FIXED from registered buffer
// bufIndex.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_write_fixed()
func PrepWriteFixed(sqe *rings.SQE, fd int32, buf uint64, nbytes uint32, offset uint64, bufIndex int) {
	PrepRW(sqe, rings.IORING_OP_WRITE_FIXED, fd, buf, nbytes, offset)
	sqe.BufIndex = uint16(bufIndex)
}

// PrepReadvFixed prepares an IORING_OP_READV_FIXED: nrVecs struct iovec at
// iovecs (user memory), each a range inside registered buffer bufIndex;
// flags are RWF_* (sqe->rw_flags).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_readv_fixed()
func PrepReadvFixed(sqe *rings.SQE, fd int32, iovecs uint64, nrVecs uint32, offset uint64, flags uint32, bufIndex int) {
	PrepRW(sqe, rings.IORING_OP_READV_FIXED, fd, iovecs, nrVecs, offset)
	sqe.OpFlags = flags
	sqe.BufIndex = uint16(bufIndex)
}

// PrepWritevFixed prepares an IORING_OP_WRITEV_FIXED (see PrepReadvFixed).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_writev_fixed()
func PrepWritevFixed(sqe *rings.SQE, fd int32, iovecs uint64, nrVecs uint32, offset uint64, flags uint32, bufIndex int) {
	PrepRW(sqe, rings.IORING_OP_WRITEV_FIXED, fd, iovecs, nrVecs, offset)
	sqe.OpFlags = flags
	sqe.BufIndex = uint16(bufIndex)
}

// PrepFilesUpdate prepares an IORING_OP_FILES_UPDATE: nrFds descriptors
// (int32) at fds go to fixed slots offset, offset+1, … (offset
// IORING_FILE_INDEX_ALLOC: slots the kernel picks, written back into the
// array).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_files_update()
func PrepFilesUpdate(sqe *rings.SQE, fds uint64, nrFds uint32, offset int32) {
	PrepRW(sqe, rings.IORING_OP_FILES_UPDATE, -1, fds, nrFds, uint64(int64(offset)))
}

// PrepFixedFdInstall prepares an IORING_OP_FIXED_FD_INSTALL: the file in
// fixed slot fd gets a normal descriptor, the CQE's result; flags may be
// IORING_FIXED_FD_NO_CLOEXEC.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_fixed_fd_install()
func PrepFixedFdInstall(sqe *rings.SQE, fd int32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_FIXED_FD_INSTALL, fd, 0, 0, 0)
	sqe.Flags = rings.IOSQE_FIXED_FILE
	sqe.OpFlags = flags
}

// CloneBuffers is IORING_REGISTER_CLONE_BUFFERS: this ring's (empty)
// buffer table becomes a copy of src's, the buffers shared, not pinned
// again.
//
// Linux: liburing src/register.c:io_uring_clone_buffers()
func (r *Ring) CloneBuffers(src *Ring) error {
	return r.CloneBuffersOffset(src, 0, 0, 0, 0)
}

// CloneBuffersOffset clones nr buffers of src from srcOff into this
// ring's table from dstOff (nr 0: all of src's); flags may be
// IORING_REGISTER_DST_REPLACE to replace a table this ring has. A Ring
// here has no registered ring descriptor, so src is always named by its
// file descriptor (IORING_REGISTER_SRC_REGISTERED is cleared, as liburing
// does for a ring that did not register its own).
//
// Linux: liburing src/register.c:io_uring_clone_buffers_offset()
func (r *Ring) CloneBuffersOffset(src *Ring, dstOff, srcOff, nr, flags uint32) error {
	arg := rings.CloneBuffers{SrcFd: uint32(src.FD()), Flags: flags &^ rings.IORING_REGISTER_SRC_REGISTERED,
		SrcOff: srcOff, DstOff: dstOff, Nr: nr}
	_, err := registerStruct(r, rings.IORING_REGISTER_CLONE_BUFFERS, &arg, 1)
	return err
}
