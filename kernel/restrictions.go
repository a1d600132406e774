package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// ioMaxRestrictions bounds the entries one IORING_REGISTER_RESTRICTIONS
// may pass.
// Linux: io_uring/register.c:IORING_MAX_RESTRICTIONS
const ioMaxRestrictions = rings.IORING_RESTRICTION_LAST + rings.IORING_REGISTER_LAST + rings.IORING_OP_LAST

// restriction is what a restricted ring allows (struct io_restriction):
// bitmaps of register and SQE opcodes, and the SQE flags allowed and
// required.
// Linux: include/linux/io_uring_types.h:struct io_restriction
type restriction struct {
	registerOp       [(rings.IORING_REGISTER_LAST + 63) / 64]uint64
	sqeOp            [(rings.IORING_OP_LAST + 63) / 64]uint64
	sqeFlagsAllowed  uint8
	sqeFlagsRequired uint8
	registered       bool
}

func testBit(bits []uint64, n uint32) bool { return bits[n/64]&(1<<(n%64)) != 0 }
func setBit(bits []uint64, n uint32)       { bits[n/64] |= 1 << (n % 64) }

// parseRestrictions reads nrArgs io_uring_restriction entries at arg into
// res; an unknown restriction opcode or an out-of-range op is -EINVAL.
// Linux: io_uring/register.c:io_parse_restrictions()
func parseRestrictions(task *Task, arg uint64, nrArgs uint32, res *restriction) int {
	if arg == 0 || nrArgs > ioMaxRestrictions {
		return -EINVAL
	}
	size := uint64(unsafe.Sizeof(rings.Restriction{}))
	buf := make([]rings.Restriction, nrArgs)
	if nrArgs != 0 && task.Proc.MM.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), size*uint64(nrArgs)), arg) != 0 {
		return -EFAULT
	}
	for i := range buf {
		r := &buf[i]
		switch r.Opcode {
		case rings.IORING_RESTRICTION_REGISTER_OP:
			if uint32(r.RegisterOp()) >= rings.IORING_REGISTER_LAST {
				return -EINVAL
			}
			setBit(res.registerOp[:], uint32(r.RegisterOp()))
		case rings.IORING_RESTRICTION_SQE_OP:
			if uint32(r.SQEOp()) >= rings.IORING_OP_LAST {
				return -EINVAL
			}
			setBit(res.sqeOp[:], uint32(r.SQEOp()))
		case rings.IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
			res.sqeFlagsAllowed = r.SQEFlags()
		case rings.IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
			res.sqeFlagsRequired = r.SQEFlags()
		default:
			return -EINVAL
		}
	}
	return 0
}

// registerRestrictions is IORING_REGISTER_RESTRICTIONS: allowed only on a
// ring created disabled (-EBADFD otherwise) and only once (-EBUSY); a
// failed parse leaves no restriction behind. They take effect when the
// ring is enabled (IORING_REGISTER_ENABLE_RINGS).
// Linux: io_uring/register.c:io_register_restrictions()
func (ctx *Ctx) registerRestrictions(task *Task, arg uint64, nrArgs uint32) int {
	if ctx.flags&rings.IORING_SETUP_R_DISABLED == 0 {
		return -EBADFD
	}
	if ctx.restrictions.registered {
		return -EBUSY
	}
	ret := parseRestrictions(task, arg, nrArgs, &ctx.restrictions)
	if ret != 0 {
		ctx.restrictions = restriction{}
	} else {
		ctx.restrictions.registered = true
	}
	return ret
}

// checkRestriction says whether a restricted ring allows an SQE: its
// opcode must be allowed, every required flag set, and no flag set that
// is neither allowed nor required.
// Linux: io_uring/io_uring.c:io_check_restriction()
func (ctx *Ctx) checkRestriction(opcode, sqeFlags uint8) bool {
	res := &ctx.restrictions
	if !testBit(res.sqeOp[:], uint32(opcode)) {
		return false
	}
	if sqeFlags&res.sqeFlagsRequired != res.sqeFlagsRequired {
		return false
	}
	return sqeFlags&^(res.sqeFlagsAllowed|res.sqeFlagsRequired) == 0
}

// registerAllowed says whether a restricted ring allows a register opcode
// (already below IORING_REGISTER_LAST).
// Linux: io_uring/register.c:__io_uring_register()
func (ctx *Ctx) registerAllowed(opcode uint32) bool {
	return !ctx.restricted() || testBit(ctx.restrictions.registerOp[:], opcode)
}
