package uring

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// ringfdReg is one raw IORING_REGISTER_RING_FDS / UNREGISTER_RING_FDS call
// with one or more io_uring_rsrc_update entries.
func ringfdReg(t *testing.T, r *Ring, opcode uint32, ups []rings.RsrcUpdate, nr uint32) (string, []rings.RsrcUpdate) {
	t.Helper()
	size := uint64(unsafe.Sizeof(rings.RsrcUpdate{}))
	b, err := r.be.Alloc(size * uint64(max(len(ups), 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.be.Free(b)
	arr := unsafe.Slice((*rings.RsrcUpdate)(unsafe.Pointer(&b[0])), max(len(ups), 1))
	copy(arr, ups)
	n, err := r.be.Register(r.fd, opcode, addrOf(b), nr)
	out := append([]rings.RsrcUpdate(nil), arr[:len(ups)]...)
	return fmt.Sprintf("%d/%v", n, errnoOfErr(err)), out
}

// TestRegisterRingFDs: IORING_REGISTER_RING_FDS fills the slot asked for
// or the first free one and writes it back, and each entry's errors are
// the kernel's; a registered ring enters and registers through its index;
// IORING_UNREGISTER_RING_FDS empties slots.
func TestRegisterRingFDs(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		log := func(what string, v any) { out = append(out, fmt.Sprintf("%s: %v", what, v)) }
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		fd := uint64(r.FD())
		any := ^uint32(0)

		res, ups := ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: 3}, {Data: fd, Offset: any}}, 2)
		log("register at 3 and anywhere", fmt.Sprint(res, ups[0].Offset, ups[1].Offset))
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: 3}}, 1)
		log("slot 3 again", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: 16}}, 1)
		log("slot 16", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: any, Resv: 1}}, 1)
		log("resv", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: 999, Offset: any}}, 1)
		log("bad fd", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: 5}, {Data: 999, Offset: any}}, 2)
		log("good then bad", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, nil, 0)
		log("nr 0", res)
		res, _ = ringfdReg(t, r, rings.IORING_REGISTER_RING_FDS, []rings.RsrcUpdate{{Data: fd, Offset: any}}, 17)
		log("nr 17", res)

		// Enter and register through slot 3.
		n, err := be.Enter(3, 0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		log("enter via 3", fmt.Sprint(n, errnoOfErr(err)))
		n, err = be.Enter(7, 0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		log("enter via empty 7", fmt.Sprint(n, errnoOfErr(err)))
		n, err = be.Enter(16, 0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		log("enter via 16", fmt.Sprint(n, errnoOfErr(err)))
		n, err = be.Register(3, rings.IORING_REGISTER_ENABLE_RINGS|rings.IORING_REGISTER_USE_REGISTERED_RING, 0, 0)
		log("register via 3", fmt.Sprint(n, errnoOfErr(err)))
		n, err = be.Register(7, rings.IORING_REGISTER_ENABLE_RINGS|rings.IORING_REGISTER_USE_REGISTERED_RING, 0, 0)
		log("register via empty 7", fmt.Sprint(n, errnoOfErr(err)))
		n, err = be.Register(16, rings.IORING_REGISTER_ENABLE_RINGS|rings.IORING_REGISTER_USE_REGISTERED_RING, 0, 0)
		log("register via 16", fmt.Sprint(n, errnoOfErr(err)))

		res, _ = ringfdReg(t, r, rings.IORING_UNREGISTER_RING_FDS, []rings.RsrcUpdate{{Offset: 3}, {Offset: 7}, {Offset: 0}, {Offset: 5}}, 4)
		log("unregister 3, empty 7, 0, 5", res)
		res, _ = ringfdReg(t, r, rings.IORING_UNREGISTER_RING_FDS, []rings.RsrcUpdate{{Offset: 1, Data: 1}}, 1)
		log("unregister with data", res)
		res, _ = ringfdReg(t, r, rings.IORING_UNREGISTER_RING_FDS, []rings.RsrcUpdate{{Offset: 16}}, 1)
		log("unregister 16", res)
		n, err = be.Enter(3, 0, 0, rings.IORING_ENTER_REGISTERED_RING, 0, 0)
		log("enter via unregistered 3", fmt.Sprint(n, errnoOfErr(err)))
		return out
	})
}

// TestRingFDHelpers: RegisterRingFD switches the ring to its registered
// index for submissions and registrations, the descriptor may then be
// closed, and a REGISTERED_FD_ONLY ring never has one.
func TestRingFDHelpers(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		r := mustNew(t, be, 8, nil)
		n, err := r.RegisterRingFD()
		out = append(out, fmt.Sprint("register ", n, errnoOfErr(err), " index ", r.RegisteredIndex()))
		_, err = r.RegisterRingFD()
		out = append(out, fmt.Sprint("again ", errnoOfErr(err)))
		out = append(out, fmt.Sprint("close fd ", errnoOfErr(r.CloseRingFD())))
		submitNops(t, r, 1, 2)
		out = append(out, fmt.Sprint(reapAll(t, r, 2)))
		if _, err := r.Register(rings.IORING_REGISTER_ENABLE_RINGS, 0, 0); err == nil {
			t.Errorf("%s: ENABLE_RINGS on an enabled ring succeeded", be.Name())
		} else {
			out = append(out, fmt.Sprint("enable through the index ", errnoOfErr(err)))
		}
		if err := r.Close(); err != nil {
			t.Errorf("%s: Close: %v", be.Name(), err)
		}

		r2 := mustNew(t, be, 8, &Params{Flags: rings.IORING_SETUP_NO_MMAP | rings.IORING_SETUP_REGISTERED_FD_ONLY})
		out = append(out, fmt.Sprint("fd-only: fd ", r2.FD(), " index ", r2.RegisteredIndex()))
		submitNops(t, r2, 3)
		out = append(out, fmt.Sprint(reapAll(t, r2, 1)))
		out = append(out, fmt.Sprint("unregister ", errnoOfErr(r2.UnregisterRingFD()), " index ", r2.RegisteredIndex()))
		if err := r2.Close(); err != nil {
			t.Errorf("%s: Close: %v", be.Name(), err)
		}
		return out
	})
}
