package uring

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestNopBatches: batches of NOPs give the same CQE stream everywhere: one
// CQE per NOP, res 0, flags 0, in submission order.
func TestNopBatches(t *testing.T) {
	for _, batch := range []int{1, 7, 32} {
		t.Run(fmt.Sprint("batch=", batch), func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) []cqeRec {
				r := mustNew(t, be, 32, nil)
				defer r.Close()
				var all []cqeRec
				ud := uint64(1)
				for round := range 3 {
					uds := make([]uint64, batch)
					for i := range uds {
						uds[i] = ud
						ud++
					}
					subs := submitNops(t, r, uds...)
					if len(subs) != 1 || subs[0] != batch {
						t.Errorf("%s round %d: Submit returned %v, want [%d]", be.Name(), round, subs, batch)
					}
					got := reapAll(t, r, batch)
					for i, c := range got {
						if c != (cqeRec{UserData: uds[i]}) {
							t.Errorf("%s round %d: CQE %d = %v, want ud=%d res=0", be.Name(), round, i, c, uds[i])
						}
					}
					all = append(all, got...)
				}
				if n := r.CQReady(); n != 0 {
					t.Errorf("%s: %d CQEs left", be.Name(), n)
				}
				return all
			})
		})
	}
}

// TestNopInjectResult: IORING_NOP_INJECT_RESULT completes with res = sqe->len.
func TestNopInjectResult(t *testing.T) {
	results := []int32{0, 1, 42, 1 << 30, 0x7fffffff, -int32(unix.EIO), -1, -4095}
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		for i, res := range results {
			sqe := r.GetSQE()
			PrepNopResult(sqe, res)
			sqe.UserData = uint64(i)
		}
		if n, err := r.Submit(); n != len(results) || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		got := reapAll(t, r, len(results))
		for i, c := range got {
			if c.UserData != uint64(i) || c.Res != results[i] {
				t.Errorf("%s: CQE %d = %v, want ud=%d res=%d", be.Name(), i, c, i, results[i])
			}
		}
		return got
	})
}

// overflowResult is the observable state of TestNopCQOverflow.
type overflowResult struct {
	Submits       []int
	ReadyBefore   uint32
	SQFlagsBefore uint32 // CQ_OVERFLOW | TASKRUN bits
	OverflowCount uint32
	CQEs          []cqeRec
	SQFlagsAfter  uint32
}

// TestNopCQOverflow: a CQ of 2 with 5 NOPs in flight and nothing reaped.
// The kernel keeps the 3 that do not fit on its overflow list (no CQE is
// lost, IORING_FEAT_NODROP), flags IORING_SQ_CQ_OVERFLOW, and hands them
// out in order as the CQ drains: 1..5.
func TestNopCQOverflow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flags    uint32
		nopFlags uint32
	}{
		{"default", 0, 0},
		{"NOP_TW", 0, rings.IORING_NOP_TW},
		{"COOP_TASKRUN|TASKRUN_FLAG/NOP_TW", rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG, rings.IORING_NOP_TW},
		{"DEFER_TASKRUN", rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN, 0},
		{"DEFER_TASKRUN/NOP_TW", rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN, rings.IORING_NOP_TW},
	} {
		t.Run(tc.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) overflowResult {
				return runOverflow(t, be, tc.flags, tc.nopFlags)
			})
		})
	}
}

