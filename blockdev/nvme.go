package blockdev

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Config describes a namespace. Zero fields take the defaults in brackets.
type Config struct {
	LBASize    int           // logical block size in bytes, 512 or 4096 [4096]
	Capacity   uint64        // size in logical blocks [256]
	Latency    time.Duration // shortest time a command takes [10µs]
	Jitter     time.Duration // most a command may take beyond Latency, chosen per command [Latency]
	QueueDepth int           // commands in flight per queue [32]
	// NoWriteCache: the device has no volatile write cache (VWC clear):
	// a write is durable when it completes and Flush has nothing to do.
	NoWriteCache bool
	Data         []byte // initial contents, durable (zero-filled past its end)
}

// Limits of a simulated namespace.
const (
	MaxCapacityBytes = 256 << 20 // the largest namespace, in bytes
	MaxQueueDepth    = 1023      // NVMe queue entries minus one
)

// ChooseLatency is the kind of the recorded choice that fixes each
// command's latency (and so the order in which commands complete);
// ChooseCrashPersist decides, at a crash, whether an unflushed write had
// reached the media.
const (
	ChooseLatency      = sim.ChooseUser + 8
	ChooseCrashPersist = sim.ChooseUser + 9
)

// latencySteps is how many latencies a command may get between Latency and
// Latency+Jitter.
const latencySteps = 8

// Namespace is an NVMe namespace behind its controller's queues.
// Linux: drivers/nvme/host/nvme.h:struct nvme_ns
type Namespace struct {
	w    *sim.World
	cfg  Config
	nlba uint64
	lock sim.SpinLock // protects everything below

	media  media
	irq    queue // interrupt-driven I/O queue
	poll   queue // polled I/O queue (nvme poll_queues)
	seq    uint64
	epoch  uint64 // crashes so far: a command of an earlier epoch is aborted
	faults []*Fault
	cache  pageCache
	stats  Stats
}

// Stats counts what the device did, for tests and benchmarks.
type Stats struct {
	Reads, Writes, Flushes, Crashes uint64
	Polls, PolledDone               uint64
}

// queue is one submission/completion queue pair: a tag per command in
// flight, and the commands of a polled queue that have been issued but not
// reaped.
// Linux: drivers/nvme/host/pci.c:struct nvme_queue
type queue struct {
	polled   bool
	depth    int
	inflight int
	tagWait  sim.WaitQueueHead
	pending  []*command // polled: issued, not reaped, in submission order
}

// New creates a namespace on world w.
func New(w *sim.World, cfg Config) (*Namespace, error) {
	if cfg.LBASize == 0 {
		cfg.LBASize = 4096
	}
	if cfg.LBASize != 512 && cfg.LBASize != 4096 {
		return nil, fmt.Errorf("blockdev: LBA size %d: must be 512 or 4096", cfg.LBASize)
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = 256
	}
	if cfg.Capacity > MaxCapacityBytes/uint64(cfg.LBASize) {
		return nil, fmt.Errorf("blockdev: capacity %d blocks is over %d MiB", cfg.Capacity, MaxCapacityBytes>>20)
	}
	if cfg.Latency == 0 {
		cfg.Latency = 10 * time.Microsecond
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = cfg.Latency
	}
	if cfg.Latency < 0 || cfg.Jitter < 0 {
		return nil, fmt.Errorf("blockdev: negative latency")
	}
	if cfg.QueueDepth == 0 {
		cfg.QueueDepth = 32
	}
	if cfg.QueueDepth < 1 || cfg.QueueDepth > MaxQueueDepth {
		return nil, fmt.Errorf("blockdev: queue depth %d: must be 1 to %d", cfg.QueueDepth, MaxQueueDepth)
	}
	size := cfg.Capacity * uint64(cfg.LBASize)
	if uint64(len(cfg.Data)) > size {
		return nil, fmt.Errorf("blockdev: %d bytes of data do not fit in %d", len(cfg.Data), size)
	}
	ns := &Namespace{w: w, cfg: cfg, nlba: cfg.Capacity}
	ns.media.init(cfg.LBASize, size, cfg.Data)
	ns.irq.depth = cfg.QueueDepth
	ns.poll = queue{polled: true, depth: cfg.QueueDepth}
	return ns, nil
}

