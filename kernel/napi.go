package kernel

import (
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// minNapiID is MIN_NAPI_ID, NR_CPUS + 1: ids below it are sender CPUs,
// not NAPI contexts. NR_CPUS is 256, as in the 6.18 host kernel's build.
// Linux: include/net/busy_poll.h:MIN_NAPI_ID
const minNapiID = 256 + 1

// napiMaxBusyPollUsec caps the busy-poll time a registration asks for:
// 10 ms of spinning.
// Linux: io_uring/napi.c:io_napi_register_napi()
const napiMaxBusyPollUsec = 10000

// napiState is the ring's NAPI busy-poll settings (ctx->napi_*). Its zero
// value is a fresh ring's: tracking inactive, no busy-poll time (the
// sysctl net.core.busy_poll io_napi_init reads is 0 in the simulator).
//
// Differs from Linux: nothing busy-polls. The simulated NIC has no NAPI
// contexts, so a socket never carries a NAPI id, dynamic tracking never
// adds one, and the ids static tracking holds name nothing; in the kernel
// polling them only spins for up to busy_poll_to before a wait sleeps
// (docs/divergences.md).
type napiState struct {
	active     bool     // napi_track_mode != IO_URING_NAPI_TRACKING_INACTIVE
	static     bool     // IO_URING_NAPI_TRACKING_STATIC, else DYNAMIC
	busyPollDt uint64   // ctx->napi_busy_poll_dt, in ns
	prefer     bool     // ctx->napi_prefer_busy_poll
	ids        []uint32 // ctx->napi_list, in the order added
}

// trackMode is ctx->napi_track_mode.
func (n *napiState) trackMode() uint32 {
	switch {
	case !n.active:
		return rings.IO_URING_NAPI_TRACKING_INACTIVE
	case n.static:
		return rings.IO_URING_NAPI_TRACKING_STATIC
	}
	return rings.IO_URING_NAPI_TRACKING_DYNAMIC
}

// current is the io_uring_napi the registration calls copy back.
func (n *napiState) current(withMode bool) rings.Napi {
	cur := rings.Napi{BusyPollTo: uint32(n.busyPollDt / 1000)}
	if n.prefer {
		cur.PreferBusyPoll = 1
	}
	if withMode {
		cur.OpParam = n.trackMode()
	}
	return cur
}

func napiBytes(n *rings.Napi) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(n)), unsafe.Sizeof(*n))
}

// registerNapi is IORING_REGISTER_NAPI: the struct is checked, the
// previous settings are copied back over it, then its opcode runs.
// Linux: io_uring/napi.c:io_register_napi()
func (ctx *Ctx) registerNapi(task *Task, arg uint64) int {
	cur := ctx.napi.current(true)
	if ctx.flags&rings.IORING_SETUP_IOPOLL != 0 {
		return -EINVAL
	}
	var napi rings.Napi
	if task.Proc.MM.CopyFromUser(napiBytes(&napi), arg) != 0 {
		return -EFAULT
	}
	if napi.Pad != [2]uint8{} || napi.Resv != 0 {
		return -EINVAL
	}
	if task.Proc.MM.CopyToUser(arg, napiBytes(&cur)) != 0 {
		return -EFAULT
	}
	switch napi.Opcode {
	case rings.IO_URING_NAPI_REGISTER_OP:
		return ctx.napiRegisterNapi(&napi)
	case rings.IO_URING_NAPI_STATIC_ADD_ID:
		if cur.OpParam != rings.IO_URING_NAPI_TRACKING_STATIC {
			return -EINVAL
		}
		return ctx.napiAddID(napi.OpParam)
	case rings.IO_URING_NAPI_STATIC_DEL_ID:
		if cur.OpParam != rings.IO_URING_NAPI_TRACKING_STATIC {
			return -EINVAL
		}
		return ctx.napiDelID(napi.OpParam)
	}
	return -EINVAL
}

// napiRegisterNapi sets the tracking strategy and busy-poll settings,
// dropping every tracked id.
// Linux: io_uring/napi.c:io_napi_register_napi()
func (ctx *Ctx) napiRegisterNapi(napi *rings.Napi) int {
	switch napi.OpParam {
	case rings.IO_URING_NAPI_TRACKING_DYNAMIC, rings.IO_URING_NAPI_TRACKING_STATIC:
	default:
		return -EINVAL
	}
	ctx.napi = napiState{
		active:     true,
		static:     napi.OpParam == rings.IO_URING_NAPI_TRACKING_STATIC,
		busyPollDt: uint64(min(napi.BusyPollTo, napiMaxBusyPollUsec)) * 1000,
		prefer:     napi.PreferBusyPoll != 0,
	}
	return 0
}

// napiAddID adds a NAPI id to the static list; the id need not name a
// live NAPI context.
// Linux: io_uring/napi.c:__io_napi_add_id()
func (ctx *Ctx) napiAddID(id uint32) int {
	if id < minNapiID {
		return -EINVAL
	}
	if slices.Contains(ctx.napi.ids, id) {
		return -EEXIST
	}
	ctx.napi.ids = append(ctx.napi.ids, id)
	return 0
}

// napiDelID removes a NAPI id from the static list.
// Linux: io_uring/napi.c:__io_napi_del_id()
func (ctx *Ctx) napiDelID(id uint32) int {
	if id < minNapiID {
		return -EINVAL
	}
	i := slices.Index(ctx.napi.ids, id)
	if i < 0 {
		return -ENOENT
	}
	ctx.napi.ids = slices.Delete(ctx.napi.ids, i, i+1)
	return 0
}

// unregisterNapi is IORING_UNREGISTER_NAPI: the previous busy-poll time
// and preference are copied back when arg is set (the tracking mode is
// not), then busy polling is off.
// Linux: io_uring/napi.c:io_unregister_napi()
func (ctx *Ctx) unregisterNapi(task *Task, arg uint64) int {
	cur := ctx.napi.current(false)
	if arg != 0 && task.Proc.MM.CopyToUser(arg, napiBytes(&cur)) != 0 {
		return -EFAULT
	}
	ctx.napi = napiState{}
	return 0
}

// showNapiFdinfo prints the NAPI lines of the ring's fdinfo.
// Linux: io_uring/fdinfo.c:napi_show_fdinfo()
func (ctx *Ctx) showNapiFdinfo(b *strings.Builder) {
	n := &ctx.napi
	if !n.active {
		b.WriteString("NAPI:\tdisabled\n")
		return
	}
	strategy := "dynamic"
	if n.static {
		strategy = "static"
	}
	fmt.Fprintf(b, "NAPI:\tenabled\nnapi tracking:\t%s\nnapi_busy_poll_dt:\t%d\nnapi_prefer_busy_poll:\t%t\n",
		strategy, n.busyPollDt, n.prefer)
}
