package vfs

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// ShmemInode is a tmpfs regular file's inode: its size and its pages,
// kept sparse (a page never written reads as zeros, like a hole), so a
// large size costs nothing until written. Bytes at or past the size are
// always zero.
// Linux: include/linux/shmem_fs.h:struct shmem_inode_info
type ShmemInode struct {
	lock  sim.Mutex    // i_rwsem
	size  atomic.Int64 // i_size, read locklessly (i_size_read)
	pages map[int64][]byte
	idxs  []int64 // the keys of pages, sorted (truncation walks them)
	ino   uint64
	node  *Inode // the namespace inode (nil for NewTmpfile's unnamed files)
}

// shmemFileOps are shmem_file_operations with shmem's setattr.
type shmemFileOps struct{}

// NewTmpfile creates an unnamed tmpfs regular file holding a copy of data,
// its position at 0, as open(2) with O_TMPFILE on a tmpfs directory
// followed by writing data would leave it (but without moving the
// position). flags are the open flags kept in f_flags: the access mode,
// O_APPEND, O_NONBLOCK; O_CLOEXEC is a descriptor flag for the caller.
// As on the 6.18 host, FMODE_NOWAIT is not set: io_uring cannot try tmpfs
// I/O without blocking and sends it to io-wq, and RWF_NOWAIT is
// -EOPNOTSUPP (testdata/scenarios/tmpfs_rwf_nowait.scn).
// Linux: mm/shmem.c:shmem_tmpfile(), shmem_file_open()
func NewTmpfile(id uint64, flags uint32, data []byte) *File {
	ino := &ShmemInode{pages: make(map[int64][]byte), ino: id}
	ino.writeAt(data, 0)
	ino.size.Store(int64(len(data)))
	name := fmt.Sprintf("/tmp/#%d (deleted)", id)
	f := NewFile(shmemFileOps{}, ino, name, flags&^uint32(unix.O_CLOEXEC|unix.O_CREAT|unix.O_EXCL|unix.O_NOCTTY|unix.O_TRUNC), id)
	f.FMode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS | FMODE_CAN_ODIRECT
	return f
}

// ShmemOf returns the inode behind a tmpfs file, or nil.
func ShmemOf(f *File) *ShmemInode {
	if _, ok := f.Op.(shmemFileOps); !ok {
		return nil
	}
	return f.Private.(*ShmemInode)
}

// writeAt copies b into the pages at pos; the inode lock is held (or the
// inode is not shared yet).
func (ino *ShmemInode) writeAt(b []byte, pos int64) {
	for len(b) > 0 {
		idx, off := pos/PAGE_SIZE, int(pos%PAGE_SIZE)
		page := ino.pages[idx]
		if page == nil {
			page = make([]byte, PAGE_SIZE)
			ino.pages[idx] = page
			i, _ := slices.BinarySearch(ino.idxs, idx)
			ino.idxs = slices.Insert(ino.idxs, i, idx)
		}
		n := copy(page[off:], b)
		b, pos = b[n:], pos+int64(n)
	}
}

// readAt fills b from the pages at pos, holes as zeros.
func (ino *ShmemInode) readAt(b []byte, pos int64) {
	for len(b) > 0 {
		idx, off := pos/PAGE_SIZE, int(pos%PAGE_SIZE)
		n := min(len(b), PAGE_SIZE-off)
		if page := ino.pages[idx]; page != nil {
			copy(b[:n], page[off:])
		} else {
			clear(b[:n])
		}
		b, pos = b[n:], pos+int64(n)
	}
}

// Size is i_size.
func (shmemFileOps) Size(f *File) int64 { return f.Private.(*ShmemInode).size.Load() }

// Read copies from *off up to the end of the file and advances *off; at or
// past the end it returns 0.
// Differs from Linux: reads take the inode lock (Linux reads folio by folio
// under each folio's lock), so a read and a write never overlap.
// Linux: mm/shmem.c:shmem_file_read_iter()
func (shmemFileOps) Read(t *sim.Thread, f *File, dst []byte, off *int64, nonblock bool) int {
	ino := f.Private.(*ShmemInode)
	if nonblock {
		if !ino.lock.TryLock(t) {
			return -int(unix.EAGAIN)
		}
	} else {
		ino.lock.Lock(t)
	}
	defer ino.lock.Unlock(t)
	pos, size := *off, ino.size.Load()
	if pos >= size {
		return 0
	}
	n := int(min(int64(len(dst)), size-pos))
	ino.readAt(dst[:n], pos)
	*off = pos + int64(n)
	ino.accessed()
	return n
}

