package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// ioMaxQueryEntries bounds the chain one IORING_REGISTER_QUERY walks.
// Linux: io_uring/query.c:IO_MAX_QUERY_ENTRIES
const ioMaxQueryEntries = 1000

// ioMaxQuerySize is the largest result structure (union io_query_data).
// Linux: io_uring/query.c:IO_MAX_QUERY_SIZE
const ioMaxQuerySize = uint32(unsafe.Sizeof(rings.QueryOpcode{}))

// queryOps fills the answer to IO_URING_QUERY_OPCODES.
// Linux: io_uring/query.c:io_query_ops()
func queryOps(data []byte) uint32 {
	e := (*rings.QueryOpcode)(unsafe.Pointer(&data[0]))
	e.NrRequestOpcodes = rings.IORING_OP_LAST
	e.NrRegisterOpcodes = rings.IORING_REGISTER_LAST
	e.FeatureFlags = Features
	e.RingSetupFlags = setupFlags
	e.EnterFlags = enterFlags
	e.SQEFlags = SQE_VALID_FLAGS
	e.NrQueryOpcodes = rings.IO_URING_QUERY_MAX
	e.Pad = 0 // 6.18 hands back a zero pad whatever the caller passed
	return uint32(unsafe.Sizeof(*e))
}

// handleQueryEntry answers one io_uring_query_hdr at uhdr and returns the
// next entry's address. An unknown op is reported in hdr.result
// (-EOPNOTSUPP), as are reserved words, a preset result or a zero size
// (-EINVAL); only faults end the walk.
// Linux: io_uring/query.c:io_handle_query_entry()
func handleQueryEntry(task *Task, data []byte, uhdr uint64) (next uint64, errno int) {
	as := task.Proc.MM
	var hdr rings.QueryHdr
	hb := unsafe.Slice((*byte)(unsafe.Pointer(&hdr)), unsafe.Sizeof(hdr))
	if as.CopyFromUser(hb, uhdr) != 0 {
		return 0, -EFAULT
	}
	usize := hdr.Size
	hdr.Size = min(hdr.Size, ioMaxQuerySize)
	udata := hdr.QueryData
	ret := -EINVAL
	resSize := uint32(0)
	switch {
	case hdr.QueryOp >= rings.IO_URING_QUERY_MAX:
		ret = -EOPNOTSUPP
	case hdr.Resv != [3]uint32{} || hdr.Result != 0 || hdr.Size == 0:
	default:
		if as.CopyFromUser(data[:hdr.Size], udata) != 0 {
			return 0, -EFAULT
		}
		switch hdr.QueryOp {
		case rings.IO_URING_QUERY_OPCODES:
			resSize = queryOps(data)
			ret = 0
		}
	}
	hdr.Result = int32(ret)
	hdr.Size = min(usize, resSize)
	// copy_struct_to_user: the answer, then zeroes up to the user's size.
	if as.CopyToUser(udata, data[:hdr.Size]) != 0 {
		return 0, -EFAULT
	}
	var zero [512]byte
	for off := uint64(hdr.Size); off < uint64(usize); {
		n := min(uint64(usize)-off, uint64(len(zero)))
		if as.CopyToUser(udata+off, zero[:n]) != 0 {
			return 0, -EFAULT
		}
		off += n
	}
	if as.CopyToUser(uhdr, hb) != 0 {
		return 0, -EFAULT
	}
	return hdr.NextEntry, 0
}

// query is IORING_REGISTER_QUERY, on a ring or blind (fd -1): it walks
// the chain of io_uring_query_hdr entries at arg, answering each; nrArgs
// must be 0, and a chain of 1000 entries or more is -ERANGE.
// Linux: io_uring/query.c:io_query()
func query(task *Task, arg uint64, nrArgs uint32) int {
	if nrArgs != 0 {
		return -EINVAL
	}
	data := make([]byte, ioMaxQuerySize)
	for nr := 0; arg != 0; {
		next, ret := handleQueryEntry(task, data, arg)
		if ret != 0 {
			return ret
		}
		arg = next
		// Have some limit to avoid a potential cycle.
		if nr++; nr >= ioMaxQueryEntries {
			return -ERANGE
		}
	}
	return 0
}

// registerBlind handles the "blind" opcodes, those given no ring (fd -1):
// IORING_REGISTER_SEND_MSG_RING and IORING_REGISTER_QUERY.
// Linux: io_uring/register.c:io_uring_register_blind()
func registerBlind(task *Task, opcode uint32, arg uint64, nrArgs uint32) int {
	switch opcode {
	case rings.IORING_REGISTER_SEND_MSG_RING:
		return registerSendMsgRing(task, arg, nrArgs)
	case rings.IORING_REGISTER_QUERY:
		return query(task, arg, nrArgs)
	}
	return -EINVAL
}

// registerSendMsgRing is IORING_REGISTER_SEND_MSG_RING: the SQE at arg,
// an IORING_OP_MSG_RING without flags, is carried out at once.
// Linux: io_uring/register.c:io_uring_register_send_msg_ring()
func registerSendMsgRing(task *Task, arg uint64, nrArgs uint32) int {
	if arg == 0 || nrArgs != 1 {
		return -EINVAL
	}
	var sqe rings.SQE
	if task.Proc.MM.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&sqe)), unsafe.Sizeof(sqe)), arg) != 0 {
		return -EFAULT
	}
	// No flags supported.
	if sqe.Flags != 0 || sqe.Opcode != rings.IORING_OP_MSG_RING {
		return -EINVAL
	}
	if task.Proc.K.table.SyncMsgRing == nil {
		return -EINVAL
	}
	return task.Proc.K.table.SyncMsgRing(task, &sqe)
}
