package uring

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/vfs"
)

// simFiles is the simulated kernel's FileSys: system calls of the
// machine's main task.
type simFiles struct {
	be      *simBackend
	scratch []byte // user memory for slices that are not
}

// userMem returns b itself if it is user memory of the machine, else a
// scratch buffer of len(b) bytes in user memory.
func (s *simFiles) userMem(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return b, nil
	}
	if _, errno := s.be.as.Slice(addrOf(b), uint64(len(b))); errno == 0 {
		return b, nil
	}
	if len(s.scratch) < len(b) {
		if s.scratch != nil {
			_ = s.be.Free(s.scratch)
			s.scratch = nil
		}
		mem, err := s.be.Alloc(rings.PageAlign(uint64(len(b))))
		if err != nil {
			return nil, err
		}
		s.scratch = mem
	}
	return s.scratch[:len(b)], nil
}

func retOf(ret int) (int, error) {
	if ret < 0 {
		return -1, unix.Errno(-ret)
	}
	return ret, nil
}

func (s *simFiles) Pipe() (int, int, error) {
	r, w, errno := kernel.Pipe2(s.be.task, unix.O_CLOEXEC)
	if errno != 0 {
		return -1, -1, unix.Errno(-errno)
	}
	return r, w, nil
}

func (s *simFiles) Eventfd(initval uint32) (int, error) {
	return retOf(kernel.Eventfd2(s.be.task, initval, unix.EFD_CLOEXEC))
}

func (s *simFiles) TempFile(data []byte, size int64) (int, error) {
	fd, err := retOf(kernel.OpenTmpfile(s.be.task, data))
	if err != nil {
		return -1, err
	}
	if size > int64(len(data)) {
		if ret := kernel.Ftruncate(s.be.task, fd, size); ret < 0 {
			kernel.Close(s.be.task, fd)
			return -1, unix.Errno(-ret)
		}
	}
	return fd, nil
}

func (s *simFiles) Write(fd int, b []byte) (int, error) {
	u, err := s.userMem(b)
	if err != nil {
		return -1, err
	}
	copy(u, b) // a no-op when b is user memory already
	return retOf(kernel.Write(s.be.task, fd, addrOf(u), uint64(len(u))))
}

func (s *simFiles) Read(fd int, b []byte) (int, error) {
	u, err := s.userMem(b)
	if err != nil {
		return -1, err
	}
	n, err := retOf(kernel.Read(s.be.task, fd, addrOf(u), uint64(len(u))))
	if n > 0 {
		copy(b[:n], u[:n])
	}
	return n, err
}

func (s *simFiles) Close(fd int) error { return errnoOf(kernel.Close(s.be.task, fd)) }

func (s *simFiles) Sleep(d time.Duration) { s.be.task.SleepUser(d) }

func (s *simFiles) Fdinfo(fd int) (string, error) {
	text, errno := kernel.Fdinfo(s.be.task, fd)
	if errno != 0 {
		return "", unix.Errno(-errno)
	}
	return text, nil
}

func (s *simFiles) Shutdown(fd, how int) error {
	return errnoOf(kernel.Shutdown(s.be.task, fd, how))
}

func (s *simFiles) Mmap(length uint64, flags int) ([]byte, error) {
	if flags&^mmapFlags != 0 {
		return nil, unix.EINVAL
	}
	m, errno := s.be.as.MmapFlags(length, flags, "uring")
	if errno != 0 {
		return nil, errnoOf(errno)
	}
	return m.Mem, nil
}

func (s *simFiles) EpollCreate() (int, error) {
	return retOf(kernel.EpollCreate1(s.be.task, unix.EPOLL_CLOEXEC))
}

func (s *simFiles) EpollCtl(epfd, op, fd int, events uint32, data uint64) error {
	ev, err := s.userMem(make([]byte, vfs.EPOLL_EVENT_SIZE))
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(ev[0:], events)
	binary.LittleEndian.PutUint64(ev[4:], data)
	return errnoOf(kernel.EpollCtl(s.be.task, epfd, op, fd, addrOf(ev)))
}

func (s *simFiles) ReopenPipe(fd int) (int, error) {
	return retOf(kernel.ReopenPipeRdwr(s.be.task, fd))
}