func runOverflow(t *testing.T, be Backend, flags, nopFlags uint32) overflowResult {
	r := mustNew(t, be, 2, &Params{Flags: flags | rings.IORING_SETUP_CQSIZE, CQEntries: 2})
	defer r.Close()
	if r.CQEntries() != 2 || r.SQEntries() != 2 {
		t.Fatalf("%s: sq %d cq %d", be.Name(), r.SQEntries(), r.CQEntries())
	}
	var res overflowResult
	for ud := uint64(1); ud <= 5; ud++ {
		sqe := r.GetSQE()
		if sqe == nil {
			n, err := r.Submit()
			if err != nil {
				t.Fatalf("%s: Submit: %v", be.Name(), err)
			}
			res.Submits = append(res.Submits, n)
			sqe = r.GetSQE()
		}
		PrepNop(sqe)
		sqe.OpFlags = nopFlags
		sqe.UserData = ud
	}
	n, err := r.Submit()
	if err != nil {
		t.Fatalf("%s: Submit: %v", be.Name(), err)
	}
	res.Submits = append(res.Submits, n)
	if flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
		// Completions wait in the local work list until the task asks
		// for events; run them (a wait for 0 events).
		if _, err := r.SubmitAndGetEvents(); err != nil {
			t.Fatalf("%s: SubmitAndGetEvents: %v", be.Name(), err)
		}
	}
	res.ReadyBefore = r.CQReady()
	res.SQFlagsBefore = r.SQFlags() & (rings.IORING_SQ_CQ_OVERFLOW | rings.IORING_SQ_TASKRUN)
	res.OverflowCount = r.CQOverflow()
	if res.SQFlagsBefore&rings.IORING_SQ_CQ_OVERFLOW == 0 {
		t.Errorf("%s: IORING_SQ_CQ_OVERFLOW not set with 5 NOPs on a CQ of 2", be.Name())
	}
	for len(res.CQEs) < 5 {
		cqe, err := r.PeekCQE()
		if err != nil {
			t.Fatalf("%s: PeekCQE after %d CQEs: %v", be.Name(), len(res.CQEs), err)
		}
		res.CQEs = append(res.CQEs, rec(cqe))
		r.CQESeen(cqe)
	}
	checkNops(t, be, res.CQEs, 1, 2, 3, 4, 5)
	if _, err := r.PeekCQE(); err != unix.EAGAIN {
		t.Errorf("%s: PeekCQE on a drained ring: %v, want EAGAIN", be.Name(), err)
	}
	res.SQFlagsAfter = r.SQFlags() & (rings.IORING_SQ_CQ_OVERFLOW | rings.IORING_SQ_TASKRUN)
	if res.SQFlagsAfter != 0 {
		t.Errorf("%s: sq flags %#x after draining", be.Name(), res.SQFlagsAfter)
	}
	return res
}

// TestNopLinkFailure: a NOP of a link chain that fails (an injected
// negative result) cancels the rest of the chain with -ECANCELED; with a
// hard link the chain goes on. Either way the rest of the chain completes
// through task work (io_fail_links, io_queue_next), so its CQEs come after
// those of the requests that completed inline in the same submission.
func TestNopLinkFailure(t *testing.T) {
	eperm, ecanceled := -int32(unix.EPERM), -int32(unix.ECANCELED)
	for _, tc := range []struct {
		name string
		link uint8
		want []cqeRec
	}{
		{"IO_LINK", rings.IOSQE_IO_LINK, []cqeRec{{1, eperm, 0}, {4, 0, 0}, {2, ecanceled, 0}, {3, ecanceled, 0}}},
		{"IO_HARDLINK", rings.IOSQE_IO_HARDLINK, []cqeRec{{1, eperm, 0}, {4, 0, 0}, {2, 0, 0}, {3, 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) []cqeRec {
				r := mustNew(t, be, 8, nil)
				defer r.Close()
				// 1 (fails, linked) -> 2 (linked) -> 3; then 4 on its own.
				sqe := r.GetSQE()
				PrepNopResult(sqe, eperm)
				sqe.Flags = tc.link
				sqe.UserData = 1
				sqe = r.GetSQE()
				PrepNop(sqe)
				sqe.Flags = tc.link
				sqe.UserData = 2
				sqe = r.GetSQE()
				PrepNop(sqe)
				sqe.UserData = 3
				sqe = r.GetSQE()
				PrepNop(sqe)
				sqe.UserData = 4
				if n, err := r.Submit(); n != 4 || err != nil {
					t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
				}
				got := reapAll(t, r, 4)
				for i, c := range got {
					if c != tc.want[i] {
						t.Errorf("%s: CQE %d = %v, want %v", be.Name(), i, c, tc.want[i])
					}
				}
				return got
			})
		})
	}
}

// twResult is what TestNopTaskWork observes.
type twResult struct {
	ReadyAfterSubmit uint32
	CQEs             []cqeRec
}