// Config returns the namespace's configuration with defaults filled in.
func (ns *Namespace) Config() Config { return ns.cfg }

// Size is the capacity in bytes.
func (ns *Namespace) Size() int64 { return int64(ns.nlba) * int64(ns.cfg.LBASize) }

// Stats returns the device's counters.
func (ns *Namespace) Stats() Stats { return ns.stats }

// NVMe command opcodes of the NVM command set, and the status codes the
// simulator completes commands with.
// Linux: include/linux/nvme.h:enum nvme_opcode, NVME_SC_*
const (
	nvmeCmdFlush = 0x00
	nvmeCmdWrite = 0x01
	nvmeCmdRead  = 0x02

	NVME_SC_SUCCESS        = 0x0
	NVME_SC_INVALID_OPCODE = 0x1
	NVME_SC_INVALID_FIELD  = 0x2
	NVME_SC_DATA_XFER      = 0x4
	NVME_SC_INTERNAL       = 0x6
	NVME_SC_ABORT_REQ      = 0x7
	NVME_SC_INVALID_NS     = 0xb
	NVME_SC_LBA_RANGE      = 0x80
	NVME_SC_WRITE_FAULT    = 0x280
	NVME_SC_READ_ERROR     = 0x281
	NVME_SC_DNR            = 0x4000
)

// command is one NVMe command in flight.
// Linux: drivers/nvme/host/nvme.h:struct nvme_request
type command struct {
	opcode uint8
	slba   uint64
	nlb    uint32   // blocks (not 0-based)
	segs   [][]byte // data buffers, nlb × LBA size in all (less for a short transfer)
	fua    bool
	due    time.Duration
	q      *queue
	seq    uint64
	epoch  uint64
	// what the device did: the bytes moved and the NVMe status
	bytes  int
	status uint16
	// completion: done for a block-layer transfer (bytes or -errno),
	// cmdDone for a passthrough command (status, result dword)
	done    vfs.DoneFunc
	cmdDone func(t *sim.Thread, token any, res int, res2 uint64)
	token   any
	// exec runs a command that is not a read, write or flush (admin
	// commands) when the device completes it.
	exec func(ns *Namespace, c *command)
	// finished: the device has completed it (polled queue, waiting to be
	// reaped); running: its data is being moved
	finished bool
}

// submit queues c on its queue: it waits for a free tag (or fails with
// -EAGAIN when nowait), draws the command's latency, and arranges its
// completion — a timer standing for the interrupt, or nothing for a
// polled queue (Iopoll finds it).
// Linux: block/blk-mq.c:blk_mq_submit_bio(), drivers/nvme/host/pci.c:nvme_queue_rq()
func (ns *Namespace) submit(t *sim.Thread, c *command, nowait bool) int {
	q := c.q
	ns.lock.Lock(t)
	for q.inflight >= q.depth || nowait && ns.faultFull() {
		if nowait {
			ns.consumeFullFault(q)
			ns.lock.Unlock(t)
			return -int(unix.EAGAIN)
		}
		ns.lock.Unlock(t)
		if vfs.WaitEvent(t, &q.tagWait, "nvme tag", func() bool { return q.inflight < q.depth }) != 0 {
			return -int(unix.EINTR)
		}
		ns.lock.Lock(t)
	}
	q.inflight++
	ns.seq++
	c.seq, c.epoch = ns.seq, ns.epoch
	pick := ns.w.Choose(t, ChooseLatency, latencySteps)
	lat := ns.cfg.Latency + ns.cfg.Jitter*time.Duration(pick)/(latencySteps-1)
	c.due = ns.w.Now() + lat
	if q.polled {
		q.pending = append(q.pending, c)
	}
	ns.lock.Unlock(t)
	if w := ns.w; w.Tracing() {
		w.Emit(t, "nvme_setup_cmd", sim.U("qid", qid(q)), sim.U("cid", c.seq), sim.U("opcode", uint64(c.opcode)),
			sim.U("slba", c.slba), sim.U("nlb", uint64(c.nlb)), sim.I("latency_ns", int64(lat)))
	}
	if !q.polled {
		ns.w.AfterFunc(t, lat, func(t *sim.Thread) { ns.completeIRQ(t, c) })
	}
	return -vfs.EIOCBQUEUED
}

