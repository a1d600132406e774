package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// RegisterNapi is IORING_REGISTER_NAPI: with napi.Opcode
// IO_URING_NAPI_REGISTER_OP it turns busy polling on with napi's
// timeout, preference and tracking strategy (op_param); with
// IO_URING_NAPI_STATIC_ADD_ID / _DEL_ID it adds or removes the NAPI id
// in op_param under static tracking. Once the kernel has checked the
// struct it writes the ring's previous settings back into napi (busy
// poll timeout, preference, tracking strategy in OpParam), even when the
// opcode then fails.
//
// Linux: liburing src/register.c:io_uring_register_napi()
func (r *Ring) RegisterNapi(napi *rings.Napi) error {
	return r.napiRegister(rings.IORING_REGISTER_NAPI, napi)
}

// UnregisterNapi is IORING_UNREGISTER_NAPI: busy polling off, tracking
// inactive. With napi non-nil the kernel writes the previous busy poll
// timeout and preference into it.
//
// Linux: liburing src/register.c:io_uring_unregister_napi()
func (r *Ring) UnregisterNapi(napi *rings.Napi) error {
	if napi == nil {
		_, err := r.Register(rings.IORING_UNREGISTER_NAPI, 0, 1)
		return err
	}
	return r.napiRegister(rings.IORING_UNREGISTER_NAPI, napi)
}

// napiRegister passes napi through user memory and copies back what the
// kernel left there.
func (r *Ring) napiRegister(opcode uint32, napi *rings.Napi) error {
	return r.withArg(uint64(unsafe.Sizeof(*napi)), func(b []byte, addr uint64) error {
		p := (*rings.Napi)(unsafe.Pointer(&b[0]))
		*p = *napi
		_, err := r.Register(opcode, addr, 1)
		*napi = *p
		return err
	})
}
