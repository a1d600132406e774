package iowq

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// Work flags (enum in io-wq.h), kept in Work.Flags. The hash bucket of
// hashed work sits in the bits from IO_WQ_HASH_SHIFT up.
const (
	IO_WQ_WORK_CANCEL     uint32 = 1
	IO_WQ_WORK_HASHED     uint32 = 2
	IO_WQ_WORK_UNBOUND    uint32 = 4
	IO_WQ_WORK_CONCURRENT uint32 = 16

	IO_WQ_HASH_SHIFT = 24 // upper 8 bits are used for hash key
)

// Hash buckets: hash_ptr(val, IO_WQ_HASH_ORDER) on a 64-bit kernel.
const (
	IO_WQ_HASH_ORDER      = 6
	IO_WQ_NR_HASH_BUCKETS = 1 << IO_WQ_HASH_ORDER
)

// Accounts (the index of WQ's acct array, and of MaxWorkers' counts; the
// same values as IO_WQ_BOUND and IO_WQ_UNBOUND).
const (
	IO_WQ_ACCT_BOUND = iota
	IO_WQ_ACCT_UNBOUND
	IO_WQ_ACCT_NR
)

// WORKER_IDLE_TIMEOUT is how long a worker sleeps idle before it exits
// (5 * HZ), on the world's clock.
const WORKER_IDLE_TIMEOUT = 5 * time.Second

// Defaults for Data fields left zero.
const (
	// DefaultNrCPUs is the simulated machine's CPU count.
	DefaultNrCPUs = 2
	// DefaultNprocLimit stands for RLIMIT_NPROC: the unbound account's
	// maximum and the cap of MaxWorkers.
	DefaultNprocLimit = 4096
)

// Worker flags (IO_WORKER_F_* bit numbers as masks).
const (
	ioWorkerFUp      uint32 = 1 << 0 // up and active
	ioWorkerFRunning uint32 = 1 << 1 // account as running
	ioWorkerFFree    uint32 = 1 << 2 // worker on free list
)

// CancelResult is what Cancel found (enum io_wq_cancel).
type CancelResult int

const (
	// IO_WQ_CANCEL_OK: cancelled before it started (handed to the cancel
	// path, see Cancel).
	IO_WQ_CANCEL_OK CancelResult = iota
	// IO_WQ_CANCEL_RUNNING: found running; IO_WQ_WORK_CANCEL was set on it.
	IO_WQ_CANCEL_RUNNING
	// IO_WQ_CANCEL_NOTFOUND: no such work.
	IO_WQ_CANCEL_NOTFOUND
)

// String returns the kernel's name.
func (r CancelResult) String() string {
	switch r {
	case IO_WQ_CANCEL_OK:
		return "IO_WQ_CANCEL_OK"
	case IO_WQ_CANCEL_RUNNING:
		return "IO_WQ_CANCEL_RUNNING"
	case IO_WQ_CANCEL_NOTFOUND:
		return "IO_WQ_CANCEL_NOTFOUND"
	}
	return "CancelResult(" + strconv.Itoa(int(r)) + ")"
}

// Work is one item of async work (struct io_wq_work), embedded in the
// caller's request. Set Flags (IO_WQ_WORK_UNBOUND, IO_WQ_WORK_CONCURRENT,
// HashWork) and Item before Enqueue; a Work is queued at most once at a
// time.
type Work struct {
	// Flags holds IO_WQ_WORK_* and, for hashed work, the bucket in the top
	// bits (atomic_t flags).
	Flags atomic.Uint32
	// Item is the request; set by the user, never touched by iowq.
	Item any
	// ID identifies the work in trace events (the kernel puts the request's
	// id here); iowq never prints addresses.
	ID uint64
	// CancelSeq is free for the cancellation code (io_wq_work.cancel_seq).
	CancelSeq int

	next     *Work         // io_wq_work_node
	queuedAt time.Duration // when insertWork queued it (lost-wakeup oracle)
}

// hashed is io_wq_is_hashed.
// Linux: io_uring/io-wq.h:__io_wq_is_hashed()
func isHashed(flags uint32) bool { return flags&IO_WQ_WORK_HASHED != 0 }

// workHash is __io_get_work_hash.
// Linux: io_uring/io-wq.c:__io_get_work_hash()
func workHash(flags uint32) uint32 { return flags >> IO_WQ_HASH_SHIFT }