func qid(q *queue) uint64 {
	if q.polled {
		return 2
	}
	return 1
}

// completeIRQ is the device finishing a command of the interrupt queue:
// the data moves, the tag is freed, and the completion runs in interrupt
// context.
// Linux: drivers/nvme/host/pci.c:nvme_irq(), nvme_handle_cqe()
func (ns *Namespace) completeIRQ(t *sim.Thread, c *command) {
	ns.lock.Lock(t)
	if !c.finished {
		ns.execute(t, c)
		c.finished = true
	}
	ns.irq.inflight--
	ns.lock.Unlock(t)
	ns.irq.tagWait.WakeUp(t, 0)
	ns.endCommand(t, c)
}

// Iopoll reaps the polled queue: every command whose time has come
// completes, in the order the device finished them, its done called from
// the caller. With spin and nothing finished yet, the caller spins —
// virtual time passes — until the earliest command in flight finishes.
// It returns the number of commands completed.
// Linux: drivers/nvme/host/pci.c:nvme_poll(), block/blk-mq.c:blk_mq_poll()
func (ns *Namespace) Iopoll(t *sim.Thread, spin bool) int {
	q := &ns.poll
	ns.lock.Lock(t)
	ns.stats.Polls++
	now := ns.w.Now()
	if spin && len(q.pending) != 0 && !ns.anyDue(q, now) {
		due := q.pending[0].due
		for _, c := range q.pending[1:] {
			due = min(due, c.due)
		}
		ns.lock.Unlock(t)
		t.Sleep(due - now) // busy polling until the first completion
		ns.lock.Lock(t)
		now = ns.w.Now()
	}
	var done []*command
	keep := q.pending[:0]
	for _, c := range q.pending {
		if c.finished || c.due <= now {
			done = append(done, c)
		} else {
			keep = append(keep, c)
		}
	}
	clear(q.pending[len(keep):])
	q.pending = keep
	sortByDue(done)
	for _, c := range done {
		if !c.finished {
			ns.execute(t, c)
			c.finished = true
		}
	}
	q.inflight -= len(done)
	ns.stats.PolledDone += uint64(len(done))
	ns.lock.Unlock(t)
	if len(done) != 0 {
		q.tagWait.WakeUp(t, 0)
	}
	for _, c := range done {
		ns.endCommand(t, c)
	}
	return len(done)
}

// anyDue reports whether a command of q has finished by now.
func (ns *Namespace) anyDue(q *queue, now time.Duration) bool {
	for _, c := range q.pending {
		if c.finished || c.due <= now {
			return true
		}
	}
	return false
}

// sortByDue orders commands by completion time, then submission (an
// insertion sort: a poll reaps few).
func sortByDue(cs []*command) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && (cs[j].due < cs[j-1].due || cs[j].due == cs[j-1].due && cs[j].seq < cs[j-1].seq); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// endCommand runs a finished command's completion.
// Linux: drivers/nvme/host/core.c:nvme_complete_rq(), block/blk-mq.c:blk_mq_end_request()
func (ns *Namespace) endCommand(t *sim.Thread, c *command) {
	if w := ns.w; w.Tracing() {
		w.Emit(t, "nvme_complete_rq", sim.U("qid", qid(c.q)), sim.U("cid", c.seq), sim.X("status", uint64(c.status)),
			sim.I("bytes", int64(c.bytes)))
	}
	switch {
	case c.cmdDone != nil:
		c.cmdDone(t, c.token, int(c.status), 0)
	case c.done != nil:
		res := c.bytes
		if c.status != NVME_SC_SUCCESS {
			res = statusErrno(c.status)
		}
		c.done(t, c.token, res)
	}
}

