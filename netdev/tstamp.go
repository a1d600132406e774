package netdev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// TX timestamping (SO_TIMESTAMPING, Documentation/networking/timestamping.rst)
// on the loopback device: a send asks for the timestamps its flags name
// (SOF_TIMESTAMPING_TX_SCHED when the packet is queued to the device,
// TX_SOFTWARE when the device sends it, TX_ACK when the peer has it, TCP
// only); each is an skb on the sender's error queue carrying the key of
// the send (SOF_TIMESTAMPING_OPT_ID: a datagram counter, or for TCP the
// sequence number of the send's last byte relative to sk_tskey), its type
// and the time on the world's clock, and its queueing wakes the socket
// with EPOLLERR. Loopback has no hardware timestamps.

// SOF_TIMESTAMPING_TX_RECORD_MASK: the flags that make a send record
// timestamps.
// Linux: include/uapi/linux/net_tstamp.h
const txRecordMask = unix.SOF_TIMESTAMPING_TX_HARDWARE | unix.SOF_TIMESTAMPING_TX_SOFTWARE |
	unix.SOF_TIMESTAMPING_TX_SCHED | unix.SOF_TIMESTAMPING_TX_ACK | sofTxCompletion

// sofTxCompletion is SOF_TIMESTAMPING_TX_COMPLETION (Linux 6.16), which
// golang.org/x/sys does not name; loopback never reports it.
const sofTxCompletion = 1 << 18

// sofOptRxFilter is SOF_TIMESTAMPING_OPT_RX_FILTER.
const sofOptRxFilter = 1 << 17

// errSkb is a timestamp skb on the error queue (SO_EE_ORIGIN_TIMESTAMPING,
// ee_errno ENOMSG): the key (ee_data), the type (ee_info, SCM_TSTAMP_*),
// the software timestamp, and whether it carries a copy of the packet
// (without SOF_TIMESTAMPING_OPT_TSONLY).
type errSkb struct {
	ts      vfs.TxTimestamp
	payload bool
}

// tsReq is what one send asked for: the key its timestamps carry and
// which of them (SOF_TIMESTAMPING_TX_* bits of sk_tsflags at the send).
type tsReq struct {
	from  *sock
	key   uint32 // TCP: sequence number of the send's last byte; UDP: sk_tskey
	flags uint32
}

// setTimestamping is SO_TIMESTAMPING_OLD/NEW: val is an int of flags or
// a struct so_timestamping {flags, bind_phc}.
// Linux: net/core/sock.c:sock_set_timestamping()
func (s *sock) setTimestamping(name int, val []byte) int {
	flags := binary.LittleEndian.Uint32(val)
	if flags&^unix.SOF_TIMESTAMPING_MASK != 0 {
		return -int(unix.EINVAL)
	}
	if flags&unix.SOF_TIMESTAMPING_OPT_ID_TCP != 0 && flags&unix.SOF_TIMESTAMPING_OPT_ID == 0 {
		return -int(unix.EINVAL)
	}
	if flags&unix.SOF_TIMESTAMPING_RX_SOFTWARE != 0 && flags&sofOptRxFilter != 0 {
		return -int(unix.EINVAL)
	}
	if flags&unix.SOF_TIMESTAMPING_OPT_ID != 0 && s.tsflags&unix.SOF_TIMESTAMPING_OPT_ID == 0 {
		if s.proto == unix.IPPROTO_TCP {
			if s.state == tcpClose || s.state == tcpListen {
				return -int(unix.EINVAL)
			}
			if flags&unix.SOF_TIMESTAMPING_OPT_ID_TCP != 0 {
				s.tskey = s.writeSeq
			} else {
				s.tskey = s.sndUna()
			}
		} else {
			s.tskey = 0
		}
	}
	if flags&unix.SOF_TIMESTAMPING_OPT_STATS != 0 && flags&unix.SOF_TIMESTAMPING_OPT_TSONLY == 0 {
		return -int(unix.EINVAL)
	}
	if flags&unix.SOF_TIMESTAMPING_BIND_PHC != 0 {
		return -int(unix.EOPNOTSUPP) // sock_timestamping_bind_phc: not bound to a device
	}
	s.tsflags = flags
	s.tsNew = name == unix.SO_TIMESTAMPING_NEW
	return 0
}

// getTimestamping is the struct so_timestamping getsockopt returns:
// SO_TIMESTAMPING_NEW reports the flags only if they were set with it.
// Linux: net/core/sock.c:sk_getsockopt()
func (s *sock) getTimestamping(name int) []byte {
	b := make([]byte, 8)
	if name == unix.SO_TIMESTAMPING_OLD || s.tsNew {
		binary.LittleEndian.PutUint32(b, s.tsflags)
	}
	return b
}

// sndUna is the sequence number up to which the peer has the data: what
// was written less what waits in the send queue or on the NIC.
func (s *sock) sndUna() uint32 {
	una := s.writeSeq - uint32(len(s.sndq))
	if p := s.peer; p != nil {
		una -= uint32(s.inFlightTo(p))
	}
	return una
}