// TestNopTaskWork: IORING_NOP_TW completes through task work. On a normal
// ring the task work runs before io_uring_enter returns; with
// DEFER_TASKRUN only when the task waits for events.
func TestNopTaskWork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint32
	}{
		{"default", 0},
		{"COOP_TASKRUN|TASKRUN_FLAG", rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG},
		{"SINGLE_ISSUER", rings.IORING_SETUP_SINGLE_ISSUER},
		{"DEFER_TASKRUN", rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) twResult {
				r := mustNew(t, be, 8, &Params{Flags: tc.flags})
				defer r.Close()
				for i := range 3 {
					sqe := r.GetSQE()
					PrepNop(sqe)
					sqe.OpFlags = rings.IORING_NOP_TW
					sqe.UserData = uint64(i + 1)
				}
				if n, err := r.Submit(); n != 3 || err != nil {
					t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
				}
				var res twResult
				res.ReadyAfterSubmit = r.CQReady()
				res.CQEs = reapAll(t, r, 3)
				for i, c := range res.CQEs {
					if c != (cqeRec{UserData: uint64(i + 1)}) {
						t.Errorf("%s: CQE %d = %v", be.Name(), i, c)
					}
				}
				return res
			})
		})
	}
}

// badSQEResult is the observable result of TestBadSQEs.
type badSQEResult struct {
	Submits []int
	CQEs    []cqeRec
}

// TestBadSQEs: an SQE that fails io_init_req completes with an error CQE
// and ends the submission batch (the SQEs after it stay in the SQ for the
// next submit), unless IORING_SETUP_SUBMIT_ALL.
func TestBadSQEs(t *testing.T) {
	bad := []struct {
		name string
		prep func(sqe *rings.SQE)
		res  int32
	}{
		{"opcode=IORING_OP_LAST", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_LAST, -1, 0, 0, 0) }, -int32(unix.EINVAL)},
		{"opcode=255", func(sqe *rings.SQE) { PrepRW(sqe, 255, -1, 0, 0, 0) }, -int32(unix.EINVAL)},
		{"sqe flags 1<<7", func(sqe *rings.SQE) { PrepNop(sqe); sqe.Flags = 1 << 7 }, -int32(unix.EINVAL)},
		{"nop_flags unknown", func(sqe *rings.SQE) { PrepNop(sqe); sqe.OpFlags = 1 << 20 }, -int32(unix.EINVAL)},
		{"BUFFER_SELECT on NOP", func(sqe *rings.SQE) { PrepNop(sqe); sqe.Flags = rings.IOSQE_BUFFER_SELECT }, -int32(unix.EOPNOTSUPP)},
		{"unregistered personality", func(sqe *rings.SQE) { PrepNop(sqe); sqe.Personality = 1 }, -int32(unix.EINVAL)},
		{"NOP_CQE32 on a 16-byte CQ", func(sqe *rings.SQE) { PrepNop(sqe); sqe.OpFlags = rings.IORING_NOP_CQE32 }, -int32(unix.EINVAL)},
	}
	for _, b := range bad {
		for _, submitAll := range []bool{false, true} {
			name := b.name
			var flags uint32
			if submitAll {
				name += "/SUBMIT_ALL"
				flags = rings.IORING_SETUP_SUBMIT_ALL
			}
			t.Run(name, func(t *testing.T) {
				differential(t, func(t *testing.T, be Backend) badSQEResult {
					r := mustNew(t, be, 8, &Params{Flags: flags})
					defer r.Close()
					var res badSQEResult
					sqe := r.GetSQE()
					PrepNop(sqe)
					sqe.UserData = 1
					sqe = r.GetSQE()
					b.prep(sqe)
					sqe.UserData = 2
					sqe = r.GetSQE()
					PrepNop(sqe)
					sqe.UserData = 3
					total := 0
					for total < 3 {
						n, err := r.Submit()
						if err != nil || n <= 0 {
							t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
						}
						res.Submits = append(res.Submits, n)
						total += n
					}
					res.CQEs = reapAll(t, r, 3)
					want := []cqeRec{{UserData: 1}, {UserData: 2, Res: b.res}, {UserData: 3}}
					for i := range want {
						if res.CQEs[i] != want[i] {
							t.Errorf("%s: CQE %d = %v, want %v", be.Name(), i, res.CQEs[i], want[i])
						}
					}
					return res
				})
			})
		}
	}
}

