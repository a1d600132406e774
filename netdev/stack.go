package netdev

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Default buffer sizes, the sysctls of a fresh network namespace.
// Linux: net/core/sock.c:sysctl_wmem_default (SK_WMEM_MAX), net/ipv4/tcp.c:tcp_init() (tcp_wmem, tcp_rmem)
const (
	// WmemDefault and RmemDefault are net.core.wmem_default and
	// rmem_default: the buffers of AF_UNIX and UDP sockets.
	WmemDefault = 212992
	RmemDefault = 212992
	// WmemMax and RmemMax are net.core.wmem_max and rmem_max: the most
	// SO_SNDBUF and SO_RCVBUF may ask for (doubled when set).
	WmemMax = 212992
	RmemMax = 212992
	// TCPWmemDefault and TCPRmemDefault are tcp_wmem[1] and tcp_rmem[1].
	TCPWmemDefault = 16384
	TCPRmemDefault = 131072
	// SockMinSndbuf and SockMinRcvbuf are the floors of SO_SNDBUF and
	// SO_RCVBUF.
	// Linux: include/net/sock.h:SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF
	SockMinSndbuf = 4608
	SockMinRcvbuf = 2304
	// UnixMaxDgramQlen is net.unix.max_dgram_qlen: how many datagrams an
	// AF_UNIX datagram socket queues before its senders wait.
	UnixMaxDgramQlen = 10
	// SomaxConn is net.core.somaxconn, the cap of a listen backlog.
	SomaxConn = 4096
	// skbOverhead approximates what an skb costs beyond its data
	// (SKB_TRUESIZE(0)): the memory charged to the sender of an AF_UNIX
	// skb and to the receive buffer of a UDP datagram.
	skbOverhead = 768
	// ephemeralLow and ephemeralHigh are net.ipv4.ip_local_port_range.
	ephemeralLow  = 32768
	ephemeralHigh = 60999
)

// ChooseLatency is the kind of the recorded choice that fixes each inet
// packet's delivery latency on the loopback NIC; ChooseDrop decides
// whether a datagram is lost (Config.Loss).
const (
	ChooseLatency = sim.ChooseUser + 12
	ChooseDrop    = sim.ChooseUser + 13
)

// latencySteps is how many latencies a packet may get between
// Config.Latency and Config.Latency+Config.Jitter.
const latencySteps = 8

// Config describes the simulated loopback NIC.
type Config struct {
	// Latency and Jitter: an inet packet (TCP data or FIN, a UDP
	// datagram) reaches its receiver Latency plus a seeded fraction of
	// Jitter after it was sent, on the world's timer thread, in order
	// per connection. With both zero (the default) delivery happens
	// before the send returns, as loopback's softirq does in practice.
	Latency, Jitter time.Duration
	// Reorder lets datagrams of one sender overtake each other (each
	// gets its own latency); Loss is the per-mille chance a datagram is
	// dropped. Both off by default, so the default matches loopback.
	Reorder bool
	Loss    int
	// RxQueues is the number of receive queues of the NIC eth0 (0: 1);
	// an inet packet arrives on queue (destination port mod RxQueues),
	// where a zero-copy receive queue may be bound (netdev/nic.go).
	RxQueues int
}

// Stack is a network namespace with its loopback device: the inet port
// tables and the AF_UNIX names, and the one lock (the namespace's socket
// lock) that guards every socket's state.
// Linux: include/net/net_namespace.h:struct net
type Stack struct {
	w   *sim.World
	cfg Config
	mu  sim.Mutex

	ports     map[portKey]*sock // bound inet sockets by (proto, port)
	nextPort  uint16
	unixNames map[string]*sock
	unixAuto  uint32 // the next autobind name
	// dirty are the sockets with a wakeup due once mu is released.
	dirty []*sock
	stats Stats
	// lo and eth0 are the interfaces (netdev/nic.go).
	lo, eth0 netDevice
}

// Stats counts what the NIC did.
type Stats struct {
	Packets, Bytes, Dropped uint64
	// RxNoBuffer counts TCP data a receive queue's memory provider had
	// no buffer for, held on the NIC until its retransmission
	// (netdev/zcrx.go).
	RxNoBuffer uint64
}

type portKey struct {
	proto int // IPPROTO_TCP or IPPROTO_UDP
	port  uint16
}

// New creates a network namespace on w.
func New(w *sim.World, cfg Config) *Stack {
	st := &Stack{w: w, cfg: cfg, ports: map[portKey]*sock{}, unixNames: map[string]*sock{}, nextPort: ephemeralLow}
	st.initDevices()
	return st
}

// Stats returns what the NIC did so far.
func (st *Stack) Stats(t *sim.Thread) Stats {
	st.mu.Lock(t)
	defer st.mu.Unlock(t)
	return st.stats
}

// lock takes the namespace's socket lock.
func (st *Stack) lock(t *sim.Thread) { st.mu.Lock(t) }