// statusErrno maps an NVMe status to what the block layer returns.
// Linux: drivers/nvme/host/core.c:nvme_error_status(), block/blk-core.c:blk_status_to_errno()
func statusErrno(status uint16) int {
	switch status &^ NVME_SC_DNR {
	case NVME_SC_SUCCESS:
		return 0
	case NVME_SC_LBA_RANGE, NVME_SC_INVALID_NS:
		return -int(unix.EREMOTEIO) // BLK_STS_TARGET
	case NVME_SC_INVALID_OPCODE, NVME_SC_INVALID_FIELD:
		return -int(unix.EOPNOTSUPP) // BLK_STS_NOTSUPP
	case NVME_SC_WRITE_FAULT, NVME_SC_READ_ERROR:
		return -int(unix.ENODATA) // BLK_STS_MEDIUM
	}
	return -int(unix.EIO) // BLK_STS_IOERR
}

// execute moves a command's data at the moment the device completes it.
// Called with ns.lock held.
func (ns *Namespace) execute(t *sim.Thread, c *command) {
	if c.epoch != ns.epoch { // submitted before a crash
		c.status = NVME_SC_ABORT_REQ
		return
	}
	if c.status != NVME_SC_SUCCESS { // refused when it was built
		return
	}
	if c.exec != nil {
		c.exec(ns, c)
		return
	}
	lbs := uint64(ns.cfg.LBASize)
	want := int(uint64(c.nlb) * lbs)
	if c.opcode != nvmeCmdFlush && (c.slba >= ns.nlba || uint64(c.nlb) > ns.nlba-c.slba) {
		c.status = NVME_SC_LBA_RANGE | NVME_SC_DNR
		return
	}
	n := want
	switch f := ns.faultFor(c); {
	case f == nil:
	case f.Kind == FaultShort && c.cmdDone != nil:
		c.status = NVME_SC_DATA_XFER // a command moves all its blocks or fails
		return
	case f.Kind == FaultShort:
		n = shortLen(want, int(lbs))
	default:
		c.status = f.status(c.opcode)
		return
	}
	switch c.opcode {
	case nvmeCmdRead:
		ns.stats.Reads++
		ns.media.read(c.slba*lbs, c.segs, n)
	case nvmeCmdWrite:
		ns.stats.Writes++
		ns.media.write(c.slba*lbs, c.segs, n, c.fua || ns.cfg.NoWriteCache)
	case nvmeCmdFlush:
		ns.stats.Flushes++
		ns.media.flush()
	}
	c.bytes = n
}

// shortLen is what a short transfer moves: half the blocks, at least one
// block less than asked (0 for a one-block transfer).
func shortLen(want, lbs int) int {
	blocks := want / lbs
	return blocks / 2 * lbs
}

// Crash is a power loss: the volatile write cache and the page cache are
// gone, each unflushed write having reached the media whole or not at all
// (a recorded choice each); commands in flight fail with an abort status.
// Afterwards the namespace reads as its media.
func (ns *Namespace) Crash(t *sim.Thread) {
	ns.lock.Lock(t)
	ns.stats.Crashes++
	ns.media.crash(func() bool { return ns.w.Choose(t, ChooseCrashPersist, 2) == 1 })
	ns.cache.drop()
	ns.epoch++
	ns.lock.Unlock(t)
	if w := ns.w; w.Tracing() {
		w.Emit(t, "nvme_crash", sim.U("epoch", ns.epoch))
	}
}
