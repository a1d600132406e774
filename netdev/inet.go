package netdev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// parseAddr reads an address for s: sockaddr_un, _in or _in6.
func (s *sock) parseAddr(b []byte) (sockAddr, int) {
	if s.isUnix() {
		return parseUnixAddr(b)
	}
	return parseInetAddr(s.family, b)
}

// unbind drops s from the namespace's tables (inet_put_port,
// unix_remove_socket).
func (st *Stack) unbind(s *sock) {
	if s.isUnix() {
		if st.unixNames[s.local.path] == s {
			delete(st.unixNames, s.local.path)
		}
	} else if k := (portKey{s.proto, s.local.port}); st.ports[k] == s {
		delete(st.ports, k)
	}
	s.bound = false
}

// autobind gives an unbound socket an ephemeral port (inet_autobind) or
// an abstract AF_UNIX name of five hex digits (unix_autobind).
// Linux: net/ipv4/af_inet.c:inet_autobind(), net/unix/af_unix.c:unix_autobind()
func (st *Stack) autobind(s *sock) int {
	if s.isUnix() {
		for range 0x100000 {
			name := "\x00" + hex5(st.unixAuto)
			st.unixAuto = (st.unixAuto + 1) & 0xfffff
			if st.unixNames[name] == nil {
				s.local = sockAddr{family: unix.AF_UNIX, path: name}
				st.unixNames[name] = s
				s.bound = true
				return 0
			}
		}
		return -int(unix.ENOSPC)
	}
	for range ephemeralHigh - ephemeralLow + 1 {
		p := st.nextPort
		st.nextPort++
		if st.nextPort > ephemeralHigh {
			st.nextPort = ephemeralLow
		}
		if st.ports[portKey{s.proto, p}] == nil {
			s.local.port = p
			st.ports[portKey{s.proto, p}] = s
			s.bound = true
			return 0
		}
	}
	return -int(unix.EADDRINUSE)
}