// TestNopCQE32: on a CQE32 ring a NOP with IORING_NOP_CQE32 fills big_cqe
// with sqe->off and sqe->addr; on a CQE_MIXED ring it posts a 32-byte CQE
// flagged IORING_CQE_F_32 taking two slots.
func TestNopCQE32(t *testing.T) {
	type big struct {
		CQE cqeRec
		Big [2]uint64
	}
	for _, flags := range []uint32{rings.IORING_SETUP_CQE32, rings.IORING_SETUP_CQE_MIXED} {
		t.Run(rings.FlagNames(rings.FamilySetupFlags, uint64(flags)), func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) []big {
				r := mustNew(t, be, 4, &Params{Flags: flags})
				defer r.Close()
				var out []big
				for round := range 5 { // wraps the mixed ring's 8 slots
					for i := range 3 {
						sqe := r.GetSQE()
						PrepNop(sqe)
						sqe.UserData = uint64(round*10 + i)
						if i != 1 {
							sqe.OpFlags = rings.IORING_NOP_CQE32
							sqe.Off, sqe.Addr = 0xaaaa0000+uint64(i), 0xbbbb0000+uint64(round)
						}
					}
					if _, err := r.Submit(); err != nil {
						t.Fatal(err)
					}
					for range 3 {
						cqe, err := r.WaitCQE()
						if err != nil {
							t.Fatal(err)
						}
						b := big{CQE: rec(cqe)}
						if flags&rings.IORING_SETUP_CQE32 != 0 || cqe.Flags&rings.IORING_CQE_F_32 != 0 {
							b.Big = BigCQE(cqe).BigCQE
						}
						out = append(out, b)
						r.CQESeen(cqe)
					}
					for i, b := range out[len(out)-3:] {
						want := big{CQE: cqeRec{UserData: uint64(round*10 + i)}}
						if i != 1 {
							want.Big = [2]uint64{0xaaaa0000 + uint64(i), 0xbbbb0000 + uint64(round)}
							if flags&rings.IORING_SETUP_CQE_MIXED != 0 {
								want.CQE.Flags = rings.IORING_CQE_F_32
							}
						}
						if b != want {
							t.Errorf("%s round %d: CQE %d = %+v, want %+v", be.Name(), round, i, b, want)
						}
					}
				}
				return out
			})
		})
	}
}

// TestWaitTimeoutNothingInFlight: waiting with a timeout and nothing in
// flight is ETIME; the simulator measures the timeout on its virtual clock.
func TestWaitTimeoutNothingInFlight(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []unix.Errno {
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		var errs []unix.Errno
		for _, d := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond} {
			cqe, err := r.WaitCQETimeout(d)
			if cqe != nil || err != unix.ETIME {
				t.Errorf("%s: WaitCQETimeout(%v) = %v, %v; want ETIME", be.Name(), d, cqe, err)
			}
			errs = append(errs, errnoOfErr(err))
		}
		// After a timeout the ring still works, and a CQE that is there
		// is returned without waiting.
		submitNops(t, r, 9)
		cqe, err := r.WaitCQETimeout(time.Second)
		if err != nil || cqe == nil || cqe.UserData != 9 {
			t.Errorf("%s: WaitCQETimeout with a NOP done = %v, %v", be.Name(), cqe, err)
		}
		r.CQESeen(cqe)
		// SubmitAndWaitTimeout: submits and returns the count.
		sqe := r.GetSQE()
		PrepNop(sqe)
		sqe.UserData = 10
		cqe, n, err := r.SubmitAndWaitTimeout(1, time.Second)
		if err != nil || n != 1 || cqe == nil || cqe.UserData != 10 {
			t.Errorf("%s: SubmitAndWaitTimeout = %v, %d, %v", be.Name(), cqe, n, err)
		}
		r.CQESeen(cqe)
		cqe, n, err = r.SubmitAndWaitTimeout(1, time.Millisecond)
		if err != unix.ETIME || n != 0 || cqe != nil {
			t.Errorf("%s: SubmitAndWaitTimeout with nothing = %v, %d, %v; want ETIME", be.Name(), cqe, n, err)
		}
		errs = append(errs, errnoOfErr(err))
		return errs
	})
}

