package uring

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestRegisterQuery: IORING_REGISTER_QUERY, blind and on a ring, answers
// IO_URING_QUERY_OPCODES with what the kernel supports, reports per-entry
// errors in the header, walks chains and stops a cycle with -ERANGE.
func TestRegisterQuery(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		b, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(b)
		base := addrOf(b)
		hdr := func(i int) *rings.QueryHdr { return (*rings.QueryHdr)(unsafe.Pointer(&b[64*i])) }
		data := func(i int) []byte { return b[1024+128*i : 1024+128*(i+1)] }
		reset := func() {
			clear(b)
			for i := 0; i < 4; i++ {
				for j := range data(i) {
					data(i)[j] = 0xff
				}
				*hdr(i) = rings.QueryHdr{QueryData: base + 1024 + 128*uint64(i), Size: 32}
			}
		}
		call := func(what string, fd int, nr uint32) {
			n, err := be.Register(fd, rings.IORING_REGISTER_QUERY, base, nr)
			s := fmt.Sprint(what, ": ", n, " ", errnoOfErr(err))
			for i := 0; i < 3; i++ {
				h := hdr(i)
				s += fmt.Sprintf(" [res %d size %d data %x]", h.Result, h.Size, data(i)[:64])
			}
			out = append(out, s)
		}
		reset()
		call("blind opcodes", -1, 0)
		reset()
		hdr(0).Size = 8
		hdr(0).NextEntry = base + 64
		hdr(1).Size = 64
		hdr(1).NextEntry = base + 128
		hdr(2).QueryOp = 1
		call("chain: short, long, unknown op", -1, 0)
		reset()
		hdr(0).Size = 0
		hdr(0).NextEntry = base + 64
		hdr(1).Resv[1] = 1
		hdr(1).NextEntry = base + 128
		hdr(2).Result = 5
		call("chain: size 0, resv, result set", -1, 0)
		reset()
		call("nr_args 1", -1, 1)
		reset()
		hdr(0).NextEntry = base
		call("cycle", -1, 0)
		reset()
		hdr(0).QueryData = 0x1000
		call("bad data address", -1, 0)
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		reset()
		call("on a ring", r.FD(), 0)
		n, err := be.Register(-1, rings.IORING_REGISTER_QUERY, 0x1000, 0)
		out = append(out, fmt.Sprint("bad header address: ", n, errnoOfErr(err)))
		return out
	})
}

// TestRegisterClock: IORING_REGISTER_CLOCK takes CLOCK_MONOTONIC and
// CLOCK_BOOTTIME only, with zero reserved words.
func TestRegisterClock(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		b, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(b)
		reg := (*rings.ClockRegister)(unsafe.Pointer(&b[0]))
		for _, c := range []struct {
			name string
			reg  rings.ClockRegister
			arg  uint64
			nr   uint32
		}{
			{"monotonic", rings.ClockRegister{ClockID: unix.CLOCK_MONOTONIC}, addrOf(b), 0},
			{"boottime", rings.ClockRegister{ClockID: unix.CLOCK_BOOTTIME}, addrOf(b), 0},
			{"realtime", rings.ClockRegister{ClockID: unix.CLOCK_REALTIME}, addrOf(b), 0},
			{"resv", rings.ClockRegister{Resv: [3]uint32{0, 0, 1}}, addrOf(b), 0},
			{"nr 1", rings.ClockRegister{}, addrOf(b), 1},
			{"no arg", rings.ClockRegister{}, 0, 0},
			{"bad arg", rings.ClockRegister{}, 0x1000, 0},
		} {
			*reg = c.reg
			n, err := r.Register(rings.IORING_REGISTER_CLOCK, c.arg, c.nr)
			out = append(out, fmt.Sprint(c.name, ": ", n, " ", errnoOfErr(err)))
		}
		return out
	})
}

