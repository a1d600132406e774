package vfs

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Pipe constants, kernel-private.
const (
	// PIPE_DEF_BUFFERS is the number of page slots of a new pipe: its
	// capacity is PIPE_DEF_BUFFERS*PAGE_SIZE = 64 KiB.
	// Linux: include/linux/pipe_fs_i.h:PIPE_DEF_BUFFERS
	PIPE_DEF_BUFFERS = 16
	// PIPE_BUF_FLAG_PACKET marks a buffer written in packet mode (O_DIRECT):
	// a read takes at most the one packet.
	// Linux: include/linux/pipe_fs_i.h:PIPE_BUF_FLAG_PACKET
	PIPE_BUF_FLAG_PACKET = 0x08
	// PIPE_BUF_FLAG_CAN_MERGE marks a buffer later small writes may be
	// appended to.
	// Linux: include/linux/pipe_fs_i.h:PIPE_BUF_FLAG_CAN_MERGE
	PIPE_BUF_FLAG_CAN_MERGE = 0x10
)

// pipeBuffer is one slot of the pipe ring: a page and the bytes of it not
// read yet (struct pipe_buffer).
// Linux: include/linux/pipe_fs_i.h:struct pipe_buffer
type pipeBuffer struct {
	page   []byte // PAGE_SIZE bytes
	offset int
	len    int
	flags  uint32
	// shared: the page is also referenced from another buffer (tee, a
	// partial pipe-to-pipe splice), so it must not be recycled.
	shared bool
}

// Pipe is a pipe's shared state (struct pipe_inode_info): a ring of page
// buffers with free-running head and tail indices, the reader and writer
// counts and the two wait queues. Readers sleep on RdWait, writers on
// WrWait; both are woken with EPOLL* keys as Linux does.
// Linux: include/linux/pipe_fs_i.h:struct pipe_inode_info
type Pipe struct {
	mutex sim.Mutex // pipe->mutex: serialises readers and writers
	// RdWait is woken with EPOLLIN|EPOLLRDNORM when data arrives, and with
	// key 0 when the last writer goes.
	RdWait sim.WaitQueueHead
	// WrWait is woken with EPOLLOUT|EPOLLWRNORM when space frees up, and
	// with key 0 when the last reader goes.
	WrWait sim.WaitQueueHead

	// head and tail are read without the mutex by the wait conditions
	// and poll (READ_ONCE), so they are atomics; writes hold the mutex.
	head, tail atomic.Uint32
	readers    atomic.Int32
	writers    atomic.Int32
	pollUsage  atomic.Bool // pipe->poll_usage: someone polled the pipe
	maxUsage   uint32
	ringSize   uint32
	bufs       []pipeBuffer
	tmpPage    []byte // one-deep page cache (pipe->tmp_page)
	ino        uint64 // the inode number (the read end's ID): lock order of two pipes
}

// pipeFileOps are both ends' file operations (pipefifo_fops).
type pipeFileOps struct{}

// pipeEmpty, pipeOccupancy and pipeFull are the ring helpers.
// Linux: include/linux/pipe_fs_i.h:pipe_empty(), pipe_occupancy(), pipe_full()
func pipeEmpty(head, tail uint32) bool       { return head == tail }
func pipeOccupancy(head, tail uint32) uint32 { return head - tail }
func pipeFull(head, tail, limit uint32) bool { return pipeOccupancy(head, tail) >= limit }
func (p *Pipe) isEmpty() bool                { return pipeEmpty(p.head.Load(), p.tail.Load()) }
func (p *Pipe) isFull() bool                 { return pipeFull(p.head.Load(), p.tail.Load(), p.maxUsage) }
func (p *Pipe) buf(i uint32) *pipeBuffer     { return &p.bufs[i&(p.ringSize-1)] }
func (p *Pipe) readable() bool               { return !p.isEmpty() || p.writers.Load() == 0 }
func (p *Pipe) writable() bool               { return !p.isFull() || p.readers.Load() == 0 }
func isPacketized(f *File) bool              { return f.Flags&unix.O_DIRECT != 0 }
func pipeOf(f *File) *Pipe                   { return f.Private.(*Pipe) }
func pipeBytes(p *Pipe, head, tail uint32) (n int) {
	for ; !pipeEmpty(head, tail); tail++ {
		n += p.buf(tail).len
	}
	return n
}

