package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// setupFlags is every IORING_SETUP_* flag Linux 6.18 accepts.
// Linux: io_uring/io_uring.c:io_uring_setup()
const setupFlags = rings.IORING_SETUP_IOPOLL | rings.IORING_SETUP_SQPOLL |
	rings.IORING_SETUP_SQ_AFF | rings.IORING_SETUP_CQSIZE |
	rings.IORING_SETUP_CLAMP | rings.IORING_SETUP_ATTACH_WQ |
	rings.IORING_SETUP_R_DISABLED | rings.IORING_SETUP_SUBMIT_ALL |
	rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG |
	rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32 |
	rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN |
	rings.IORING_SETUP_NO_MMAP | rings.IORING_SETUP_REGISTERED_FD_ONLY |
	rings.IORING_SETUP_NO_SQARRAY | rings.IORING_SETUP_HYBRID_IOPOLL |
	rings.IORING_SETUP_CQE_MIXED

// Features is the features word io_uring_setup reports in Linux 6.18.
// Linux: io_uring/io_uring.c:io_uring_create()
const Features = rings.IORING_FEAT_SINGLE_MMAP | rings.IORING_FEAT_NODROP |
	rings.IORING_FEAT_SUBMIT_STABLE | rings.IORING_FEAT_RW_CUR_POS |
	rings.IORING_FEAT_CUR_PERSONALITY | rings.IORING_FEAT_FAST_POLL |
	rings.IORING_FEAT_POLL_32BITS | rings.IORING_FEAT_SQPOLL_NONFIXED |
	rings.IORING_FEAT_EXT_ARG | rings.IORING_FEAT_NATIVE_WORKERS |
	rings.IORING_FEAT_RSRC_TAGS | rings.IORING_FEAT_CQE_SKIP |
	rings.IORING_FEAT_LINKED_FILE | rings.IORING_FEAT_REG_REG_RING |
	rings.IORING_FEAT_RECVSEND_BUNDLE | rings.IORING_FEAT_MIN_TIMEOUT |
	rings.IORING_FEAT_RW_ATTR | rings.IORING_FEAT_NO_IOWAIT

// IoUringSetup is the io_uring_setup(2) system call: it reads the
// parameters at user address params, creates a ring, writes the filled-in
// parameters back and returns the ring's file descriptor, or a negative
// errno.
// Linux: io_uring/io_uring.c:SYSCALL_DEFINE2(io_uring_setup), io_uring_setup()
func IoUringSetup(task *Task, entries uint32, params uint64) int {
	defer task.ReturnToUser()
	var p rings.Params
	if task.Proc.MM.CopyFromUser(paramsBytes(&p), params) != 0 {
		return -EFAULT
	}
	for _, r := range p.Resv {
		if r != 0 {
			return -EINVAL
		}
	}
	if p.Flags&^setupFlags != 0 {
		return -EINVAL
	}
	return create(task, entries, &p, params)
}

func paramsBytes(p *rings.Params) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}

// sanitiseParams rejects flag combinations that make no sense.
// Linux: io_uring/io_uring.c:io_uring_sanitise_params()
func sanitiseParams(p *rings.Params) int {
	flags := p.Flags
	// There is no way to mmap rings without a real fd.
	if flags&rings.IORING_SETUP_REGISTERED_FD_ONLY != 0 && flags&rings.IORING_SETUP_NO_MMAP == 0 {
		return -EINVAL
	}
	if flags&rings.IORING_SETUP_SQPOLL != 0 {
		// IPI related flags don't make sense with SQPOLL.
		if flags&(rings.IORING_SETUP_COOP_TASKRUN|rings.IORING_SETUP_TASKRUN_FLAG|rings.IORING_SETUP_DEFER_TASKRUN) != 0 {
			return -EINVAL
		}
	}
	if flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 &&
		flags&(rings.IORING_SETUP_COOP_TASKRUN|rings.IORING_SETUP_DEFER_TASKRUN) == 0 {
		return -EINVAL
	}
	// HYBRID_IOPOLL only valid with IOPOLL.
	if flags&rings.IORING_SETUP_HYBRID_IOPOLL != 0 && flags&rings.IORING_SETUP_IOPOLL == 0 {
		return -EINVAL
	}
	// DEFER_TASKRUN requires a single submitter.
	if flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 && flags&rings.IORING_SETUP_SINGLE_ISSUER == 0 {
		return -EINVAL
	}
	// A ring's CQEs are all 32 bytes or mixed, not both.
	if flags&rings.IORING_SETUP_CQE32 != 0 && flags&rings.IORING_SETUP_CQE_MIXED != 0 {
		return -EINVAL
	}
	return 0
}

