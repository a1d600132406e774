package uring

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/netdev"
	"github.com/uringsim/uringsim/opdef"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// SimConfig configures a simulated machine: the sim world it runs in.
type SimConfig struct {
	// Seed seeds the world's randomness and, without a Strategy, its
	// scheduling choices.
	Seed uint64
	// Mode is sim.Deterministic (the zero value) or sim.Concurrent.
	Mode sim.Mode
	// Sink receives the trace; nil turns tracing off.
	Sink sim.Sink
	// Strategy decides scheduling choices (nil: a random walk from Seed).
	Strategy sim.Strategy
	// MaxSteps bounds a deterministic run (0: unlimited).
	MaxSteps int64
	// NoChoiceLog turns off the decision log (long benchmark runs).
	NoChoiceLog bool
	// Carriers is the pool of thread coroutines the world reuses
	// (sim.Config.Carriers; nil: none), for a sweep of many machines.
	Carriers *sim.Carriers
	// Net configures the simulated loopback NIC (latency, datagram
	// reordering and loss); the zero value delivers at once.
	Net NetConfig
	// MemlockLimit is RLIMIT_MEMLOCK in bytes for registered-buffer
	// pinning (kernel.Kernel.MemlockLimit); 0 is unlimited, as for a
	// task with CAP_IPC_LOCK.
	MemlockLimit int64
	// Bugs switches museum bugs back on (the zero value: Linux 6.18).
	Bugs Bugs
}

// Bugs are the kernel's museum switches (kernel.Bugs), named with
// ParseBugs and described by Museum.
type Bugs = kernel.Bugs

// BugInfo describes one museum switch (kernel.BugInfo).
type BugInfo = kernel.BugInfo

// Museum lists every museum switch (kernel.Museum).
func Museum() []BugInfo { return kernel.Museum() }

// ParseBugs parses a comma-separated list of switch names
// (kernel.ParseBugs).
func ParseBugs(list string) (Bugs, error) { return kernel.ParseBugs(list) }

// Machine is one simulated machine: a sim world, a kernel with the opdef
// opcode table, one process and its main task, carried by the world's main
// thread. A Machine must be driven from the goroutine that created it.
type Machine struct {
	w      *sim.World
	k      *kernel.Kernel
	p      *kernel.Process
	task   *kernel.Task
	be     *simBackend
	net    *netdev.Stack
	closed bool
}

// NewSimMachine creates a simulated machine. The calling goroutine becomes
// the world's main thread, on which the user program (and every Ring on
// Backend) runs.
func NewSimMachine(cfg SimConfig) *Machine {
	w := sim.NewWorld(sim.Config{
		Seed:        cfg.Seed,
		Mode:        cfg.Mode,
		Sink:        cfg.Sink,
		Strategy:    cfg.Strategy,
		MaxSteps:    cfg.MaxSteps,
		NoChoiceLog: cfg.NoChoiceLog,
		Carriers:    cfg.Carriers,
	})
	k := kernel.New(w, &opdef.Table)
	k.MemlockLimit = cfg.MemlockLimit
	k.Bugs = cfg.Bugs
	p := k.NewProcess(w.Main())
	task := p.NewTask(w.Main())
	m := &Machine{w: w, k: k, p: p, task: task, net: netdev.New(w, cfg.Net)}
	k.SetNetStack(m.net)
	m.be = &simBackend{task: task, as: p.MM}
	return m
}

// Backend is the machine's io_uring as a Backend: the simulated system
// calls, made by the main task.
func (m *Machine) Backend() Backend { return m.be }

// World is the sim world the machine runs in.
func (m *Machine) World() *sim.World { return m.w }

// Kernel is the machine's simulated kernel.
func (m *Machine) Kernel() *kernel.Kernel { return m.k }

// Process is the simulated process the backend's calls are made by.
func (m *Machine) Process() *kernel.Process { return m.p }

// Task is the main task (the world's main thread in the process).
func (m *Machine) Task() *kernel.Task { return m.task }

// Close shuts the world down and releases the process's memory. Rings on
// the machine's backend must be closed first. Closing twice is a no-op.
func (m *Machine) Close() {
	if m.closed {
		return
	}
	m.closed = true
	m.w.Shutdown()
	m.p.MM.Release()
}

// simBackend is the simulated kernel's io_uring, called by the main task.
type simBackend struct {
	task *kernel.Task // the task making the calls: the main task, or a SimTask's in Run
	as   *mm.AddressSpace

	params []byte // user memory for struct io_uring_params
}

func errnoOf(ret int) error {
	if ret >= 0 {
		return nil
	}
	return unix.Errno(-ret)
}

func (*simBackend) Name() string { return "sim" }
func (*simBackend) Host() bool   { return false }

