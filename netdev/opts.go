package netdev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Setsockopt sets the SOL_SOCKET options SO_SNDBUF, SO_RCVBUF (doubled,
// capped at wmem_max/rmem_max, floored), SO_REUSEADDR, SO_REUSEPORT,
// SO_KEEPALIVE, SO_RCVLOWAT, SO_TIMESTAMPING (tstamp.go), and TCP_NODELAY; val is the option's bytes
// (at least an int, else -EINVAL). Others are -ENOPROTOOPT.
// Linux: net/core/sock.c:sk_setsockopt(), net/ipv4/tcp.c:do_tcp_setsockopt()
func (s *sock) Setsockopt(t *sim.Thread, f *vfs.File, level, name int, val []byte) int {
	if len(val) < 4 {
		if level == unix.SOL_SOCKET || level == unix.IPPROTO_TCP {
			return -int(unix.EINVAL)
		}
	}
	var v int
	if len(val) >= 4 {
		v = int(int32(binary.LittleEndian.Uint32(val)))
	}
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	switch level {
	case unix.SOL_SOCKET:
		switch name {
		case unix.SO_SNDBUF:
			v = min(max(v, 0), WmemMax)
			s.sndbuf = max(v*2, SockMinSndbuf)
			s.mark(rings.EPOLLOUT | rings.EPOLLWRNORM)
		case unix.SO_RCVBUF:
			v = min(max(v, 0), RmemMax)
			s.rcvbuf = max(v*2, SockMinRcvbuf)
			if p := s.peer; p != nil && s.proto == unix.IPPROTO_TCP {
				p.tcpPush(t)
			}
		case unix.SO_REUSEADDR:
			s.reuseAddr = v != 0
		case unix.SO_REUSEPORT:
			s.reusePort = v != 0
		case unix.SO_KEEPALIVE:
			s.keepalive = v != 0
		case unix.SO_RCVLOWAT:
			s.rcvlowat = max(v, 1)
		case unix.SO_TIMESTAMPING_OLD, unix.SO_TIMESTAMPING_NEW:
			return s.setTimestamping(name, val)
		default:
			return -int(unix.ENOPROTOOPT)
		}
		return 0
	case unix.IPPROTO_TCP:
		if s.proto != unix.IPPROTO_TCP {
			return -int(unix.ENOPROTOOPT)
		}
		if name != unix.TCP_NODELAY {
			return -int(unix.ENOPROTOOPT)
		}
		s.nodelay = v != 0
		return 0
	}
	return -int(unix.ENOPROTOOPT)
}

// Getsockopt reads an int option into val (at most 4 bytes) and returns
// the length written: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR (taking
// the error), SO_SNDBUF, SO_RCVBUF, SO_ACCEPTCONN, SO_REUSEADDR,
// SO_REUSEPORT, SO_KEEPALIVE, SO_RCVLOWAT, TCP_NODELAY, and
// SO_TIMESTAMPING's struct so_timestamping (up to 8 bytes).
// Linux: net/core/sock.c:sk_getsockopt(), net/ipv4/tcp.c:do_tcp_getsockopt()
func (s *sock) Getsockopt(t *sim.Thread, f *vfs.File, level, name int, val []byte) int {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	var v int
	switch level {
	case unix.SOL_SOCKET:
		switch name {
		case unix.SO_TYPE:
			v = s.typ
		case unix.SO_DOMAIN:
			v = s.family
		case unix.SO_PROTOCOL:
			v = s.proto
		case unix.SO_ERROR:
			v = s.err
			s.err = 0
		case unix.SO_SNDBUF:
			v = s.sndbuf
		case unix.SO_RCVBUF:
			v = s.rcvbuf
		case unix.SO_ACCEPTCONN:
			v = boolInt(s.state == tcpListen)
		case unix.SO_REUSEADDR:
			v = boolInt(s.reuseAddr)
		case unix.SO_REUSEPORT:
			v = boolInt(s.reusePort)
		case unix.SO_KEEPALIVE:
			v = boolInt(s.keepalive)
		case unix.SO_RCVLOWAT:
			v = max(s.rcvlowat, 1)
		case unix.SO_TIMESTAMPING_OLD, unix.SO_TIMESTAMPING_NEW:
			return copy(val, s.getTimestamping(name))
		default:
			return -int(unix.ENOPROTOOPT)
		}
	case unix.IPPROTO_TCP:
		if s.proto != unix.IPPROTO_TCP || name != unix.TCP_NODELAY {
			return -int(unix.EOPNOTSUPP)
		}
		v = boolInt(s.nodelay)
	default:
		return -int(unix.EOPNOTSUPP)
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return copy(val, b[:])
}
