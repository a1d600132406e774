package uring

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/rings"
)

// rsrcObj is one file or buffer the program put in a table slot: its tag
// (unique, never 0), whether a table slot still holds it, and the
// requests in flight that were issued while it was there.
type rsrcObj struct {
	id      int
	tag     uint64
	inTable bool
	holders map[uint64]bool
	tagged  int // tag CQEs seen
	// reads of the second ring (files: passed there by MSG_SEND_FD) in
	// flight on this object; they hold the second ring's node, not ours
	pending2 int

	// files: a pipe (r, w) or a temporary file holding content
	pipe    bool
	r, w    int
	content string
	// buffers: the memory
	mem []byte
}

// rsrcModel is the program side of the resource-lifetime properties.
type rsrcModel struct {
	t        *rapid.T
	r        *Ring
	fs       FileSys
	slots    []*rsrcObj // the table as the program last set it
	objs     []*rsrcObj
	byTag    map[uint64]*rsrcObj
	inflight map[uint64]*rsrcReq
	nextUD   uint64
	scratch  []byte // per-request read buffers (files)
}

// rsrcReq is a request in flight: the object it used (nil: empty slot)
// and where its data goes.
type rsrcReq struct {
	obj    *rsrcObj
	off    int  // files: offset in scratch; buffers: offset in obj.mem
	update bool // an IORING_OP_FILES_UPDATE of one slot
	// An IORING_OP_CLOSE of a direct descriptor: 0, or -EBADF for a
	// slot that was empty.
	closeDirect bool
	closeWant   int32 // also the result a MSG_SEND_FD wants
	sendFd      bool
	// An IOSQE_ASYNC request looks its slot up when io-wq issues it:
	// it may use the object of the slot at submission or any placed
	// there later (nil: the slot was emptied), never an earlier one.
	async bool
	slot  int
	cands []*rsrcObj
}

const rsrcTagBase = 1000

func newRsrcModel(rt *rapid.T, be Backend, nslots int) *rsrcModel {
	fs, _ := Files(be)
	m := &rsrcModel{t: rt, fs: fs, slots: make([]*rsrcObj, nslots),
		byTag: map[uint64]*rsrcObj{}, inflight: map[uint64]*rsrcReq{}, nextUD: 1}
	var flags uint32
	if rapid.Bool().Draw(rt, "defer_taskrun") {
		flags = rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN
	}
	var err error
	if m.r, err = New(be, 32, &Params{Flags: flags}); err != nil {
		rt.Fatal(err)
	}
	return m
}

// tagOrZero is o's tag, 0 for no object (an empty slot).
func (o *rsrcObj) tagOrZero() uint64 {
	if o == nil {
		return 0
	}
	return o.tag
}

// initialTable draws the object of every slot and returns the
// registration's arrays: arg of each object (an fd, an iovec) and its tag.
func initialTable[T any](m *rsrcModel, draw func(label string) *rsrcObj, arg func(*rsrcObj) T) ([]T, []uint64) {
	args, tags := make([]T, len(m.slots)), make([]uint64, len(m.slots))
	for i := range m.slots {
		o := draw(fmt.Sprint("initial", i))
		args[i], tags[i] = arg(o), o.tagOrZero()
		m.place(i, o)
	}
	return args, tags
}

func (m *rsrcModel) newObj() *rsrcObj {
	o := &rsrcObj{id: len(m.objs), holders: map[uint64]bool{}}
	o.tag = rsrcTagBase + uint64(o.id)
	m.objs = append(m.objs, o)
	m.byTag[o.tag] = o
	return o
}

// place records that slot now holds o (nil: empty); the object it
// replaces has left the table.
func (m *rsrcModel) place(slot int, o *rsrcObj) {
	if old := m.slots[slot]; old != nil {
		old.inTable = false
	}
	m.slots[slot] = o
	if o != nil {
		o.inTable = true
	}
	for _, q := range m.inflight {
		if q.async && q.slot == slot {
			q.cands = append(q.cands, o)
		}
	}
}

