package rings

// io_uring_enter(2) flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_ENTER_GETEVENTS       = 1 << 0
	IORING_ENTER_SQ_WAKEUP       = 1 << 1
	IORING_ENTER_SQ_WAIT         = 1 << 2
	IORING_ENTER_EXT_ARG         = 1 << 3
	IORING_ENTER_REGISTERED_RING = 1 << 4
	IORING_ENTER_ABS_TIMER       = 1 << 5
	IORING_ENTER_EXT_ARG_REG     = 1 << 6
	IORING_ENTER_NO_IOWAIT       = 1 << 7
)

// io_uring_reg_wait->flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_REG_WAIT_TS = 1 << 0
)

// KernelTimespec is struct __kernel_timespec (16 bytes on every ABI).
//
// Linux: include/uapi/linux/time_types.h:struct __kernel_timespec
type KernelTimespec struct {
	TvSec  int64
	TvNsec int64
}

// GeteventsArg is struct io_uring_getevents_arg, the argument of
// io_uring_enter(2) with IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG.
// Ts is a user pointer to a KernelTimespec.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_getevents_arg
type GeteventsArg struct {
	Sigmask     uint64
	SigmaskSz   uint32
	MinWaitUsec uint32
	Ts          uint64
}

// RegWait is struct io_uring_reg_wait: with IORING_ENTER_EXT_ARG_REG the
// enter argument is an index into a registered array of these (a memory
// region registered with IORING_MEM_REGION_REG_WAIT_ARG).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_reg_wait
type RegWait struct {
	Ts          KernelTimespec
	MinWaitUsec uint32
	Flags       uint32
	Sigmask     uint64
	SigmaskSz   uint32
	Pad         [3]uint32
	Pad2        [2]uint64
}