// HashWork marks w hashed on key: work with the same hash bucket never runs
// in parallel on io-wqs sharing a Hash (the kernel passes file_inode(file)).
// The bucket is hash_ptr(key, IO_WQ_HASH_ORDER), the golden-ratio hash of
// the key's top bits. Only bound work may be hashed: the buckets' list
// tails (wq->hash_tail) are shared by both accounts, and the kernel hashes
// only regular-file work, which is never IO_WQ_WORK_UNBOUND.
// Linux: io_uring/io-wq.c:io_wq_hash_work()
func HashWork(w *Work, key uint64) {
	bit := HashBucket(key)
	w.Flags.Or(IO_WQ_WORK_HASHED | bit<<IO_WQ_HASH_SHIFT)
}

// HashBucket returns the bucket HashWork uses for key (hash_64(key, 6)).
// Linux: include/linux/hash.h:hash_64()
func HashBucket(key uint64) uint32 {
	const goldenRatio64 = 0x61C8864680B583EB
	return uint32((key * goldenRatio64) >> (64 - IO_WQ_HASH_ORDER))
}

// Hash is the hash state shared by every io-wq of a ring (struct
// io_wq_hash, ctx->hash_map): which buckets are running somewhere, and the
// wait queue stalled io-wqs wait on.
// Linux: io_uring/io-wq.h:struct io_wq_hash
type Hash struct {
	hmap atomic.Uint64 // bit per bucket: running
	wait sim.WaitQueueHead
}

// NewHash returns an empty hash state (one per ring, ctx->hash_map).
// Linux: io_uring/tctx.c:io_init_wq_offload()
func NewHash() *Hash { return &Hash{} }

// testAndSet is test_and_set_bit(hash, &map).
func (h *Hash) testAndSet(bit uint32) bool {
	m := uint64(1) << bit
	return h.hmap.Or(m)&m != 0
}

// test is test_bit(hash, &map).
func (h *Hash) test(bit uint32) bool { return h.hmap.Load()&(uint64(1)<<bit) != 0 }

// clear is clear_bit(hash, &map).
func (h *Hash) clear(bit uint32) { h.hmap.And(^(uint64(1) << bit)) }

// Running reports whether some worker runs work of bucket bit.
func (h *Hash) Running(bit uint32) bool { return h.test(bit) }

// Bugs re-creates fixed kernel bugs (museum mode). All off is Linux 6.18.
type Bugs struct {
	// IOWQCheckOutsideLock (M11) brings back the race fixed by
	// 87df7fb922d1 ("io-wq: fix wakeup race when adding new work"):
	// Enqueue inserts the work, releases the lock, then reads nr_running
	// and, seeing it non-zero, wakes nobody. The last running worker may
	// have found the list empty just before the insert and then go to
	// sleep (dropping nr_running to 0): the work waits, unserved, until
	// that worker's WORKER_IDLE_TIMEOUT (Stats.IdleFound counts it; the
	// kernel's liveness check reports it as soon as nothing can run).
	// Work marked IO_WQ_WORK_CONCURRENT (IOSQE_ASYNC) skips the
	// nr_running test and never loses the wakeup.
	IOWQCheckOutsideLock bool
}

// Data is what the creator passes to Create (struct io_wq_data plus the
// io_wq_submit_work / io_wq_free_work callbacks and the machine's limits).
type Data struct {
	// Hash is the ring's shared hash state; nil gives the io-wq its own.
	Hash *Hash
	// Task names the owner (its pid as text): workers are "iou-wrk-<Task>".
	// Empty means the id of the thread passed to Create.
	Task string
	// DoWork runs one work item on thread t (io_wq_submit_work). It also
	// runs for cancelled work, with IO_WQ_WORK_CANCEL set, so the request
	// completes with -ECANCELED (io_run_cancel); that call is made on the
	// cancelling thread. When DoWork sleeps on a worker, the worker's
	// sim.SchedHooks tell the io-wq (io_wq_worker_sleeping), which may start
	// another worker for queued work.
	DoWork func(t *sim.Thread, w *Work)
	// FreeWork drops the io-wq's reference to w once DoWork returned
	// (io_wq_free_work) and returns the linked next work to run, or nil.
	// Non-hashed linked work runs next on the same worker; hashed linked
	// work is enqueued.
	FreeWork func(t *sim.Thread, w *Work) *Work
	// ShareFiles, if set, is called before each worker's thread starts:
	// the worker shares its owner's descriptor table (create_io_thread's
	// CLONE_FILES), so the owner's fdget can no longer borrow.
	ShareFiles func()
	// NrCPUs is the machine's CPU count (the affinity mask's width); 0 is
	// DefaultNrCPUs.
	NrCPUs int
	// NprocLimit is RLIMIT_NPROC: the unbound account's maximum and the cap
	// of MaxWorkers; 0 is DefaultNprocLimit.
	NprocLimit uint32
	// Bugs switches museum bugs on.
	Bugs Bugs
}