// onTag checks a tag CQE: posted once, for an object no longer in the
// table, after the CQE of every request that used it.
func (m *rsrcModel) onTag(cqe *rings.CQE) {
	o := m.byTag[cqe.UserData]
	switch {
	case o == nil:
		m.t.Fatalf("CQE %v is neither a request's nor a known tag", rec(cqe))
	case cqe.Res != 0 || cqe.Flags != 0:
		m.t.Fatalf("tag CQE %v: res and flags must be 0", rec(cqe))
	case o.tagged != 0:
		m.t.Fatalf("tag %d posted twice", o.tag)
	case o.inTable:
		m.t.Fatalf("tag %d posted while object %d is still in the table", o.tag, o.id)
	case len(o.holders) != 0:
		m.t.Fatalf("tag %d posted while requests %v still use object %d", o.tag, o.holders, o.id)
	}
	o.tagged++
}

func (m *rsrcModel) submit() {
	if _, err := m.r.Submit(); err != nil {
		m.t.Fatalf("submit: %v", err)
	}
}

func (m *rsrcModel) sqe() *rings.SQE {
	sqe := m.r.GetSQE()
	if sqe == nil {
		m.submit()
		m.fs.Sleep(time.Microsecond)
		sqe = m.r.GetSQE()
		if sqe == nil {
			m.t.Fatal("SQ full")
		}
	}
	return sqe
}

// issue records a request on the object in slot (async: resolved later
// by io-wq, so it holds no known object).
func (m *rsrcModel) issue(slot int, off int, async bool) uint64 {
	ud := m.nextUD
	m.nextUD++
	o := m.slots[slot]
	if async {
		m.inflight[ud] = &rsrcReq{off: off, async: true, slot: slot, cands: []*rsrcObj{o}}
		return ud
	}
	m.inflight[ud] = &rsrcReq{obj: o, off: off}
	if o != nil {
		o.holders[ud] = true
	}
	return ud
}

// reap consumes every posted CQE, checking each with onReq or onTag.
func (m *rsrcModel) reap(onReq func(cqe *rings.CQE, q *rsrcReq)) {
	for {
		cqe, err := m.r.PeekCQE()
		if err != nil {
			return
		}
		if q := m.inflight[cqe.UserData]; q != nil {
			onReq(cqe, q)
			delete(m.inflight, cqe.UserData)
			if q.obj != nil {
				delete(q.obj.holders, cqe.UserData)
			}
		} else {
			m.onTag(cqe)
		}
		m.r.CQESeen(cqe)
	}
}

// finish waits for every request, unregisters the table and checks that
// every object that was ever placed posted its tag exactly once.
func (m *rsrcModel) finish(onReq func(cqe *rings.CQE, q *rsrcReq), unregister func() error) {
	for len(m.inflight) > 0 {
		if _, err := m.r.WaitCQETimeout(time.Second); err != nil {
			m.t.Fatalf("waiting for requests: %v", err)
		}
		m.reap(onReq)
	}
	for i := range m.slots {
		m.place(i, nil)
	}
	if err := unregister(); err != nil {
		m.t.Fatalf("unregister: %v", err)
	}
	// A request completed on io-wq is freed, and drops its nodes, in
	// task work the worker queues after the CQE (on a DEFER_TASKRUN
	// ring, local work that only a GETEVENTS enter runs): let the
	// workers finish and enter until every tag is in, within a bound of
	// virtual time.
	for range 20 {
		if m.allTagged() {
			break
		}
		m.fs.Sleep(100 * time.Microsecond)
		if _, err := m.r.SubmitAndGetEvents(); err != nil {
			m.t.Fatalf("enter: %v", err)
		}
		m.reap(onReq)
	}
	for _, o := range m.objs {
		if o.tagged != 1 {
			m.t.Fatalf("object %d (tag %d): %d tag CQEs, want exactly 1", o.id, o.tag, o.tagged)
		}
	}
}

func (m *rsrcModel) allTagged() bool {
	for _, o := range m.objs {
		if o.tagged == 0 {
			return false
		}
	}
	return true
}

