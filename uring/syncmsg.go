package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// RegisterSyncMsg carries out the IORING_OP_MSG_RING message sqe describes
// (IORING_MSG_DATA only, no SQE flags) at once, from outside any ring:
// IORING_REGISTER_SEND_MSG_RING on fd -1.
//
// Linux: liburing src/register.c:io_uring_register_sync_msg()
func RegisterSyncMsg(be Backend, sqe *rings.SQE) (int, error) {
	b, err := be.Alloc(uint64(unsafe.Sizeof(*sqe)))
	if err != nil {
		return 0, err
	}
	defer func() { _ = be.Free(b) }()
	*(*rings.SQE)(unsafe.Pointer(&b[0])) = *sqe
	return be.Register(-1, rings.IORING_REGISTER_SEND_MSG_RING, addrOf(b), 1)
}
