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
	// The fields every request touches on its way through a batch
	// (issue, task_work, completion, free) come first, in two cache
	// lines, as struct io_kiocb groups its hot fields: with tens of
	// thousands of requests in flight each pass over them costs a cache
	// miss per line it touches.
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
	compNext *Req                          // comp_list / free-list linkage
	twFunc   func(t *sim.Thread, req *Req) // io_task_work.func (runs with uringLock held)
	opcode   uint8
	bufIndex uint16
	pollRefs atomic.Int32 // polling (io_uring/poll.c)

	twNode sim.LLNode // io_task_work.node
	file   *vfs.File
	link   *Req
	tctx   *Tctx
	task   *Task
	apoll  *asyncPoll

	// Registered resources the request holds (kernel/rsrc.go): the
	// fixed file's node (req->file_node), the registered buffer's
	// (req->buf_node, with REQ_F_BUF_NODE), and a second file's (splice
	// input through SPLICE_F_FD_IN_FIXED).
	fileNode  *rsrc.Node
	bufNode   *rsrc.Node
	extraNode *rsrc.Node
	hashNode  hashNode // in ctx.cancelTable while armed

	// asyncData is op state that does not fit in cmd or holds pointers
	// (req->async_data): a vectored op's iovecs, for example.
	asyncData any
	kbuf      *kbuf.Buffer // req->kbuf: the selected legacy buffer (REQ_F_BUFFER_SELECTED)

	// cmd is the op's private data (io_kiocb_to_cmd). Ops store plain
	// values only: no Go pointers (the garbage collector does not scan it).
	cmd [cmdSize / 8]uint64

	ID     uint64 // per-ring sequence number, stable across runs (traces)
	bigCQE [2]uint64

	work        iowq.Work    // io_wq_work: the request as io-wq work
	refs        atomic.Int32 // counted references with REQ_F_REFCOUNT
	apollEvents uint32
	nrTW        uint32 // DEFER_TASKRUN lazy-wake counter
	rwRes       int32  // ki_complete's result, applied by reqRWComplete

	// Cancellation (io_uring/cancel.c): the last ALL/ANY cancel sequence
	// that matched the request (req->cancel_seq_set, work.cancel_seq).
	cancelSeq    uint32
	cancelSeqSet bool

	// IOPOLL (io_uring/rw.c): set by the completion, read by io_do_iopoll.
	iopollCompleted atomic.Bool
	iopollStart     time.Duration

	_ [8]byte // to 384 bytes: requests allocated in batches stay cache-line aligned
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
		batch := make([]Req, ioReqAllocBatch)
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
		ctx.maybeFree(t)
	}
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