// txRequest is the timestamp request of a send, nil when sk_tsflags asks
// for none; for a datagram it takes the next key.
// Linux: net/ipv4/tcp.c:tcp_tx_timestamp(), net/ipv4/ip_output.c:__ip_append_data() (tskey)
func (s *sock) txRequest(key uint32) *tsReq {
	flags := s.tsflags & txRecordMask
	if flags == 0 || s.isUnix() {
		return nil
	}
	if s.proto == unix.IPPROTO_UDP {
		key = 0
		if s.tsflags&unix.SOF_TIMESTAMPING_OPT_ID != 0 {
			key = s.tskey
			s.tskey++
		}
	}
	return &tsReq{from: s, key: key, flags: flags}
}

// stampXmit records what happens to a packet as the loopback device sends
// it: the SCHED timestamp at dev_queue_xmit, the SND one in
// loopback_xmit; the ACK one comes when it lands (stampLanded).
// Linux: net/core/dev.c:__dev_queue_xmit(), drivers/net/loopback.c:loopback_xmit(), include/linux/skbuff.h:skb_tx_timestamp()
func (r *tsReq) stampXmit() {
	if r.flags&unix.SOF_TIMESTAMPING_TX_SCHED != 0 {
		r.from.queueTstamp(r.key, unix.SCM_TSTAMP_SCHED)
	}
	if r.flags&unix.SOF_TIMESTAMPING_TX_SOFTWARE != 0 {
		r.from.queueTstamp(r.key, unix.SCM_TSTAMP_SND)
	}
}

// stampLanded is the ACK timestamp of TCP data the peer now holds.
// Differs from Linux: it is taken when the data reaches the peer's
// receive queue (there is no ACK to wait for), as loopback's quick ACKs
// make it in practice, never after a delayed ACK.
// Linux: net/ipv4/tcp_input.c:tcp_ack_tstamp()
func (r *tsReq) stampLanded() {
	if r.flags&unix.SOF_TIMESTAMPING_TX_ACK != 0 && r.from.proto == unix.IPPROTO_TCP {
		r.from.queueTstamp(r.key, unix.SCM_TSTAMP_ACK)
	}
}

// queueTstamp puts a timestamp skb on the error queue and reports it
// (EPOLLERR), as __skb_tstamp_tx does with the flags set now: the key
// only with SOF_TIMESTAMPING_OPT_ID (for TCP relative to sk_tskey), the
// packet's copy without SOF_TIMESTAMPING_OPT_TSONLY. Like any skb it is
// charged to the receive buffer; past it, it is dropped.
// Differs from Linux: an error skb's truesize is the fixed skbOverhead.
// Linux: net/core/skbuff.c:__skb_tstamp_tx(), __skb_complete_tx_timestamp(), sock_queue_err_skb()
func (s *sock) queueTstamp(key, typ uint32) {
	if s.released {
		return
	}
	data := uint32(0)
	if s.tsflags&unix.SOF_TIMESTAMPING_OPT_ID != 0 {
		data = key
		if s.proto == unix.IPPROTO_TCP {
			data -= s.tskey
		}
	}
	if s.rmem+s.errqMem+skbOverhead >= s.rcvbuf {
		return
	}
	s.errqMem += skbOverhead
	s.errq = append(s.errq, errSkb{
		ts:      vfs.TxTimestamp{Key: data, Type: typ, Time: s.st.w.Now()},
		payload: s.tsflags&unix.SOF_TIMESTAMPING_OPT_TSONLY == 0,
	})
	s.mark(rings.EPOLLERR)
}

// TakeTxTimestamps unlinks the error queue's timestamps that
// SOCKET_URING_OP_TX_TIMESTAMP reports: those the socket wants
// (SOF_TIMESTAMPING_SOFTWARE, skb_has_tx_timestamp) without a payload;
// the others stay queued.
// Linux: io_uring/cmd_net.c:io_uring_cmd_timestamp(), net/socket.c:skb_has_tx_timestamp()
func (s *sock) TakeTxTimestamps(t *sim.Thread) []vfs.TxTimestamp {
	s.st.lock(t)
	defer s.st.unlock(t)
	if s.tsflags&unix.SOF_TIMESTAMPING_SOFTWARE == 0 {
		return nil
	}
	var out []vfs.TxTimestamp
	keep := s.errq[:0]
	for _, e := range s.errq {
		if e.payload {
			keep = append(keep, e)
			continue
		}
		out = append(out, e.ts)
		s.errqMem -= skbOverhead
	}
	clear(s.errq[len(keep):])
	s.errq = keep
	return out
}

// PutBackTxTimestamps returns timestamps TakeTxTimestamps gave and that
// could not be posted to the head of the error queue, in order
// (skb_queue_splice).
func (s *sock) PutBackTxTimestamps(t *sim.Thread, ts []vfs.TxTimestamp) {
	if len(ts) == 0 {
		return
	}
	s.st.lock(t)
	defer s.st.unlock(t)
	back := make([]errSkb, 0, len(ts)+len(s.errq))
	for _, x := range ts {
		back = append(back, errSkb{ts: x})
	}
	s.errq = append(back, s.errq...)
	s.errqMem += len(ts) * skbOverhead
}
