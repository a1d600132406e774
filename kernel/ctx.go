package kernel

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/kbuf"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/sqpoll"
	"github.com/uringsim/uringsim/vfs"
)

// overflowCQE is one entry of the CQ overflow list (struct io_overflow_cqe).
type overflowCQE struct {
	cqe rings.CQE
	big [2]uint64 // zero unless the CQE is 32 bytes (a zero big is what a 16-byte CQE's slot gets on a CQE32 ring)
}

// Ctx is one io_uring instance (struct io_ring_ctx).
// Linux: include/linux/io_uring_types.h:struct io_ring_ctx
type Ctx struct {
	k     *Kernel
	ID    uint64 // stable identity for traces
	flags uint32
	// issueDefs is k.table.Issue (io_issue_defs), one load from the ring
	// for the submission path's two lookups per request.
	issueDefs *[rings.IORING_OP_LAST]IssueDef

	// Ring memory: the rings region holds rings.Rings, the CQEs and the SQ
	// array; the SQE region holds the SQEs.
	ringRegion *mm.Region
	sqRegion   *mm.Region
	rings      *rings.Rings   // struct io_rings: heads, tails, flags; user-writable
	cqes       unsafe.Pointer // &rings->cqes[0]
	sqArray    *uint32        // nil with IORING_SETUP_NO_SQARRAY
	sqSQEs     unsafe.Pointer
	sqEntries  uint32
	cqEntries  uint32
	cqeShift   uint32 // 1 for 32-byte CQEs (IORING_SETUP_CQE32)
	sqeShift   uint32 // 1 for 128-byte SQEs (IORING_SETUP_SQE128)

	// Submission side, under uringLock.
	uringLock sim.Mutex
	// bufTable is ctx->io_bl_xa: the provided-buffer groups (kbuf).
	bufTable     kbuf.Table
	fileTable    rsrc.FileTable // ctx->file_table: fixed files (kernel/filetable.go)
	bufTableRsrc rsrc.Data      // ctx->buf_table: registered buffers (kernel/rsrc.go)
	cachedSQHead uint32
	submitState  submitState
	reqSeq       uint64 // request IDs for traces
	// initSlow holds ctx->restricted (restrictions in force,
	// kernel/restrictions.go), ctx->drain_active and ctx->drain_next,
	// which are bits of one word in the kernel too, so that initReq tests
	// them at once; and IORING_SETUP_IOPOLL, whose check folds into the
	// same test.
	initSlow      uint8
	restrictions  restriction   // ctx->restrictions
	personalities personalities // ctx->personalities (kernel/personality.go)
	drainDisable  bool
	deferList     []*Req // ctx->defer_list: drained requests (link heads)
	nrDrained     uint32 // requests (counting links) on deferList
	// nrReqAllocated counts live requests: taken from the cache and not
	// yet returned (the kernel counts allocations and empties the cache
	// before comparing, which comes to the same).
	nrReqAllocated uint32

	// Completion side.
	completionLock sim.SpinLock
	cachedCQTail   uint32
	cqeCached      uint32        // next free CQE slot index within the cached range (io_ring_ctx.cqe_cached)
	cqeSentinel    uint32        // end of the cached range (cqe_sentinel)
	checkCQ        atomic.Uint32 // IO_CHECK_CQ_* bits, read locklessly by waiters
	overflowList   overflowQueue
	cqWait         sim.WaitQueueHead
	cqWaitNr       uint32
	cqTimeouts     uint32

	// Timeouts (io_uring/timeout.c), under timeoutLock.
	timeoutLock    sim.SpinLock
	timeoutList    []*Req // ctx->timeout_list: count timeouts sorted by target, then pure ones
	ltimeoutList   []*Req // ctx->ltimeout_list: armed linked timeouts
	cqLastTmFlush  uint32
	offTimeoutUsed bool
	cancelSeq      atomic.Uint32 // ctx->cancel_seq

	// Modes decided at setup.
	taskComplete  bool // DEFER_TASKRUN without IOPOLL or SQPOLL: only the submitter posts
	locklessCQ    bool
	submitterTask *Task
	workLList     sim.LList                  // ctx->work_llist: DEFER_TASKRUN local task_work
	retryLList    atomic.Pointer[sim.LLNode] // local work left over from a capped run; read locklessly

	cancelTable ioHashTable // armed polls by user_data (ctx->cancel_table)
	futexList   []*Req      // futex waits, oldest first (ctx->futex_list; kernel/uring_futex.go)
	waitidList  []*Req      // armed IORING_OP_WAITIDs, newest first (ctx->waitid_list)
	evfd        *ioEvFd     // registered eventfd (ctx->io_ev_fd)

	iopoll        iopollState // IORING_SETUP_IOPOLL
	syscallIopoll bool        // ctx->syscall_iopoll: IOPOLL without SQPOLL

	hashMap       *iowq.Hash // ctx->hash_map, shared by the tasks' io-wqs
	iowqLimits    [2]uint32  // IORING_REGISTER_IOWQ_MAX_WORKERS values
	iowqLimitsSet bool
	tctxList      []*Tctx      // tasks that use this ring (ctx->tctx_list)
	fallback      fallbackWork // ctx->fallback_work (kernel/task_exit.go)

	sqData       *sqpoll.Data // ctx->sq_data with IORING_SETUP_SQPOLL
	sqThreadIdle time.Duration
	sqoSQWait    sim.WaitQueueHead // IORING_ENTER_SQ_WAIT waiters

	pollWQ        sim.WaitQueueHead // ctx->poll_wq: polls of the ring's own file (kernel/ringpoll.go)
	pollActivated bool              // ctx->poll_activated
	pollWQTW      bool              // ctx->poll_wq_task_work queued

	paramRegion *mm.Region // ctx->param_region (IORING_REGISTER_MEM_REGION, kernel/memregion.go)
	cqWaitArg   []byte     // ctx->cq_wait_arg, cq_wait_size: registered wait arguments
	clockID     uint32     // ctx->clockid (IORING_REGISTER_CLOCK)
	napi        napiState  // ctx->napi_* (IORING_REGISTER_NAPI, kernel/napi.go)
	zcrx        zcrxTable  // ctx->zcrx_ctxs (IORING_REGISTER_ZCRX_IFQ, kernel/zcrx.go)

	file     *vfs.File
	dying    bool // percpu_ref_kill: the ring file is going away
	released bool // the file is gone; memory goes with the last request
	// refComp is ctx->ref_comp: completed when the last request of a
	// released ring is freed, which the exit worker waits for.
	refComp sim.Completion
}

