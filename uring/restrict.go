package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// RegisterRestrictions registers what the ring will allow once enabled
// (IORING_REGISTER_RESTRICTIONS): the ring must have been set up with
// IORING_SETUP_R_DISABLED, and restrictions are registered once.
//
// Linux: liburing src/register.c:io_uring_register_restrictions()
func (r *Ring) RegisterRestrictions(res []rings.Restriction) error {
	size := uint64(unsafe.Sizeof(rings.Restriction{}))
	return r.withArg(size*uint64(max(len(res), 1)), func(b []byte, addr uint64) error {
		copy(unsafe.Slice((*rings.Restriction)(unsafe.Pointer(&b[0])), len(res)), res)
		_, err := r.Register(rings.IORING_REGISTER_RESTRICTIONS, addr, uint32(len(res)))
		return err
	})
}

// RegisterPersonality registers the calling task's credentials with the
// ring (IORING_REGISTER_PERSONALITY) and returns the id an SQE names in
// its personality field.
//
// Linux: liburing src/register.c:io_uring_register_personality()
func (r *Ring) RegisterPersonality() (int, error) {
	return r.Register(rings.IORING_REGISTER_PERSONALITY, 0, 0)
}

// UnregisterPersonality removes personality id
// (IORING_UNREGISTER_PERSONALITY).
//
// Linux: liburing src/register.c:io_uring_unregister_personality()
func (r *Ring) UnregisterPersonality(id int) error {
	_, err := r.Register(rings.IORING_UNREGISTER_PERSONALITY, 0, uint32(id))
	return err
}
