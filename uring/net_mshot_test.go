package uring

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

var mshotSeeds = flag.Int("net.mshot.seeds", 2000, "seeds TestRecvMultishotShutdownSeeds sweeps")

// TestRecvMultishotShutdownSeeds is museum M3's mechanism under many
// schedules: a multishot receive into a small buffer ring while the peer
// sends chunks of random size and then shuts down its write side. The
// receiver recycles buffers late and at random, so the receive also runs
// out of buffers (-ENOBUFS, re-armed). On every seed: the last CQE is a
// 0 without IORING_CQE_F_MORE, the bytes received are exactly the bytes
// sent, in order, no buffer id is handed out twice before it is given
// back, and at the end every buffer is back in the ring.
func TestRecvMultishotShutdownSeeds(t *testing.T) {
	n := *mshotSeeds
	if testing.Short() {
		n = 200
	}
	rearmed := 0
	for seed := 1; seed <= n; seed++ {
		arms, err := recvMshotShutdown(uint64(seed))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if arms > 1 {
			rearmed++
		}
	}
	// The sweep must reach the buffer-exhaustion path, and not only it.
	if rearmed == 0 || rearmed == n {
		t.Errorf("%d of %d seeds ran out of buffers and re-armed: the sweep misses a path", rearmed, n)
	}
	t.Logf("%d of %d seeds re-armed after -ENOBUFS", rearmed, n)
}

// recvMshotShutdown runs one seed; it returns how many receives it armed.
func recvMshotShutdown(seed uint64) (uint64, error) {
	var arms uint64
	const nbufs, bufSize, bgid = 8, 32, 1
	m := NewSimMachine(SimConfig{Seed: seed})
	defer m.Close()
	be := m.Backend()
	rnd := rand.New(rand.NewPCG(seed, 0x6d73686f74))
	r, err := New(be, 64, nil)
	if err != nil {
		return arms, err
	}
	defer r.Close()
	fs, err := Files(be)
	if err != nil {
		return arms, err
	}
	a, b, err := fs.Socketpair(unix.SOCK_STREAM)
	if err != nil {
		return arms, err
	}
	defer fs.Close(a)
	defer fs.Close(b)
	bufs, err := be.Alloc(nbufs * bufSize)
	if err != nil {
		return arms, err
	}
	defer be.Free(bufs)
	br, err := r.SetupBufRing(nbufs, bgid, 0)
	if err != nil {
		return arms, err
	}
	mask := BufRingMask(nbufs)
	recycle := func(bids []uint16) {
		for i, bid := range bids {
			BufRingAdd(br, addrOf(bufs)+uint64(bid)*bufSize, bufSize, bid, mask, i)
		}
		BufRingAdvance(br, len(bids))
	}
	all := make([]uint16, nbufs)
	for i := range all {
		all[i] = uint16(i)
	}
	recycle(all)
	var sent, got []byte
	var out []uint16 // buffer ids handed to us and not yet given back
	isOut := func(bid uint16) bool {
		for _, o := range out {
			if o == bid {
				return true
			}
		}
		return false
	}
	armed := false
	arm := func() error {
		arms++
		sqe := r.GetSQE()
		PrepRecvMultishot(sqe, int32(a), 0, 0, 0)
		sqe.Flags |= rings.IOSQE_BUFFER_SELECT
		sqe.SetBufGroup(bgid)
		sqe.UserData = arms
		if _, err := r.Submit(); err != nil {
			return err
		}
		armed = true
		return nil
	}
	eof := false
	// handle takes one CQE; it reports a protocol violation.
	handle := func(c *rings.CQE) error {
		defer r.CQESeen(c)
		if c.UserData != arms || !armed {
			return fmt.Errorf("CQE %+v of a receive that already ended (current %d)", *c, arms)
		}
		more := c.Flags&rings.IORING_CQE_F_MORE != 0
		switch {
		case c.Res > 0:
			if c.Flags&rings.IORING_CQE_F_BUFFER == 0 {
				return fmt.Errorf("data CQE %+v without a buffer", *c)
			}
			bid := uint16(c.Flags >> rings.IORING_CQE_BUFFER_SHIFT)
			if bid >= nbufs || isOut(bid) || c.Res > bufSize {
				return fmt.Errorf("CQE %+v: buffer %d handed out twice or out of range (out %v)", *c, bid, out)
			}
			out = append(out, bid)
			got = append(got, bufs[int(bid)*bufSize:int(bid)*bufSize+int(c.Res)]...)
		case c.Res == 0:
			if more {
				return fmt.Errorf("EOF CQE %+v with F_MORE", *c)
			}
			if c.Flags&rings.IORING_CQE_F_BUFFER != 0 {
				return fmt.Errorf("EOF CQE %+v kept a buffer", *c)
			}
			eof = true
		case c.Res == -int32(unix.ENOBUFS):
			if more {
				return fmt.Errorf("-ENOBUFS CQE %+v with F_MORE", *c)
			}
		default:
			return fmt.Errorf("unexpected CQE %+v", *c)
		}
		if !more {
			armed = false
		}
		return nil
	}
	giveBack := func(all bool) {
		k := len(out)
		if !all {
			k = rnd.IntN(len(out) + 1)
		}
		recycle(out[:k])
		out = append(out[:0], out[k:]...)
	}
	if err := arm(); err != nil {
		return arms, err
	}
	for range 4 + rnd.IntN(12) {
		chunk := make([]byte, 1+rnd.IntN(3*bufSize))
		for i := range chunk {
			chunk[i] = byte(len(sent) + i)
		}
		if _, err := fs.Write(b, chunk); err != nil {
			return arms, err
		}
		sent = append(sent, chunk...)
		for rnd.IntN(2) == 0 {
			c, err := r.PeekCQE()
			if err != nil {
				break
			}
			if err := handle(c); err != nil {
				return arms, err
			}
		}
		if rnd.IntN(3) == 0 {
			giveBack(false)
		}
		if !armed && rnd.IntN(2) == 0 {
			giveBack(true)
			if err := arm(); err != nil {
				return arms, err
			}
		}
	}
	if err := fs.Shutdown(b, unix.SHUT_WR); err != nil {
		return arms, err
	}
	for !eof {
		if !armed {
			giveBack(true)
			if err := arm(); err != nil {
				return arms, err
			}
		}
		c, err := r.WaitCQE()
		if err != nil {
			return arms, fmt.Errorf("waiting for the final CQE: %v (got %d of %d bytes)", err, len(got), len(sent))
		}
		if err := handle(c); err != nil {
			return arms, err
		}
		if armed && len(out) == nbufs {
			giveBack(rnd.IntN(2) == 0)
		}
	}
	if n := r.CQReady(); n != 0 {
		return arms, fmt.Errorf("%d CQEs after the final one", n)
	}
	if !bytes.Equal(got, sent) {
		return arms, fmt.Errorf("received %d bytes, sent %d, or not the same bytes", len(got), len(sent))
	}
	giveBack(true)
	if avail, err := r.BufRingAvailable(br); err != nil || avail != nbufs {
		return arms, fmt.Errorf("%d of %d buffers back in the ring (%v)", avail, nbufs, err)
	}
	return arms, nil
}
