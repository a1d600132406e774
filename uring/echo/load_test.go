package echo

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// loadConfig describes the clients a load drives.
type loadConfig struct {
	Conns  int    // connections in all
	Window int    // connections open at once
	Rounds int    // messages each connection sends and reads back
	MinMsg int    // message sizes are MinMsg..MaxMsg bytes
	MaxMsg int    //
	Seed   uint64 // message sizes and contents
}

// Client request kinds (the low byte of user_data; the slot above it).
const (
	cConnect = iota + 1
	cSend
	cRecv
	cShutdown
	cEOF // the receive after shutdown, which must read 0
)

type client struct {
	id        int // which connection, 0..Conns-1
	fd        int32
	round     int
	msg       []byte // the current message (in the slot's send memory)
	sent, got int
	recvBuf   []byte
	busy      int // requests in flight
	finishing bool
}

// load is a set of echo clients on their own ring of the same backend:
// each connects to 127.0.0.1:port, sends Rounds messages, reading each
// one's echo back completely before the next, then shuts its write side
// down and reads until end of stream, which must come with no byte more.
type load struct {
	cfg     loadConfig
	r       *uring.Ring
	fs      uring.FileSys
	mem     []byte
	addr    []byte // struct sockaddr_in of the server, in mem
	slots   []*client
	free    []int // free slots
	started int
	done    int
	bytes   uint64 // bytes echoed back and checked
	rnd     *rand.Rand
	err     error
}

func newLoad(be uring.Backend, port uint16, cfg loadConfig) (*load, error) {
	r, err := uring.New(be, 256, nil)
	if err != nil {
		return nil, err
	}
	fs, err := uring.Files(be)
	if err != nil {
		r.Close()
		return nil, err
	}
	mem, err := be.Alloc(uint64(cfg.Window*2*cfg.MaxMsg + 64))
	if err != nil {
		r.Close()
		return nil, err
	}
	l := &load{cfg: cfg, r: r, fs: fs, mem: mem, rnd: rand.New(rand.NewPCG(cfg.Seed, 0xec40))}
	sa := uring.SockaddrInet4([4]byte{127, 0, 0, 1}, port)
	l.addr = mem[cfg.Window*2*cfg.MaxMsg:][:len(sa)]
	copy(l.addr, sa)
	l.slots = make([]*client, cfg.Window)
	for i := cfg.Window - 1; i >= 0; i-- {
		l.free = append(l.free, i)
	}
	return l, nil
}

func (l *load) close() {
	for _, c := range l.slots {
		if c != nil {
			l.fs.Close(int(c.fd))
		}
	}
	l.r.Close()
	l.r.Backend().Free(l.mem)
}

func (l *load) finished() bool { return l.done == l.cfg.Conns || l.err != nil }

func (l *load) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf(format, args...)
	}
}

func (l *load) sqe(slot, kind int) *rings.SQE {
	sqe := l.r.GetSQE()
	if sqe == nil {
		if _, err := l.r.Submit(); err != nil {
			l.fail("client submit: %v", err)
		}
		if sqe = l.r.GetSQE(); sqe == nil {
			l.fail("client SQ full")
			return nil
		}
	}
	sqe.UserData = uint64(slot)<<8 | uint64(kind)
	return sqe
}

// start opens connections while there are free slots and connections
// left to make.
func (l *load) start() {
	for len(l.free) > 0 && l.started < l.cfg.Conns && l.err == nil {
		slot := l.free[len(l.free)-1]
		l.free = l.free[:len(l.free)-1]
		fd, err := l.fs.Socket()
		if err != nil {
			l.fail("socket: %v", err)
			return
		}
		base := slot * 2 * l.cfg.MaxMsg
		c := &client{id: l.started, fd: int32(fd), recvBuf: l.mem[base+l.cfg.MaxMsg : base+2*l.cfg.MaxMsg]}
		l.started++
		l.slots[slot] = c
		if sqe := l.sqe(slot, cConnect); sqe != nil {
			uring.PrepConnect(sqe, c.fd, uring.IovecOf(l.addr).Base, uint32(len(l.addr)))
			c.busy++
		}
	}
}

// nextMessage fills the slot's send memory with a message only this
// connection and round send: its id and round, then bytes from the
// load's random stream.
func (l *load) nextMessage(slot int, c *client) {
	n := l.cfg.MinMsg + l.rnd.IntN(l.cfg.MaxMsg-l.cfg.MinMsg+1)
	base := slot * 2 * l.cfg.MaxMsg
	c.msg = l.mem[base : base+n]
	for i := range c.msg {
		c.msg[i] = byte(l.rnd.Uint32())
	}
	tag := []byte(fmt.Sprintf("%d.%d:", c.id, c.round))
	copy(c.msg, tag)
	c.sent, c.got = 0, 0
}

func (l *load) postSend(slot int, c *client) {
	if sqe := l.sqe(slot, cSend); sqe != nil {
		uring.PrepSend(sqe, c.fd, uring.IovecOf(c.msg[c.sent:]).Base, uint32(len(c.msg)-c.sent), unix.MSG_NOSIGNAL)
		c.busy++
	}
}

