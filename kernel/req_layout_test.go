package kernel

import (
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/sim"
)

// TestReqLayout keeps Req's cache-line groups (see the struct): a field
// that drifts into another line adds a cache miss per request to every
// pass over a large batch (BenchmarkScalePendingPolls).
func TestReqLayout(t *testing.T) {
	var r Req
	if s := unsafe.Sizeof(r); s%64 != 0 {
		t.Errorf("Req is %d bytes, not a whole number of cache lines: requests allocated in batches lose alignment", s)
	}
	lines := []struct {
		name string
		off  uintptr
		size uintptr
		line uintptr
	}{
		{"ctx", unsafe.Offsetof(r.ctx), unsafe.Sizeof(r.ctx), 0},
		{"flags", unsafe.Offsetof(r.flags), unsafe.Sizeof(r.flags), 0},
		{"cqe", unsafe.Offsetof(r.cqe), unsafe.Sizeof(r.cqe), 0},
		{"tctx", unsafe.Offsetof(r.tctx), unsafe.Sizeof(r.tctx), 0},
		{"twFunc", unsafe.Offsetof(r.twFunc), unsafe.Sizeof(r.twFunc), 0},
		{"opcode", unsafe.Offsetof(r.opcode), unsafe.Sizeof(r.opcode), 0},
		{"cancelSeqSet", unsafe.Offsetof(r.cancelSeqSet), unsafe.Sizeof(r.cancelSeqSet), 0},
		{"pollRefs", unsafe.Offsetof(r.pollRefs), unsafe.Sizeof(r.pollRefs), 0},
		{"twNode", unsafe.Offsetof(r.twNode), unsafe.Sizeof(r.twNode), 1},
		{"apoll", unsafe.Offsetof(r.apoll), unsafe.Sizeof(r.apoll), 1},
		{"apollEvents", unsafe.Offsetof(r.apollEvents), unsafe.Sizeof(r.apollEvents), 1},
		{"hashNode", unsafe.Offsetof(r.hashNode), unsafe.Sizeof(r.hashNode), 1},
		{"ID", unsafe.Offsetof(r.ID), unsafe.Sizeof(r.ID), 1},
		{"file", unsafe.Offsetof(r.file), unsafe.Sizeof(r.file), 2},
		{"task", unsafe.Offsetof(r.task), unsafe.Sizeof(r.task), 2},
		{"link", unsafe.Offsetof(r.link), unsafe.Sizeof(r.link), 2},
		{"fileNode", unsafe.Offsetof(r.fileNode), unsafe.Sizeof(r.fileNode), 2},
		{"extraNode", unsafe.Offsetof(r.extraNode), unsafe.Sizeof(r.extraNode), 2},
		{"compNext", unsafe.Offsetof(r.compNext), unsafe.Sizeof(r.compNext), 2},
		{"asyncData", unsafe.Offsetof(r.asyncData), unsafe.Sizeof(r.asyncData), 2},
		{"cmd", unsafe.Offsetof(r.cmd), unsafe.Sizeof(r.cmd), 3},
	}
	var ctx Ctx
	for i := range 2 * ioReqAllocBatch {
		if a := uintptr(unsafe.Pointer(ctx.allocReq())); a%64 != 0 {
			t.Fatalf("request %d of a refill at %#x, not on a cache line", i, a)
		}
	}
	for _, f := range lines {
		if f.off/64 != f.line || (f.off+f.size-1)/64 != f.line {
			t.Errorf("Req.%s at bytes %d..%d, not in cache line %d", f.name, f.off, f.off+f.size-1, f.line)
		}
	}
}

// TestPollEntryLayout: a wakeup and its task_work read a polled request's
// asyncPoll; at tens of thousands armed, its size decides how many lines
// of memory each pass walks. The wait entry is one cache line, and the
// asyncPoll is a 96-byte object (Go's size class): the arming call's
// io_poll_table is not in it.
func TestPollEntryLayout(t *testing.T) {
	if s := unsafe.Sizeof(sim.WaitQueueEntry{}); s > 64 {
		t.Errorf("sim.WaitQueueEntry is %d bytes, more than a cache line", s)
	}
	if s := unsafe.Sizeof(asyncPoll{}); s > 96 {
		t.Errorf("asyncPoll is %d bytes, more than 96", s)
	}
}
