package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
)

// IoUringRegister is the io_uring_register(2) system call: every opcode
// of 6.18 (the rows of docs/divergences.md say where one differs).
// Linux: io_uring/register.c:SYSCALL_DEFINE4(io_uring_register)
func IoUringRegister(task *Task, fd int, opcode uint32, arg uint64, nrArgs uint32) int {
	defer task.ReturnToUser()
	t := task.Thread
	useRegistered := opcode&rings.IORING_REGISTER_USE_REGISTERED_RING != 0
	opcode &^= rings.IORING_REGISTER_USE_REGISTERED_RING
	if opcode >= rings.IORING_REGISTER_LAST {
		return -EINVAL
	}
	if int32(fd) == -1 {
		return registerBlind(task, opcode, arg, nrArgs)
	}
	ctx, ref, ret := task.ringFromFD(fd, useRegistered)
	if ctx == nil {
		if ret == -EOPNOTSUPP || useRegistered {
			return ret
		}
		return -EBADF
	}
	if useRegistered {
		ref = true // io_uring_register_get_file takes a reference here too
		ctx.file.Get()
	}
	if ref {
		defer ctx.file.Put(t)
	}
	ctx.uringLock.Lock(t)
	ret = ctx.register(task, opcode, arg, nrArgs)
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_register", sim.U("ctx", ctx.ID), sim.U("opcode", uint64(opcode)), sim.I("ret", int64(ret)))
	}
	ctx.uringLock.Unlock(t)
	return ret
}

// register dispatches one registration opcode with uringLock held.
// Linux: io_uring/register.c:__io_uring_register()
func (ctx *Ctx) register(task *Task, opcode uint32, arg uint64, nrArgs uint32) int {
	if ctx.dying {
		return -ENXIO
	}
	if ctx.submitterTask != nil && ctx.submitterTask != task {
		return -EEXIST
	}
	if !ctx.registerAllowed(opcode) {
		return -EACCES
	}
	switch opcode {
	case rings.IORING_REGISTER_RESTRICTIONS:
		return ctx.registerRestrictions(task, arg, nrArgs)
	case rings.IORING_REGISTER_PERSONALITY:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.registerPersonality()
	case rings.IORING_UNREGISTER_PERSONALITY:
		if arg != 0 {
			return -EINVAL
		}
		return ctx.unregisterPersonality(nrArgs)
	case rings.IORING_REGISTER_SYNC_CANCEL:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.syncCancel(task, arg)
	case rings.IORING_REGISTER_PROBE:
		if arg == 0 || nrArgs > 256 {
			return -EINVAL
		}
		return ctx.probe(task, arg, nrArgs)
	case rings.IORING_REGISTER_EVENTFD, rings.IORING_REGISTER_EVENTFD_ASYNC:
		return ctx.eventfdRegister(task, arg, nrArgs, opcode == rings.IORING_REGISTER_EVENTFD_ASYNC)
	case rings.IORING_UNREGISTER_EVENTFD:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.eventfdUnregister(task.Thread)
	case rings.IORING_REGISTER_IOWQ_MAX_WORKERS:
		if arg == 0 || nrArgs != 2 {
			return -EINVAL
		}
		return ctx.registerIOWQMaxWorkers(task, arg)
	case rings.IORING_REGISTER_IOWQ_AFF:
		if arg == 0 || nrArgs == 0 {
			return -EINVAL
		}
		return ctx.registerIOWQAff(task, arg, nrArgs)
	case rings.IORING_UNREGISTER_IOWQ_AFF:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.registerIOWQAff(task, 0, 0)
	case rings.IORING_REGISTER_ENABLE_RINGS:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.registerEnableRings(task)
	case rings.IORING_REGISTER_PBUF_RING:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerPbufRing(task, arg)
	case rings.IORING_UNREGISTER_PBUF_RING:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.unregisterPbufRing(task, arg)
	case rings.IORING_REGISTER_BUFFERS:
		if arg == 0 {
			return -EFAULT
		}
		return ctx.sqeBuffersRegister(task, arg, nrArgs, 0)
	case rings.IORING_UNREGISTER_BUFFERS:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.sqeBuffersUnregister(task.Thread)
	case rings.IORING_REGISTER_FILES:
		if arg == 0 {
			return -EFAULT
		}
		return ctx.sqeFilesRegister(task, arg, nrArgs, 0)
	case rings.IORING_UNREGISTER_FILES:
		if arg != 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.sqeFilesUnregister(task.Thread)
	case rings.IORING_REGISTER_FILES_UPDATE:
		return ctx.registerFilesUpdate(task, arg, nrArgs)
	case rings.IORING_REGISTER_FILES2:
		return ctx.registerRsrc(task, arg, nrArgs, rsrc.IORING_RSRC_FILE)
	case rings.IORING_REGISTER_FILES_UPDATE2:
		return ctx.registerRsrcUpdate2(task, arg, nrArgs, rsrc.IORING_RSRC_FILE)
	case rings.IORING_REGISTER_BUFFERS2:
		return ctx.registerRsrc(task, arg, nrArgs, rsrc.IORING_RSRC_BUFFER)
	case rings.IORING_REGISTER_BUFFERS_UPDATE:
		return ctx.registerRsrcUpdate2(task, arg, nrArgs, rsrc.IORING_RSRC_BUFFER)
	case rings.IORING_REGISTER_FILE_ALLOC_RANGE:
		if arg == 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.registerFileAllocRange(task, arg)
	case rings.IORING_REGISTER_CLONE_BUFFERS:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerCloneBuffers(task, arg)
	case rings.IORING_REGISTER_CLOCK:
		if arg == 0 || nrArgs != 0 {
			return -EINVAL
		}
		return ctx.registerClock(task, arg)
	case rings.IORING_REGISTER_MEM_REGION:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerMemRegion(task, arg)
	case rings.IORING_REGISTER_QUERY:
		return query(task, arg, nrArgs)
	case rings.IORING_REGISTER_RESIZE_RINGS:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerResizeRings(task, arg)
	case rings.IORING_REGISTER_RING_FDS:
		return ctx.ringfdRegister(task, arg, nrArgs)
	case rings.IORING_UNREGISTER_RING_FDS:
		return ctx.ringfdUnregister(task, arg, nrArgs)
	case rings.IORING_REGISTER_NAPI:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerNapi(task, arg)
	case rings.IORING_UNREGISTER_NAPI:
		if nrArgs != 1 {
			return -EINVAL
		}
		return ctx.unregisterNapi(task, arg)
	case rings.IORING_REGISTER_ZCRX_IFQ:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerZcrxIfq(task, arg)
	case rings.IORING_REGISTER_PBUF_STATUS:
		if arg == 0 || nrArgs != 1 {
			return -EINVAL
		}
		return ctx.registerPbufStatus(task, arg)
	}
	return -EINVAL
}