// TestRegisterMemRegion: IORING_REGISTER_MEM_REGION with kernel memory
// (mmap'd at the offset written back) or user memory, once per ring, and
// IORING_ENTER_EXT_ARG_REG waits described by an io_uring_reg_wait in a
// region registered with IORING_MEM_REGION_REG_WAIT_ARG.
func TestRegisterMemRegion(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		log := func(what string, n int, err error) {
			out = append(out, fmt.Sprint(what, ": ", n, " ", errnoOfErr(err)))
		}
		b, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(b)
		reg := (*rings.MemRegionReg)(unsafe.Pointer(&b[0]))
		rd := (*rings.RegionDesc)(unsafe.Pointer(&b[64]))
		register := func(r *Ring, what string, d rings.RegionDesc, flags uint64) {
			*rd = d
			*reg = rings.MemRegionReg{RegionUptr: addrOf(b) + 64, Flags: flags}
			n, err := r.Register(rings.IORING_REGISTER_MEM_REGION, addrOf(b), 1)
			out = append(out, fmt.Sprintf("%s: %d %v mmap_offset %#x", what, n, errnoOfErr(err), rd.MmapOffset))
		}

		r := mustNew(t, be, 4, nil)
		defer r.Close()
		register(r, "size 0", rings.RegionDesc{}, 0)
		register(r, "unaligned size", rings.RegionDesc{Size: 100}, 0)
		register(r, "user flag, no address", rings.RegionDesc{Size: 4096, Flags: rings.IORING_MEM_REGION_TYPE_USER}, 0)
		register(r, "address, no user flag", rings.RegionDesc{Size: 4096, UserAddr: addrOf(b)}, 0)
		register(r, "id set", rings.RegionDesc{Size: 4096, ID: 1}, 0)
		register(r, "unknown region flag", rings.RegionDesc{Size: 4096, Flags: 2}, 0)
		register(r, "unknown reg flag", rings.RegionDesc{Size: 4096}, 2)
		register(r, "wait arg on an enabled ring", rings.RegionDesc{Size: 4096}, rings.IORING_MEM_REGION_REG_WAIT_ARG)
		register(r, "kernel memory", rings.RegionDesc{Size: 8192}, 0)
		if m, err := be.MapRing(r.FD(), 0x20000000, 8192); err != nil {
			out = append(out, fmt.Sprint("mmap: ", errnoOfErr(err)))
		} else {
			out = append(out, fmt.Sprint("mmap: ", len(m)))
			be.Unmap(m)
		}
		register(r, "again", rings.RegionDesc{Size: 4096}, 0)
		// No wait region: any EXT_ARG_REG offset is outside it.
		n, err := r.Enter(0, 1, rings.IORING_ENTER_GETEVENTS|rings.IORING_ENTER_EXT_ARG|rings.IORING_ENTER_EXT_ARG_REG, 0, 64)
		log("wait without a wait region", n, err)

		waitMem, err := be.Alloc(8192)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(waitMem)
		w := mustNew(t, be, 4, &Params{Flags: rings.IORING_SETUP_R_DISABLED})
		defer w.Close()
		register(w, "user wait region", rings.RegionDesc{Size: 8192, UserAddr: addrOf(waitMem), Flags: rings.IORING_MEM_REGION_TYPE_USER},
			rings.IORING_MEM_REGION_REG_WAIT_ARG)
		if m, err := be.MapRing(w.FD(), 0x20000000, 4096); err != nil {
			out = append(out, fmt.Sprint("mmap of a user region: ", errnoOfErr(err)))
		} else {
			be.Unmap(m)
			t.Errorf("%s: mmap of a user region succeeded", be.Name())
		}
		if err := w.EnableRings(); err != nil {
			t.Fatal(err)
		}
		rw := (*rings.RegWait)(unsafe.Pointer(&waitMem[128]))
		*rw = rings.RegWait{Ts: rings.KernelTimespec{TvNsec: 1000000}, Flags: rings.IORING_REG_WAIT_TS}
		const wflags = rings.IORING_ENTER_GETEVENTS | rings.IORING_ENTER_EXT_ARG | rings.IORING_ENTER_EXT_ARG_REG
		n, err = w.Enter(0, 1, wflags, 128, 64)
		log("1ms timeout", n, err)
		n, err = w.Enter(0, 1, wflags, 132, 64)
		log("misaligned offset", n, err)
		n, err = w.Enter(0, 1, wflags, 8192-32, 64)
		log("past the region", n, err)
		n, err = w.Enter(0, 1, wflags, 128, 32)
		log("wrong argsz", n, err)
		rw.Flags = 2
		n, err = w.Enter(0, 1, wflags, 128, 64)
		log("unknown wait flag", n, err)
		*rw = rings.RegWait{}
		sqe := w.GetSQE()
		PrepNop(sqe)
		sqe.UserData = 9
		w.FlushSQ()
		n, err = w.Enter(1, 1, wflags, 128, 64)
		log("submit and wait, no timeout", n, err)
		out = append(out, fmt.Sprint(reapAll(t, w, 1)))
		return out
	})
}