// Len is the number of bytes in the pipe (FIONREAD).
// Linux: fs/pipe.c:pipe_ioctl()
func (p *Pipe) Len(t *sim.Thread) int {
	p.mutex.Lock(t)
	defer p.mutex.Unlock(t)
	return pipeBytes(p, p.head.Load(), p.tail.Load())
}

// PipeOf returns the pipe behind a pipe file, or nil for another file
// (get_pipe_info).
// Linux: fs/pipe.c:get_pipe_info()
func PipeOf(f *File) *Pipe {
	if _, ok := f.Op.(pipeFileOps); !ok {
		return nil
	}
	return pipeOf(f)
}

// NewPipe creates a pipe and its two files, read end first, as pipe2(2)
// does before installing them. flags may hold O_NONBLOCK (both ends),
// O_DIRECT (packet mode, on the write end) and O_CLOEXEC (a descriptor
// flag the caller applies when installing); anything else is -EINVAL.
// rid and wid are the two files' IDs; the pipe's name shows rid as its
// inode number.
// Differs from Linux: O_NOTIFICATION_PIPE is refused with -EINVAL.
// Linux: fs/pipe.c:create_pipe_files(), __do_pipe_flags(), alloc_pipe_info()
func NewPipe(rid, wid uint64, flags uint32) (r, w *File, errno int) {
	if flags&^uint32(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT) != 0 {
		return nil, nil, -int(unix.EINVAL)
	}
	p := &Pipe{maxUsage: PIPE_DEF_BUFFERS, ringSize: PIPE_DEF_BUFFERS, bufs: make([]pipeBuffer, PIPE_DEF_BUFFERS), ino: rid}
	p.readers.Store(1)
	p.writers.Store(1)
	name := fmt.Sprintf("pipe:[%d]", rid)
	w = NewFile(pipeFileOps{}, p, name, unix.O_WRONLY|flags&uint32(unix.O_NONBLOCK|unix.O_DIRECT), wid)
	r = NewFile(pipeFileOps{}, p, name, unix.O_RDONLY|flags&uint32(unix.O_NONBLOCK), rid)
	for _, f := range []*File{r, w} {
		streamOpen(f)
		f.FMode |= FMODE_NOWAIT | FMODE_CAN_ODIRECT // pipe groks IOCB_NOWAIT; O_DIRECT is packet mode
	}
	return r, w, 0
}

// FifoOpenRdwr opens the pipe behind f again, for reading and writing: what
// open(2) of /proc/self/fd/N with O_RDWR does to a pipe (fifo_open's O_RDWR
// case: one more reader and writer, so it neither blocks nor sees HUP).
// The new file polls on both wait queues, and like any FIFO it has no
// FMODE_NOWAIT (RWF_NOWAIT on it is -EOPNOTSUPP; io_uring reads and
// writes go to io-wq). f that is not a pipe is -ENXIO; flags may hold
// O_NONBLOCK and O_CLOEXEC (a descriptor flag the caller applies).
// Linux: fs/pipe.c:fifo_open()
func FifoOpenRdwr(f *File, id uint64, flags uint32) (*File, int) {
	p := PipeOf(f)
	if p == nil {
		return nil, -int(unix.ENXIO)
	}
	if flags&^uint32(unix.O_NONBLOCK|unix.O_CLOEXEC) != 0 {
		return nil, -int(unix.EINVAL)
	}
	p.readers.Add(1)
	p.writers.Add(1)
	rw := NewFile(pipeFileOps{}, p, f.Name, unix.O_RDWR|flags&unix.O_NONBLOCK, id)
	streamOpen(rw)
	return rw, 0
}

// streamOpen marks a file as a stream: no position, no seeking.
// Linux: fs/open.c:stream_open()
func streamOpen(f *File) {
	f.FMode &^= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS
	f.FMode |= FMODE_STREAM
}