func hex5(v uint32) string {
	const digits = "0123456789abcdef"
	var b [5]byte
	for i := 4; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// Bind binds the socket to addr: -EINVAL when already bound, -EADDRINUSE
// for a taken port or name, -EADDRNOTAVAIL for an address the loopback
// device does not answer; port 0 (or an AF_UNIX name of length 0) picks
// one.
// Differs from Linux: an AF_UNIX path name is kept in the namespace's
// table like an abstract name, with no inode in the file system.
// Linux: net/ipv4/af_inet.c:__inet_bind(), net/unix/af_unix.c:unix_bind()
func (s *sock) Bind(t *sim.Thread, f *vfs.File, addr []byte) int {
	st := s.st
	if s.isUnix() && len(addr) == sizeofSunFamily && binary.LittleEndian.Uint16(addr) == unix.AF_UNIX {
		st.lock(t)
		defer st.unlock(t)
		if s.bound {
			return -int(unix.EINVAL)
		}
		return st.autobind(s)
	}
	a, errno := s.parseAddr(addr)
	if errno != 0 {
		return errno
	}
	st.lock(t)
	defer st.unlock(t)
	if s.bound || s.state != tcpClose && !s.isUnix() {
		return -int(unix.EINVAL)
	}
	if s.isUnix() {
		if st.unixNames[a.path] != nil {
			return -int(unix.EADDRINUSE)
		}
		s.local = a
		st.unixNames[a.path] = s
		s.bound = true
		return 0
	}
	if !a.isLoopback() {
		return -int(unix.EADDRNOTAVAIL)
	}
	s.local = a
	if a.port == 0 {
		return st.autobind(s)
	}
	k := portKey{s.proto, a.port}
	if o := st.ports[k]; o != nil && !(s.reusePort && o.reusePort) {
		s.local.port = 0
		return -int(unix.EADDRINUSE)
	}
	st.ports[k] = s
	s.bound = true
	return 0
}

// Listen makes a stream socket accept connections, its accept queue
// holding up to backlog (capped at somaxconn) of them.
// Linux: net/ipv4/af_inet.c:inet_listen(), net/unix/af_unix.c:unix_listen()
func (s *sock) Listen(t *sim.Thread, f *vfs.File, backlog int) int {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	if !s.isStream() {
		return -int(unix.EOPNOTSUPP)
	}
	if s.state != tcpClose && s.state != tcpListen {
		return -int(unix.EINVAL)
	}
	if uint(backlog) > SomaxConn {
		backlog = SomaxConn
	}
	if !s.bound {
		if s.isUnix() {
			return -int(unix.EINVAL)
		}
		if errno := st.autobind(s); errno != 0 {
			return errno
		}
	}
	s.backlog = backlog
	s.state = tcpListen
	return 0
}

// Connect connects to addr. A TCP or AF_UNIX stream connect to a
// listener puts a new connection on its accept queue (or, with the queue
// full, waits in SYN_SENT until there is room); to nobody it is
// refused. A nonblocking stream connect returns -EINPROGRESS and reports
// its outcome through poll and SO_ERROR, as a loopback connect does. A
// datagram connect sets the default destination.
// Differs from Linux: there is no handshake on the wire, and a full accept
// queue holds the connector in SYN_SENT until accept makes room (Linux drops
// the SYN and retries it).
// Linux: net/ipv4/af_inet.c:__inet_stream_connect(), net/ipv4/datagram.c:__ip4_datagram_connect(), net/unix/af_unix.c:unix_stream_connect(), unix_dgram_connect()
func (s *sock) Connect(t *sim.Thread, f *vfs.File, addr []byte, nonblock bool) int {
	a, errno := s.parseAddr(addr)
	if errno != 0 {
		return errno
	}
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	if !s.isStream() {
		return s.dgramConnect(a)
	}
	switch s.state {
	case tcpEstablished, tcpCloseWait:
		if s.connectPending {
			s.connectPending = false
			return 0
		}
		return -int(unix.EISCONN)
	case tcpSynSent:
		if nonblock {
			return -int(unix.EALREADY)
		}
		return s.waitConnect(t)
	case tcpListen:
		return -int(unix.EINVAL)
	}
	if s.everConnected && !s.isUnix() {
		if s.err != 0 {
			return s.takeErr()
		}
		return -int(unix.EISCONN)
	}
	var l *sock
	if s.isUnix() {
		l = st.unixNames[a.path]
		if l != nil && l.typ != s.typ {
			return -int(unix.EPROTOTYPE)
		}
	} else {
		if !s.bound {
			if errno := st.autobind(s); errno != 0 {
				return errno
			}
		}
		if a.isLoopback() {
			l = st.ports[portKey{unix.IPPROTO_TCP, a.port}]
		}
	}
	if l == nil || l.state != tcpListen {
		if s.isUnix() || !nonblock {
			return -int(unix.ECONNREFUSED)
		}
		s.err = int(unix.ECONNREFUSED)
		s.everConnected = true
		s.mark(rings.EPOLLOUT | rings.EPOLLERR | rings.EPOLLHUP)
		return -int(unix.EINPROGRESS)
	}
	if s.isUnix() && len(l.acceptq) >= l.backlog && nonblock {
		return -int(unix.EAGAIN)
	}
	c := &sock{st: st, family: l.family, typ: l.typ, proto: l.proto, state: tcpEstablished,
		sndbuf: l.sndbuf, rcvbuf: l.rcvbuf, listener: l, peer: s, local: l.local, remote: s.local,
		nodelay: l.nodelay, keepalive: l.keepalive}
	if !s.isUnix() {
		c.local.ip = a.ip
		if c.local.ip == ([16]byte{}) {
			c.local.ip = loopbackAddr(s.family)
		}
		s.local.ip = c.local.ip
		c.remote = s.local
	}
	s.peer = c
	s.remote = a
	if s.isUnix() {
		s.remote = l.local
	}
	s.everConnected, c.everConnected = true, true
	if len(l.acceptq) > l.backlog {
		s.state = tcpSynSent
		l.synq = append(l.synq, c)
	} else {
		s.state = tcpEstablished
		l.acceptq = append(l.acceptq, c)
		l.mark(rings.EPOLLIN | rings.EPOLLRDNORM)
		s.mark(rings.EPOLLOUT | rings.EPOLLWRNORM)
	}
	if nonblock && !s.isUnix() {
		s.connectPending = s.state == tcpEstablished
		return -int(unix.EINPROGRESS)
	}
	if s.state == tcpSynSent {
		if nonblock {
			return -int(unix.EINPROGRESS)
		}
		return s.waitConnect(t)
	}
	return 0
}

// waitConnect sleeps until a connect in SYN_SENT is established or fails.
// Linux: net/ipv4/af_inet.c:inet_wait_for_connect()
func (s *sock) waitConnect(t *sim.Thread) int {
	for s.state == tcpSynSent {
		if s.wait(t, "inet_wait_for_connect") != 0 {
			return -vfs.ERESTARTSYS
		}
	}
	if s.err != 0 {
		return s.takeErr()
	}
	s.connectPending = false
	return 0
}

// dgramConnect sets a datagram socket's peer.
func (s *sock) dgramConnect(a sockAddr) int {
	st := s.st
	if s.isUnix() {
		o := st.unixNames[a.path]
		if o == nil {
			return -int(unix.ECONNREFUSED)
		}
		if o.typ != s.typ {
			return -int(unix.EPROTOTYPE)
		}
		s.peer = o
		s.remote = o.local
		return 0
	}
	if !s.bound {
		if errno := st.autobind(s); errno != 0 {
			return errno
		}
	}
	s.remote = a
	s.state = tcpEstablished
	return 0
}

// Accept takes the first connection off the accept queue, letting one
// waiting connector in behind it.
// Linux: net/ipv4/inet_connection_sock.c:inet_csk_accept(), net/unix/af_unix.c:unix_accept()
func (s *sock) Accept(t *sim.Thread, f *vfs.File, arg *vfs.AcceptArg, peer []byte) (*vfs.File, int, int) {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	if !s.isStream() {
		return nil, 0, -int(unix.EOPNOTSUPP)
	}
	for len(s.acceptq) == 0 {
		if s.state != tcpListen {
			return nil, 0, -int(unix.EINVAL)
		}
		if arg.Flags&unix.O_NONBLOCK != 0 || f.Flags&unix.O_NONBLOCK != 0 {
			return nil, 0, -int(unix.EAGAIN)
		}
		if s.wait(t, "inet_csk_wait_for_connect") != 0 {
			return nil, 0, -vfs.ERESTARTSYS
		}
	}
	c := s.acceptq[0]
	s.acceptq = s.acceptq[1:]
	c.listener = nil
	if len(s.synq) > 0 {
		n := s.synq[0]
		s.synq = s.synq[1:]
		s.acceptq = append(s.acceptq, n)
		if p := n.peer; p != nil && p.state == tcpSynSent {
			p.state = tcpEstablished
			p.mark(rings.EPOLLOUT | rings.EPOLLWRNORM)
		}
	}
	arg.IsEmpty = boolInt(len(s.acceptq) == 0)
	nf := c.newFile(arg.FileFlags&unix.SOCK_NONBLOCK, arg.NewID)
	n := 0
	if peer != nil {
		n = c.remote.encode(peer)
		if c.isUnix() && c.remote.family == 0 {
			n = (sockAddr{family: unix.AF_UNIX}).encode(peer)
		}
	}
	return nf, n, 0
}

// Getname writes the local or (peer) remote address.
// Linux: net/ipv4/af_inet.c:inet_getname(), net/unix/af_unix.c:unix_getname()
func (s *sock) Getname(t *sim.Thread, f *vfs.File, buf []byte, peer bool) int {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	if peer {
		if s.peer == nil && !(s.proto == unix.IPPROTO_UDP && s.state == tcpEstablished) {
			return -int(unix.ENOTCONN)
		}
		if s.isUnix() {
			a := s.peer.local
			a.family = unix.AF_UNIX
			return a.encode(buf)
		}
		return s.remote.encode(buf)
	}
	a := s.local
	a.family = s.family
	return a.encode(buf)
}