// unlock releases the lock, then wakes every socket that changed while it
// was held, in the order they changed, with the EPOLL* mask of the change
// (sk_data_ready, sk_write_space, sk_state_change).
func (st *Stack) unlock(t *sim.Thread) {
	dirty := st.dirty
	st.dirty = nil
	keys := make([]uint32, len(dirty))
	for i, s := range dirty {
		keys[i] = s.wakeKey
		s.wakeKey, s.wakeQueued = 0, false
	}
	st.mu.Unlock(t)
	for i, s := range dirty {
		s.wq.WakeUp(t, keys[i])
	}
}

// Socket creates a socket as socket(2) does (__sock_create and the
// family's create): AF_UNIX, AF_INET and AF_INET6 with SOCK_STREAM or
// SOCK_DGRAM. flags may hold SOCK_NONBLOCK and SOCK_CLOEXEC (the caller
// applies O_CLOEXEC when installing).
// Linux: net/socket.c:__sock_create(), net/ipv4/af_inet.c:inet_create(), net/unix/af_unix.c:unix_create()
func (st *Stack) Socket(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*vfs.File, int) {
	s, errno := st.newSock(family, typ, protocol)
	if errno != 0 {
		return nil, errno
	}
	return s.newFile(flags, newID()), 0
}

// Socketpair creates two connected AF_UNIX sockets (socketpair(2)).
// Linux: net/socket.c:__sys_socketpair(), net/unix/af_unix.c:unix_socketpair()
func (st *Stack) Socketpair(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*vfs.File, *vfs.File, int) {
	if family != unix.AF_UNIX {
		if family == unix.AF_INET || family == unix.AF_INET6 {
			return nil, nil, -int(unix.EOPNOTSUPP)
		}
		return nil, nil, -int(unix.EAFNOSUPPORT)
	}
	a, errno := st.newSock(family, typ, protocol)
	if errno != 0 {
		return nil, nil, errno
	}
	b, _ := st.newSock(family, typ, protocol)
	a.peer, b.peer = b, a
	a.state, b.state = tcpEstablished, tcpEstablished
	fa := a.newFile(flags, newID())
	fb := b.newFile(flags, newID())
	return fa, fb, 0
}

// newSock validates the triple and makes the socket.
func (st *Stack) newSock(family, typ, protocol int) (*sock, int) {
	if typ < 0 || typ > unix.SOCK_PACKET {
		return nil, -int(unix.EINVAL)
	}
	s := &sock{st: st, family: family, typ: typ, state: tcpClose}
	switch family {
	case unix.AF_UNIX:
		if protocol != 0 && protocol != unix.PF_UNIX {
			return nil, -int(unix.EPROTONOSUPPORT)
		}
		if typ != unix.SOCK_STREAM && typ != unix.SOCK_DGRAM {
			return nil, -int(unix.ESOCKTNOSUPPORT)
		}
		s.sndbuf, s.rcvbuf = WmemDefault, RmemDefault
	case unix.AF_INET, unix.AF_INET6:
		switch {
		case typ == unix.SOCK_STREAM && (protocol == 0 || protocol == unix.IPPROTO_TCP):
			s.proto = unix.IPPROTO_TCP
			s.sndbuf, s.rcvbuf = TCPWmemDefault, TCPRmemDefault
		case typ == unix.SOCK_DGRAM && (protocol == 0 || protocol == unix.IPPROTO_UDP):
			s.proto = unix.IPPROTO_UDP
			s.sndbuf, s.rcvbuf = WmemDefault, RmemDefault
		case typ == unix.SOCK_STREAM || typ == unix.SOCK_DGRAM:
			return nil, -int(unix.EPROTONOSUPPORT)
		default:
			return nil, -int(unix.ESOCKTNOSUPPORT)
		}
	default:
		return nil, -int(unix.EAFNOSUPPORT)
	}
	s.local.family = family
	return s, 0
}

// newFile wraps the socket in its file (sock_alloc_file).
// Linux: net/socket.c:sock_alloc_file()
func (s *sock) newFile(flags uint32, id uint64) *vfs.File {
	fl := uint32(unix.O_RDWR)
	if flags&unix.SOCK_NONBLOCK != 0 {
		fl |= unix.O_NONBLOCK
	}
	f := vfs.NewFile(s, s, "socket:["+strconv.FormatUint(id, 10)+"]", fl, id)
	f.FMode &^= vfs.FMODE_LSEEK | vfs.FMODE_PREAD | vfs.FMODE_PWRITE | vfs.FMODE_ATOMIC_POS
	f.FMode |= vfs.FMODE_STREAM | vfs.FMODE_NOWAIT
	s.id = id
	return f
}

// delay picks a packet's delivery latency (0 without a latency model).
func (st *Stack) delay(t *sim.Thread) time.Duration {
	if st.cfg.Latency == 0 && st.cfg.Jitter == 0 {
		return 0
	}
	pick := st.w.Choose(t, ChooseLatency, latencySteps)
	return st.cfg.Latency + st.cfg.Jitter*time.Duration(pick)/(latencySteps-1)
}

// drop decides whether a datagram is lost.
func (st *Stack) drop(t *sim.Thread) bool {
	if st.cfg.Loss <= 0 {
		return false
	}
	return st.w.Choose(t, ChooseDrop, 1000) < st.cfg.Loss
}