// probe reports which opcodes are supported: the user passes a zeroed
// io_uring_probe with room for nrArgs ops.
// Linux: io_uring/register.c:io_probe()
func (ctx *Ctx) probe(task *Task, arg uint64, nrArgs uint32) int {
	nrArgs = min(nrArgs, rings.IORING_OP_LAST)
	var hdr rings.Probe
	var op rings.ProbeOp
	size := uint64(unsafe.Sizeof(hdr)) + uint64(nrArgs)*uint64(unsafe.Sizeof(op))
	as := task.Proc.MM
	buf, errno := as.Slice(arg, size)
	if errno != 0 {
		return -EFAULT
	}
	for _, b := range buf {
		if b != 0 {
			return -EINVAL
		}
	}
	out := make([]byte, size)
	p := (*rings.Probe)(unsafe.Pointer(&out[0]))
	p.LastOp = rings.IORING_OP_LAST - 1
	p.OpsLen = uint8(nrArgs)
	ops := unsafe.Slice((*rings.ProbeOp)(unsafe.Add(unsafe.Pointer(&out[0]), unsafe.Sizeof(hdr))), nrArgs)
	for i := range ops {
		ops[i].Op = uint8(i)
		if ctx.k.table.Supported(uint8(i)) {
			ops[i].Flags = rings.IO_URING_OP_SUPPORTED
		}
	}
	if as.CopyToUser(arg, out) != 0 {
		return -EFAULT
	}
	return 0
}

// registerEnableRings starts a ring created with IORING_SETUP_R_DISABLED.
// Linux: io_uring/register.c:io_register_enable_rings()
func (ctx *Ctx) registerEnableRings(task *Task) int {
	if ctx.flags&rings.IORING_SETUP_R_DISABLED == 0 {
		return -EBADFD
	}
	if ctx.flags&rings.IORING_SETUP_SINGLE_ISSUER != 0 && ctx.submitterTask == nil {
		ctx.submitterTask = task
		// A poll before the submitter was known could not activate.
		if ctx.pollWQ.HasSleeper(task.Thread) {
			ctx.activatePollWQ(task.Thread)
		}
	}
	if ctx.restrictions.registered {
		ctx.initSlow |= ctxRestricted
	}
	ctx.flags &^= rings.IORING_SETUP_R_DISABLED
	if ctx.sqData != nil {
		ctx.sqData.Wake(task.Thread) // it skipped the disabled ring
	}
	return 0
}
