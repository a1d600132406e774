package uring

import (
	"time"

	"golang.org/x/sys/unix"
)

// FileSys is what a program does to files outside io_uring — create pipes,
// eventfds and temporary files, read, write, close, sleep — on either
// backend, so tests and scenarios set up the files their SQEs use in the
// same way on the simulator and on the host kernel. Get one with Files.
//
// Errors are unix.Errno values, as everywhere in this package; counts are
// -1 with an error. On the simulator every call is a system call of the
// machine's main task and must be made from the goroutine driving the
// machine; a call that blocks lets the world's other threads run, and one
// that blocks with nothing else able to run ends with EINTR (the world
// reports the deadlock, see sim.World.Deadlock).
type FileSys interface {
	// Pipe is pipe2(2) with O_CLOEXEC: the read and the write end.
	Pipe() (r, w int, err error)
	// Eventfd is eventfd2(2) with EFD_CLOEXEC and counter initval.
	Eventfd(initval uint32) (int, error)
	// TempFile creates an unnamed regular file holding data, extended
	// with zeros to size if that is larger, open read-write at position
	// 0. Host: O_TMPFILE in os.TempDir(), or a file created there and
	// unlinked at once; simulator: a tmpfs file.
	TempFile(data []byte, size int64) (int, error)
	// Write is write(2). On the simulator b is copied through user
	// memory of the machine (memory from Backend.Alloc is used in place;
	// any other slice is copied into a scratch buffer first), so any
	// slice may be passed.
	Write(fd int, b []byte) (int, error)
	// Read is read(2), into any slice (see Write).
	Read(fd int, b []byte) (int, error)
	// Close is close(2).
	Close(fd int) error
	// Sleep waits d: on the simulator the main thread sleeps on the
	// world's virtual clock while the other threads run; on the host it
	// is time.Sleep.
	Sleep(d time.Duration)
	// Fdinfo is the text of /proc/self/fdinfo/<fd> (the simulator's
	// kernel.Fdinfo). A bad descriptor is EBADF.
	Fdinfo(fd int) (string, error)
	// Socketpair is socketpair(2) of AF_UNIX sockets of type typ
	// (unix.SOCK_STREAM, ...) with SOCK_CLOEXEC. Simulator: ENOSYS (no
	// network devices yet).
	Socketpair(typ int) (a, b int, err error)
	// Listen opens a TCP socket listening on 127.0.0.1 at a port the
	// kernel picks, and returns it with the port. Simulator: ENOSYS.
	Listen() (fd int, port uint16, err error)
	// Socket is an unconnected TCP (IPv4) socket. Simulator: ENOSYS.
	Socket() (int, error)
	// Shutdown is shutdown(2): ENOTSOCK for anything but a socket.
	Shutdown(fd, how int) error
	// ReopenPipe opens the pipe at fd again for reading and writing, as
	// open("/proc/self/fd/FD", O_RDWR|O_CLOEXEC) does: a FIFO end whose
	// poll waits on both of the pipe's wait queues.
	ReopenPipe(fd int) (int, error)
	// Mmap is mmap(2) of length bytes of anonymous private read-write
	// memory with extra flags: MAP_HUGETLB, MAP_POPULATE, MAP_NORESERVE
	// (any other is EINVAL). Free it with Backend.Free. MAP_HUGETLB is
	// ENOMEM on the simulator, as on a host with vm.nr_hugepages 0.
	Mmap(length uint64, flags int) ([]byte, error)
	// EpollCreate is epoll_create1(2) with EPOLL_CLOEXEC.
	EpollCreate() (int, error)
	// EpollCtl is epoll_ctl(2) with a struct epoll_event of events and
	// data (not passed for EPOLL_CTL_DEL).
	EpollCtl(epfd, op, fd int, events uint32, data uint64) error
}

// mmapFlags are the flags FileSys.Mmap passes on.
const mmapFlags = unix.MAP_HUGETLB | unix.MAP_POPULATE | unix.MAP_NORESERVE

// Files returns the FileSys of a backend: the host kernel's system calls
// for HostBackend, the simulated kernel's for a Machine's Backend (made by
// its main task).
func Files(be Backend) (FileSys, error) {
	switch b := be.(type) {
	case *simBackend:
		return &simFiles{be: b}, nil
	case hostBackend:
		return hostFiles{}, nil
	}
	return nil, unix.EINVAL
}
