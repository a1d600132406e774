package vfs

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// EIOCBQUEUED is what ->read_iter/->write_iter return when the I/O was
// queued and will complete later through the kiocb's ki_complete.
// Linux: include/linux/errno.h:EIOCBQUEUED
const EIOCBQUEUED = 529

// AsyncRW is implemented by files whose I/O goes to a device and completes
// later: the call returns -EIOCBQUEUED and done runs from device
// (interrupt) context when the transfer ends, with its result. A file may
// also complete at once by returning a result (then done is not called).
// Linux: include/linux/fs.h:struct kiocb.ki_complete
type AsyncRW interface {
	ReadAsync(t *sim.Thread, f *File, dst []byte, pos int64, done func(t *sim.Thread, token any, res int), token any) int
	WriteAsync(t *sim.Thread, f *File, src []byte, pos int64, done func(t *sim.Thread, token any, res int), token any) int
}

// SlowFile is a regular file on slow storage: its bytes live in a tmpfs
// inode, but every read and write takes Latency on the virtual clock to
// complete. Through io_uring the transfer is queued (-EIOCBQUEUED) and
// completes from the device's timer context, the path direct I/O to a
// disk takes; read(2) and write(2) sleep for the latency.
// Linux: fs/direct-io.c / iomap direct I/O (the -EIOCBQUEUED path)
type SlowFile struct {
	shmemFileOps
	World   *sim.World
	Latency time.Duration
}

// NewSlowFile creates a slow-storage file holding data, with the given
// device latency.
func NewSlowFile(w *sim.World, id uint64, flags uint32, data []byte, latency time.Duration) *File {
	f := NewTmpfile(id, flags, data)
	f.Op = &SlowFile{World: w, Latency: latency}
	return f
}

// Read waits for the device, then reads.
func (s *SlowFile) Read(t *sim.Thread, f *File, dst []byte, off *int64, nonblock bool) int {
	if nonblock {
		return -int(unix.EAGAIN)
	}
	t.Sleep(s.Latency)
	return s.shmemFileOps.Read(t, f, dst, off, false)
}

// Write waits for the device, then writes.
func (s *SlowFile) Write(t *sim.Thread, f *File, src []byte, off *int64, nonblock bool) int {
	if nonblock {
		return -int(unix.EAGAIN)
	}
	t.Sleep(s.Latency)
	return s.shmemFileOps.Write(t, f, src, off, false)
}

// ReadAsync queues the read; the bytes move when the device completes.
func (s *SlowFile) ReadAsync(t *sim.Thread, f *File, dst []byte, pos int64, done func(*sim.Thread, any, int), token any) int {
	s.World.AfterFunc(t, s.Latency, func(t *sim.Thread) {
		p := pos
		done(t, token, s.shmemFileOps.Read(t, f, dst, &p, false))
	})
	return -EIOCBQUEUED
}

// WriteAsync queues the write; the bytes land when the device completes.
func (s *SlowFile) WriteAsync(t *sim.Thread, f *File, src []byte, pos int64, done func(*sim.Thread, any, int), token any) int {
	s.World.AfterFunc(t, s.Latency, func(t *sim.Thread) {
		p := pos
		done(t, token, s.shmemFileOps.Write(t, f, src, &p, false))
	})
	return -EIOCBQUEUED
}
