package kernel

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/kbuf"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// cmdSize is the size of the per-op data area (io_kiocb.cmd): 64 bytes in
// the kernel, the same here.
const cmdSize = 64

// Req is one request (struct io_kiocb). Requests are cached per ring and
// reused; nothing on the steady-state path allocates.
// Linux: include/linux/io_uring_types.h:struct io_kiocb
type Req struct {
	// The fields are grouped by the passes a batch makes over its
	// requests, a cache line each, as struct io_kiocb groups its hot
	// fields: with tens of thousands of requests in flight every line a
	// pass touches is a cache miss per request. Line 0 is read by every
	// pass (issue, wakeup, task_work, completion, free); line 1 by the
	// wakeup and task_work passes (and written at issue); line 2 by issue
	// and free; line 3 is the op's data. A pass over polled requests
	// touches two lines of each (TestReqLayout keeps the groups).

	// Line 0.
	ctx   *Ctx
	flags uint64
	// cqe is what the request will post: user_data, res, flags; fd holds the
	// SQE's fd until the file is assigned, as in the kernel's union.
	cqe struct {
		userData uint64
		res      int32
		flags    uint32
		fd       int32
	}
	tctx         *Tctx
	twFunc       func(t *sim.Thread, req *Req) // io_task_work.func (runs with uringLock held)
	opcode       uint8
	cancelSeqSet bool // the last ALL/ANY cancel sequence that matched is cancelSeq (req->cancel_seq_set)
	bufIndex     uint16
	pollRefs     atomic.Int32 // polling (io_uring/poll.c)

	// Line 1.
	twNode      sim.LLNode // io_task_work.node
	apoll       *asyncPoll
	apollEvents uint32   // apoll->events, cached (req->apoll_events)
	nrTW        uint32   // DEFER_TASKRUN lazy-wake counter
	hashNode    hashNode // in ctx.cancelTable while armed
	ID          uint64   // per-ring sequence number, stable across runs (traces)

	// Line 2.
	file *vfs.File
	task *Task
	link *Req
	// Registered resources the request holds (kernel/rsrc.go): the
	// fixed file's node (req->file_node), a second file's (splice input
	// through SPLICE_F_FD_IN_FIXED) and, below, the registered buffer's
	// (req->buf_node, with REQ_F_BUF_NODE).
	fileNode  *rsrc.Node
	extraNode *rsrc.Node
	compNext  *Req // comp_list / free-list linkage
	// asyncData is op state that does not fit in cmd or holds pointers
	// (req->async_data): a vectored op's iovecs, for example.
	asyncData any

	// Line 3: cmd is the op's private data (io_kiocb_to_cmd). Ops store
	// plain values only: no Go pointers (the garbage collector does not
	// scan it).
	cmd [cmdSize / 8]uint64

	// The rest: what only some ops use.
	bufNode *rsrc.Node
	kbuf    *kbuf.Buffer // req->kbuf: the selected legacy buffer (REQ_F_BUFFER_SELECTED)
	// bigCQE holds a 32-byte CQE's extra words; only rings that post
	// them (CQE32, CQE_MIXED) read or clear it.
	bigCQE [2]uint64
	// wq is the request as io-wq work (req->work), made the first time the
	// request goes to io-wq and kept with the cached request (as apoll is):
	// the kernel embeds io_wq_work, but here it would put a line in every
	// request that only io-wq work touches (BenchmarkScalePendingPolls).
	wq    *iowq.Work
	refs  atomic.Int32 // counted references with REQ_F_REFCOUNT
	rwRes int32        // ki_complete's result, applied by reqRWComplete
	// Cancellation (io_uring/cancel.c): the last ALL/ANY cancel sequence
	// that matched the request (work.cancel_seq).
	cancelSeq uint32

	// IOPOLL (io_uring/rw.c): set by the completion, read by io_do_iopoll.
	iopollCompleted atomic.Bool
	iopollStart     time.Duration
}

// work returns req's io-wq work, made at its first use.
func (req *Req) work() *iowq.Work {
	if req.wq == nil {
		req.wq = new(iowq.Work)
	}
	return req.wq
}

// Cmd returns req's op data as *T (io_kiocb_to_cmd). T must fit in 64 bytes
// and hold no pointers; the op table check enforces the size.
func Cmd[T any](req *Req) *T {
	var zero T
	if unsafe.Sizeof(zero) > cmdSize {
		panic("kernel.Cmd: op data larger than io_kiocb.cmd")
	}
	return (*T)(unsafe.Pointer(&req.cmd))
}

// allocReq takes a request from the ring's cache, refilling it in batches
// of ioReqAllocBatch. Called with uringLock held.
// Linux: io_uring/io_uring.h:io_alloc_req(); io_uring.c:__io_alloc_req_refill()
func (ctx *Ctx) allocReq() *Req {
	st := &ctx.submitState
	if st.freeList == nil {
		batch := &new(reqBatch).reqs
		for i := range batch {
			r := &batch[i]
			r.ctx = ctx
			r.twNode.Item = r
			r.compNext = st.freeList
			st.freeList = r
		}
	}
	req := st.freeList
	st.freeList = req.compNext
	req.compNext = nil
	ctx.nrReqAllocated++
	return req
}

// reqAddToCache returns req to the ring's free list.
// Linux: io_uring/io_uring.c:io_req_add_to_cache()
func (ctx *Ctx) reqAddToCache(t *sim.Thread, req *Req) {
	ctx.nrReqAllocated--
	if ctx.k.warnOn(req.hashed(), "request freed while in the cancel table") {
		ctx.cancelTable.del(req)
	}
	req.compNext = ctx.submitState.freeList
	ctx.submitState.freeList = req
	if ctx.nrReqAllocated == 0 && ctx.released {
		ctx.refComp.Complete(t) // the exit worker frees the ring
	}
}

// reqBatch is one refill of the request cache. Go puts an 8-byte header
// in front of a heap object this size that holds pointers (the object
// itself is 64-byte aligned), so a plain []Req starts 8 bytes into a cache
// line and every Req straddles one more line than its layout says; the
// pad puts the requests on line boundaries (TestReqLayout checks).
type reqBatch struct {
	_    [64 - 8]byte
	reqs [ioReqAllocBatch]Req
}

// ioReqAllocBatch is how many requests a cache refill allocates.
// Linux: io_uring/io_uring.c:IO_REQ_ALLOC_BATCH
const ioReqAllocBatch = 8

// Ctx returns the ring the request belongs to.
func (req *Req) Ctx() *Ctx { return req.ctx }

// Opcode returns the request's opcode.
func (req *Req) Opcode() uint8 { return req.opcode }

// UserData returns the request's user_data.
func (req *Req) UserData() uint64 { return req.cqe.userData }
