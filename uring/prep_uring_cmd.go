package uring

import (
	"github.com/uringsim/uringsim/blockdev"
	"github.com/uringsim/uringsim/rings"
)

// PrepUringCmd prepares an IORING_OP_URING_CMD of command cmdOp on fd;
// the command's own bytes go in the SQE's command area (Ring.SQECmd).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_uring_cmd()
func PrepUringCmd(sqe *rings.SQE, cmdOp uint32, fd int32) {
	PrepRW(sqe, rings.IORING_OP_URING_CMD, fd, 0, 0, 0)
	sqe.SetCmdOp(cmdOp)
}

// NVMeUringCmd is struct nvme_uring_cmd (linux/nvme_ioctl.h), the command
// an NVMe passthrough SQE carries; Encode writes it into Ring.SQECmd of a
// 128-byte SQE.
type NVMeUringCmd = blockdev.NVMeUringCmd

// NVMeUringCmdSize is sizeof(struct nvme_uring_cmd).
const NVMeUringCmdSize = blockdev.NVMeUringCmdSize

// The NVMe passthrough commands (cmd_op of IORING_OP_URING_CMD).
const (
	NVME_URING_CMD_IO        = blockdev.NVME_URING_CMD_IO
	NVME_URING_CMD_IO_VEC    = blockdev.NVME_URING_CMD_IO_VEC
	NVME_URING_CMD_ADMIN     = blockdev.NVME_URING_CMD_ADMIN
	NVME_URING_CMD_ADMIN_VEC = blockdev.NVME_URING_CMD_ADMIN_VEC
)