// BoundedWorkers is the bound account's size the kernel passes to Create:
// min(sq_entries, 4 * num_online_cpus()).
// Linux: io_uring/tctx.c:io_init_wq_offload()
func BoundedWorkers(entries uint32, nrCPUs int) uint32 {
	if nrCPUs <= 0 {
		nrCPUs = DefaultNrCPUs
	}
	return min(entries, uint32(4*nrCPUs))
}

// acct is one account of workers and work (struct io_wq_acct).
type acct struct {
	index int

	// workersLock guards the worker lists and the counts below (written
	// under it, read lockless for Stats).
	workersLock sim.SpinLock
	nrWorkers   atomic.Int32
	maxWorkers  atomic.Int32
	nrRunning   atomic.Int32
	freeList    atomic.Pointer[[]*worker] // head first (hlist_nulls_add_head)
	allList     atomic.Pointer[[]*worker] // creation order

	lock     sim.SpinLock // guards workList
	workList workList
	nrQueued atomic.Int32 // entries of workList, for Stats
	stalled  atomic.Bool  // IO_ACCT_STALLED_BIT

	idleFound atomic.Int32 // Stats.IdleFound
}

// WQ is one task's io-wq (struct io_wq).
type WQ struct {
	w          *sim.World
	task       *sim.Thread // owner (wq->task)
	name       string      // "iou-wrk-<pid>"
	hash       *Hash
	doWork     func(t *sim.Thread, w *Work)
	freeWork   func(t *sim.Thread, w *Work) *Work
	shareFiles func()
	nrCPUs     int
	nproc      uint32
	bugs       Bugs

	exit       atomic.Bool // IO_WQ_BIT_EXIT
	workerRefs atomic.Int32
	workerDone sim.Completion
	exited     bool // io_wq_put_and_exit ran

	acct [IO_WQ_ACCT_NR]acct

	wait     sim.WaitQueueEntry // on hash.wait while stalled
	hashTail [IO_WQ_NR_HASH_BUCKETS]atomic.Pointer[Work]

	tlock   sim.SpinLock  // guards threads
	threads []*sim.Thread // worker threads not seen dead yet

	cpuMask     atomic.Pointer[[]byte]
	nextCPUSlot atomic.Uint32 // round robin for workers' CPUs
}

// Create creates the io-wq of the task running parent, with at most
// bounded bound workers (bounded > 0) and NprocLimit unbound ones. No
// worker exists until work is enqueued.
// Linux: io_uring/io-wq.c:io_wq_create()
func Create(parent *sim.Thread, bounded uint32, data Data) *WQ {
	if bounded == 0 {
		panic("iowq: Create with bounded == 0 (WARN_ON_ONCE(!bounded))")
	}
	if data.DoWork == nil || data.FreeWork == nil {
		panic("iowq: Create without DoWork or FreeWork")
	}
	wq := &WQ{
		w:          parent.World(),
		task:       parent,
		hash:       data.Hash,
		doWork:     data.DoWork,
		freeWork:   data.FreeWork,
		shareFiles: data.ShareFiles,
		nrCPUs:     data.NrCPUs,
		nproc:      data.NprocLimit,
		bugs:       data.Bugs,
	}
	if wq.hash == nil {
		wq.hash = NewHash()
	}
	if wq.nrCPUs <= 0 {
		wq.nrCPUs = DefaultNrCPUs
	}
	if wq.nproc == 0 {
		wq.nproc = DefaultNprocLimit
	}
	task := data.Task
	if task == "" {
		task = strconv.Itoa(parent.ID())
	}
	wq.name = "iou-wrk-" + task
	mask := wq.allowedMask()
	wq.cpuMask.Store(&mask)
	wq.acct[IO_WQ_ACCT_BOUND].maxWorkers.Store(int32(bounded))
	wq.acct[IO_WQ_ACCT_UNBOUND].maxWorkers.Store(int32(min(wq.nproc, 1<<31-1)))
	for i := range wq.acct {
		wq.acct[i].index = i
	}
	wq.wait.Func = wq.hashWake
	wq.workerRefs.Store(1)
	return wq
}