// Read reads what the pipe holds, up to len(dst), sleeping while it is
// empty and has writers (unless O_NONBLOCK or nonblock: -EAGAIN). It
// returns 0 at end of file (empty, no writer left) and -ERESTARTSYS when
// interrupted before reading anything. A reader that empties a full pipe
// wakes a writer; a reader that slept wakes the next reader if data is
// left.
// Linux: fs/pipe.c:pipe_read()
func (pipeFileOps) Read(t *sim.Thread, f *File, dst []byte, _ *int64, nonblock bool) int {
	p := pipeOf(f)
	totalLen := len(dst)
	if totalLen == 0 {
		return 0
	}
	wakeWriter, wakeNextReader := false, false
	ret := 0
	p.mutex.Lock(t)
	for {
		head, tail := p.head.Load(), p.tail.Load()
		if !pipeEmpty(head, tail) {
			buf := p.buf(tail)
			chars := buf.len
			if chars > totalLen {
				chars = totalLen
			}
			copy(dst[ret:ret+chars], buf.page[buf.offset:buf.offset+chars])
			ret += chars
			buf.offset += chars
			buf.len -= chars
			if buf.flags&PIPE_BUF_FLAG_PACKET != 0 { // a packet: clean up and exit
				totalLen = chars
				buf.len = 0
			}
			if buf.len == 0 {
				wakeWriter = wakeWriter || pipeFull(head, tail, p.maxUsage)
				p.releaseBuf(buf)
				tail++
				p.tail.Store(tail)
			}
			totalLen -= chars
			if totalLen == 0 {
				break // common path: read succeeded
			}
			if !pipeEmpty(head, tail) { // more to do?
				continue
			}
		}
		if p.writers.Load() == 0 || ret != 0 {
			break
		}
		if f.Flags&unix.O_NONBLOCK != 0 || nonblock {
			ret = -int(unix.EAGAIN)
			break
		}
		p.mutex.Unlock(t)
		// We read nothing, but may have seen a zero-sized buffer and
		// made space: wake a writer then.
		if wakeWriter {
			p.WrWait.WakeUp(t, rings.EPOLLOUT|rings.EPOLLWRNORM)
		}
		if waitEventInterruptibleExclusive(t, &p.RdWait, "pipe_read", p.readable) < 0 {
			return -ERESTARTSYS
		}
		wakeWriter = false
		wakeNextReader = true
		p.mutex.Lock(t)
	}
	if p.isEmpty() {
		wakeNextReader = false
	}
	p.mutex.Unlock(t)
	if wakeWriter {
		p.WrWait.WakeUp(t, rings.EPOLLOUT|rings.EPOLLWRNORM)
	}
	if wakeNextReader {
		p.RdWait.WakeUp(t, rings.EPOLLIN|rings.EPOLLRDNORM)
	}
	return ret
}

// Write appends src to the pipe: a write whose length is not a multiple of
// the page size first merges its head into the last buffer if that fits,
// the rest goes into fresh pages, one slot each. While the pipe is full it
// sleeps (unless O_NONBLOCK or nonblock: it returns what it wrote, or
// -EAGAIN). With no reader left it returns -EPIPE (or what it wrote). It
// wakes readers when the pipe was empty (or was ever polled), and the next
// writer when it slept and left space.
// Differs from Linux: no SIGPIPE is sent with -EPIPE (the simulator has no
// signals).
// Linux: fs/pipe.c:pipe_write()
func (pipeFileOps) Write(t *sim.Thread, f *File, src []byte, _ *int64, nonblock bool) int {
	p := pipeOf(f)
	totalLen := len(src)
	if totalLen == 0 {
		return 0
	}
	ret, done := 0, 0 // done: bytes of src consumed (iov_iter position)
	wakeNextWriter := false
	p.mutex.Lock(t)
	if p.readers.Load() == 0 {
		p.mutex.Unlock(t)
		return -int(unix.EPIPE)
	}
	head := p.head.Load()
	wasEmpty := pipeEmpty(head, p.tail.Load())
	if chars := totalLen & (PAGE_SIZE - 1); chars != 0 && !wasEmpty {
		buf := p.buf(head - 1)
		offset := buf.offset + buf.len
		if buf.flags&PIPE_BUF_FLAG_CAN_MERGE != 0 && offset+chars <= PAGE_SIZE {
			copy(buf.page[offset:offset+chars], src[:chars])
			buf.len += chars
			ret, done = chars, chars
		}
	}
	for done < totalLen {
		if p.readers.Load() == 0 {
			if ret == 0 {
				ret = -int(unix.EPIPE)
			}
			break
		}
		head = p.head.Load()
		if !pipeFull(head, p.tail.Load(), p.maxUsage) {
			page := p.tmpPage
			if page == nil {
				page = make([]byte, PAGE_SIZE)
			}
			p.tmpPage = nil
			p.head.Store(head + 1) // allocate the slot in advance
			buf := p.buf(head)
			buf.page, buf.offset, buf.len = page, 0, 0
			if isPacketized(f) {
				buf.flags = PIPE_BUF_FLAG_PACKET
			} else {
				buf.flags = PIPE_BUF_FLAG_CAN_MERGE
			}
			copied := copy(page, src[done:])
			ret += copied
			done += copied
			buf.len = copied
			if done == totalLen {
				break
			}
		}
		if !pipeFull(head, p.tail.Load(), p.maxUsage) {
			continue
		}
		// Wait for buffer space to become available.
		if f.Flags&unix.O_NONBLOCK != 0 || nonblock {
			if ret == 0 {
				ret = -int(unix.EAGAIN)
			}
			break
		}
		if t.SignalPending() {
			if ret == 0 {
				ret = -ERESTARTSYS
			}
			break
		}
		// Drop the lock, wake readers if the pipe was empty, sleep,
		// then see again whether the pipe became empty meanwhile.
		p.mutex.Unlock(t)
		if wasEmpty {
			p.RdWait.WakeUp(t, rings.EPOLLIN|rings.EPOLLRDNORM)
		}
		waitEventInterruptibleExclusive(t, &p.WrWait, "pipe_write", p.writable)
		p.mutex.Lock(t)
		wasEmpty = p.isEmpty()
		wakeNextWriter = true
	}
	if p.isFull() {
		wakeNextWriter = false
	}
	p.mutex.Unlock(t)
	if wasEmpty || p.pollUsage.Load() {
		p.RdWait.WakeUp(t, rings.EPOLLIN|rings.EPOLLRDNORM)
	}
	if wakeNextWriter {
		p.WrWait.WakeUp(t, rings.EPOLLOUT|rings.EPOLLWRNORM)
	}
	return ret
}

