package uring

import "github.com/uringsim/uringsim/rings"

// SQE preparers of the path ops, as liburing spells them. Names and
// buffers are user addresses (memory from Backend.Alloc); dfd may be
// AT_FDCWD (-100).

// PrepOpenat prepares an IORING_OP_OPENAT of the NUL-terminated name at
// path with open(2) flags and mode.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_openat()
func PrepOpenat(sqe *rings.SQE, dfd int32, path uint64, flags uint32, mode uint32) {
	PrepRW(sqe, rings.IORING_OP_OPENAT, dfd, path, mode, 0)
	sqe.OpFlags = flags
}

// PrepOpenatDirect is PrepOpenat into registered file slot fileIndex
// (0-based; IORING_FILE_INDEX_ALLOC to let the kernel pick).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_openat_direct()
func PrepOpenatDirect(sqe *rings.SQE, dfd int32, path uint64, flags uint32, mode uint32, fileIndex uint32) {
	PrepOpenat(sqe, dfd, path, flags, mode)
	if fileIndex != rings.IORING_FILE_INDEX_ALLOC {
		fileIndex++
	}
	sqe.SpliceFdIn = int32(fileIndex)
}

// PrepOpenat2 prepares an IORING_OP_OPENAT2 with the struct open_how of
// size bytes at how.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_openat2()
func PrepOpenat2(sqe *rings.SQE, dfd int32, path uint64, how uint64, size uint32) {
	PrepRW(sqe, rings.IORING_OP_OPENAT2, dfd, path, size, how)
}

// PrepClose prepares an IORING_OP_CLOSE of fd.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_close()
func PrepClose(sqe *rings.SQE, fd int32) { PrepRW(sqe, rings.IORING_OP_CLOSE, fd, 0, 0, 0) }

// PrepCloseDirect prepares an IORING_OP_CLOSE of registered file slot
// fileIndex (0-based).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_close_direct()
func PrepCloseDirect(sqe *rings.SQE, fileIndex uint32) {
	PrepClose(sqe, 0)
	sqe.SpliceFdIn = int32(fileIndex + 1)
}

// PrepStatx prepares an IORING_OP_STATX of the name at path (AT_* flags,
// STATX_* mask) into the 256-byte struct statx at buf.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_statx()
func PrepStatx(sqe *rings.SQE, dfd int32, path uint64, flags uint32, mask uint32, buf uint64) {
	PrepRW(sqe, rings.IORING_OP_STATX, dfd, path, mask, buf)
	sqe.OpFlags = flags
}

// PrepRenameat prepares an IORING_OP_RENAMEAT (RENAME_* flags).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_renameat()
func PrepRenameat(sqe *rings.SQE, oldDfd int32, oldPath uint64, newDfd int32, newPath uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_RENAMEAT, oldDfd, oldPath, uint32(newDfd), newPath)
	sqe.OpFlags = flags
}

// PrepUnlinkat prepares an IORING_OP_UNLINKAT (flags 0 or AT_REMOVEDIR).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_unlinkat()
func PrepUnlinkat(sqe *rings.SQE, dfd int32, path uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_UNLINKAT, dfd, path, 0, 0)
	sqe.OpFlags = flags
}

// PrepMkdirat prepares an IORING_OP_MKDIRAT.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_mkdirat()
func PrepMkdirat(sqe *rings.SQE, dfd int32, path uint64, mode uint32) {
	PrepRW(sqe, rings.IORING_OP_MKDIRAT, dfd, path, mode, 0)
}

// PrepSymlinkat prepares an IORING_OP_SYMLINKAT: a symlink at linkPath
// (relative to newDfd) whose body is the name at target.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_symlinkat()
func PrepSymlinkat(sqe *rings.SQE, target uint64, newDfd int32, linkPath uint64) {
	PrepRW(sqe, rings.IORING_OP_SYMLINKAT, newDfd, target, 0, linkPath)
}

// PrepLinkat prepares an IORING_OP_LINKAT (AT_SYMLINK_FOLLOW,
// AT_EMPTY_PATH).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_linkat()
func PrepLinkat(sqe *rings.SQE, oldDfd int32, oldPath uint64, newDfd int32, newPath uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_LINKAT, oldDfd, oldPath, uint32(newDfd), newPath)
	sqe.OpFlags = flags
}
