package netdev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// sockAddr is a socket address of any family: an IP address and port, or
// an AF_UNIX name (abstract names start with a zero byte; "" is unnamed).
type sockAddr struct {
	family int
	ip     [16]byte // IPv4 in the first 4 bytes
	port   uint16
	path   string
}

// Address sizes (sizeof struct sockaddr_in, sockaddr_in6, the path offset
// of sockaddr_un and its size).
const (
	sizeofSockaddrIn  = 16
	sizeofSockaddrIn6 = 28
	sizeofSunFamily   = 2
	sizeofSockaddrUn  = 110
)

// isLoopback reports an address the loopback device answers: 127.0.0.0/8,
// ::1, or the wildcard.
func (a sockAddr) isLoopback() bool {
	switch a.family {
	case unix.AF_INET:
		return a.ip[0] == 127 || [4]byte(a.ip[:4]) == [4]byte{}
	case unix.AF_INET6:
		var any, lo [16]byte
		lo[15] = 1
		if a.ip == any || a.ip == lo {
			return true
		}
		// IPv4-mapped loopback ::ffff:127.x.x.x
		return a.ip[10] == 0xff && a.ip[11] == 0xff && a.ip[12] == 127
	}
	return false
}

// parseInetAddr reads a sockaddr_in or sockaddr_in6 for a socket of
// family fam: -EINVAL for a short one, -EAFNOSUPPORT for another family.
// Linux: net/ipv4/af_inet.c:inet_bind_sk(), net/ipv6/af_inet6.c:__inet6_bind()
func parseInetAddr(fam int, b []byte) (sockAddr, int) {
	if len(b) < 2 {
		return sockAddr{}, -int(unix.EINVAL)
	}
	got := int(binary.LittleEndian.Uint16(b))
	a := sockAddr{family: fam}
	switch fam {
	case unix.AF_INET:
		if len(b) < sizeofSockaddrIn {
			return a, -int(unix.EINVAL)
		}
		if got != unix.AF_INET {
			return a, -int(unix.EAFNOSUPPORT)
		}
		a.port = binary.BigEndian.Uint16(b[2:])
		copy(a.ip[:4], b[4:8])
	case unix.AF_INET6:
		if len(b) < 24 { // SIN6_LEN_RFC2133
			return a, -int(unix.EINVAL)
		}
		if got != unix.AF_INET6 {
			return a, -int(unix.EAFNOSUPPORT)
		}
		a.port = binary.BigEndian.Uint16(b[2:])
		copy(a.ip[:], b[8:24])
	}
	return a, 0
}

// parseUnixAddr reads a sockaddr_un: -EINVAL when too short, too long or
// of another family.
// Linux: net/unix/af_unix.c:unix_validate_addr()
func parseUnixAddr(b []byte) (sockAddr, int) {
	if len(b) <= sizeofSunFamily || len(b) > sizeofSockaddrUn ||
		binary.LittleEndian.Uint16(b) != unix.AF_UNIX {
		return sockAddr{}, -int(unix.EINVAL)
	}
	p := b[sizeofSunFamily:]
	if p[0] != 0 { // a path: up to its terminating zero
		for i, c := range p {
			if c == 0 {
				p = p[:i]
				break
			}
		}
	}
	return sockAddr{family: unix.AF_UNIX, path: string(p)}, 0
}

// encode writes the address as the kernel's struct sockaddr into buf and
// returns its full length (which may exceed len(buf): the caller reports
// it, truncated copies being the user's problem, as in move_addr_to_user).
// Linux: net/socket.c:move_addr_to_user(), net/ipv4/af_inet.c:inet_getname()
func (a sockAddr) encode(buf []byte) int {
	var b [sizeofSockaddrUn]byte
	n := 0
	switch a.family {
	case unix.AF_INET:
		binary.LittleEndian.PutUint16(b[:], unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], a.port)
		copy(b[4:8], a.ip[:4])
		n = sizeofSockaddrIn
	case unix.AF_INET6:
		binary.LittleEndian.PutUint16(b[:], unix.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], a.port)
		copy(b[8:24], a.ip[:])
		n = sizeofSockaddrIn6
	case unix.AF_UNIX:
		binary.LittleEndian.PutUint16(b[:], unix.AF_UNIX)
		n = sizeofSunFamily + copy(b[2:], a.path)
		if a.path != "" && a.path[0] != 0 {
			n++ // a path name is reported with its terminating zero
		}
	}
	copy(buf, b[:n])
	return n
}

// loopbackAddr is 127.0.0.1 or ::1 for family fam.
func loopbackAddr(fam int) [16]byte {
	var ip [16]byte
	if fam == unix.AF_INET6 {
		ip[15] = 1
	} else {
		ip[0], ip[3] = 127, 1
	}
	return ip
}
