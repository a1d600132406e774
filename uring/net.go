package uring

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/netdev"
)

// NetConfig describes the simulated loopback NIC (netdev.Config):
// delivery latency and jitter, datagram reordering and loss.
type NetConfig = netdev.Config

// NetStats counts what the simulated NIC did (netdev.Stats).
type NetStats = netdev.Stats

// NetStats returns what the machine's loopback NIC did so far.
func (m *Machine) NetStats() NetStats { return m.net.Stats(m.task.Thread) }

// SockaddrInet4 encodes a struct sockaddr_in for ip:port, as bind,
// connect and sendto take it.
func SockaddrInet4(ip [4]byte, port uint16) []byte {
	b := make([]byte, unix.SizeofSockaddrInet4)
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:8], ip[:])
	return b
}

// SockaddrPort reads the port of a struct sockaddr_in or sockaddr_in6.
func SockaddrPort(b []byte) uint16 {
	if len(b) < 4 {
		return 0
	}
	return binary.BigEndian.Uint16(b[2:])
}

// loopback4 is 127.0.0.1.
var loopback4 = [4]byte{127, 0, 0, 1}

func (s *simFiles) Socketpair(typ int) (int, int, error) {
	a, b, errno := kernel.Socketpair(s.be.task, unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if errno != 0 {
		return -1, -1, unix.Errno(-errno)
	}
	return a, b, nil
}

func (s *simFiles) Listen() (int, uint16, error) {
	task := s.be.task
	fd, err := retOf(kernel.Socket(task, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
	if err != nil {
		return -1, 0, err
	}
	fail := func(ret int) (int, uint16, error) {
		kernel.Close(task, fd)
		return -1, 0, unix.Errno(-ret)
	}
	if ret := kernel.Bind(task, fd, SockaddrInet4(loopback4, 0)); ret < 0 {
		return fail(ret)
	}
	if ret := kernel.Listen(task, fd, 128); ret < 0 {
		return fail(ret)
	}
	var sa [unix.SizeofSockaddrInet4]byte
	if ret := kernel.Getsockname(task, fd, sa[:], false); ret < 0 {
		return fail(ret)
	}
	return fd, SockaddrPort(sa[:]), nil
}

func (s *simFiles) Socket() (int, error) {
	return retOf(kernel.Socket(s.be.task, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
}