// TestSimTimeoutIsVirtual: a 10 s wait on the simulator's virtual clock
// ends at once in real time, and the world's clock moved by 10 s.
func TestSimTimeoutIsVirtual(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, nil)
	defer r.Close()
	start := m.World().Now()
	if _, err := r.WaitCQETimeout(10 * time.Second); err != unix.ETIME {
		t.Fatalf("WaitCQETimeout: %v", err)
	}
	if d := m.World().Now() - start; d < 10*time.Second {
		t.Errorf("virtual clock moved %v, want >= 10s", d)
	}
}

// TestDisabledRing: a ring set up with R_DISABLED refuses io_uring_enter
// with EBADFD until IORING_REGISTER_ENABLE_RINGS; enabling twice is EBADFD.
// With SINGLE_ISSUER the enabling task becomes the submitter.
func TestDisabledRing(t *testing.T) {
	for _, flags := range []uint32{
		rings.IORING_SETUP_R_DISABLED,
		rings.IORING_SETUP_R_DISABLED | rings.IORING_SETUP_SINGLE_ISSUER,
		rings.IORING_SETUP_R_DISABLED | rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN,
	} {
		t.Run(rings.FlagNames(rings.FamilySetupFlags, uint64(flags)), func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) []unix.Errno {
				r, err := New(be, 4, &Params{Flags: flags})
				if err != nil {
					t.Fatalf("%s: New: %v", be.Name(), err)
				}
				defer r.Close()
				var errs []unix.Errno
				sqe := r.GetSQE()
				PrepNop(sqe)
				_, err = r.Submit()
				errs = append(errs, errnoOfErr(err))
				errs = append(errs, errnoOfErr(r.EnableRings()))
				errs = append(errs, errnoOfErr(r.EnableRings()))
				n, err := r.Submit()
				errs = append(errs, errnoOfErr(err), unix.Errno(n))
				reapAll(t, r, 1)
				if errs[0] != unix.EBADFD || errs[1] != 0 || errs[2] != unix.EBADFD || errs[3] != 0 || n != 1 {
					t.Errorf("%s: %v", be.Name(), errs)
				}
				return errs
			})
		})
	}
}

// TestRingFlagCombinations: every successful flag combination of the setup
// table gives a ring New can map and run NOPs on, with the same results.
func TestRingFlagCombinations(t *testing.T) {
	for _, c := range setupTable {
		if c.want != 0 || c.entries > 4096 && c.flags&clamp == 0 || c.flags&rings.IORING_SETUP_IOPOLL != 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) []cqeRec {
				r := mustNew(t, be, c.entries, &Params{Flags: c.flags, CQEntries: c.cq})
				defer r.Close()
				if c.flags&rings.IORING_SETUP_R_DISABLED != 0 {
					if err := r.EnableRings(); err != nil {
						t.Fatal(err)
					}
				}
				n := min(int(r.SQEntries()), 5)
				uds := make([]uint64, n)
				for i := range uds {
					uds[i] = uint64(100 + i)
				}
				submitNops(t, r, uds...)
				got := reapAll(t, r, n)
				checkNops(t, be, got, uds...)
				return got
			})
		})
	}
}

// TestNoMmapRing: with IORING_SETUP_NO_MMAP the ring lives in memory New
// allocates from the backend.
func TestNoMmapRing(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 8, &Params{Flags: rings.IORING_SETUP_NO_MMAP})
		defer r.Close()
		if p := r.Params(); p.CQOff.UserAddr != addrOf(r.ringMem) || p.SQOff.UserAddr != addrOf(r.sqeMem) {
			t.Errorf("%s: user_addr %#x/%#x", be.Name(), p.CQOff.UserAddr, p.SQOff.UserAddr)
		}
		submitNops(t, r, 1, 2, 3)
		got := reapAll(t, r, 3)
		checkNops(t, be, got, 1, 2, 3)
		return got
	})
}
