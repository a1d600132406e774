package kernel_test

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// FuzzSQE writes arbitrary bytes as SQEs (whole slots, so SQE128 rings see
// all 128 bytes), submits them and reaps: whatever a program puts in an
// SQE, the simulator must not panic or hang, must consume no more SQEs than
// were queued, and must not post more CQEs than one per consumed SQE (CQE
// padding on a CQE_MIXED ring is skipped by the reaper).
func FuzzSQE(f *testing.F) {
	nop := make([]byte, 64)
	f.Add(uint8(0), nop)
	bad := make([]byte, 64)
	bad[0] = 200 // unknown opcode
	bad[1] = 0xff
	f.Add(uint8(1), bad)
	link := make([]byte, 128)
	link[1] = rings.IOSQE_IO_LINK
	binary.LittleEndian.PutUint32(link[28:], rings.IORING_NOP_INJECT_RESULT)
	binary.LittleEndian.PutUint32(link[24:], uint32(0xfffffffe))
	f.Add(uint8(2), link)
	f.Fuzz(func(t *testing.T, mode uint8, data []byte) {
		flags := []uint32{0, rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32,
			rings.IORING_SETUP_SUBMIT_ALL, rings.IORING_SETUP_NO_SQARRAY | rings.IORING_SETUP_CQE_MIXED,
			rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN,
			rings.IORING_SETUP_SQPOLL}[int(mode)%6]
		m := uring.NewSimMachine(uring.SimConfig{Seed: uint64(mode)})
		defer m.Close()
		r, err := uring.New(m.Backend(), 8, &uring.Params{Flags: flags, CQEntries: 4})
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		defer r.Close()
		slot := int(r.SQESize())
		queued := 0
		for len(data) > 0 && queued < 8 {
			sqe := r.GetSQE()
			if sqe == nil {
				break
			}
			b := unsafe.Slice((*byte)(unsafe.Pointer(sqe)), slot)
			clear(b)
			n := copy(b, data)
			data = data[n:]
			queued++
		}
		n, err := r.Submit()
		if err != nil || n < 0 || n > queued {
			if err == nil {
				t.Fatalf("Submit consumed %d of %d SQEs", n, queued)
			}
			return // a refused submit (e.g. -EBUSY, -EEXIST) is fine
		}
		// Reap everything that arrives (ForEachCQE consumes what it
		// visits), flushing overflow through enter.
		total := 0
		for i := 0; i < 64; i++ {
			cnt := r.ForEachCQE(func(*rings.CQE) {})
			total += cnt
			if cnt == 0 {
				if _, err := r.WaitCQETimeout(0); err != nil {
					break
				}
			}
		}
		if total > n {
			t.Fatalf("%d CQEs for %d SQEs", total, n)
		}
	})
}

// FuzzRingGarbage lets a program scribble on the shared ring words — SQ
// head and tail, CQ head and tail, flags, and the SQ array — between
// submissions. The kernel reads them as untrusted: it must never panic,
// hang, or touch memory outside the rings.
func FuzzRingGarbage(f *testing.F) {
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{1, 0, 0, 0, 0x80, 3, 9, 9, 9, 9})
	f.Add([]byte{4, 7, 0, 0, 0, 2, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, prog []byte) {
		m := uring.NewSimMachine(uring.SimConfig{Seed: 1})
		defer m.Close()
		r, err := uring.New(m.Backend(), 4, &uring.Params{Flags: rings.IORING_SETUP_CQSIZE, CQEntries: 4})
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		defer r.Close()
		v := r.View()
		words := []*uint32{v.SQHead(), v.SQTail(), v.CQHead(), v.CQTail(), v.SQFlags(), v.CQFlags(), v.SQArray(0), v.SQArray(3)}
		for len(prog) >= 5 {
			op, val := prog[0], binary.LittleEndian.Uint32(prog[1:5])
			prog = prog[5:]
			switch {
			case int(op)%10 < len(words):
				rings.StoreRelease(words[int(op)%10], val)
			case op%10 == 8:
				if sqe := r.GetSQE(); sqe != nil {
					uring.PrepNop(sqe)
					sqe.UserData = uint64(val)
				}
				_, _ = r.Submit()
			default:
				_, _ = r.Backend().Enter(r.FD(), val%8, val%3, rings.IORING_ENTER_GETEVENTS, 0, 0)
			}
		}
	})
}

// FuzzEntryArgs calls the three entry points with arbitrary arguments:
// io_uring_setup with arbitrary io_uring_params bytes, io_uring_register
// with any opcode, argument bytes and count, io_uring_enter with any
// flags and argument. Whatever the arguments, the simulator must answer
// with a result or an errno, never panic or hang.
func FuzzEntryArgs(f *testing.F) {
	f.Add(uint32(8), make([]byte, 120), uint32(rings.IORING_REGISTER_PROBE), uint32(4), uint32(0), make([]byte, 64))
	f.Add(uint32(1), make([]byte, 120), uint32(rings.IORING_REGISTER_IOWQ_MAX_WORKERS), uint32(2), uint32(rings.IORING_ENTER_EXT_ARG), []byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, entries uint32, params []byte, op, nr, enterFlags uint32, arg []byte) {
		m := uring.NewSimMachine(uring.SimConfig{Seed: 1, MaxSteps: 1_000_000})
		defer m.Close()
		task := m.Task()
		mem, err := m.Backend().Alloc(8192)
		if err != nil {
			t.Fatal(err)
		}
		base := uint64(uintptrOf(mem))
		copy(mem, params)
		// Keep the SQ small so a fuzzed setup stays cheap.
		fd := kernel.IoUringSetup(task, entries%64, base)
		if fd < 0 {
			fd = kernel.IoUringSetup(task, 4, base+4096) // a zeroed, valid setup
		}
		copy(mem[256:4096], arg)
		kernel.IoUringRegister(task, fd, op, base+256, nr)
		kernel.IoUringRegister(task, fd, op, base+uint64(len(arg))*7919, nr) // maybe unmapped
		kernel.IoUringEnter(task, fd, nr%8, 0, enterFlags&^rings.IORING_ENTER_GETEVENTS, base+256, uint64(len(arg)))
		kernel.IoUringEnter(task, int(op%8), 1, 0, enterFlags, base+256, uint64(len(arg)))
		kernel.Close(task, fd)
	})
}