func (l *load) postRecv(slot int, c *client, kind int) {
	n := len(c.msg) - c.got
	if kind == cEOF {
		n = len(c.recvBuf)
	}
	if sqe := l.sqe(slot, kind); sqe != nil {
		uring.PrepRecv(sqe, c.fd, uring.IovecOf(c.recvBuf).Base, uint32(n), 0)
		c.busy++
	}
}

func (l *load) beginRound(slot int, c *client) {
	l.nextMessage(slot, c)
	l.postRecv(slot, c, cRecv)
	l.postSend(slot, c)
}

func (l *load) handle(cqe rings.CQE) {
	slot, kind := int(cqe.UserData>>8), int(cqe.UserData&0xff)
	if slot >= len(l.slots) || l.slots[slot] == nil {
		l.fail("client CQE %+v of no connection", cqe)
		return
	}
	c := l.slots[slot]
	c.busy--
	res := cqe.Res
	if res < 0 && kind != cShutdown {
		l.fail("connection %d round %d: op %d failed: %v", c.id, c.round, kind, unix.Errno(-res))
		return
	}
	switch kind {
	case cConnect:
		l.beginRound(slot, c)
	case cSend:
		c.sent += int(res)
		if c.sent < len(c.msg) {
			l.postSend(slot, c)
		}
	case cRecv:
		if res == 0 {
			l.fail("connection %d round %d: end of stream after %d of %d bytes", c.id, c.round, c.got, len(c.msg))
			return
		}
		if !bytes.Equal(c.recvBuf[:res], c.msg[c.got:c.got+int(res)]) {
			l.fail("connection %d round %d: bytes %d..%d are not the ones it sent", c.id, c.round, c.got, c.got+int(res))
			return
		}
		c.got += int(res)
		l.bytes += uint64(res)
		if c.got < len(c.msg) {
			l.postRecv(slot, c, cRecv)
			return
		}
		c.round++
		if c.round < l.cfg.Rounds {
			l.beginRound(slot, c)
			return
		}
		c.finishing = true
		if sqe := l.sqe(slot, cShutdown); sqe != nil {
			uring.PrepShutdown(sqe, c.fd, unix.SHUT_WR)
			c.busy++
		}
		l.postRecv(slot, c, cEOF)
	case cShutdown:
		if res != 0 {
			l.fail("connection %d: shutdown: %v", c.id, unix.Errno(-res))
		}
	case cEOF:
		if res != 0 {
			l.fail("connection %d: %d bytes after its last echo (%q)", c.id, res, c.recvBuf[:res])
			return
		}
	}
	if c.finishing && c.busy == 0 {
		if err := l.fs.Close(int(c.fd)); err != nil {
			l.fail("connection %d: close: %v", c.id, err)
		}
		l.slots[slot] = nil
		l.free = append(l.free, slot)
		l.done++
	}
}

// poll submits, reaps and handles what is ready without blocking.
func (l *load) poll() int {
	l.start()
	if _, err := l.r.SubmitAndGetEvents(); err != nil && !transient(err) {
		l.fail("client submit: %v", err)
	}
	n := 0
	for l.err == nil {
		cqe, err := l.r.PeekCQE()
		if err != nil {
			break
		}
		c := *cqe
		l.r.CQESeen(cqe)
		l.handle(c)
		n++
	}
	l.start()
	if _, err := l.r.Submit(); err != nil && !transient(err) {
		l.fail("client submit: %v", err)
	}
	return n
}

// finish stops the server's accept and serves until its last connection
// is closed: the server closes each one before its client reads the end
// of stream, so the last closes may still be on their way.
func finish(s *Server, r *uring.Ring, idle time.Duration) error {
	if err := s.Stop(); err != nil {
		return err
	}
	for i := 0; s.Stats().Open > 0 && i < 2000; i++ {
		if n, err := s.Poll(); err != nil {
			return err
		} else if n == 0 {
			r.WaitCQETimeout(idle)
		}
	}
	return nil
}

// errStuck: nothing moved for too long.
var errStuck = errors.New("no progress")

// drive runs the server and the load from this goroutine until every
// connection is done: each turn polls both; a turn in which neither had
// anything waits on the clients' ring (the server's completions are
// posted meanwhile: the task's work runs in that wait). idle is that
// wait's bound; after maxIdle empty turns in a row it gives up.
func drive(s *Server, l *load, idle time.Duration, maxIdle int) error {
	empty := 0
	for !l.finished() {
		n, err := s.Poll()
		if err != nil {
			return err
		}
		n += l.poll()
		if n > 0 {
			empty = 0
			continue
		}
		if empty++; empty > maxIdle {
			return fmt.Errorf("%w: %d of %d connections done, server %+v", errStuck, l.done, l.cfg.Conns, s.Stats())
		}
		if _, err := l.r.WaitCQETimeout(idle); err != nil && !errors.Is(err, unix.ETIME) && !transient(err) {
			return err
		}
	}
	return l.err
}
