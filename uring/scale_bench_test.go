package uring

import (
	"fmt"
	"testing"
	"time"

	"github.com/uringsim/uringsim/rings"
)

// The scaling benchmarks: per-request cost as the load grows, on the
// simulator and (when io_uring is available) on the host kernel, reported
// as ns/req (make bench; the README has the table). A cost that grows with
// the number of pending requests, overflowed CQEs or mappings shows here as
// a ns/req that grows with n.

// scaleBackends runs f on a fresh simulator and on the host.
func scaleBackends(b *testing.B, f func(b *testing.B, be Backend)) {
	b.Run("sim", func(b *testing.B) {
		m := NewSimMachine(SimConfig{Seed: 1})
		defer m.Close()
		f(b, m.Backend())
	})
	b.Run("host", func(b *testing.B) {
		be, err := HostBackend()
		if err != nil {
			b.Skipf("host io_uring unavailable: %v", err)
		}
		f(b, be)
	})
}

// getSQE takes an SQE, submitting what is queued when the SQ is full.
func getSQE(b *testing.B, r *Ring) *rings.SQE {
	sqe := r.GetSQE()
	if sqe == nil {
		if _, err := r.Submit(); err != nil {
			b.Fatal(err)
		}
		sqe = r.GetSQE()
	}
	return sqe
}

// reapN reaps n CQEs, checking each res with ok.
func reapN(b *testing.B, r *Ring, n int, ok func(res int32) bool) {
	for seen := 0; seen < n; {
		cqe, err := r.WaitCQE()
		if err != nil {
			b.Fatalf("after %d of %d CQEs: %v", seen, n, err)
		}
		if !ok(cqe.Res) {
			b.Fatalf("CQE %d: res %d", seen, cqe.Res)
		}
		r.CQESeen(cqe)
		seen++
	}
}

// armPolls submits n POLL_ADDs (POLLIN) on fd, user_data 0..n-1.
func armPolls(b *testing.B, r *Ring, fd, n int) {
	for i := range n {
		sqe := getSQE(b, r)
		PrepRW(sqe, rings.IORING_OP_POLL_ADD, int32(fd), 0, 0, 0)
		sqe.OpFlags = rings.POLLIN
		sqe.UserData = uint64(i)
	}
	if _, err := r.Submit(); err != nil {
		b.Fatal(err)
	}
}

// perReq reports the benchmark's time per request.
func perReq(b *testing.B, start time.Time, reqs int) {
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(reqs), "ns/req")
}

func scaleRing(b *testing.B, be Backend, sq, cq uint32) *Ring {
	r, err := New(be, sq, &Params{Flags: rings.IORING_SETUP_CQSIZE, CQEntries: cq})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkScalePendingPolls: n POLL_ADDs pending on one pipe, all woken
// by one write and reaped (wake + reap per request).
func BenchmarkScalePendingPolls(b *testing.B) {
	for _, n := range []int{1000, 60000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				fs, pr, pw, closePipe := openPipe(b, be)
				defer closePipe()
				r := scaleRing(b, be, 4096, 65536)
				defer r.Close()
				buf := make([]byte, 1)
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					armPolls(b, r, pr, n)
					if _, err := fs.Write(pw, []byte{1}); err != nil {
						b.Fatal(err)
					}
					reapN(b, r, n, func(res int32) bool { return res&rings.POLLIN != 0 })
					if _, err := fs.Read(pr, buf); err != nil {
						b.Fatal(err)
					}
				}
				perReq(b, start, b.N*n)
			})
		})
	}
}

// BenchmarkScalePendingReads: n one-byte reads pending on one empty pipe
// (each armed through an internal poll), all woken by one write of n
// bytes and reaped.
func BenchmarkScalePendingReads(b *testing.B) {
	for _, n := range []int{1000, 30000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				fs, err := Files(be)
				if err != nil {
					b.Fatal(err)
				}
				pr, pw, err := fs.Pipe()
				if err != nil {
					b.Fatal(err)
				}
				defer fs.Close(pr)
				defer fs.Close(pw)
				mem, err := be.Alloc(4096)
				if err != nil {
					b.Fatal(err)
				}
				defer be.Free(mem)
				r := scaleRing(b, be, 4096, 65536)
				defer r.Close()
				data := make([]byte, n)
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					for i := range n {
						sqe := getSQE(b, r)
						PrepRead(sqe, int32(pr), addrOf(mem), 1, 0)
						sqe.UserData = uint64(i)
					}
					if _, err := r.Submit(); err != nil {
						b.Fatal(err)
					}
					if _, err := fs.Write(pw, data); err != nil {
						b.Fatal(err)
					}
					reapN(b, r, n, func(res int32) bool { return res == 1 })
				}
				perReq(b, start, b.N*n)
			})
		})
	}
}

// BenchmarkScaleOverflow: n NOPs completed into a CQ of 1024 entries, the
// rest into the overflow list, then every CQE reaped (flushing the list
// as room appears).
func BenchmarkScaleOverflow(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				r := scaleRing(b, be, 1024, 1024)
				defer r.Close()
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					for i := range n {
						sqe := getSQE(b, r)
						PrepNop(sqe)
						sqe.UserData = uint64(i)
					}
					if _, err := r.Submit(); err != nil {
						b.Fatal(err)
					}
					for seen := 0; seen < n; {
						k := r.ForEachCQE(func(*rings.CQE) {})
						seen += k
						if k == 0 {
							if _, err := r.SubmitAndGetEvents(); err != nil { // flushes the overflow list
								b.Fatal(err)
							}
						}
					}
				}
				perReq(b, start, b.N*n)
			})
		})
	}
}

// BenchmarkScaleSetupMappings: ring setup and teardown in an address space
// holding m other mappings.
func BenchmarkScaleSetupMappings(b *testing.B) {
	for _, m := range []int{10, 10000} {
		b.Run(fmt.Sprintf("mappings=%d", m), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				for range m {
					mem, err := be.Alloc(4096)
					if err != nil {
						b.Fatal(err)
					}
					defer be.Free(mem)
				}
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					r, err := New(be, 8, nil)
					if err != nil {
						b.Fatal(err)
					}
					r.Close()
				}
				perReq(b, start, b.N)
			})
		})
	}
}

// BenchmarkScaleRings: one NOP submitted, completed and reaped on the last
// of k rings the task has open (tctx->last is the ring the task used last;
// the other k-1 rings are never touched).
func BenchmarkScaleRings(b *testing.B) {
	for _, k := range []int{1, 1000} {
		b.Run(fmt.Sprintf("n=%d", k), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				var r *Ring
				for range k {
					r = scaleRing(b, be, 8, 8)
					defer r.Close()
					nopRound(b, r, 1) // each ring gets the task's context node
				}
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					nopRound(b, r, 1)
				}
				perReq(b, start, b.N)
			})
		})
	}
}

// BenchmarkScaleClosePolls: ring close with n POLL_ADDs pending on one
// pipe, each cancelled by the close (io_ring_exit_work's cancel; the cost
// per pending request).
func BenchmarkScaleClosePolls(b *testing.B) {
	for _, n := range []int{1000, 60000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			scaleBackends(b, func(b *testing.B, be Backend) {
				_, pr, _, closePipe := openPipe(b, be)
				defer closePipe()
				var closing time.Duration
				for range b.N {
					r := scaleRing(b, be, 4096, 65536)
					armPolls(b, r, pr, n)
					start := time.Now()
					r.Close()
					closing += time.Since(start)
				}
				b.ReportMetric(float64(closing.Nanoseconds())/float64(b.N*n), "ns/req")
			})
		})
	}
}