// TestFixedFileLifetimeProperty: over random programs of fixed-file reads
// (pipes, so reads wait with the file's node held, and temporary files),
// slot updates by IORING_REGISTER_FILES_UPDATE2 and IORING_OP_FILES_UPDATE,
// closes of direct descriptors (IORING_OP_CLOSE), files sent into a
// second ring's table (IORING_MSG_SEND_FD) and writes, a read always
// reads the file the slot held when it was
// issued (never one the slot held before an earlier update: a freed or
// replaced file is not used), a replaced file stays readable by the
// requests that hold it, an empty slot is -EBADF, and each tag CQE is
// posted exactly once, after the file left the table and after the CQE
// of every request that used it.
func TestFixedFileLifetimeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		machine := NewSimMachine(SimConfig{Seed: rapid.Uint64Range(1, 1<<30).Draw(rt, "seed")})
		defer machine.Close()
		be := machine.Backend()
		nslots := rapid.IntRange(1, 4).Draw(rt, "slots")
		m := newRsrcModel(rt, be, nslots)
		defer m.r.Close()
		fs := m.fs
		var err error
		if m.scratch, err = be.Alloc(4096); err != nil {
			rt.Fatal(err)
		}
		newFile := func(pipe bool) *rsrcObj {
			o := m.newObj()
			o.pipe = pipe
			if pipe {
				if o.r, o.w, err = fs.Pipe(); err != nil {
					rt.Fatal(err)
				}
				return o
			}
			o.content = fmt.Sprintf("%03d", o.id)
			if o.r, err = fs.TempFile([]byte(o.content), 0); err != nil {
				rt.Fatal(err)
			}
			return o
		}
		drawFile := func(label string) *rsrcObj {
			switch rapid.IntRange(0, 2).Draw(rt, label) {
			case 0:
				return nil
			case 1:
				return newFile(true)
			}
			return newFile(false)
		}
		fdOf := func(o *rsrcObj) int32 {
			if o == nil {
				return -1
			}
			return int32(o.r)
		}
		tagOf := (*rsrcObj).tagOrZero
		fds, tags := initialTable(m, drawFile, fdOf)
		if err := m.r.RegisterFilesTags(fds, tags); err != nil {
			rt.Fatal(err)
		}
		// A second ring with a table of its own that files are sent
		// into with IORING_MSG_SEND_FD: its slot holds the object the
		// sender's slot held at the send, whatever the sender's table
		// does afterwards; its nodes carry no tags.
		var r2 *Ring
		var slots2 []*rsrcObj
		inflight2 := map[uint64]*rsrcReq{}
		if rapid.Bool().Draw(rt, "send_fd") {
			if r2, err = New(be, 32, nil); err != nil {
				rt.Fatal(err)
			}
			defer r2.Close()
			if err := r2.RegisterFilesSparse(uint32(nslots)); err != nil {
				rt.Fatal(err)
			}
			slots2 = make([]*rsrcObj, nslots)
		}
		const msgUD = 1 << 40 // target CQEs of MSG_SEND_FD: msgUD | object id
		reap2 := func() {
			for r2 != nil {
				cqe, err := r2.PeekCQE()
				if err != nil {
					return
				}
				if q := inflight2[cqe.UserData]; q != nil {
					got := string(m.scratch[q.off : q.off+int(max(cqe.Res, 0))])
					switch {
					case q.obj == nil && cqe.Res != -9:
						rt.Fatalf("second ring: read of an empty slot: %v, want -EBADF", rec(cqe))
					case q.obj != nil && (cqe.Res != 3 || got != fmt.Sprintf("%03d", q.obj.id)):
						rt.Fatalf("second ring: read of the file sent from object %d: %v %q", q.obj.id, rec(cqe), got)
					}
					if q.obj != nil {
						q.obj.pending2--
					}
					delete(inflight2, cqe.UserData)
				} else if cqe.UserData&msgUD == 0 || cqe.Res != 0 {
					rt.Fatalf("second ring: unexpected CQE %v", rec(cqe))
				}
				r2.CQESeen(cqe)
			}
		}
		onReq := func(cqe *rings.CQE, q *rsrcReq) {
			got := string(m.scratch[q.off : q.off+int(max(cqe.Res, 0))])
			switch {
			case q.update:
				if cqe.Res != 1 {
					rt.Fatalf("FILES_UPDATE of one slot: %v", rec(cqe))
				}
			case q.closeDirect:
				if cqe.Res != q.closeWant {
					rt.Fatalf("CLOSE of a direct descriptor: %v, want res %d", rec(cqe), q.closeWant)
				}
			case q.sendFd:
				if cqe.Res != q.closeWant {
					rt.Fatalf("MSG_SEND_FD: %v, want res %d", rec(cqe), q.closeWant)
				}
			case q.async:
				for _, o := range q.cands {
					if o == nil && cqe.Res == -9 || o != nil && cqe.Res == 3 && got == fmt.Sprintf("%03d", o.id) {
						return
					}
				}
				rt.Fatalf("async read of slot %d: %v %q matches none of the files placed there since it was submitted", q.slot, rec(cqe), got)
			case q.obj == nil:
				if cqe.Res != -9 {
					rt.Fatalf("read of an empty slot: %v, want -EBADF", rec(cqe))
				}
			case cqe.Res != 3:
				rt.Fatalf("read of object %d: %v, want 3 bytes", q.obj.id, rec(cqe))
			case got != fmt.Sprintf("%03d", q.obj.id):
				rt.Fatalf("read issued on object %d got %q: another file was used", q.obj.id, got)
			}
		}
		fileUpdateArg, err := be.Alloc(8)
		if err != nil {
			rt.Fatal(err)
		}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for i := range steps {
			slot := rapid.IntRange(0, nslots-1).Draw(rt, fmt.Sprint("slot", i))
			action := rapid.IntRange(0, 8).Draw(rt, fmt.Sprint("action", i))
			if r2 == nil && action >= 7 {
				action = 5
			}
			switch action {
			case 0, 1: // a fixed read, maybe on io-wq
				off := int(m.nextUD%1024) * 4
				clear(m.scratch[off : off+4])
				async := rapid.Bool().Draw(rt, fmt.Sprint("async", i))
				ud := m.issue(slot, off, async)
				sqe := m.sqe()
				PrepRead(sqe, int32(slot), addrOf(m.scratch)+uint64(off), 3, 0)
				sqe.Flags = rings.IOSQE_FIXED_FILE
				if async {
					sqe.Flags |= rings.IOSQE_ASYNC
				}
				sqe.UserData = ud
				m.submit()
			case 2: // replace the slot through io_uring_register
				o := drawFile(fmt.Sprint("new", i))
				n, err := m.r.RegisterFilesUpdateTag(uint32(slot), []int32{fdOf(o)}, []uint64{tagOf(o)})
				if n != 1 || err != nil {
					rt.Fatalf("update slot %d: %d %v", slot, n, err)
				}
				m.place(slot, o)
			case 3: // replace the slot with a request (no tag)
				var o *rsrcObj
				if rapid.Bool().Draw(rt, fmt.Sprint("opfile", i)) {
					o = newFile(false)
					o.tag = 0
					delete(m.byTag, rsrcTagBase+uint64(o.id))
					o.tagged = 1 // nothing to post
				}
				*(*int32)(unsafe.Pointer(&fileUpdateArg[0])) = fdOf(o)
				ud := m.nextUD
				m.nextUD++
				m.inflight[ud] = &rsrcReq{update: true}
				sqe := m.sqe()
				PrepFilesUpdate(sqe, addrOf(fileUpdateArg), 1, int32(slot))
				sqe.UserData = ud
				m.submit() // the update runs inline
				m.place(slot, o)
			case 4: // feed one pending read of a pipe
				var pipes []*rsrcObj
				for _, o := range m.objs {
					if o.pipe && len(o.holders)+o.pending2 > 0 {
						pipes = append(pipes, o)
					}
				}
				if len(pipes) == 0 {
					continue
				}
				o := pipes[rapid.IntRange(0, len(pipes)-1).Draw(rt, fmt.Sprint("pipe", i))]
				if _, err := fs.Write(o.w, []byte(fmt.Sprintf("%03d", o.id))); err != nil {
					rt.Fatal(err)
				}
			case 5:
				fs.Sleep(time.Duration(rapid.IntRange(0, 50).Draw(rt, fmt.Sprint("sleep", i))) * time.Microsecond)
			case 6: // close the direct descriptor (runs inline)
				q := &rsrcReq{closeDirect: true, closeWant: -9}
				if m.slots[slot] != nil {
					q.closeWant = 0
				}
				ud := m.nextUD
				m.nextUD++
				m.inflight[ud] = q
				sqe := m.sqe()
				PrepCloseDirect(sqe, uint32(slot))
				sqe.UserData = ud
				m.submit()
				m.place(slot, nil)
			case 7: // send the file in our slot to the second ring's slot dst
				dst := rapid.IntRange(0, nslots-1).Draw(rt, fmt.Sprint("dst", i))
				skip := rapid.Bool().Draw(rt, fmt.Sprint("skip", i))
				o := m.slots[slot]
				q := &rsrcReq{sendFd: true, closeWant: -9}
				var target uint64
				if o != nil {
					q.closeWant = 0
					target = msgUD | uint64(o.id)
				}
				ud := m.nextUD
				m.nextUD++
				m.inflight[ud] = q
				sqe := m.sqe()
				var flags uint32
				if skip {
					flags = rings.IORING_MSG_RING_CQE_SKIP
				}
				PrepMsgRingFd(sqe, int32(r2.FD()), int32(slot), uint32(dst), target, flags)
				sqe.UserData = ud
				m.submit() // the message runs inline: r2 is a plain ring
				if o != nil {
					slots2[dst] = o
				}
			case 8: // a read of the second ring's slot (issued inline)
				o := slots2[slot]
				off := int(m.nextUD%1024) * 4
				clear(m.scratch[off : off+4])
				ud := m.nextUD
				m.nextUD++
				inflight2[ud] = &rsrcReq{obj: o, off: off}
				if o != nil {
					o.pending2++
				}
				sqe := r2.GetSQE()
				PrepRead(sqe, int32(slot), addrOf(m.scratch)+uint64(off), 3, 0)
				sqe.Flags = rings.IOSQE_FIXED_FILE
				sqe.UserData = ud
				if _, err := r2.Submit(); err != nil {
					rt.Fatal(err)
				}
			}
			m.reap(onReq)
			reap2()
		}
		// Quiescence: every pending pipe read gets its data (an async
		// one from whichever pipe it may be waiting on).
		feed := func(o *rsrcObj) {
			if o != nil && o.pipe {
				if _, err := fs.Write(o.w, []byte(fmt.Sprintf("%03d", o.id))); err != nil {
					rt.Fatal(err)
				}
			}
		}
		for _, o := range m.objs {
			for range o.holders {
				feed(o)
			}
		}
		for _, q := range m.inflight {
			if q.async {
				for _, o := range q.cands {
					feed(o)
				}
			}
		}
		for _, o := range m.objs {
			for range o.pending2 {
				feed(o)
			}
		}
		for len(inflight2) > 0 {
			if _, err := r2.WaitCQETimeout(time.Second); err != nil {
				rt.Fatalf("second ring: waiting for reads: %v", err)
			}
			reap2()
		}
		m.finish(onReq, m.r.UnregisterFiles)
		if r2 != nil {
			if err := r2.UnregisterFiles(); err != nil {
				rt.Fatal(err)
			}
			reap2()
		}
		for _, o := range m.objs {
			fs.Close(o.r)
			if o.pipe {
				fs.Close(o.w)
			}
		}
	})
}

