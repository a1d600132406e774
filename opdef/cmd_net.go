package opdef

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// sockUringCmd is a socket's f_op->uring_cmd: SIOCINQ and SIOCOUTQ
// through the protocol's ioctl (an AF_UNIX socket has none: they are
// -EOPNOTSUPP there), and SOL_SOCKET getsockopt (returning the option's
// length) and setsockopt with the option in user memory at sqe->optval.
// Linux: io_uring/cmd_net.c:io_uring_cmd_sock(), io_uring_cmd_getsockopt(), io_uring_cmd_setsockopt()
func sockUringCmd(t *sim.Thread, req *kernel.Req, f *vfs.File, s vfs.Socket, op uint32, sqe *rings.SQE) int {
	switch op {
	case rings.SOCKET_URING_OP_SIOCINQ, rings.SOCKET_URING_OP_SIOCOUTQ:
		if s.Family() == unix.AF_UNIX {
			return -kernel.EOPNOTSUPP // unix_proto has no ->ioctl
		}
		if op == rings.SOCKET_URING_OP_SIOCINQ {
			return s.Ioctl(t, f, unix.SIOCINQ)
		}
		return s.Ioctl(t, f, unix.SIOCOUTQ)
	case rings.SOCKET_URING_OP_GETSOCKOPT:
		level := int(int32(sqe.Level()))
		if level != unix.SOL_SOCKET {
			return -kernel.EOPNOTSUPP
		}
		optlen := int(sqe.SpliceFdIn)
		if optlen < 0 {
			return -kernel.EINVAL
		}
		val := make([]byte, min(optlen, 256))
		n := s.Getsockopt(t, f, level, int(int32(sqe.Optname())), val)
		if n < 0 {
			return n
		}
		if n > 0 && kernel.ReqMM(req).CopyToUser(sqe.Addr3, val[:n]) != 0 {
			return -kernel.EFAULT
		}
		return n
	case rings.SOCKET_URING_OP_SETSOCKOPT:
		optlen := int(sqe.SpliceFdIn)
		if optlen < 0 {
			return -kernel.EINVAL
		}
		val := make([]byte, min(optlen, 256))
		if optlen > 0 && kernel.ReqMM(req).CopyFromUser(val, sqe.Addr3) != 0 {
			return -kernel.EFAULT
		}
		return s.Setsockopt(t, f, int(int32(sqe.Level())), int(int32(sqe.Optname())), val)
	}
	return -kernel.EOPNOTSUPP
}

// cmdPollMultishot makes a command multishot, polled on mask: the first
// time it arms the poll and returns -EIOCBQUEUED (-ECANCELED when it
// cannot); from then on the command is issued again from the poll's
// task_work on each wakeup, where 0 lets it go on.
// Linux: io_uring/uring_cmd.c:io_cmd_poll_multishot()
func cmdPollMultishot(t *sim.Thread, req *kernel.Req, issueFlags, mask uint32) int {
	if kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 {
		return 0
	}
	kernel.ReqAddFlags(req, kernel.REQ_F_APOLL_MULTISHOT)
	if kernel.ReqArmApoll(t, req, issueFlags, mask&^rings.EPOLLONESHOT) {
		return -kernel.EIOCBQUEUED
	}
	return -kernel.ECANCELED
}

// cmdTimestamp is SOCKET_URING_OP_TX_TIMESTAMP: a multishot command,
// woken by EPOLLERR, that posts one 32-byte CQE per transmit timestamp
// on the socket's error queue: res the key, flags IORING_CQE_F_MORE, the
// type from IORING_TIMESTAMP_TYPE_SHIFT up and IORING_CQE_F_TSTAMP_HW for
// a hardware stamp, the big words tv_sec and tv_nsec. A full CQ leaves
// the rest queued for the next wakeup. It needs 32-byte CQEs (-EINVAL)
// and ends only when cancelled.
// Linux: io_uring/cmd_net.c:io_uring_cmd_timestamp(), io_process_timestamp_skb()
func cmdTimestamp(t *sim.Thread, req *kernel.Req, f *vfs.File, issueFlags uint32) int {
	ringFlags := kernel.ReqRingFlags(req)
	if ringFlags&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) == 0 {
		return -kernel.EINVAL
	}
	if ret := cmdPollMultishot(t, req, issueFlags, rings.EPOLLERR); ret != 0 {
		return ret
	}
	q, ok := f.Op.(vfs.TxTimestamper)
	if !ok {
		return -kernel.EAGAIN
	}
	ts := q.TakeTxTimestamps(t)
	base := uint32(rings.IORING_CQE_F_MORE)
	if ringFlags&rings.IORING_SETUP_CQE_MIXED != 0 {
		base |= rings.IORING_CQE_F_32 // ctx_cqe32_flags()
	}
	for i, x := range ts {
		flags := base | x.Type<<rings.IORING_TIMESTAMP_TYPE_SHIFT
		if x.HW {
			flags |= rings.IORING_CQE_F_TSTAMP_HW
		}
		big := [2]uint64{uint64(x.Time / time.Second), uint64(x.Time % time.Second)}
		if !kernel.ReqPostCQE32(t, req, int32(x.Key), flags, big) {
			q.PutBackTxTimestamps(t, ts[i:])
			break
		}
	}
	return -kernel.EAGAIN
}