// Write copies src at *off (at the end of the file with O_APPEND),
// extending the file, and advances *off.
// Linux: mm/shmem.c:shmem_file_write_iter(), mm/filemap.c:generic_write_checks()
func (shmemFileOps) Write(t *sim.Thread, f *File, src []byte, off *int64, nonblock bool) int {
	ino := f.Private.(*ShmemInode)
	if nonblock {
		if !ino.lock.TryLock(t) {
			return -int(unix.EAGAIN)
		}
	} else {
		ino.lock.Lock(t)
	}
	defer ino.lock.Unlock(t)
	pos := *off
	if f.Flags&unix.O_APPEND != 0 {
		pos = ino.size.Load()
	}
	if pos >= MAX_LFS_FILESIZE {
		return -int(unix.EFBIG)
	}
	n := int(min(int64(len(src)), MAX_LFS_FILESIZE-pos))
	ino.writeAt(src[:n], pos)
	if end := pos + int64(n); end > ino.size.Load() {
		ino.size.Store(end)
	}
	*off = pos + int64(n)
	ino.modified()
	return n
}

// Truncate sets the size: growing leaves a hole, shrinking drops the pages
// past the end and zeroes the tail of the last one.
// Linux: mm/shmem.c:shmem_setattr(), mm/truncate.c:truncate_pagecache()
func (shmemFileOps) Truncate(t *sim.Thread, f *File, size int64) int {
	ino := f.Private.(*ShmemInode)
	if size < 0 {
		return -int(unix.EINVAL)
	}
	ino.lock.Lock(t)
	defer ino.lock.Unlock(t)
	old := ino.size.Load()
	if size < old {
		last := (size + PAGE_SIZE - 1) / PAGE_SIZE // first page wholly past the end
		i, _ := slices.BinarySearch(ino.idxs, last)
		for _, idx := range ino.idxs[i:] {
			delete(ino.pages, idx)
		}
		ino.idxs = ino.idxs[:i]
		if page := ino.pages[size/PAGE_SIZE]; page != nil && size%PAGE_SIZE != 0 {
			clear(page[size%PAGE_SIZE:])
		}
	}
	ino.size.Store(size)
	ino.modified()
	return 0
}

// Fsync has nothing to write back.
// Linux: fs/libfs.c:noop_fsync()
func (shmemFileOps) Fsync(*sim.Thread, *File, int64, int64, bool) int { return 0 }

// Llseek moves f.Pos for SEEK_SET, SEEK_CUR and SEEK_END; SEEK_DATA and
// SEEK_HOLE treat the whole file as data (-ENXIO at or past the end).
// Differs from Linux: holes are not reported by SEEK_DATA/SEEK_HOLE.
// Linux: mm/shmem.c:shmem_file_llseek(), fs/read_write.c:generic_file_llseek_size()
func (shmemFileOps) Llseek(t *sim.Thread, f *File, offset int64, whence int) int64 {
	eof := f.Private.(*ShmemInode).size.Load()
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		if offset == 0 {
			return f.Pos
		}
		if (offset > 0 && f.Pos > math.MaxInt64-offset) || (offset < 0 && f.Pos < math.MinInt64-offset) {
			return -int64(unix.EINVAL)
		}
		offset += f.Pos
	case unix.SEEK_END:
		if offset > math.MaxInt64-eof {
			return -int64(unix.EINVAL)
		}
		offset += eof
	case unix.SEEK_DATA:
		if offset < 0 || offset >= eof {
			return -int64(unix.ENXIO)
		}
	case unix.SEEK_HOLE:
		if offset < 0 || offset >= eof {
			return -int64(unix.ENXIO)
		}
		offset = eof
	default:
		return -int64(unix.EINVAL)
	}
	if offset < 0 || offset > MAX_LFS_FILESIZE {
		return -int64(unix.EINVAL)
	}
	f.Pos = offset
	return offset
}

// Release has nothing to free: the pages go with the inode.
func (shmemFileOps) Release(*sim.Thread, *File) {}