// TestRegisteredBufferLifetimeProperty: over random programs of
// READ_FIXED from a pipe into registered buffers (reads wait with the
// buffer's node held), buffer slot updates and writes, a read always
// lands in the buffer its slot held when it was issued, a buffer
// replaced while a read holds it still receives that read's data, an
// empty slot is -EFAULT, and each tag CQE is posted exactly once, after
// the buffer left the table and after the CQE of every request that used
// it. With a second ring the table is cloned (IORING_REGISTER_CLONE_BUFFERS)
// at random points: the clone's reads land in the buffers shared at that
// point, however the first ring's table changes afterwards (the buffer
// lives while any ring's node holds it), and the clone's nodes carry no
// tags.
func TestRegisteredBufferLifetimeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		machine := NewSimMachine(SimConfig{Seed: rapid.Uint64Range(1, 1<<30).Draw(rt, "seed")})
		defer machine.Close()
		be := machine.Backend()
		nslots := rapid.IntRange(1, 3).Draw(rt, "slots")
		m := newRsrcModel(rt, be, nslots)
		defer m.r.Close()
		fs := m.fs
		pr, pw, err := fs.Pipe()
		if err != nil {
			rt.Fatal(err)
		}
		defer fs.Close(pr)
		defer fs.Close(pw)
		newBuf := func(label string) *rsrcObj {
			if !rapid.Bool().Draw(rt, label) {
				return nil
			}
			o := m.newObj()
			if o.mem, err = be.Alloc(4096); err != nil {
				rt.Fatal(err)
			}
			return o
		}
		iovOf := func(o *rsrcObj) Iovec {
			if o == nil {
				return Iovec{}
			}
			return IovecOf(o.mem)
		}
		tagOf := (*rsrcObj).tagOrZero
		iovs, tags := initialTable(m, newBuf, iovOf)
		if err := m.r.RegisterBuffersTags(iovs, tags); err != nil {
			rt.Fatal(err)
		}
		const data = "abc"
		landed := func(o *rsrcObj, off int) bool { return o != nil && string(o.mem[off:off+3]) == data }
		onReq := func(cqe *rings.CQE, q *rsrcReq) {
			const efault = -14
			switch {
			case q.async:
				orig := q.cands[0]
				if cqe.Res == 3 && landed(orig, q.off) {
					return
				}
				if cqe.Res == efault {
					for _, o := range q.cands {
						if o != orig || o == nil {
							return
						}
					}
				}
				rt.Fatalf("async read_fixed of slot %d: %v, buffers placed since %v", q.slot, rec(cqe), len(q.cands))
			case q.obj == nil:
				if cqe.Res != efault {
					rt.Fatalf("read_fixed of an empty slot: %v, want -EFAULT", rec(cqe))
				}
			case cqe.Res != 3:
				rt.Fatalf("read_fixed into buffer %d: %v, want 3 bytes", q.obj.id, rec(cqe))
			case !landed(q.obj, q.off):
				rt.Fatalf("read_fixed issued on buffer %d: data not there (%q)", q.obj.id, q.obj.mem[q.off:q.off+3])
			}
		}
		scratch, err := be.Alloc(4096)
		if err != nil {
			rt.Fatal(err)
		}
		pending := 0 // reads the pipe still owes data
		// The second ring: its table (nil: none) and its reads in
		// flight, which hold the clone's nodes, not the first ring's.
		var r2 *Ring
		var slots2 []*rsrcObj
		inflight2 := map[uint64]*rsrcReq{}
		if rapid.Bool().Draw(rt, "clone") {
			if r2, err = New(be, 32, nil); err != nil {
				rt.Fatal(err)
			}
			defer r2.Close()
		}
		reap2 := func() {
			for r2 != nil {
				cqe, err := r2.PeekCQE()
				if err != nil {
					return
				}
				q := inflight2[cqe.UserData]
				switch {
				case q == nil:
					rt.Fatalf("clone ring: CQE %v is no request's (a cloned node has no tag)", rec(cqe))
				case q.obj == nil && cqe.Res != -14:
					rt.Fatalf("clone ring: read_fixed of an empty slot: %v, want -EFAULT", rec(cqe))
				case q.obj != nil && (cqe.Res != 3 || !landed(q.obj, q.off)):
					rt.Fatalf("clone ring: read_fixed into shared buffer %d: %v, data %q", q.obj.id, rec(cqe), q.obj.mem[q.off:q.off+3])
				}
				delete(inflight2, cqe.UserData)
				r2.CQESeen(cqe)
			}
		}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for i := range steps {
			slot := rapid.IntRange(0, nslots-1).Draw(rt, fmt.Sprint("slot", i))
			action := rapid.IntRange(0, 6).Draw(rt, fmt.Sprint("action", i))
			if r2 == nil && action >= 5 {
				action = 4
			}
			switch action {
			case 0, 1: // a fixed read, maybe on io-wq
				off := int(m.nextUD%1000) * 4
				addr := addrOf(scratch) + uint64(off)
				if o := m.slots[slot]; o != nil {
					clear(o.mem[off : off+3])
					addr = addrOf(o.mem) + uint64(off)
				}
				async := rapid.Bool().Draw(rt, fmt.Sprint("async", i))
				ud := m.issue(slot, off, async)
				sqe := m.sqe()
				PrepReadFixed(sqe, int32(pr), addr, 3, 0, slot)
				if async {
					sqe.Flags |= rings.IOSQE_ASYNC
				}
				sqe.UserData = ud
				m.submit()
				pending++
			case 2: // replace the slot
				o := newBuf(fmt.Sprint("new", i))
				n, err := m.r.RegisterBuffersUpdateTag(uint32(slot), []Iovec{iovOf(o)}, []uint64{tagOf(o)})
				if n != 1 || err != nil {
					rt.Fatalf("update buffer slot %d: %d %v", slot, n, err)
				}
				m.place(slot, o)
			case 3: // data for one pending read
				if pending > 0 {
					if _, err := fs.Write(pw, []byte(data)); err != nil {
						rt.Fatal(err)
					}
					pending--
				}
			case 4:
				fs.Sleep(time.Duration(rapid.IntRange(0, 50).Draw(rt, fmt.Sprint("sleep", i))) * time.Microsecond)
			case 5: // clone the whole table into the second ring
				if slots2 != nil {
					if err := r2.UnregisterBuffers(); err != nil {
						rt.Fatalf("unregister the clone: %v", err)
					}
				}
				if err := r2.CloneBuffers(m.r); err != nil {
					rt.Fatalf("clone: %v", err)
				}
				slots2 = append([]*rsrcObj(nil), m.slots...)
			case 6: // a fixed read on the clone
				if slots2 == nil {
					continue
				}
				off := int(m.nextUD%1000) * 4
				addr := addrOf(scratch) + uint64(off)
				o := slots2[slot]
				if o != nil {
					clear(o.mem[off : off+3])
					addr = addrOf(o.mem) + uint64(off)
				}
				ud := m.nextUD
				m.nextUD++
				inflight2[ud] = &rsrcReq{obj: o, off: off}
				sqe := r2.GetSQE()
				PrepReadFixed(sqe, int32(pr), addr, 3, 0, slot)
				sqe.UserData = ud
				if _, err := r2.Submit(); err != nil {
					rt.Fatal(err)
				}
				pending++
			}
			m.reap(onReq)
			reap2()
		}
		// Quiescence: data for every read still owed some (one that
		// failed at issue took none: its bytes stay in the pipe).
		for range pending {
			if _, err := fs.Write(pw, []byte(data)); err != nil {
				rt.Fatal(err)
			}
		}
		for len(inflight2) > 0 {
			if _, err := r2.WaitCQETimeout(time.Second); err != nil {
				rt.Fatalf("clone ring: waiting for reads: %v", err)
			}
			reap2()
		}
		m.finish(onReq, m.r.UnregisterBuffers)
		if slots2 != nil {
			if err := r2.UnregisterBuffers(); err != nil {
				rt.Fatalf("unregister the clone: %v", err)
			}
			reap2()
		}
	})
}
