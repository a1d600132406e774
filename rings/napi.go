package rings

// io_uring_napi.opcode values.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_napi_op
const (
	// IO_URING_NAPI_REGISTER_OP: register/unregister, backward compatible.
	IO_URING_NAPI_REGISTER_OP = 0
	// IO_URING_NAPI_STATIC_ADD_ID: add a napi id when static tracking is
	// used.
	IO_URING_NAPI_STATIC_ADD_ID = 1
	// IO_URING_NAPI_STATIC_DEL_ID: delete a napi id when static tracking is
	// used.
	IO_URING_NAPI_STATIC_DEL_ID = 2
)

// io_uring_napi.op_param for IO_URING_NAPI_REGISTER_OP.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_napi_tracking_strategy
const (
	IO_URING_NAPI_TRACKING_DYNAMIC  = 0
	IO_URING_NAPI_TRACKING_STATIC   = 1
	IO_URING_NAPI_TRACKING_INACTIVE = 255
)

// Napi is struct io_uring_napi, the argument of IORING_(UN)REGISTER_NAPI.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_napi
type Napi struct {
	BusyPollTo     uint32
	PreferBusyPoll uint8
	Opcode         uint8
	Pad            [2]uint8
	OpParam        uint32
	Resv           uint32
}
