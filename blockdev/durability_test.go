package blockdev

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// writeOp is one generated direct write: blocks [lba, lba+n) filled with
// the write's own byte, optionally FUA.
type writeOp struct {
	lba, n int
	fua    bool
	val    byte // 1 + the write's index: unique, never the initial 0
}

// TestDurabilityProperty: after a crash, every block reads as the last
// write to it that was durable before the crash — acknowledged before a
// completed flush was submitted, or FUA — or as a write to it that came
// later; an unflushed multi-block write is never torn (where one of its
// blocks shows it, the others show it or something newer).
func TestDurabilityProperty(t *testing.T) {
	const blocks = 16
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		w := sim.NewWorld(sim.Config{Seed: seed})
		defer w.Shutdown()
		m := w.Main()
		ns, err := New(w, Config{LBASize: 512, Capacity: blocks, Latency: 5 * time.Microsecond, Jitter: 40 * time.Microsecond})
		if err != nil {
			rt.Fatal(err)
		}
		f := ns.OpenBlock(1, unix.O_RDWR|unix.O_DIRECT)

		var ops []writeOp
		var completed []int // op indexes in the order the device acknowledged them
		durableUpTo := -1   // ops acknowledged before the last completed flush began: completed[:durableUpTo+1]
		fuaDone := map[int]bool{}
		inflight := 0
		var wq sim.WaitQueueHead
		waitAll := func() {
			vfs.WaitEvent(m, &wq, "writes", func() bool { return inflight == 0 })
		}
		steps := rapid.IntRange(1, 25).Draw(rt, "steps")
		for range steps {
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0: // flush: what completed before it started is durable after it
				waitAll()
				before := len(completed) - 1
				if ret := ns.Flush(m); ret != 0 {
					rt.Fatalf("flush: %d", ret)
				}
				durableUpTo = before
			case 1: // wait for the writes in flight
				waitAll()
			default: // a write, not waited for
				lba := rapid.IntRange(0, blocks-1).Draw(rt, "lba")
				op := writeOp{lba: lba, n: rapid.IntRange(1, min(4, blocks-lba)).Draw(rt, "n"),
					fua: rapid.Bool().Draw(rt, "fua"), val: byte(len(ops) + 1)}
				i := len(ops)
				ops = append(ops, op)
				buf := make([]byte, op.n*512)
				for j := range buf {
					buf[j] = op.val
				}
				inflight++
				io := &vfs.Kiocb{Write: true, Segs: [][]byte{buf}, Pos: int64(lba * 512), DSync: op.fua,
					Done: func(t *sim.Thread, _ any, res int) {
						if res != len(buf) {
							panic(fmt.Sprintf("write %d: res %d", i, res))
						}
						completed = append(completed, i)
						if op.fua {
							fuaDone[i] = true
						}
						inflight--
						wq.WakeUp(t, 0)
					}}
				if ret := f.Op.(vfs.DirectIO).DirectIO(m, f, io); ret != -vfs.EIOCBQUEUED {
					rt.Fatalf("write %d: %d", i, ret)
				}
			}
		}
		waitAll()
		ns.Crash(m)
		got := ns.Durable(0, blocks*512)

		// Per block: the writes to it in acknowledgement order, and the
		// position of the last durable one.
		pos := map[int]int{} // op index -> acknowledgement position
		for p, i := range completed {
			pos[i] = p
		}
		for b := range blocks {
			var hist []int // acknowledgement positions of writes to b
			last := -1     // position in hist of the last durable write
			for p, i := range completed {
				o := ops[i]
				if b >= o.lba && b < o.lba+o.n {
					hist = append(hist, p)
					if p <= durableUpTo || fuaDone[i] {
						last = len(hist) - 1
					}
				}
			}
			v := got[b*512]
			for k := 1; k < 512; k++ {
				if got[b*512+k] != v {
					rt.Fatalf("block %d is torn inside: %v", b, got[b*512:b*512+512])
				}
			}
			allowed := map[byte]bool{}
			if last < 0 {
				allowed[0] = true
			}
			for h := max(last, 0); h < len(hist); h++ {
				allowed[ops[completed[hist[h]]].val] = true
			}
			if !allowed[v] {
				rt.Fatalf("block %d reads write %d after the crash; allowed %v (history %v, last durable %d)", b, v, allowed, hist, last)
			}
		}
		// No unflushed write torn across its blocks.
		for i, o := range ops {
			shows, other := false, -1
			for b := o.lba; b < o.lba+o.n; b++ {
				v := got[b*512]
				if v == o.val {
					shows = true
					continue
				}
				if v == 0 || pos[int(v)-1] < pos[i] { // older than o, or nothing
					other = b
				}
			}
			if shows && other >= 0 {
				rt.Fatalf("write %d (blocks %d+%d) is torn: block %d holds older data", i, o.lba, o.n, other)
			}
		}
	})
}