// getAcct is io_get_acct.
func (wq *WQ) getAcct(bound bool) *acct {
	if bound {
		return &wq.acct[IO_WQ_ACCT_BOUND]
	}
	return &wq.acct[IO_WQ_ACCT_UNBOUND]
}

// workGetAcct is io_work_get_acct.
// Linux: io_uring/io-wq.c:io_work_get_acct()
func (wq *WQ) workGetAcct(flags uint32) *acct {
	return wq.getAcct(flags&IO_WQ_WORK_UNBOUND == 0)
}

// exiting reports IO_WQ_BIT_EXIT.
func (wq *WQ) exiting() bool { return wq.exit.Load() }

// emit sends a trace event if the world traces.
func (wq *WQ) emit(t *sim.Thread, name string, fields ...sim.Field) {
	wq.w.Emit(t, name, fields...)
}

// acctName names an account in traces.
func acctName(a *acct) string {
	if a.index == IO_WQ_ACCT_BOUND {
		return "bound"
	}
	return "unbound"
}

// hashField renders a work's hash bucket for traces (-1: not hashed).
func hashField(flags uint32) sim.Field {
	if !isHashed(flags) {
		return sim.I("hash", -1)
	}
	return sim.I("hash", int64(workHash(flags)))
}

// insertWork queues work on acct's list; hashed work goes right after the
// last queued work of its bucket, so a bucket's work is one run of the list.
// Called with acct.lock held.
// Linux: io_uring/io-wq.c:io_wq_insert_work()
func (wq *WQ) insertWork(a *acct, work *Work, flags uint32) {
	a.nrQueued.Add(1)
	work.queuedAt = wq.w.Now()
	if !isHashed(flags) {
		a.workList.addTail(work)
		return
	}
	hash := workHash(flags)
	tail := wq.hashTail[hash].Load()
	wq.hashTail[hash].Store(work)
	if tail == nil {
		a.workList.addTail(work)
		return
	}
	a.workList.addAfter(work, tail)
}

// Enqueue queues work and makes sure a worker will run it: it wakes a free
// worker of the account, or creates one if none runs (or the work is
// IO_WQ_WORK_CONCURRENT) and the account is below its maximum. On an
// exiting io-wq, or for work already marked IO_WQ_WORK_CANCEL, the work
// goes straight to the cancel path (DoWork with the flag set).
// Linux: io_uring/io-wq.c:io_wq_enqueue()
func (wq *WQ) Enqueue(t *sim.Thread, work *Work) {
	defer wq.enter(t)()
	flags := work.Flags.Load()
	a := wq.workGetAcct(flags)

	if wq.exiting() || flags&IO_WQ_WORK_CANCEL != 0 {
		wq.runCancel(t, work)
		return
	}

	a.lock.Lock(t)
	wq.insertWork(a, work, flags)
	a.stalled.Store(false)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_enqueue", sim.U("work", work.ID), sim.S("acct", acctName(a)),
			hashField(flags), sim.I("queued", int64(a.nrQueued.Load())))
	}
	a.lock.Unlock(t)

	if wq.bugs.IOWQCheckOutsideLock {
		// M11 (fixed by 87df7fb922d1): trust nr_running read after the
		// unlock. A worker that already found the list empty but has not
		// gone to sleep yet still counts as running, so nobody is woken
		// and the work waits for an idle timeout.
		t.Yield()
		if flags&IO_WQ_WORK_CONCURRENT == 0 && a.nrRunning.Load() != 0 {
			return
		}
	}
	doCreate := !wq.activateFreeWorker(t, a)
	if doCreate && (flags&IO_WQ_WORK_CONCURRENT != 0 || a.nrRunning.Load() == 0) {
		if wq.createWorker(t, a) {
			return
		}
		a.workersLock.Lock(t)
		if a.nrWorkers.Load() != 0 {
			a.workersLock.Unlock(t)
			return
		}
		a.workersLock.Unlock(t)
		// fatal condition, failed to create the first worker
		wq.acctCancelPendingWork(t, a, &cancelData{fn: func(w *Work) bool { return w == work }})
	}
}

