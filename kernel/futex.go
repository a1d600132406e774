package kernel

import (
	"encoding/binary"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Futex flags of the kernel's futex core (not uapi), what futex_to_flags
// and futex2_to_flags turn the syscall's op and flags into.
// Linux: kernel/futex/futex.h:FLAGS_SIZE_8
const (
	FLAGS_SIZE_8      = 0x0000
	FLAGS_SIZE_16     = 0x0001
	FLAGS_SIZE_32     = 0x0002
	FLAGS_SIZE_64     = 0x0003
	FLAGS_SIZE_MASK   = 0x0003
	FLAGS_SHARED      = 0x0010
	FLAGS_CLOCKRT     = 0x0020
	FLAGS_HAS_TIMEOUT = 0x0040
	FLAGS_NUMA        = 0x0080
	FLAGS_STRICT      = 0x0100
	FLAGS_MPOL        = 0x0200
)

// The futex uapi values the simulator takes (linux/futex.h).
// Linux: include/uapi/linux/futex.h
const (
	FUTEX_WAIT             = 0
	FUTEX_WAKE             = 1
	FUTEX_WAIT_BITSET      = 9
	FUTEX_WAKE_BITSET      = 10
	FUTEX_PRIVATE_FLAG     = 128
	FUTEX_CLOCK_REALTIME   = 256
	FUTEX_BITSET_MATCH_ANY = 0xffffffff
	FUTEX_WAITV_MAX        = 128

	FUTEX2_SIZE_U8   = 0x00
	FUTEX2_SIZE_U16  = 0x01
	FUTEX2_SIZE_U32  = 0x02
	FUTEX2_SIZE_U64  = 0x03
	FUTEX2_NUMA      = 0x04
	FUTEX2_MPOL      = 0x08
	FUTEX2_PRIVATE   = FUTEX_PRIVATE_FLAG
	FUTEX2_SIZE_MASK = 0x03
)

// FUTEX2_VALID_MASK is the futex2 flags a syscall or io_uring accepts.
// Linux: kernel/futex/futex.h:FUTEX2_VALID_MASK
const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE

// Futex2ToFlags converts futex2 flags (sqe->fd of the io_uring futex ops)
// to the futex core's FLAGS_*.
// Linux: kernel/futex/futex.h:futex2_to_flags()
func Futex2ToFlags(flags2 uint32) uint32 {
	flags := flags2 & FUTEX2_SIZE_MASK
	if flags2&FUTEX2_PRIVATE == 0 {
		flags |= FLAGS_SHARED
	}
	if flags2&FUTEX2_NUMA != 0 {
		flags |= FLAGS_NUMA
	}
	if flags2&FUTEX2_MPOL != 0 {
		flags |= FLAGS_MPOL
	}
	return flags
}

// FutexFlagsValid reports whether the futex core supports flags: only
// 32-bit futexes, and FLAGS_NUMA only with a 64-bit word.
// Linux: kernel/futex/futex.h:futex_flags_valid()
func FutexFlagsValid(flags uint32) bool {
	// Only 64bit futexes for 64bit code.
	if flags&FLAGS_SIZE_MASK == FLAGS_SIZE_64 {
		return false
	}
	// Only 32bit futexes are implemented -- for now.
	if flags&FLAGS_SIZE_MASK != FLAGS_SIZE_32 {
		return false
	}
	// Must be able to represent both FUTEX_NO_NODE and every valid nodeid
	// in a futex word.
	if flags&FLAGS_NUMA != 0 {
		size := 1 << (flags & FLAGS_SIZE_MASK)
		if size < 4 { // sizeof(int) with MAX_NUMNODES well below 2^31
			return false
		}
	}
	return true
}

// FutexValidateInput reports whether val fits the futex word size of
// flags.
// Linux: kernel/futex/futex.h:futex_validate_input()
func FutexValidateInput(flags uint32, val uint64) bool {
	bits := uint(8) << (flags & FLAGS_SIZE_MASK)
	return bits >= 64 || val>>bits == 0
}

// FutexSize is the size in bytes of the futex word of flags.
// Linux: kernel/futex/futex.h:futex_size()
func FutexSize(flags uint32) uint64 { return 1 << (flags & FLAGS_SIZE_MASK) }

// futexKey identifies a futex word (union futex_key). A private futex is
// keyed by its address space and address; a shared one in anonymous
// private memory by the same plus FUT_OFF_MMSHARED, so a private wake never
// reaches a shared waiter and the other way round, as on Linux.
// Differs from Linux: shared futexes in file-backed or MAP_SHARED memory
// (keyed by inode and page offset) do not exist: all user memory of the
// simulator is anonymous and private to its process.
// Linux: include/linux/futex.h:union futex_key, kernel/futex/core.c:get_futex_key()
type futexKey struct {
	mm     uint64 // the process: key->private.mm
	addr   uint64 // the word's address
	shared bool   // FUT_OFF_MMSHARED
}

// FutexQ is a waiter on a futex (struct futex_q): a task blocked in
// futex_wait or an io_uring futex request. Wake is q->wake, called with the
// bucket's lock held after the waiter was taken off the chain.
// Linux: kernel/futex/futex.h:struct futex_q
type FutexQ struct {
	key    futexKey
	Bitset uint32
	// Wake is q->wake: called by futex_wake with the hash bucket's lock
	// held for a waiter whose bitset matches; it takes q off the chain
	// with wakeMark (futex_wake_mark's __futex_unqueue) unless it declines
	// the wakeup, which futex_wake counts all the same.
	Wake func(t *sim.Thread, q *FutexQ)
	// Private is free for the owner (the io_kiocb of an io_uring waiter).
	Private any
	queued  bool
	hash    *futexHash
}

// wakeMark takes q off its chain, with the hash lock held (from Wake).
// Linux: kernel/futex/waitwake.c:__futex_wake_mark()
func (q *FutexQ) wakeMark() {
	if q.queued {
		q.hash.unqueueLocked(q)
	}
}

// Queued reports whether q is still on its chain (plist_node_empty(&q->list) inverted).
func (q *FutexQ) Queued() bool { return q.queued }

// futexHash is the futex hash table of one kernel (futex_queues): one
// chain per key, in queueing order. A single lock stands for the hash
// bucket locks.
// Differs from Linux: one lock for all buckets (Linux hashes keys to
// buckets, each with its own spinlock, and since 6.16 private futexes to a
// per-process table); the order of waiters on one key is the same.
// Linux: kernel/futex/core.c:futex_queues, struct futex_hash_bucket
type futexHash struct {
	lock   sim.SpinLock
	chains map[futexKey][]*FutexQ
}

// futexKeyOf computes the key of the futex word at uaddr of proc,
// checking its alignment: -EINVAL for a misaligned address. A shared key
// needs the word's page mapped (get_user_pages_fast): -EFAULT otherwise; a
// private key is the address alone. With FLAGS_NUMA the word is followed
// by a node id of the same size (the pair aligned to twice the size): an
// unreadable one is -EFAULT, one that names no possible node -EINVAL, and
// FUTEX_NO_NODE is replaced in user memory by the node of the caller.
// Differs from Linux: the simulated machine has one NUMA node (0), so
// every node id but 0 and FUTEX_NO_NODE is -EINVAL and FUTEX2_MPOL's
// memory-policy node is always 0.
// Linux: kernel/futex/core.c:get_futex_key()
func futexKeyOf(proc *Process, uaddr uint64, flags uint32) (futexKey, int) {
	size := FutexSize(flags)
	if flags&FLAGS_NUMA != 0 {
		size *= 2
	}
	if uaddr%size != 0 {
		return futexKey{}, -EINVAL
	}
	if flags&FLAGS_NUMA != 0 {
		if errno := futexNodeCheck(proc, uaddr+size/2, size/2); errno != 0 {
			return futexKey{}, errno
		}
	}
	shared := flags&FLAGS_SHARED != 0
	if shared {
		if _, errno := proc.MM.Slice(uaddr, FutexSize(flags)); errno != 0 {
			return futexKey{}, -EFAULT
		}
	}
	return futexKey{mm: proc.ID, addr: uaddr, shared: shared}, 0
}

// futexNoNode is FUTEX_NO_NODE: a node word of all ones (the futex word's
// size) asks the kernel to pick the node.
const futexNoNode = 0xffffffff

// futexNodeCheck reads the node id word of a FLAGS_NUMA futex at naddr:
// -EFAULT when it cannot be read, -EINVAL for a node that does not exist
// (only node 0 does), and FUTEX_NO_NODE is overwritten with node 0, as the
// kernel stores the node it hashed the futex to.
// Linux: kernel/futex/core.c:get_futex_key(), futex_hash()
func futexNodeCheck(proc *Process, naddr, size uint64) int {
	b, errno := proc.MM.Slice(naddr, size)
	if errno != 0 {
		return -EFAULT
	}
	switch node := loadUserWord(b); {
	case node == 0:
		return 0
	case node == futexNoNode && size == 4:
		rings.WriteOnce((*uint32)(unsafe.Pointer(&b[0])), 0)
		return 0
	}
	return -EINVAL
}

// FutexQueue computes the key of uaddr and, with the bucket locked,
// checks that the word still holds val and queues q: the futex_wait_setup
// and futex_queue sequence. It returns 0 when q is queued, -EAGAIN when
// the word holds another value, -EFAULT when it cannot be read and
// -EINVAL for a misaligned address.
// Linux: kernel/futex/waitwake.c:futex_wait_setup(), kernel/futex/core.c:futex_queue()
func (k *Kernel) FutexQueue(t *sim.Thread, proc *Process, uaddr uint64, flags uint32, val uint64, q *FutexQ) int {
	key, errno := futexKeyOf(proc, uaddr, flags)
	if errno != 0 {
		return errno
	}
	h := &k.futex
	h.lock.Lock(t)
	defer h.lock.Unlock(t)
	cur, errno := futexGetValueLocked(proc, uaddr, flags)
	if errno != 0 {
		return errno
	}
	if cur != val {
		return -EAGAIN
	}
	h.queueLocked(key, q)
	return 0
}

// queueLocked is __futex_queue: q goes to the end of its key's chain.
func (h *futexHash) queueLocked(key futexKey, q *FutexQ) {
	q.key, q.hash = key, h
	if h.chains == nil {
		h.chains = map[futexKey][]*FutexQ{}
	}
	h.chains[key] = append(h.chains[key], q)
	q.queued = true
}

// futexQueueMultiple checks and queues every word of a FUTEX_WAITV: keys
// first (-EINVAL for a misaligned word), then, with the hash locked, each
// word's value, queueing its waiter when it matches. A word that differs
// (-EAGAIN) or cannot be read (-EFAULT) takes the words queued so far
// off again.
// Linux: kernel/futex/waitwake.c:futex_wait_multiple_setup()
func (k *Kernel) futexQueueMultiple(t *sim.Thread, proc *Process, vs []futexVector) int {
	keys := make([]futexKey, len(vs))
	for i := range vs {
		key, errno := futexKeyOf(proc, vs[i].uaddr, vs[i].flags)
		if errno != 0 {
			return errno
		}
		keys[i] = key
	}
	h := &k.futex
	h.lock.Lock(t)
	defer h.lock.Unlock(t)
	for i := range vs {
		cur, errno := futexGetValueLocked(proc, vs[i].uaddr, vs[i].flags)
		if errno == 0 && cur == vs[i].val {
			h.queueLocked(keys[i], &vs[i].q)
			continue
		}
		for j := range i {
			if vs[j].q.queued {
				h.unqueueLocked(&vs[j].q)
			}
		}
		if errno != 0 {
			return errno
		}
		return -EAGAIN
	}
	return 0
}

// FutexUnqueue takes q off its chain if it is still queued and reports
// whether it was (futex_unqueue: 1 when it was, 0 when a wakeup got there
// first).
// Linux: kernel/futex/core.c:futex_unqueue()
func (k *Kernel) FutexUnqueue(t *sim.Thread, q *FutexQ) bool {
	h := &k.futex
	h.lock.Lock(t)
	defer h.lock.Unlock(t)
	if !q.queued {
		return false
	}
	h.unqueueLocked(q)
	return true
}

// unqueueLocked is __futex_unqueue.
func (h *futexHash) unqueueLocked(q *FutexQ) {
	chain := h.chains[q.key]
	for i, w := range chain {
		if w == q {
			chain = append(chain[:i:i], chain[i+1:]...)
			break
		}
	}
	if len(chain) == 0 {
		delete(h.chains, q.key)
	} else {
		h.chains[q.key] = chain
	}
	q.queued = false
}

// futexGetValueLocked reads the futex word (an atomic load in the
// simulator's real memory).
// Linux: kernel/futex/core.c:futex_get_value_locked()
func futexGetValueLocked(proc *Process, uaddr uint64, flags uint32) (uint64, int) {
	size := FutexSize(flags)
	b, errno := proc.MM.Slice(uaddr, size)
	if errno != 0 {
		return 0, errno
	}
	return loadUserWord(b), 0
}

// FutexWake wakes up to nr waiters (at least one; none for nr 0 with
// FLAGS_STRICT) of the futex word at uaddr whose bitset shares a bit with
// bitset, in queueing order, and returns how many it woke: futex_wake. A
// zero bitset is -EINVAL.
// Linux: kernel/futex/waitwake.c:futex_wake()
func (k *Kernel) FutexWake(t *sim.Thread, proc *Process, uaddr uint64, flags uint32, nr int, bitset uint32) int {
	if bitset == 0 {
		return -EINVAL
	}
	key, errno := futexKeyOf(proc, uaddr, flags)
	if errno != 0 {
		return errno
	}
	// FLAGS_STRICT (io_uring's FUTEX_WAKE): asking for none wakes none.
	if flags&FLAGS_STRICT != 0 && nr == 0 {
		return 0
	}
	h := &k.futex
	h.lock.Lock(t)
	defer h.lock.Unlock(t)
	ret := 0
	for _, q := range append([]*FutexQ(nil), h.chains[key]...) {
		if q.Bitset&bitset == 0 {
			continue
		}
		q.Wake(t, q)
		ret++
		if ret >= nr {
			break
		}
	}
	if w := k.World; w.Tracing() {
		w.Emit(t, "futex_wake", sim.U("flags", uint64(flags)), sim.I("nr_wake", int64(nr)), sim.I("woken", int64(ret)))
	}
	return ret
}

// Futex is the futex(2) system call for the operations the simulator
// needs: FUTEX_WAKE and FUTEX_WAKE_BITSET (with or without
// FUTEX_PRIVATE_FLAG). It returns the number woken or a negated errno;
// other operations are -ENOSYS.
// Differs from Linux: FUTEX_WAIT and the requeue, PI and wake-op
// operations are not implemented (-ENOSYS).
// Linux: kernel/futex/syscalls.c:do_futex()
func Futex(task *Task, uaddr uint64, op int, val uint32, val3 uint32) int {
	defer task.ReturnToUser()
	flags := uint32(FLAGS_SIZE_32)
	if op&FUTEX_PRIVATE_FLAG == 0 {
		flags |= FLAGS_SHARED
	}
	if op&FUTEX_CLOCK_REALTIME != 0 {
		return -ENOSYS // only valid with wait ops
	}
	nr := int(int32(val)) // futex_wake wakes one for nr <= 0
	switch op &^ (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) {
	case FUTEX_WAKE:
		return task.Proc.K.FutexWake(task.Thread, task.Proc, uaddr, flags, nr, FUTEX_BITSET_MATCH_ANY)
	case FUTEX_WAKE_BITSET:
		return task.Proc.K.FutexWake(task.Thread, task.Proc, uaddr, flags, nr, val3)
	}
	return -ENOSYS
}

// loadUserWord loads a naturally aligned user word of 1, 2, 4 or 8 bytes
// atomically (the user side may store it concurrently).
func loadUserWord(b []byte) uint64 {
	p := unsafe.Pointer(&b[0])
	switch len(b) {
	case 4:
		return uint64(rings.ReadOnce((*uint32)(p)))
	case 8:
		return rings.ReadOnce64((*uint64)(p))
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	}
	return uint64(b[0])
}
