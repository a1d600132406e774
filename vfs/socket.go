package vfs

import (
	"time"

	"github.com/uringsim/uringsim/sim"
)

// Msghdr is struct msghdr as the socket layer sees it once the system call
// or io_uring op has resolved its user pointers: Iov and Control are
// kernel-side views of user memory.
// Linux: include/linux/socket.h:struct msghdr
type Msghdr struct {
	// Name is the address: on send the destination (nil for a connected
	// socket), on receive a buffer (sizeof(struct sockaddr_storage)) the
	// source address is written to, with its full length in NameLen.
	Name    []byte
	NameLen int
	// Iov is the data (msg_iter).
	Iov [][]byte
	// Control is the control buffer (msg_control); on receive ControlLen
	// is set to the bytes written there.
	Control    []byte
	ControlLen int
	// Flags is msg_flags on receive (MSG_TRUNC, MSG_CTRUNC, MSG_EOR).
	Flags int
	// GetInq asks the receive to report in Inq the bytes left queued
	// after it (msg_get_inq, msg_inq; -1 when unknown).
	GetInq bool
	Inq    int
	// Ubuf is the zero-copy completion of a MSG_ZEROCOPY send
	// (msg_ubuf); nil for a copying send.
	Ubuf *ZCNotif
}

// Len is the total length of the iovecs (iov_iter_count).
func (m *Msghdr) Len() int {
	n := 0
	for _, b := range m.Iov {
		n += len(b)
	}
	return n
}

// ZCNotif is what a zero-copy send learns about how its data went
// (struct ubuf_info_msgzc's zerocopy flags): Used once any byte was sent
// from the user pages, Copied once any byte had to be copied (loopback
// always copies on delivery).
// Linux: include/linux/skbuff.h:struct ubuf_info_msgzc
type ZCNotif struct {
	Used, Copied bool
}

// AcceptArg is struct proto_accept_arg: Flags holds O_NONBLOCK for a
// nonblocking accept; FileFlags are the new file's flags (O_NONBLOCK from
// SOCK_NONBLOCK); IsEmpty is set to whether the accept queue is empty
// afterwards (1), not (0), or unknown (-1). NewID is the new file's ID.
// Linux: include/net/sock.h:struct proto_accept_arg
type AcceptArg struct {
	Flags     uint32
	FileFlags uint32
	IsEmpty   int
	NewID     uint64
}

// Socket is struct socket with its proto_ops, found behind a socket file
// by SockFromFile (sock_from_file). The system calls and io_uring's net
// ops call these; addresses are raw struct sockaddr bytes as they came
// from user memory (move_addr_to_kernel). Every method returns a result or
// a negated errno.
// Linux: include/linux/net.h:struct socket, struct proto_ops
type Socket interface {
	Shutdowner
	// Family, Type and Protocol are what socket(2) was given (Type
	// without SOCK_NONBLOCK/SOCK_CLOEXEC).
	Family() int
	Type() int
	Protocol() int
	Bind(t *sim.Thread, f *File, addr []byte) int
	Listen(t *sim.Thread, f *File, backlog int) int
	// Accept takes a connection off the accept queue, sleeping for one
	// unless arg.Flags or the file has O_NONBLOCK (-EAGAIN). The new
	// file holds one reference; peer, if not nil, receives the peer's
	// address and its length is returned as peerLen.
	Accept(t *sim.Thread, f *File, arg *AcceptArg, peer []byte) (nf *File, peerLen int, errno int)
	// Connect connects to addr; nonblock (O_NONBLOCK of the caller)
	// makes a stream connect that cannot finish at once return
	// -EINPROGRESS.
	Connect(t *sim.Thread, f *File, addr []byte, nonblock bool) int
	// Sendmsg and Recvmsg move data (sock_sendmsg, sock_recvmsg); flags
	// are MSG_* (MSG_DONTWAIT for a nonblocking attempt).
	Sendmsg(t *sim.Thread, f *File, m *Msghdr, flags int) int
	Recvmsg(t *sim.Thread, f *File, m *Msghdr, flags int) int
	// Getname writes the local (peer false) or remote address into buf
	// and returns its length.
	Getname(t *sim.Thread, f *File, buf []byte, peer bool) int
	// Setsockopt and Getsockopt are the SOL_SOCKET and protocol options;
	// Getsockopt writes into val and returns the length.
	Setsockopt(t *sim.Thread, f *File, level, name int, val []byte) int
	Getsockopt(t *sim.Thread, f *File, level, name int, val []byte) int
	// Ioctl is the socket ioctls that return a count (SIOCINQ, SIOCOUTQ).
	Ioctl(t *sim.Thread, f *File, cmd int) int
	// SupportsZC is SOCK_SUPPORT_ZC: MSG_ZEROCOPY sends are possible.
	SupportsZC() bool
	// SockError takes the pending socket error (sock_error): a negated
	// errno, or 0.
	SockError(t *sim.Thread) int
}

// SockFromFile returns the socket behind f, or nil if f is not a socket.
// Linux: net/socket.c:sock_from_file()
func SockFromFile(f *File) Socket {
	if f == nil {
		return nil
	}
	s, _ := f.Op.(Socket)
	return s
}

// NetStack is the network namespace the kernel creates sockets in (the
// address families' create functions, __sock_create and socketpair's).
// newID hands out file IDs for the new files.
// Linux: net/socket.c:__sock_create(), __sys_socketpair()
type NetStack interface {
	Socket(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*File, int)
	Socketpair(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*File, *File, int)
}

// TxTimestamp is a transmit timestamp on a socket's error queue (an skb
// of __skb_tstamp_tx: SO_EE_ORIGIN_TIMESTAMPING, ee_errno ENOMSG): Key is
// ee_data (the SOF_TIMESTAMPING_OPT_ID key, else 0), Type is ee_info
// (SCM_TSTAMP_SND, _SCHED, _ACK), Time the software timestamp and HW
// whether it is a hardware one.
// Linux: include/uapi/linux/errqueue.h:struct sock_extended_err
type TxTimestamp struct {
	Key, Type uint32
	Time      time.Duration
	HW        bool
}

// TxTimestamper is the error queue of a socket as io_uring's
// SOCKET_URING_OP_TX_TIMESTAMP reads it.
// Linux: io_uring/cmd_net.c:io_uring_cmd_timestamp()
type TxTimestamper interface {
	// TakeTxTimestamps unlinks, in queue order, the timestamps the
	// socket reports (skb_has_tx_timestamp) that carry no payload; the
	// rest stay queued.
	TakeTxTimestamps(t *sim.Thread) []TxTimestamp
	// PutBackTxTimestamps returns timestamps not posted to the head of
	// the error queue, in order.
	PutBackTxTimestamps(t *sim.Thread, ts []TxTimestamp)
}
