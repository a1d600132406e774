package vfs

import (
	"math"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// The file operations io_uring's sync, fallocate, fadvise, splice and tee
// ops reach: vfs_fallocate, sync_file_range, vfs_fadvise, do_splice and
// do_tee, with tmpfs's fallocate and the pipe internals splicing needs.

// fallocate(2) modes.
// Linux: include/uapi/linux/falloc.h
const (
	FALLOC_FL_ALLOCATE_RANGE = 0x00
	FALLOC_FL_KEEP_SIZE      = 0x01
	FALLOC_FL_PUNCH_HOLE     = 0x02
	FALLOC_FL_NO_HIDE_STALE  = 0x04
	FALLOC_FL_COLLAPSE_RANGE = 0x08
	FALLOC_FL_ZERO_RANGE     = 0x10
	FALLOC_FL_INSERT_RANGE   = 0x20
	FALLOC_FL_UNSHARE_RANGE  = 0x40
	FALLOC_FL_WRITE_ZEROES   = 0x80
	// FALLOC_FL_MODE_MASK: the exclusive modes (the kernel-private mask).
	// Linux: include/linux/falloc.h:FALLOC_FL_MODE_MASK
	FALLOC_FL_MODE_MASK = FALLOC_FL_ALLOCATE_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE |
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES
)

// sync_file_range(2) flags.
// Linux: include/uapi/linux/fs.h:SYNC_FILE_RANGE_WAIT_BEFORE
const (
	SYNC_FILE_RANGE_WAIT_BEFORE = 1
	SYNC_FILE_RANGE_WRITE       = 2
	SYNC_FILE_RANGE_WAIT_AFTER  = 4
)

// posix_fadvise(2) advice values.
// Linux: include/uapi/linux/fadvise.h
const (
	POSIX_FADV_NORMAL     = 0
	POSIX_FADV_RANDOM     = 1
	POSIX_FADV_SEQUENTIAL = 2
	POSIX_FADV_WILLNEED   = 3
	POSIX_FADV_DONTNEED   = 4
	POSIX_FADV_NOREUSE    = 5
)

// splice(2) flags.
// Linux: include/linux/splice.h:SPLICE_F_MOVE
const (
	SPLICE_F_MOVE     = 0x01
	SPLICE_F_NONBLOCK = 0x02
	SPLICE_F_MORE     = 0x04
	SPLICE_F_GIFT     = 0x08
	SPLICE_F_ALL      = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
)

// Fallocater is f_op->fallocate: mode is already validated by Fallocate
// (one mode, KEEP_SIZE where allowed), the range is within MAX_LFS_FILESIZE.
// Linux: include/linux/fs.h:struct file_operations.fallocate
type Fallocater interface {
	Fallocate(t *sim.Thread, f *File, mode int32, off, length int64) int
}

// IsReg reports whether the file is a regular file (S_ISREG): in the
// simulator, a file whose size can be set (Truncater).
func IsReg(f *File) bool {
	_, ok := f.Op.(Truncater)
	return ok
}

// isDir reports whether the file is an open directory (S_ISDIR).
func isDir(f *File) bool {
	_, ok := f.Op.(dirFileOps)
	return ok
}

// Fsync of a tmpfs directory has nothing to write back.
// Linux: fs/libfs.c:simple_dir_operations (.fsync = noop_fsync)
func (dirFileOps) Fsync(*sim.Thread, *File, int64, int64, bool) int { return 0 }

// Fallocate is vfs_fallocate: the argument and mode checks in Linux's order,
// then the file's fallocate (-EOPNOTSUPP without one).
// Linux: fs/open.c:vfs_fallocate()
func Fallocate(t *sim.Thread, f *File, mode int32, off, length int64) int {
	if off < 0 || length <= 0 {
		return -int(unix.EINVAL)
	}
	if mode&^(FALLOC_FL_MODE_MASK|FALLOC_FL_KEEP_SIZE) != 0 {
		return -int(unix.EOPNOTSUPP)
	}
	switch mode & FALLOC_FL_MODE_MASK {
	case FALLOC_FL_ALLOCATE_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_ZERO_RANGE:
	case FALLOC_FL_PUNCH_HOLE:
		if mode&FALLOC_FL_KEEP_SIZE == 0 {
			return -int(unix.EOPNOTSUPP)
		}
	case FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_WRITE_ZEROES:
		if mode&FALLOC_FL_KEEP_SIZE != 0 {
			return -int(unix.EOPNOTSUPP)
		}
	default:
		return -int(unix.EOPNOTSUPP)
	}
	if f.FMode&FMODE_WRITE == 0 {
		return -int(unix.EBADF)
	}
	if PipeOf(f) != nil {
		return -int(unix.ESPIPE)
	}
	if isDir(f) {
		return -int(unix.EISDIR)
	}
	if !IsReg(f) {
		return -int(unix.ENODEV)
	}
	if off > math.MaxInt64-length { // check_add_overflow
		return -int(unix.EFBIG)
	}
	if off+length > MAX_LFS_FILESIZE {
		return -int(unix.EFBIG)
	}
	fa, ok := f.Op.(Fallocater)
	if !ok {
		return -int(unix.EOPNOTSUPP)
	}
	return fa.Fallocate(t, f, mode, off, length)
}

// Fallocate supports preallocation (with or without KEEP_SIZE: the size
// grows to off+length unless KEEP_SIZE) and PUNCH_HOLE|KEEP_SIZE (the range
// reads as zeros afterwards); every other mode is -EOPNOTSUPP.
// Linux: mm/shmem.c:shmem_fallocate()
func (shmemFileOps) Fallocate(t *sim.Thread, f *File, mode int32, off, length int64) int {
	if mode&^(FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE) != 0 {
		return -int(unix.EOPNOTSUPP)
	}
	ino := f.Private.(*ShmemInode)
	ino.lock.Lock(t)
	defer ino.lock.Unlock(t)
	end := off + length
	if mode&FALLOC_FL_PUNCH_HOLE != 0 {
		ino.punch(off, end)
		return 0
	}
	if mode&FALLOC_FL_KEEP_SIZE == 0 && end > ino.size.Load() {
		ino.size.Store(end)
	}
	return 0
}

// punch makes [start, end) a hole: pages wholly inside are dropped, the
// partial pages at either edge are zeroed there. The inode lock is held.
// Linux: mm/shmem.c:shmem_truncate_range()
func (ino *ShmemInode) punch(start, end int64) {
	kept := ino.idxs[:0]
	for _, idx := range ino.idxs {
		ps, pe := idx*PAGE_SIZE, (idx+1)*PAGE_SIZE
		if pe <= start || ps >= end {
			kept = append(kept, idx)
			continue
		}
		if ps >= start && pe <= end {
			delete(ino.pages, idx)
			continue
		}
		lo, hi := max(ps, start)-ps, min(pe, end)-ps
		clear(ino.pages[idx][lo:hi])
		kept = append(kept, idx)
	}
	ino.idxs = slices.Clip(kept)
}

// SyncFileRange is sync_file_range: flags and range checks, -ESPIPE for
// anything but a regular file or a directory, and nothing to write back.
// Linux: fs/sync.c:sync_file_range()
func SyncFileRange(t *sim.Thread, f *File, off, nbytes int64, flags uint32) int {
	if flags&^(SYNC_FILE_RANGE_WAIT_BEFORE|SYNC_FILE_RANGE_WRITE|SYNC_FILE_RANGE_WAIT_AFTER) != 0 {
		return -int(unix.EINVAL)
	}
	endbyte := int64(uint64(off) + uint64(nbytes))
	if off < 0 || endbyte < 0 || endbyte < off {
		return -int(unix.EINVAL)
	}
	if !IsReg(f) && !isDir(f) {
		return -int(unix.ESPIPE)
	}
	return 0
}

// Fadvise is vfs_fadvise with generic_fadvise on a backing device without
// writeback (tmpfs, anonymous inodes): -ESPIPE for a pipe, -EINVAL for a
// negative length or an unknown advice, else the advice is ignored.
// Linux: mm/fadvise.c:vfs_fadvise(), generic_fadvise()
func Fadvise(t *sim.Thread, f *File, off, length int64, advice int32) int {
	if PipeOf(f) != nil {
		return -int(unix.ESPIPE)
	}
	if length < 0 {
		return -int(unix.EINVAL)
	}
	switch advice {
	case POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL,
		POSIX_FADV_WILLNEED, POSIX_FADV_NOREUSE, POSIX_FADV_DONTNEED:
		return 0
	}
	return -int(unix.EINVAL)
}

// hasSpliceRW: the file has splice_read and splice_write (tmpfs files do;
// eventfds and rings have neither).
func hasSpliceRW(f *File) bool { return ShmemOf(f) != nil }

// Splice is do_splice: moves up to length bytes between a pipe and a file
// or between two pipes. offIn/offOut are nil for "no offset" (the file
// position is used and advanced for a file); an offset on a pipe is
// -ESPIPE, neither end a pipe is -EINVAL, a wrong access mode -EBADF.
// A file end's position is updated without the position lock, as io_uring
// does.
// Differs from Linux: data spliced from a file into a pipe is copied, not
// shared with the page cache, so a later write to the file does not show
// in pipe buffers already filled.
// Linux: fs/splice.c:do_splice()
func Splice(t *sim.Thread, in *File, offIn *int64, out *File, offOut *int64, length int, flags uint32) int {
	if in.FMode&FMODE_READ == 0 || out.FMode&FMODE_WRITE == 0 {
		return -int(unix.EBADF)
	}
	ipipe, opipe := PipeOf(in), PipeOf(out)
	switch {
	case ipipe != nil && opipe != nil:
		if offIn != nil || offOut != nil {
			return -int(unix.ESPIPE)
		}
		if ipipe == opipe {
			return -int(unix.EINVAL)
		}
		if (in.Flags|out.Flags)&unix.O_NONBLOCK != 0 {
			flags |= SPLICE_F_NONBLOCK
		}
		return splicePipeToPipe(t, ipipe, opipe, length, flags)
	case ipipe != nil:
		if offIn != nil {
			return -int(unix.ESPIPE)
		}
		var offset int64
		if offOut != nil {
			if out.FMode&FMODE_PWRITE == 0 {
				return -int(unix.EINVAL)
			}
			offset = *offOut
		} else {
			offset = out.Pos
		}
		if out.Flags&unix.O_APPEND != 0 {
			return -int(unix.EINVAL)
		}
		if ret := spliceVerifyArea(offset, length); ret < 0 {
			return ret
		}
		if in.Flags&unix.O_NONBLOCK != 0 {
			flags |= SPLICE_F_NONBLOCK
		}
		ret := -int(unix.EINVAL) // do_splice_from without splice_write
		if hasSpliceRW(out) {
			ret = iterFileSpliceWrite(t, ipipe, out.Op.(Writer).Write, out, &offset, length, flags)
		} else if _, ok := out.Op.(nullFileOps); ok {
			// splice_write_null consumes the bytes; splice_from_pipe
			// leaves the position alone.
			pos := offset
			ret = iterFileSpliceWrite(t, ipipe, nullFileOps{}.Write, out, &pos, length, flags)
		}
		if offOut == nil {
			out.Pos = offset
		} else {
			*offOut = offset
		}
		return ret
	case opipe != nil:
		if offOut != nil {
			return -int(unix.ESPIPE)
		}
		var offset int64
		if offIn != nil {
			if in.FMode&FMODE_PREAD == 0 {
				return -int(unix.EINVAL)
			}
			offset = *offIn
		} else {
			offset = in.Pos
		}
		if ret := spliceVerifyArea(offset, length); ret < 0 {
			return ret
		}
		if out.Flags&unix.O_NONBLOCK != 0 {
			flags |= SPLICE_F_NONBLOCK
		}
		ret := spliceFileToPipe(t, in, opipe, &offset, length, flags)
		if offIn == nil {
			in.Pos = offset
		} else {
			*offIn = offset
		}
		return ret
	}
	return -int(unix.EINVAL)
}

// spliceVerifyArea is rw_verify_area for a file end of a splice: a
// negative offset, or one whose end overflows, is -EINVAL.
// Linux: fs/read_write.c:rw_verify_area()
func spliceVerifyArea(pos int64, count int) int {
	if pos < 0 || pos+int64(count) < 0 {
		return -int(unix.EINVAL)
	}
	return 0
}

// Tee is do_tee: it duplicates up to length bytes at the head of pipe in
// into pipe out without consuming them. Both must be pipes, different
// ones (-EINVAL), open for reading and writing respectively (-EBADF).
// Linux: fs/splice.c:do_tee(), link_pipe()
func Tee(t *sim.Thread, in, out *File, length int, flags uint32) int {
	ipipe, opipe := PipeOf(in), PipeOf(out)
	if in.FMode&FMODE_READ == 0 || out.FMode&FMODE_WRITE == 0 {
		return -int(unix.EBADF)
	}
	if ipipe == nil || opipe == nil || ipipe == opipe {
		return -int(unix.EINVAL)
	}
	if (in.Flags|out.Flags)&unix.O_NONBLOCK != 0 {
		flags |= SPLICE_F_NONBLOCK
	}
	if ret := ipipePrep(t, ipipe, flags); ret != 0 {
		return ret
	}
	if ret := opipePrep(t, opipe, flags); ret != 0 {
		return ret
	}
	return linkPipe(t, ipipe, opipe, length)
}

// waitReadable and waitWritable drop the pipe mutex, sleep until the pipe
// is readable (writable) and take the mutex again.
// Linux: fs/pipe.c:pipe_wait_readable(), pipe_wait_writable()
func (p *Pipe) waitReadable(t *sim.Thread) {
	p.mutex.Unlock(t)
	waitEventInterruptible(t, &p.RdWait, "pipe_wait_readable", p.readable)
	p.mutex.Lock(t)
}

func (p *Pipe) waitWritable(t *sim.Thread) {
	p.mutex.Unlock(t)
	waitEventInterruptible(t, &p.WrWait, "pipe_wait_writable", p.writable)
	p.mutex.Lock(t)
}

// wakeupReaders and wakeupWriters wake one sleeper without a key, as the
// splice code does (wake_up_interruptible).
// Linux: fs/splice.c:wakeup_pipe_readers(), wakeup_pipe_writers()
func (p *Pipe) wakeupReaders(t *sim.Thread) {
	if p.RdWait.Active() {
		p.RdWait.WakeUp(t, 0)
	}
}

func (p *Pipe) wakeupWriters(t *sim.Thread) {
	if p.WrWait.Active() {
		p.WrWait.WakeUp(t, 0)
	}
}

// doubleLock takes both pipes' mutexes in a fixed order (by inode number),
// so two tees in opposite directions cannot deadlock.
// Linux: fs/splice.c:pipe_double_lock()
func doubleLock(t *sim.Thread, a, b *Pipe) {
	if a.ino > b.ino {
		a, b = b, a
	}
	a.mutex.Lock(t)
	b.mutex.Lock(t)
}

// iterFileSpliceWrite writes what pipe p holds, up to length bytes, to the
// file at *ppos (advancing it) with write (the file's write_iter), waiting for data while the pipe is empty
// and has writers (unless SPLICE_F_NONBLOCK: -EAGAIN). It returns the bytes
// written, 0 at end of file, or a negated errno.
// Linux: fs/splice.c:iter_file_splice_write(), splice_from_pipe_next(), drivers/char/mem.c:splice_write_null()
func iterFileSpliceWrite(t *sim.Thread, p *Pipe, write func(*sim.Thread, *File, []byte, *int64, bool) int, out *File, ppos *int64, length int, flags uint32) int {
	spliced, ret := 0, 0
	needWakeup := false
	p.mutex.Lock(t)
loop:
	for length > 0 {
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		for p.isEmpty() {
			if p.writers.Load() == 0 || spliced > 0 {
				ret = 0
				break loop
			}
			if flags&SPLICE_F_NONBLOCK != 0 {
				ret = -int(unix.EAGAIN)
				break loop
			}
			if t.SignalPending() {
				ret = -ERESTARTSYS
				break loop
			}
			if needWakeup {
				p.mutex.Unlock(t)
				p.wakeupWriters(t)
				p.mutex.Lock(t)
				needWakeup = false
			}
			p.waitReadable(t)
		}
		var data []byte
		left := length
		for head, tail := p.head.Load(), p.tail.Load(); !pipeEmpty(head, tail) && left > 0; tail++ {
			buf := p.buf(tail)
			n := min(buf.len, left)
			data = append(data, buf.page[buf.offset:buf.offset+n]...)
			left -= n
		}
		n := write(t, out, data, ppos, false)
		if n <= 0 {
			ret = n
			break
		}
		spliced += n
		length -= n
		for tail := p.tail.Load(); n > 0; {
			buf := p.buf(tail)
			if n >= buf.len {
				n -= buf.len
				buf.len = 0
				p.releaseBuf(buf)
				tail++
				p.tail.Store(tail)
				needWakeup = true
				continue
			}
			buf.offset += n
			buf.len -= n
			n = 0
		}
	}
	p.mutex.Unlock(t)
	if needWakeup {
		p.wakeupWriters(t)
	}
	if spliced > 0 {
		return spliced
	}
	return ret
}

// spliceFileToPipe waits for room in the pipe (-EPIPE without readers,
// -EAGAIN with SPLICE_F_NONBLOCK), then reads from the file at *offset into
// fresh page buffers, at most as many as the pipe has free slots.
// Linux: fs/splice.c:splice_file_to_pipe(), wait_for_space(), do_splice_read()
func spliceFileToPipe(t *sim.Thread, in *File, p *Pipe, offset *int64, length int, flags uint32) int {
	p.mutex.Lock(t)
	ret := 0
	for {
		if p.readers.Load() == 0 {
			ret = -int(unix.EPIPE)
			break
		}
		if !p.isFull() {
			break
		}
		if flags&SPLICE_F_NONBLOCK != 0 {
			ret = -int(unix.EAGAIN)
			break
		}
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		p.waitWritable(t)
	}
	if ret == 0 {
		ret = p.doSpliceRead(t, in, offset, length)
	}
	p.mutex.Unlock(t)
	if ret > 0 {
		p.wakeupReaders(t)
	}
	return ret
}

// doSpliceRead fills the pipe from the file (the pipe mutex is held).
// Linux: fs/splice.c:do_splice_read()
func (p *Pipe) doSpliceRead(t *sim.Thread, in *File, ppos *int64, length int) int {
	if in.FMode&FMODE_READ == 0 {
		return -int(unix.EBADF)
	}
	if length == 0 {
		return 0
	}
	space := int(p.maxUsage) - int(pipeOccupancy(p.head.Load(), p.tail.Load()))
	length = min(length, max(space, 0)*PAGE_SIZE, MAX_RW_COUNT)
	ino := ShmemOf(in)
	if ino == nil {
		return -int(unix.EINVAL) // no splice_read
	}
	return ino.spliceRead(t, ppos, p, length)
}

// spliceRead puts the file's bytes from *ppos into the pipe, one buffer per
// page of the file (a hole reads as zeros), stopping at the end of the
// file or when the pipe is full.
// Linux: mm/shmem.c:shmem_file_splice_read()
func (ino *ShmemInode) spliceRead(t *sim.Thread, ppos *int64, p *Pipe, length int) int {
	ino.lock.Lock(t)
	defer ino.lock.Unlock(t)
	total := 0
	for length > 0 {
		pos, size := *ppos, ino.size.Load()
		if pos >= size || p.isFull() {
			break
		}
		part := int(min(int64(length), size-pos, PAGE_SIZE-pos%PAGE_SIZE))
		page := make([]byte, PAGE_SIZE)
		ino.readAt(page[:part], pos)
		head := p.head.Load()
		*p.buf(head) = pipeBuffer{page: page, len: part}
		p.head.Store(head + 1)
		length -= part
		total += part
		*ppos = pos + int64(part)
	}
	return total
}

// ipipePrep waits until the input pipe has data or no writers.
// Linux: fs/splice.c:ipipe_prep()
func ipipePrep(t *sim.Thread, p *Pipe, flags uint32) int {
	if !p.isEmpty() {
		return 0
	}
	ret := 0
	p.mutex.Lock(t)
	for p.isEmpty() {
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		if p.writers.Load() == 0 {
			break
		}
		if flags&SPLICE_F_NONBLOCK != 0 {
			ret = -int(unix.EAGAIN)
			break
		}
		p.waitReadable(t)
	}
	p.mutex.Unlock(t)
	return ret
}

// opipePrep waits until the output pipe has room or no readers (-EPIPE).
// Linux: fs/splice.c:opipe_prep()
func opipePrep(t *sim.Thread, p *Pipe, flags uint32) int {
	if !p.isFull() {
		return 0
	}
	ret := 0
	p.mutex.Lock(t)
	for p.isFull() {
		if p.readers.Load() == 0 {
			ret = -int(unix.EPIPE)
			break
		}
		if flags&SPLICE_F_NONBLOCK != 0 {
			ret = -int(unix.EAGAIN)
			break
		}
		if t.SignalPending() {
			ret = -ERESTARTSYS
			break
		}
		p.waitWritable(t)
	}
	p.mutex.Unlock(t)
	return ret
}

// splicePipeToPipe moves up to length bytes of buffers from ipipe to
// opipe: whole buffers move, a partial one is shared (its page referenced
// from both pipes, not mergeable in the output).
// Linux: fs/splice.c:splice_pipe_to_pipe()
func splicePipeToPipe(t *sim.Thread, ipipe, opipe *Pipe, length int, flags uint32) int {
	ret := 0
	inputWakeup := false
	for {
		if r := ipipePrep(t, ipipe, flags); r != 0 {
			return r
		}
		if r := opipePrep(t, opipe, flags); r != 0 {
			return r
		}
		doubleLock(t, ipipe, opipe)
		retry := false
		iTail, oHead := ipipe.tail.Load(), opipe.head.Load()
		for {
			if opipe.readers.Load() == 0 {
				if ret == 0 {
					ret = -int(unix.EPIPE)
				}
				break
			}
			iHead, oTail := ipipe.head.Load(), opipe.tail.Load()
			if pipeEmpty(iHead, iTail) && ipipe.writers.Load() == 0 {
				break
			}
			if pipeEmpty(iHead, iTail) || pipeFull(oHead, oTail, opipe.maxUsage) {
				if ret != 0 {
					break
				}
				if flags&SPLICE_F_NONBLOCK != 0 {
					ret = -int(unix.EAGAIN)
					break
				}
				retry = true
				break
			}
			ibuf, obuf := ipipe.buf(iTail), opipe.buf(oHead)
			var oLen int
			if length >= ibuf.len {
				*obuf = *ibuf
				*ibuf = pipeBuffer{}
				iTail++
				ipipe.tail.Store(iTail)
				inputWakeup = true
				oLen = obuf.len
			} else {
				ibuf.shared = true
				*obuf = *ibuf
				obuf.flags &^= PIPE_BUF_FLAG_CAN_MERGE
				obuf.len = length
				ibuf.offset += length
				ibuf.len -= length
				oLen = length
			}
			oHead++
			opipe.head.Store(oHead)
			ret += oLen
			length -= oLen
			if length == 0 {
				break
			}
		}
		ipipe.mutex.Unlock(t)
		opipe.mutex.Unlock(t)
		if !retry {
			break
		}
	}
	if ret > 0 {
		opipe.wakeupReaders(t)
	}
	if inputWakeup {
		ipipe.wakeupWriters(t)
	}
	return ret
}

// linkPipe copies references to up to length bytes of ipipe's buffers into
// opipe, leaving ipipe as it was.
// Linux: fs/splice.c:link_pipe()
func linkPipe(t *sim.Thread, ipipe, opipe *Pipe, length int) int {
	ret := 0
	doubleLock(t, ipipe, opipe)
	iTail, oHead := ipipe.tail.Load(), opipe.head.Load()
	for {
		if opipe.readers.Load() == 0 {
			if ret == 0 {
				ret = -int(unix.EPIPE)
			}
			break
		}
		iHead, oTail := ipipe.head.Load(), opipe.tail.Load()
		if pipeEmpty(iHead, iTail) || pipeFull(oHead, oTail, opipe.maxUsage) {
			break
		}
		ibuf, obuf := ipipe.buf(iTail), opipe.buf(oHead)
		ibuf.shared = true
		*obuf = *ibuf
		obuf.flags &^= PIPE_BUF_FLAG_CAN_MERGE
		obuf.len = min(obuf.len, length)
		ret += obuf.len
		length -= obuf.len
		oHead++
		opipe.head.Store(oHead)
		iTail++
		if length == 0 {
			break
		}
	}
	ipipe.mutex.Unlock(t)
	opipe.mutex.Unlock(t)
	if ret > 0 {
		opipe.wakeupReaders(t)
	}
	return ret
}
