package uring

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/rings"
)

// kbufModel is the program side of the buffer-ownership property: which
// buffer ids the program holds (reported by a CQE and not yet given back)
// and which requests are still in flight.
type kbufModel struct {
	t        *rapid.T
	r        *Ring
	fs       FileSys
	legacy   bool
	nbufs    int
	bufs     []byte
	br       *BufRing
	held     map[uint16]bool
	inflight map[uint64]bool // user_data of requests with a CQE to come
	nextUD   uint64
	readers  []int
	writers  []int // -1 once closed
}

const (
	kbufSize  = 4
	kbufGroup = 3
)

// onCQE checks one CQE against the ledger: a buffer id is reported only
// while the program does not hold it (never handed out twice), and the
// request it ends leaves the in-flight set.
func (m *kbufModel) onCQE(cqe *rings.CQE) {
	if cqe.UserData == 0 {
		return // PROVIDE_BUFFERS of a recycle
	}
	if !m.inflight[cqe.UserData] {
		m.t.Fatalf("CQE for ud=%d, which is not in flight: %+v", cqe.UserData, rec(cqe))
	}
	if CQEHasBuffer(cqe) {
		bid := CQEBufferID(cqe)
		if int(bid) >= m.nbufs {
			m.t.Fatalf("CQE %+v names buffer %d of %d", rec(cqe), bid, m.nbufs)
		}
		if m.held[bid] {
			m.t.Fatalf("buffer %d handed out twice (CQE %+v)", bid, rec(cqe))
		}
		if cqe.Res > kbufSize {
			m.t.Fatalf("CQE %+v: more bytes than the buffer holds", rec(cqe))
		}
		m.held[bid] = true
	}
	if cqe.Flags&rings.IORING_CQE_F_MORE == 0 {
		delete(m.inflight, cqe.UserData)
	}
}

func (m *kbufModel) reap() {
	for {
		cqe, err := m.r.PeekCQE()
		if err != nil {
			return
		}
		m.onCQE(cqe)
		m.r.CQESeen(cqe)
	}
}

func (m *kbufModel) submit() {
	if _, err := m.r.Submit(); err != nil {
		m.t.Fatalf("submit: %v", err)
	}
}

func (m *kbufModel) sqe() *rings.SQE {
	sqe := m.r.GetSQE()
	if sqe == nil {
		m.submit()
		m.fs.Sleep(time.Microsecond)
		m.reap()
		sqe = m.r.GetSQE()
	}
	return sqe
}

// giveBack returns a held buffer to the kernel, as a program recycles it.
func (m *kbufModel) giveBack(bid uint16) {
	delete(m.held, bid)
	addr := addrOf(m.bufs) + uint64(bid)*kbufSize
	if m.legacy {
		sqe := m.sqe()
		PrepProvideBuffers(sqe, addr, kbufSize, 1, kbufGroup, bid)
		sqe.UserData = 0
		m.submit()
		return
	}
	BufRingAdd(m.br, addr, kbufSize, bid, BufRingMask(m.br.Entries), 0)
	BufRingAdvance(m.br, 1)
}