// Setup copies p into user memory, calls io_uring_setup with its address
// and copies back what the kernel left there.
func (b *simBackend) Setup(entries uint32, p *rings.Params) (int, error) {
	if b.params == nil {
		mem, err := b.Alloc(uint64(unsafe.Sizeof(*p)))
		if err != nil {
			return -1, err
		}
		b.params = mem
	}
	pb := unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
	copy(b.params, pb)
	ret := kernel.IoUringSetup(b.task, entries, addrOf(b.params))
	copy(pb, b.params)
	if ret < 0 {
		return -1, errnoOf(ret)
	}
	return ret, nil
}

func (b *simBackend) Enter(fd int, toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	ret := kernel.IoUringEnter(b.task, fd, toSubmit, minComplete, flags, argp, argsz)
	if ret < 0 {
		return -1, errnoOf(ret)
	}
	return ret, nil
}

func (b *simBackend) Register(fd int, opcode uint32, arg uint64, nrArgs uint32) (int, error) {
	ret := kernel.IoUringRegister(b.task, fd, opcode, arg, nrArgs)
	if ret < 0 {
		return -1, errnoOf(ret)
	}
	return ret, nil
}

func (b *simBackend) MapRing(fd int, offset, length uint64) ([]byte, error) {
	addr, errno := kernel.Mmap(b.task, fd, offset, length)
	if errno != 0 {
		return nil, errnoOf(-abs(errno))
	}
	mem, errno := b.as.Slice(addr, length)
	if errno != 0 {
		return nil, errnoOf(-abs(errno))
	}
	return mem, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (b *simBackend) Unmap(mem []byte) error {
	return errnoOf(b.as.Munmap(addrOf(mem), uint64(len(mem))))
}

func (b *simBackend) Close(fd int) error { return errnoOf(kernel.Close(b.task, fd)) }

func (b *simBackend) Alloc(size uint64) ([]byte, error) {
	m, errno := b.as.Mmap(size, "uring")
	if errno != 0 {
		return nil, errnoOf(errno)
	}
	return m.Mem, nil
}

func (b *simBackend) Free(mem []byte) error {
	return errnoOf(b.as.Munmap(addrOf(mem), uint64(len(mem))))
}

func (b *simBackend) Yield() { b.task.Thread.Yield() }

func (*simBackend) BindThread()   {}
func (*simBackend) UnbindThread() {}

// SimTask is another user task of the machine's process: a thread of the
// same program, with its own io_uring task context (what SINGLE_ISSUER,
// task work and DEFER_TASKRUN key on). Its system calls are the backend's,
// made while Run executes on it. Between Runs it waits in user space, so
// task work queued for it with TWA_SIGNAL interrupts that wait and runs,
// as it does for an idle thread on Linux.
type SimTask struct {
	m       *Machine
	task    *kernel.Task
	fn      func()
	started atomic.Bool // Run handed fn over (the futex word the task waits on)
	done    atomic.Bool // fn returned (the futex word Run waits on)
	stop    atomic.Bool
}

// NewTask starts another task of the process, named name.
func (m *Machine) NewTask(name string) *SimTask {
	st := &SimTask{m: m}
	var ready sim.Completion // st.task is set
	th := m.w.Go(m.w.Main(), name, func(t *sim.Thread) {
		ready.Wait(t)
		for {
			if !st.task.WaitUser("futex_wait (idle task)", st.started.Load) {
				return // Shutdown
			}
			st.started.Store(false)
			if st.stop.Load() {
				st.task.Exit()
				st.done.Store(true)
				m.task.Thread.WakeUp(t)
				return
			}
			prev := m.be.task
			m.be.task = st.task
			st.fn()
			m.be.task = prev
			st.done.Store(true)
			m.task.Thread.WakeUp(t)
		}
	})
	st.task = m.p.NewTask(th)
	ready.Complete(m.w.Main())
	return st
}

// Run runs fn on the task, as that task, and waits for it (the world runs
// meanwhile; the main task waits in user space, running task work queued
// for it). Calls through the machine's Backend inside fn are made by this
// task. Only the main thread may call Run. If the world is deadlocked
// meanwhile, Run panics with the *sim.DeadlockReport.
func (st *SimTask) Run(fn func()) {
	main := st.m.w.Main()
	st.fn = fn
	st.started.Store(true)
	st.task.Thread.WakeUp(main)
	if !st.m.task.WaitUser("futex_wait (task "+st.task.Thread.Name()+")", st.done.Load) {
		if rep := st.m.w.Deadlock(); rep != nil {
			panic(rep)
		}
		panic("uring: SimTask.Run interrupted")
	}
	st.done.Store(false)
}

// Stop ends the task, as its thread's return does (do_exit), and waits
// for that (pthread_join): requests it submitted that are still in flight
// stay so, and their task_work runs on the rings' fallback work, except
// those tracked in flight (on an io_uring file, futex waits), which the
// exit cancels and waits for (see kernel.Task.Exit). Stopping twice is a no-op.
func (st *SimTask) Stop() {
	if st.stop.Swap(true) {
		return
	}
	main := st.m.w.Main()
	st.started.Store(true)
	st.task.Thread.WakeUp(main)
	if st.m.task.WaitUser("futex_wait (join "+st.task.Thread.Name()+")", st.done.Load) {
		st.done.Store(false)
	}
}