// allowedMask is the mask of every CPU of the machine (the task's cpuset).
func (wq *WQ) allowedMask() []byte {
	m := make([]byte, (wq.nrCPUs+7)/8)
	for c := range wq.nrCPUs {
		m[c/8] |= 1 << (c % 8)
	}
	return m
}

// SetAffinity sets the CPUs new workers may run on (IORING_REGISTER_IOWQ_AFF):
// mask is a cpumask, bit c of byte c/8 for CPU c; nil resets it to every
// CPU. A mask naming a CPU the machine does not have is not a subset of the
// task's cpuset and fails with -EINVAL (-22). Workers created before keep
// their CPU; an idle one whose CPU left the mask exits at its next idle
// timeout even if it is the last.
// Linux: io_uring/io-wq.c:io_wq_cpu_affinity()
func (wq *WQ) SetAffinity(t *sim.Thread, mask []byte) int {
	const einval = 22
	allowed := wq.allowedMask()
	var m []byte
	if mask == nil {
		m = allowed
	} else {
		for i, b := range mask {
			var a byte
			if i < len(allowed) {
				a = allowed[i]
			}
			if b&^a != 0 {
				return -einval
			}
		}
		m = make([]byte, len(allowed))
		copy(m, mask)
	}
	wq.cpuMask.Store(&m)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_cpu_affinity", sim.S("mask", maskString(m)))
	}
	return 0
}

// Affinity returns a copy of the current CPU mask.
func (wq *WQ) Affinity() []byte {
	m := *wq.cpuMask.Load()
	return append([]byte(nil), m...)
}

// maskString renders a cpumask as hex, highest byte first ("3").
func maskString(m []byte) string {
	const hexd = "0123456789abcdef"
	var b []byte
	for i := len(m) - 1; i >= 0; i-- {
		b = append(b, hexd[m[i]>>4], hexd[m[i]&15])
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	return string(b)
}

// cpuInMask is cpumask_test_cpu(cpu, wq->cpu_mask).
func (wq *WQ) cpuInMask(cpu int) bool {
	m := *wq.cpuMask.Load()
	return cpu >= 0 && cpu/8 < len(m) && m[cpu/8]&(1<<(cpu%8)) != 0
}

// pickCPU chooses the CPU a new worker runs on: round robin over the mask.
func (wq *WQ) pickCPU() int {
	m := *wq.cpuMask.Load()
	var cpus []int
	for c := range len(m) * 8 {
		if m[c/8]&(1<<(c%8)) != 0 {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return 0
	}
	return cpus[int(wq.nextCPUSlot.Add(1)-1)%len(cpus)]
}

// MaxWorkers sets the maximum worker counts (IORING_REGISTER_IOWQ_MAX_WORKERS):
// newCount[IO_WQ_ACCT_BOUND] and newCount[IO_WQ_ACCT_UNBOUND], each capped
// at RLIMIT_NPROC; a zero leaves that account unchanged. The previous
// maximums are written back into newCount. Existing workers are not
// stopped; a lower maximum only stops new ones from being created. Returns 0.
// Linux: io_uring/io-wq.c:io_wq_max_workers()
func (wq *WQ) MaxWorkers(t *sim.Thread, newCount *[2]uint32) int {
	var prev [IO_WQ_ACCT_NR]uint32
	for i := range IO_WQ_ACCT_NR {
		if newCount[i] > wq.nproc {
			newCount[i] = wq.nproc
		}
	}
	for i := range IO_WQ_ACCT_NR {
		a := &wq.acct[i]
		a.workersLock.Lock(t)
		prev[i] = max(uint32(a.maxWorkers.Load()), prev[i])
		if newCount[i] != 0 {
			a.maxWorkers.Store(int32(min(newCount[i], 1<<31-1)))
		}
		a.workersLock.Unlock(t)
	}
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_max_workers", sim.U("bound", uint64(newCount[0])), sim.U("unbound", uint64(newCount[1])),
			sim.U("prev_bound", uint64(prev[0])), sim.U("prev_unbound", uint64(prev[1])))
	}
	*newCount = prev
	return 0
}