// TestBufferOwnershipProperty: over random programs of buffer-selecting
// reads, multishot reads, IOSQE_ASYNC reads, reads that fail after
// selecting, writes and recycles on pipes (so requests wait, arm polls,
// retry after -EAGAIN and run on io-wq), a buffer id is never held by two
// requests or reported twice without being given back; and after
// quiescence every id is either still provided (in the ring between head
// and tail, or in the legacy group) or held by the program from exactly
// one CQE: no buffer is ever lost.
func TestBufferOwnershipProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64Range(1, 1<<30).Draw(rt, "seed")
		machine := NewSimMachine(SimConfig{Seed: seed})
		defer machine.Close()
		be := machine.Backend()
		fs, _ := Files(be)
		m := &kbufModel{t: rt, fs: fs, held: map[uint16]bool{}, inflight: map[uint64]bool{}, nextUD: 1}
		m.legacy = rapid.Bool().Draw(rt, "legacy")
		m.nbufs = rapid.IntRange(1, 6).Draw(rt, "nbufs")
		var flags uint32
		if rapid.Bool().Draw(rt, "defer_taskrun") {
			flags = rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN
		}
		var err error
		if m.r, err = New(be, 16, &Params{Flags: flags}); err != nil {
			rt.Fatal(err)
		}
		defer m.r.Close()
		if m.bufs, err = be.Alloc(uint64(m.nbufs) * kbufSize); err != nil {
			rt.Fatal(err)
		}
		if m.legacy {
			sqe := m.sqe()
			PrepProvideBuffers(sqe, addrOf(m.bufs), kbufSize, int32(m.nbufs), kbufGroup, 0)
			m.submit()
		} else {
			if m.br, err = m.r.SetupBufRing(8, kbufGroup, 0); err != nil {
				rt.Fatal(err)
			}
			for i := range m.nbufs {
				BufRingAdd(m.br, addrOf(m.bufs)+uint64(i)*kbufSize, kbufSize, uint16(i), BufRingMask(8), i)
			}
			BufRingAdvance(m.br, m.nbufs)
		}
		npipes := rapid.IntRange(1, 3).Draw(rt, "pipes")
		for range npipes {
			pr, pw, err := fs.Pipe()
			if err != nil {
				rt.Fatal(err)
			}
			m.readers, m.writers = append(m.readers, pr), append(m.writers, pw)
		}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for i := range steps {
			p := rapid.IntRange(0, npipes-1).Draw(rt, fmt.Sprint("pipe", i))
			switch rapid.IntRange(0, 6).Draw(rt, fmt.Sprint("action", i)) {
			case 0, 1: // a buffer-selecting read, maybe forced to io-wq
				sqe := m.sqe()
				PrepReadBufferSelect(sqe, int32(m.readers[p]), 0, 0, kbufGroup)
				if rapid.Bool().Draw(rt, fmt.Sprint("async", i)) {
					sqe.Flags |= rings.IOSQE_ASYNC
				}
				sqe.UserData = m.nextUD
				m.inflight[m.nextUD] = true
				m.nextUD++
				m.submit()
			case 2: // a multishot read
				sqe := m.sqe()
				PrepReadMultishot(sqe, int32(m.readers[p]), 0, 0, kbufGroup)
				sqe.UserData = m.nextUD
				m.inflight[m.nextUD] = true
				m.nextUD++
				m.submit()
			case 3: // a read that fails after selecting: the write end
				if m.writers[p] < 0 {
					continue
				}
				sqe := m.sqe()
				PrepReadBufferSelect(sqe, int32(m.writers[p]), 0, 0, kbufGroup)
				sqe.UserData = m.nextUD
				m.inflight[m.nextUD] = true
				m.nextUD++
				m.submit()
			case 4: // data
				if m.writers[p] < 0 {
					continue
				}
				n := rapid.IntRange(1, 9).Draw(rt, fmt.Sprint("bytes", i))
				if _, err := fs.Write(m.writers[p], make([]byte, n)); err != nil {
					rt.Fatalf("write: %v", err)
				}
			case 5: // give a held buffer back
				for bid := range uint16(m.nbufs) {
					if m.held[bid] {
						m.giveBack(bid)
						break
					}
				}
			case 6:
				fs.Sleep(time.Duration(rapid.IntRange(0, 50).Draw(rt, fmt.Sprint("sleep", i))) * time.Microsecond)
			}
			m.reap()
		}
		// Quiescence: every writer closes, so every read ends (EOF, or
		// -ENOBUFS); then the ledger must balance.
		for i, w := range m.writers {
			if w >= 0 {
				fs.Close(w)
				m.writers[i] = -1
			}
		}
		for len(m.inflight) > 0 {
			// Bounded in virtual time: a request that never completes
			// is a lost request (and a lost buffer), not a hang.
			if _, err := m.r.WaitCQETimeout(time.Second); err != nil {
				rt.Fatalf("waiting for requests %v: %v", m.inflight, err)
			}
			m.reap()
		}
		provided := map[uint16]bool{}
		if m.legacy {
			sqe := m.sqe()
			PrepRemoveBuffers(sqe, int32(m.nbufs+1), kbufGroup)
			sqe.UserData = m.nextUD
			m.inflight[m.nextUD] = true
			m.submit()
			cqe, err := m.r.WaitCQETimeout(time.Second)
			if err != nil {
				rt.Fatal(err)
			}
			for cqe.UserData != m.nextUD {
				m.onCQE(cqe)
				m.r.CQESeen(cqe)
				if cqe, err = m.r.WaitCQETimeout(time.Second); err != nil {
					rt.Fatal(err)
				}
			}
			if int(cqe.Res)+len(m.held) != m.nbufs {
				rt.Fatalf("%d buffers left in the group and %d held, of %d", cqe.Res, len(m.held), m.nbufs)
			}
			m.r.CQESeen(cqe)
			return
		}
		head, err := m.r.BufRingHead(kbufGroup)
		if err != nil {
			rt.Fatal(err)
		}
		for slot := head; slot != m.br.View.LoadTail(); slot++ {
			bid := m.br.View.Bid(slot)
			if provided[bid] || m.held[bid] {
				rt.Fatalf("buffer %d both provided and held (or provided twice): head %d tail %d",
					bid, head, m.br.View.LoadTail())
			}
			provided[bid] = true
		}
		if len(provided)+len(m.held) != m.nbufs {
			rt.Fatalf("buffers lost: %d provided, %d held, of %d", len(provided), len(m.held), m.nbufs)
		}
	})
}
