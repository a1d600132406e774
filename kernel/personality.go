package kernel

// personalityMax is the largest personality id (USHRT_MAX: sqe->personality
// is 16 bits).
const personalityMax = 1<<16 - 1

// personalities is ctx->personalities: the credentials registered with
// IORING_REGISTER_PERSONALITY, by id, and the cyclic allocation cursor
// (ctx->pers_next). Ids start at 1 (the xarray is XA_FLAGS_ALLOC1).
//
// Differs from Linux: the simulator has no credentials, so a personality
// is only an id that sqe->personality may name; a request issued with one
// runs exactly as without it.
// Linux: include/linux/io_uring_types.h:struct io_ring_ctx.personalities
type personalities struct {
	ids  map[uint16]bool
	next uint32
}

// registerPersonality is IORING_REGISTER_PERSONALITY: it records the
// task's current credentials under a new id, the next free one after the
// last handed out (wrapping), and returns it; -EBUSY when all are taken.
// Linux: io_uring/register.c:io_register_personality(); lib/xarray.c:__xa_alloc_cyclic()
func (ctx *Ctx) registerPersonality() int {
	p := &ctx.personalities
	if p.ids == nil {
		p.ids = map[uint16]bool{}
	}
	if len(p.ids) >= personalityMax {
		return -EBUSY
	}
	id := max(p.next, 1)
	for {
		if id > personalityMax {
			id = 1
		}
		if !p.ids[uint16(id)] {
			break
		}
		id++
	}
	p.ids[uint16(id)] = true
	p.next = id + 1
	return int(id)
}

// unregisterPersonality is IORING_UNREGISTER_PERSONALITY: -EINVAL for an
// id that is not registered.
// Linux: io_uring/register.c:io_unregister_personality()
func (ctx *Ctx) unregisterPersonality(id uint32) int {
	p := &ctx.personalities
	if id > personalityMax || !p.ids[uint16(id)] {
		return -EINVAL
	}
	delete(p.ids, uint16(id))
	return 0
}

// hasPersonality says whether sqe->personality names registered
// credentials.
func (ctx *Ctx) hasPersonality(id uint16) bool { return ctx.personalities.ids[id] }