// Ctx.initSlow bits.
const (
	ctxRestricted  uint8 = 1 << iota // ctx->restricted
	ctxDrainActive                   // ctx->drain_active
	ctxDrainNext                     // ctx->drain_next
	ctxIopoll                        // IORING_SETUP_IOPOLL
)

// restricted is ctx->restricted.
func (ctx *Ctx) restricted() bool { return ctx.initSlow&ctxRestricted != 0 }

// drainActive is ctx->drain_active.
func (ctx *Ctx) drainActive() bool { return ctx.initSlow&ctxDrainActive != 0 }

// submitState is the per-submission batch state (struct io_submit_state).
// Linux: include/linux/io_uring_types.h:struct io_submit_state
type submitState struct {
	freeList *Req // cached free requests, a stack through Req.compNext
	// complFirst and complLast are compl_reqs, the requests completed
	// in this batch and flushed together: a list through Req.compNext.
	complFirst, complLast *Req
	linkHead              *Req
	linkLast              *Req
	cqFlush               bool
}

// Flags returns the ring's setup flags.
func (ctx *Ctx) Flags() uint32 { return ctx.flags }

// sqe returns SQE slot i (already bounded), honouring 128-byte SQEs.
func (ctx *Ctx) sqe(i uint32) *rings.SQE {
	// The shift is 0 or 1; masked, it compiles to one instruction.
	return (*rings.SQE)(unsafe.Add(ctx.sqSQEs, uintptr(i<<(ctx.sqeShift&31))*unsafe.Sizeof(rings.SQE{})))
}

// sqArrayEntry returns the SQ array word i (already masked).
func (ctx *Ctx) sqArrayEntry(i uint32) *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(ctx.sqArray), uintptr(i)*4))
}

// world and tracing shorthands.
func (ctx *Ctx) world() *sim.World { return ctx.k.World }

// sqeExtra returns the second 64 bytes of a 128-byte SQE slot.
func (ctx *Ctx) sqeExtra(i uint32) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(ctx.sqe(i)), unsafe.Sizeof(rings.SQE{}))
}
