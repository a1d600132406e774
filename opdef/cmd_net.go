package opdef

import (
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