// create builds the ring once the parameters are known to be sane.
// Linux: io_uring/io_uring.c:io_uring_create()
func create(task *Task, entries uint32, p *rings.Params, uparams uint64) int {
	t := task.Thread
	if ret := sanitiseParams(p); ret != 0 {
		return ret
	}
	if err := rings.FillParams(entries, p); err != nil { // io_uring_fill_params
		return -int(err.(unix.Errno))
	}
	k := task.Proc.K
	ctx := &Ctx{k: k, issueDefs: &k.table.Issue, ID: k.nextCtxID.Add(1), flags: p.Flags, cqWaitNr: IO_CQ_WAKE_INIT}
	if p.Flags&rings.IORING_SETUP_IOPOLL != 0 {
		ctx.initSlow = ctxIopoll
	}
	ctx.cancelTable.init(p.CQEntries) // io_ring_ctx_alloc
	k.liveAddCtx(ctx)
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 &&
		ctx.flags&(rings.IORING_SETUP_IOPOLL|rings.IORING_SETUP_SQPOLL) == 0 {
		ctx.taskComplete = true
	}
	if ctx.taskComplete || ctx.flags&rings.IORING_SETUP_IOPOLL != 0 {
		ctx.locklessCQ = true
	}
	// Lazy poll_wq activation relies on taskComplete (activatePollWQ).
	ctx.pollActivated = !ctx.taskComplete
	ctx.iopollInit()
	if ret := ctx.allocateSCQRings(task, p); ret != 0 {
		return ret
	}
	if ret := ctx.sqOffloadCreate(task, p); ret != 0 {
		ctx.free(task.Thread)
		return ret
	}
	if ctx.flags&rings.IORING_SETUP_NO_SQARRAY == 0 {
		p.SQOff.Array = uint32(uintptr(unsafe.Pointer(ctx.sqArray)) - uintptr(unsafe.Pointer(ctx.rings)))
	}
	p.Features = Features
	if task.Proc.MM.CopyToUser(uparams, paramsBytes(p)) != 0 {
		ctx.free(task.Thread)
		return -EFAULT
	}
	if ctx.flags&rings.IORING_SETUP_SINGLE_ISSUER != 0 && ctx.flags&rings.IORING_SETUP_R_DISABLED == 0 {
		ctx.submitterTask = task
	}
	ctx.file = newRingFile(k, ctx)
	if ret := ctx.addTctxNode(task); ret != 0 {
		ctx.file.Put(t)
		return ret
	}
	var fd int
	if p.Flags&rings.IORING_SETUP_REGISTERED_FD_ONLY != 0 {
		fd = task.ioUring.addRegisteredRing(ctx.file, 0, ioRingFDRegMax)
	} else {
		fd = task.Proc.Files.InstallFlags(t, ctx.file, unix.O_CLOEXEC) // io_uring_install_fd
	}
	if fd < 0 {
		ctx.file.Put(t)
		return fd
	}
	if w := k.World; w.Tracing() {
		w.Emit(t, "io_uring_create", sim.I("fd", int64(fd)), sim.U("ctx", ctx.ID),
			sim.U("sq_entries", uint64(p.SQEntries)), sim.U("cq_entries", uint64(p.CQEntries)),
			sim.S("flags", rings.FlagNames(rings.FamilySetupFlags, uint64(p.Flags))))
	}
	return fd
}

// allocateSCQRings creates the two regions — rings (header, CQEs, SQ array)
// and SQEs — either kernel memory to be mmap'd, or, with NO_MMAP, the user
// memory named by sq_off/cq_off.user_addr.
// Linux: io_uring/io_uring.c:io_allocate_scq_urings()
func (ctx *Ctx) allocateSCQRings(task *Task, p *rings.Params) int {
	ctx.sqEntries, ctx.cqEntries = p.SQEntries, p.CQEntries
	l, ok := rings.RingsLayout(ctx.flags, p.SQEntries, p.CQEntries)
	if !ok {
		return -EOVERFLOW
	}
	var ret int
	rd := ringRegionDesc(ctx.flags, l.RingsSize, p.CQOff.UserAddr)
	if ctx.ringRegion, ret = createRegion(task, &rd, rings.IORING_OFF_CQ_RING); ret != 0 {
		return ret
	}
	rd = ringRegionDesc(ctx.flags, l.SQEsSize, p.SQOff.UserAddr)
	if ctx.sqRegion, ret = createRegion(task, &rd, rings.IORING_OFF_SQES); ret != 0 {
		ctx.ringRegion.Free()
		return ret
	}
	base := ctx.ringRegion.Ptr()
	ctx.rings = (*rings.Rings)(base)
	ctx.cqes = unsafe.Add(base, l.CQOff.CQEs)
	if ctx.flags&rings.IORING_SETUP_NO_SQARRAY == 0 {
		ctx.sqArray = (*uint32)(unsafe.Add(base, l.SQArrayOff))
	}
	ctx.sqSQEs = ctx.sqRegion.Ptr()
	if ctx.flags&rings.IORING_SETUP_CQE32 != 0 {
		ctx.cqeShift = 1
	}
	if ctx.flags&rings.IORING_SETUP_SQE128 != 0 {
		ctx.sqeShift = 1
	}
	r := ctx.rings
	r.SQRingMask = p.SQEntries - 1
	r.CQRingMask = p.CQEntries - 1
	r.SQRingEntries = p.SQEntries
	r.CQRingEntries = p.CQEntries
	return 0
}
