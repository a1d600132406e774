// Package uring is the user side of io_uring, liburing-style: a Ring over
// the shared SQ/CQ memory, SQE preparation helpers, submission and
// completion reaping, probing and registration.
//
// One implementation of the ring logic runs over two backends that share the
// Backend interface:
//
//   - the simulator (NewSimMachine, Machine.Backend): the io_uring_setup,
//     io_uring_enter and io_uring_register calls of package kernel, on the
//     main thread of a sim world, with user memory from the simulated
//     process's address space;
//   - the host kernel (HostBackend): the real system calls through
//     golang.org/x/sys/unix, with user memory from mmap(2).
//
// In both cases user memory (the rings, the SQE array, timespecs, probe
// buffers) is real anonymous memory at a real address, so the ring code
// reads and writes it the same way: head and tail words with acquire/release
// atomics, SQEs and CQEs as plain memory.
//
// # Errors
//
// Every error this package returns for a failed system call is a
// golang.org/x/sys/unix.Errno (the negated return value of the call), so
// callers compare with errors.Is(err, unix.EEXIST) or err == unix.ETIME. A
// host backend that cannot be opened returns an error wrapping
// unix.ENOSYS, unix.EPERM or whatever errno io_uring_setup gave.
//
// # Threads
//
// io_uring's notion of the submitting task is the OS thread
// (IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN and task_work are
// keyed on it), so New on a host backend locks the calling goroutine to its
// OS thread (runtime.LockOSThread) and Ring.Close unlocks it: a host Ring
// must be used, and closed, from the goroutine that created it. A sim
// Machine must likewise be driven from the goroutine that created it (the
// world's main thread).
//
// # Allocation
//
// A Ring makes no heap allocation in steady state: GetSQE, the Prep helpers,
// Submit, SubmitAndWait, WaitCQE, PeekCQE, CQESeen and the iteration helpers
// only touch ring memory and the Ring itself. The wait argument and timespec
// of the timeout variants live in backend user memory allocated once by New.
//
// Linux: liburing (src/queue.c, src/setup.c, src/include/liburing.h)
package uring
