package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/uring"
)

// Properties over generated SQE programs (pgregory.net/rapid; -rapid.checks
// raises the number of programs from the default 100). A program is a
// scenario: NOPs, file reads and writes, pipe reads that a later write
// completes, timeouts, chains (IOSQE_IO_LINK), drains, CQE_SKIP_SUCCESS,
// IOSQE_ASYNC, in batches, on a ring whose CQ may be smaller than what is
// in flight (overflow) and whose setup flags vary. Every op succeeds, so
// the CQEs are known: the scenario expects them unordered and then no
// more, and the runner checks the global invariants (package ringcheck:
// each SQE completes once, nothing lost across overflow, head and tail
// forward, links in order). A failing program prints as its scenario
// file, shrunk.

// genSQE is one generated SQE and the CQE it must post.
type genSQE struct {
	op    string // the sqe line after "sqe r "
	flags []string
	res   string // its CQE's res
	skip  bool   // CQE_SKIP_SUCCESS: no CQE
}

// genProg is a generated program.
type genProg struct {
	cq        int // cq_entries with IORING_SETUP_CQSIZE (0: the default)
	batches   [][]genSQE
	pipeReads int
}

// drawProg draws a program; ordered keeps to what the kernel completes in
// a fixed order on an ordinary ring (NOPs, closed chains, skips), for the
// differential property. File reads are not: a read whose nowait attempt
// gets -EAGAIN goes to io-wq, and a worker posts its CQE at once
// (io_uring/io_uring.c: io_req_complete_post) while the NOPs of the same
// submission wait in submit_state.compl_reqs until io_submit_state_end
// flushes them, so the read's CQE may come before a NOP's submitted ahead
// of it: the kernel does not fix a read's place among them. Nor drains
// (the deferred list may release them in another order).
func drawProg(t *rapid.T, ordered bool) *genProg {
	p := &genProg{}
	if rapid.Bool().Draw(t, "smallCQ") {
		p.cq = rapid.SampledFrom([]int{8, 12}).Draw(t, "cq")
	}
	modes := []string{"plain", "drain", "skip"}
	if ordered {
		modes = []string{"plain", "skip"}
	}
	mode := rapid.SampledFrom(modes).Draw(t, "mode")
	ops := []string{"nop"}
	if !ordered {
		ops = append(ops, "readf", "writef", "readp", "timeout")
	}
	ud := 0
	for range rapid.IntRange(1, 4).Draw(t, "batches") {
		var batch []genSQE
		for range rapid.IntRange(1, 4).Draw(t, "sqes") {
			ud++
			op := rapid.SampledFrom(ops).Draw(t, "op")
			s := genSQE{res: "0"}
			switch op {
			case "nop":
				s.op = "nop"
			case "readf":
				s.op, s.res = fmt.Sprintf("read fd=f addr=b+%d len=16 off=%d", 1024+16*(ud%64), 16*(ud%8)), "16"
			case "writef":
				s.op, s.res = fmt.Sprintf("write fd=f addr=b len=16 off=%d", 2048+16*(ud%8)), "16"
			case "readp":
				s.op, s.res = fmt.Sprintf("read fd=p.r addr=b+%d len=1", 3072+ud%64), "1"
				p.pipeReads++
			case "timeout":
				// -ETIME fails a chain, so a timeout never links.
				s.op, s.res = "timeout ts=1ms len=1", "-ETIME"
			}
			s.op += fmt.Sprintf(" ud=%d", ud)
			if op != "timeout" && rapid.Bool().Draw(t, "link") {
				s.flags = append(s.flags, "IOSQE_IO_LINK")
			}
			if !ordered && op != "timeout" && rapid.IntRange(0, 3).Draw(t, "async") == 0 {
				s.flags = append(s.flags, "IOSQE_ASYNC")
			}
			switch {
			case mode == "drain" && rapid.IntRange(0, 3).Draw(t, "drain") == 0:
				s.flags = append(s.flags, "IOSQE_IO_DRAIN")
			case mode == "skip" && rapid.IntRange(0, 2).Draw(t, "skip") == 0:
				s.flags = append(s.flags, "IOSQE_CQE_SKIP_SUCCESS")
				s.skip = op != "timeout" // -ETIME is a failure: it posts
			}
			batch = append(batch, s)
		}
		if last := &batch[len(batch)-1]; ordered {
			// A chain left open at the end of a submission goes to
			// io-wq (io_submit_state_end, io_queue_sqe_fallback).
			last.flags = slices.DeleteFunc(last.flags, func(f string) bool { return f == "IOSQE_IO_LINK" })
		}
		p.batches = append(p.batches, batch)
	}
	return p
}