// AcctStats is one account's state in Stats.
type AcctStats struct {
	Workers    int // nr_workers (including ones being created)
	MaxWorkers int
	Running    int // nr_running
	Free       int // workers on the free list
	Queued     int // work items on the account's list
	Stalled    bool
	// IdleFound counts lost wakeups: runnable work that a worker found
	// only after its idle sleep timed out, i.e. work queued while every
	// worker slept that nobody woke a worker for. Zero in a correct run
	// (the museum's quiescence oracle for M11).
	IdleFound int
}

// Stats is a snapshot of an io-wq, for traces and tests (lockless: each
// number is exact, together they may not be consistent in concurrent
// mode).
type Stats struct {
	Acct    [IO_WQ_ACCT_NR]AcctStats
	Exiting bool
}

// Stats returns the io-wq's counters.
func (wq *WQ) Stats() Stats {
	var s Stats
	for i := range wq.acct {
		a := &wq.acct[i]
		free := 0
		if l := a.freeList.Load(); l != nil {
			free = len(*l)
		}
		s.Acct[i] = AcctStats{
			Workers:    int(a.nrWorkers.Load()),
			MaxWorkers: int(a.maxWorkers.Load()),
			Running:    int(a.nrRunning.Load()),
			Free:       free,
			Queued:     int(a.nrQueued.Load()),
			Stalled:    a.stalled.Load(),
			IdleFound:  int(a.idleFound.Load()),
		}
	}
	s.Exiting = wq.exiting()
	return s
}

// PeekQueued returns the work queued on account acct (IO_WQ_ACCT_BOUND or
// IO_WQ_ACCT_UNBOUND), in list order, without taking the account's lock:
// for reports of a stopped deterministic world (the liveness check), not
// for consumers.
func (wq *WQ) PeekQueued(acct int) []*Work {
	var ws []*Work
	for w := wq.acct[acct].workList.first; w != nil; w = w.next {
		ws = append(ws, w)
	}
	return ws
}

// WorkerState describes one worker, for traces and tests.
type WorkerState struct {
	Thread  *sim.Thread
	Acct    int    // IO_WQ_ACCT_BOUND or IO_WQ_ACCT_UNBOUND
	CPU     int    // the CPU it runs on
	Free    bool   // on the free list (IO_WORKER_F_FREE)
	Running bool   // counted in nr_running (IO_WORKER_F_RUNNING)
	Work    uint64 // Work.ID of its current work (cur_work)
	HasWork bool   // it has a current work
}

// WorkerStates returns the state of every live worker, bound account
// first, each in creation order.
func (wq *WQ) WorkerStates(t *sim.Thread) []WorkerState {
	var out []WorkerState
	for i := range wq.acct {
		for _, wk := range list(&wq.acct[i].allList) {
			f := wk.flags.Load()
			ws := WorkerState{Thread: wk.task, Acct: i, CPU: wk.cpu,
				Free: f&ioWorkerFFree != 0, Running: f&ioWorkerFRunning != 0}
			wk.lock.Lock(t)
			if wk.curWork != nil {
				ws.Work, ws.HasWork = wk.curWork.ID, true
			}
			wk.lock.Unlock(t)
			out = append(out, ws)
		}
	}
	return out
}

// Workers returns the threads of the io-wq's live workers, bound account
// first, each in creation order.
func (wq *WQ) Workers() []*sim.Thread {
	var ts []*sim.Thread
	for i := range wq.acct {
		if l := wq.acct[i].allList.Load(); l != nil {
			for _, wk := range *l {
				ts = append(ts, wk.task)
			}
		}
	}
	return ts
}

// CurrentIsWorker reports whether t is an io-wq worker (current has
// PF_IO_WORKER and a worker_private), by its "iou-wrk-" name.
// Linux: io_uring/io-wq.h:io_wq_current_is_worker()
func CurrentIsWorker(t *sim.Thread) bool {
	const p = "iou-wrk-"
	n := t.Name()
	return len(n) >= len(p) && n[:len(p)] == p
}

// WorkerStopped reports whether the io-wq is exiting, for DoWork code that
// loops (io_wq_worker_stopped: the caller is one of wq's workers).
// Linux: io_uring/io-wq.c:io_wq_worker_stopped()
func (wq *WQ) WorkerStopped(t *sim.Thread) bool {
	return wq.exiting()
}