// Poll queues pt's entry on the wait queue of the end's direction first,
// then reports: read end EPOLLIN|EPOLLRDNORM when not empty, EPOLLHUP with
// no writer; write end EPOLLOUT|EPOLLWRNORM when not full, EPOLLERR with no
// reader.
// Linux: fs/pipe.c:pipe_poll()
func (pipeFileOps) Poll(t *sim.Thread, f *File, pt *PollTable) uint32 {
	p := pipeOf(f)
	p.pollUsage.Store(true)
	if f.FMode&FMODE_READ != 0 {
		PollWait(t, f, &p.RdWait, pt)
	}
	if f.FMode&FMODE_WRITE != 0 {
		PollWait(t, f, &p.WrWait, pt)
	}
	return pipePollMask(f, p)
}

// pipePollMask is what pipe_poll reports after registering its waits.
func pipePollMask(f *File, p *Pipe) uint32 {
	head, tail := p.head.Load(), p.tail.Load()
	var mask uint32
	if f.FMode&FMODE_READ != 0 {
		if !pipeEmpty(head, tail) {
			mask |= rings.EPOLLIN | rings.EPOLLRDNORM
		}
		if p.writers.Load() == 0 {
			mask |= rings.EPOLLHUP
		}
	}
	if f.FMode&FMODE_WRITE != 0 {
		if !pipeFull(head, tail, p.maxUsage) {
			mask |= rings.EPOLLOUT | rings.EPOLLWRNORM
		}
		if p.readers.Load() == 0 {
			mask |= rings.EPOLLERR
		}
	}
	return mask
}

// Release drops the end's reader or writer count; when that was the last
// reader or the last writer but the other side remains, it wakes every
// sleeper on both queues with key 0 (no mask: a poller re-polls and finds
// EPOLLHUP or EPOLLERR, a blocked reader sees end of file, a blocked
// writer -EPIPE).
// Linux: fs/pipe.c:pipe_release()
func (pipeFileOps) Release(t *sim.Thread, f *File) {
	p := pipeOf(f)
	p.mutex.Lock(t)
	if f.FMode&FMODE_READ != 0 {
		p.readers.Add(-1)
	}
	if f.FMode&FMODE_WRITE != 0 {
		p.writers.Add(-1)
	}
	if (p.readers.Load() == 0) != (p.writers.Load() == 0) {
		p.RdWait.WakeUpAll(t, 0)
		p.WrWait.WakeUpAll(t, 0)
	}
	p.mutex.Unlock(t)
}

// releaseBuf drops a consumed buffer's page, keeping it as the one-deep
// page cache if that is empty and no other buffer shares the page.
// Linux: fs/pipe.c:anon_pipe_buf_release()
func (p *Pipe) releaseBuf(b *pipeBuffer) {
	if p.tmpPage == nil && !b.shared {
		p.tmpPage = b.page
	}
	b.page = nil
	b.shared = false
}