// render writes p as a scenario on a ring set up with flags (IORING_SETUP_…
// names joined by |, "" none), with io-wq limited to one worker of each
// kind when wq.
func (p *genProg) render(flags string, wq bool) string {
	var b strings.Builder
	// An SQPOLL thread may not have consumed a batch when the next is
	// queued: its SQ holds every SQE of the program (at most 16).
	sqpoll := strings.Contains(flags, "SQPOLL")
	entries, cq := 8, p.cq
	if sqpoll {
		entries = 16
		if cq > 0 {
			cq = max(cq, 16)
		}
	}
	ring := fmt.Sprintf("ring r entries=%d", entries)
	if cq > 0 {
		ring += fmt.Sprintf(" cq_entries=%d", cq)
		flags = strings.TrimPrefix(flags+"|IORING_SETUP_CQSIZE", "|")
	}
	if flags != "" {
		ring += " flags=" + flags
	}
	b.WriteString(ring + "\n")
	if wq {
		b.WriteString("register r IORING_REGISTER_IOWQ_MAX_WORKERS bound=1 unbound=1\n")
	}
	b.WriteString("pipe p\nfile f size=4096\nmem b size=4096 fill=98\n")
	var want []string
	for _, batch := range p.batches {
		for _, s := range batch {
			line := "sqe r " + s.op
			if len(s.flags) > 0 {
				line += " flags=" + strings.Join(s.flags, "|")
			}
			b.WriteString(line + "\n")
			if !s.skip {
				ud := s.op[strings.LastIndex(s.op, "ud="):]
				want = append(want, fmt.Sprintf("  cqe %s res=%s", ud, s.res))
			}
		}
		if sqpoll {
			// to_submit counts what the thread has not consumed yet.
			b.WriteString("submit r expect=*\n")
		} else {
			fmt.Fprintf(&b, "submit r expect=%d\n", len(batch))
		}
	}
	if p.pipeReads > 0 {
		fmt.Fprintf(&b, "write p.w data=\"%s\" expect=%d\n", strings.Repeat("x", p.pipeReads), p.pipeReads)
	}
	if len(want) > 0 {
		b.WriteString("unordered r\n" + strings.Join(want, "\n") + "\nend\n")
	}
	b.WriteString("nocqe r\n")
	return b.String()
}

// runProg parses and runs a rendered program, failing t with the
// scenario file when it does not pass.
func runProg(t *rapid.T, text string, opt RunOptions) Result {
	sc, err := Parse("generated", []byte(text))
	if err != nil {
		t.Fatalf("the generator wrote a bad scenario: %v\n%s", err, text)
	}
	r := Run(sc, opt)
	if r.Status != Pass {
		t.Fatalf("%s (seed %d, backend %s)\n--- the program, as a scenario file:\n%s", r.String(), r.Seed, r.Backend, text)
	}
	return r
}

// setups are the ring setups the properties vary.
var setups = []string{"", "IORING_SETUP_SQPOLL", "IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN", "IORING_SETUP_COOP_TASKRUN"}

// TestPropPrograms: every generated program passes on the simulator under
// a drawn seed and setup, its own expectations and the global invariants.
func TestPropPrograms(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProg(t, false)
		setup := rapid.SampledFrom(setups).Draw(t, "setup")
		wq := rapid.Bool().Draw(t, "wq")
		seed := rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		runProg(t, p.render(setup, wq), RunOptions{Seed: seed, SeedSet: true})
	})
}

// TestPropMetamorphic: one program under every setup (SQPOLL on or off,
// DEFER_TASKRUN on or off, COOP_TASKRUN) and with io-wq limited to one
// worker gives the same CQE multiset, and in each run chains complete in
// order (the link-order invariant).
func TestPropMetamorphic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProg(t, false)
		seed := rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		var first []string
		var firstText string
		for i, setup := range setups {
			for _, wq := range []bool{false, true} {
				text := p.render(setup, wq)
				got := slices.Sorted(slices.Values(runProg(t, text, RunOptions{Seed: seed, SeedSet: true}).CQEs))
				if i == 0 && !wq {
					first, firstText = got, text
					continue
				}
				if !slices.Equal(got, first) {
					t.Fatalf("CQE multisets differ:\n%s\n--- with:\n%s\n--- and:\n%s\n--- with:\n%s",
						strings.Join(first, "\n"), firstText, strings.Join(got, "\n"), text)
				}
			}
		}
	})
}

// TestPropDifferential: programs whose CQE order the kernel fixes (NOPs,
// closed chains, CQE_SKIP_SUCCESS, a CQ that overflows, on an ordinary
// ring) give the same CQE stream, in the same
// order, on the simulator and the host kernel.
func TestPropDifferential(t *testing.T) {
	if !uring.HostAvailable() {
		t.Skip("host io_uring unavailable")
	}
	rapid.Check(t, func(t *rapid.T) {
		text := drawProg(t, true).render("", false)
		seed := rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		s := runProg(t, text, RunOptions{Seed: seed, SeedSet: true})
		h := runProg(t, text, RunOptions{Backend: BackendKernel})
		if !slices.Equal(s.CQEs, h.CQEs) {
			t.Fatalf("sim and host differ:\nsim:\n%s\nhost:\n%s\n--- the program:\n%s", strings.Join(s.CQEs, "\n"), strings.Join(h.CQEs, "\n"), text)
		}
	})
}
