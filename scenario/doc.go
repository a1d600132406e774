// Package scenario reads scenario files, the language of shared/SCENARIO.md:
// Parse and ParseFile turn a file into a Scenario, a plain list of typed
// commands (one Payload type per command word) with every value already
// resolved to numbers, and FormatCQE / CQEExpect.String print CQEs the way
// the runner reports them.
//
// Parse validates everything that does not need a ring: command words,
// keys (per command, and per opcode for register), numbers and their field
// widths, durations, strings, flag, errno and opcode names, block
// structure, and that every name used was declared on an earlier line with
// a fitting kind. Kernel-side rules (entries a power of two, reserved
// fields, flag masks) are not checked: scenarios exist to test them.
//
// Choices where SCENARIO.md leaves room:
//
//   - A `\` continues the line when only blanks or a comment follow it; a
//     `\` inside a comment is part of the comment. Strings cannot span lines.
//     Errors carry the physical line of the offending token.
//   - A string may stand alone or directly follow the '=' of key=value;
//     besides the escapes listed (\n \t \\ \" \xHH) none is accepted.
//   - Integers are decimal or 0x hex with an optional '-'; a leading 0 is
//     still decimal. Errno names need their '-' (-EAGAIN). Any numeric key
//     also takes a flag set A|B|0x10 of names known to rings.Lookup. An
//     n-bit field takes -2^(n-1) … 2^n-1; Num.V keeps negatives sign-extended
//     to 64 bits and the runner truncates to the field.
//   - A constant's name stands for any integer, alone or in a flag set:
//     the io_uring uapi names of rings.Lookup first, then the table of
//     consts.go (linux/futex.h, linux/wait.h, eventpoll, fcntl, stat,
//     socket, fadvise/madvise/splice/fallocate/sync_file_range, RWF_*,
//     EFD_*, CLD_*; values from golang.org/x/sys/unix or the uapi header).
//     A negative constant (AT_FDCWD) counts as negative for the field
//     width. fd=, ring_fd= and addr= look up a declared object first, then
//     a constant, then a number.
//   - `pipe NAME rdwr=1` also declares NAME.rw: the pipe opened again
//     O_RDWR (open("/proc/self/fd/R") on the host), polling on both wait
//     queues (io_uring's double poll); like a FIFO it has no FMODE_NOWAIT.
//   - `epoll NAME` is an epoll instance (epoll_create1 with EPOLL_CLOEXEC);
//     off= also takes a file object, its descriptor (EPOLL_CTL's target).
//   - `child NAME` declares NAME and NAME.pidfd: fd=NAME is the child's pid
//     (P_PID), NAME.pidfd a pidfd of it opened at creation (P_PIDFD, poll;
//     it takes a descriptor number on both backends, and close closes it).
//     On the host the child is /bin/sh running `sleep DUR; exit N`; on the
//     simulator a simulated process whose exit is a timer on the virtual
//     clock. after= defaults to 0 (exits at once, asynchronously). A child
//     nothing waited for is killed and reaped at the end of the run.
//   - store takes exactly one of data=, u32=, u64= (little endian; an
//     aligned u32/u64 is one atomic store) or addr=MEM[+OFF], the 64-bit
//     user address of that mem on the running backend (a pointer in user
//     memory: a futex_waitv's uaddr); futex_wake's count defaults to
//     1 (futex_wake wakes one for any count <= 1) and it prints
//     `futex_wake MEM[+OFF] ret=N`.
//   - Before taking an SQE, sqe moves the runner's tail up to the kernel's
//     SQ head when the kernel consumed past it (a poked tail), so the SQE
//     goes where the kernel reads next.
//   - Durations are 0 or a whole number with ns, us, ms or s.
//   - `*` is accepted only where something is checked: cqe keys, expect=,
//     peek fields and fdinfo values.
//   - Every SQE field and helper is accepted for every opcode (scenarios
//     set odd fields on purpose); a key repeated in one line is an error,
//     but aliases (ud and user_data, off and addr2) apply in order.
//   - sqe opcodes, requires op= and sqe_ops= go through rings.OpByName
//     (any case, with or without IORING_OP_, or a decimal number); register
//     opcodes through rings.RegisterOpByName (full name, without IORING_ or
//     IORING_REGISTER_, or a number). A register opcode without a row in
//     SCENARIO.md takes no keys but expect=. IORING_REGISTER_RING_FDS and
//     IORING_UNREGISTER_RING_FDS (no keys) register the ring itself as
//     liburing's io_uring_register_ring_fd() does: its later enter and
//     register calls go through the registered index.
//     IORING_REGISTER_PERSONALITY takes no keys (it prints the id);
//     IORING_UNREGISTER_PERSONALITY takes id=N. IORING_REGISTER_RESIZE_RINGS
//     takes entries=N [cq_entries=N] [flags=IORING_SETUP_CQSIZE|…] and
//     resizes through the ring (uring.Ring.ResizeRings), which maps the new
//     rings and goes on using them. IORING_REGISTER_NAPI and
//     IORING_UNREGISTER_NAPI take [busy_poll_to=N] [prefer_busy_poll=N]
//     [opcode=IO_URING_NAPI_…] [op_param=N] (the fields of struct
//     io_uring_napi, 0 when absent; opcode= is the struct's, not the
//     register opcode), pass the struct, and print what the kernel left in
//     it as `register RING napi: busy_poll_to=N prefer_busy_poll=N
//     op_param=N`, whatever the call returned.
//   - fd=, ring_fd=, addr=, addr2=, addr3= take a declared name or a plain
//     number (fd=-1, addr=0, for error paths); iov= elements may give a
//     number instead of MEM for an absolute address.
//   - Names are identifiers; pipe and socketpair add NAME.r/NAME.w and
//     NAME.0/NAME.1. Declaring a name twice is an error; close does not
//     undeclare (a closed fd stays usable to test -EBADF).
//   - fdinfo output is printed (and its fields checked) with every hex
//     number that is an address in the run's user memory written MEM+0xOFF
//     (scratchN+0xOFF for the runner's own timespec/sockaddr/iovec memory):
//     what a run prints depends on the seed only, not on where mmap put
//     the memory (TestCorpusTwoProcesses in cmd/uringsim checks it).
//   - IORING_REGISTER_PBUF_RING declares the mem pbufN (N = bgid); a second
//     registration of the same bgid (on another ring) reuses the name.
//   - IORING_REGISTER_ZCRX_IFQ takes if_idx=N [rxq=N] entries=N area=MEM
//     [flags=N]: the whole mem is the area, the refill queue is a
//     kernel-allocated region of entries entries that the runner maps on
//     success. `zcrx_refill RING [id=N] off=O1[,O2…] [len=N]` writes one
//     refill entry per offset (a data CQE's big0; len defaults to 4096)
//     into the refill queue of ifq id (default 0) and releases its tail.
//     RECV_ZC needs no form of its own: `sqe r RECV_ZC fd=… splice_fd_in=ID
//     ioprio=IORING_RECV_MULTISHOT [len=N]`. The simulated NIC is if_idx 2
//     (docs/netdev.md); lo (1) answers -EOPNOTSUPP on both backends.
//   - Inside unordered/either blocks a cqe line may repeat the block's ring;
//     a nested unordered inside either is written with or without it.
//     Blocks hold only cqe lines (and, in either, unordered, or, end); an
//     empty unordered block is an error, an empty either alternative is not.
//     `@TASK` goes on the block's first line, not inside.
//   - On the host, closing a ring (close RING, or the end of the run) first
//     cancels what is still in flight on it (IORING_REGISTER_SYNC_CANCEL with
//     IORING_ASYNC_CANCEL_ANY, 100 ms at most): the kernel tears a closed
//     ring down asynchronously, and a futex wait it left queued would be
//     woken by the next scenario's wake on memory mapped at the same address.
//   - `exit TASK` (main task only) ends the task as its thread's return
//     does (do_exit) and waits until it is gone: its requests in flight stay
//     so, and its rings stay open (the main task closes them at the end).
//     A task that has exited cannot run commands or exit again.
//   - `@TASK` may prefix any command but the directives (requires, seed=);
//     there is no name for the main task. Directives may appear anywhere;
//     seed= at most once.
//   - cqe needs ud= and res= (write `*` not to check); flags= is limited to
//     the low 16 bits, and bid= with flags= lacking IORING_CQE_F_BUFFER is an
//     error. res= takes 0x80000000…0xffffffff as the negative int32.
//   - shutdown defaults to SHUT_RDWR and needs a socket; socketpair defaults
//     to SOCK_STREAM; sq_thread_idle must be whole milliseconds; mem data
//     may not be longer than size; a pbuf count may not exceed entries.
//   - `ring … weak_sq=1` turns on the simulator's weak-memory SQ mode
//     (uring.Ring.SetWeakSQ): the user side's SQE stores and a tail
//     published without release ordering sit in a store buffer and reach
//     kernel threads one at a time in the seed's order; the host ignores it.
//     `submit … tail=relaxed` publishes sq.tail with a plain store
//     (uring.Ring.FlushSQRelaxed) instead of io_uring_smp_store_release: in
//     the weak mode an SQPOLL thread may then read an SQE slot's old
//     contents (tour/10_weak_sq_tail.scn).
package scenario
