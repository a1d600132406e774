package rings

import (
	"fmt"
	"strconv"
	"strings"
)

// constName is one named constant of the tables in names_table.go.
type constName struct {
	Name  string
	Value uint64
}

// Family is a set of flags sharing one flag word (sqe->flags, cqe->flags,
// io_uring_params.flags, ...), for FlagNames.
//
// Linux: include/uapi/linux/io_uring.h
type Family uint8

// Flag families.
const (
	FamilySQEFlags Family = iota
	FamilyCQEFlags
	FamilySetupFlags
	FamilyEnterFlags
	FamilyFeatures
	FamilySQRingFlags
	FamilyCQRingFlags
	FamilyPollEvents
	FamilyTimeoutFlags
	FamilyPollAddFlags
	FamilyAsyncCancelFlags
	FamilyRecvSendFlags
	FamilyAcceptFlags
	FamilyMsgRingFlags
	FamilyNopFlags
	FamilyUringCmdFlags
	FamilyFsyncFlags
	FamilySpliceFlags
	FamilyInstallFdFlags
	FamilyRWAttrFlags
	FamilyRsrcRegisterFlags
	FamilyPbufRingFlags
	FamilyCloneBuffersFlags
	FamilyRegWaitFlags
	FamilyRegionDescFlags
	FamilyMemRegionRegFlags
	FamilyZcrxAreaFlags
	FamilyProbeOpFlags

	familyCount
)

// familyNames are the String() forms of the families.
var familyNames = [familyCount]string{
	FamilySQEFlags:          "sqe_flags",
	FamilyCQEFlags:          "cqe_flags",
	FamilySetupFlags:        "setup_flags",
	FamilyEnterFlags:        "enter_flags",
	FamilyFeatures:          "features",
	FamilySQRingFlags:       "sq_ring_flags",
	FamilyCQRingFlags:       "cq_ring_flags",
	FamilyPollEvents:        "poll_events",
	FamilyTimeoutFlags:      "timeout_flags",
	FamilyPollAddFlags:      "poll_add_flags",
	FamilyAsyncCancelFlags:  "async_cancel_flags",
	FamilyRecvSendFlags:     "recvsend_flags",
	FamilyAcceptFlags:       "accept_flags",
	FamilyMsgRingFlags:      "msg_ring_flags",
	FamilyNopFlags:          "nop_flags",
	FamilyUringCmdFlags:     "uring_cmd_flags",
	FamilyFsyncFlags:        "fsync_flags",
	FamilySpliceFlags:       "splice_flags",
	FamilyInstallFdFlags:    "install_fd_flags",
	FamilyRWAttrFlags:       "rw_attr_flags",
	FamilyRsrcRegisterFlags: "rsrc_register_flags",
	FamilyPbufRingFlags:     "pbuf_ring_flags",
	FamilyCloneBuffersFlags: "clone_buffers_flags",
	FamilyRegWaitFlags:      "reg_wait_flags",
	FamilyRegionDescFlags:   "region_desc_flags",
	FamilyMemRegionRegFlags: "mem_region_reg_flags",
	FamilyZcrxAreaFlags:     "zcrx_area_flags",
	FamilyProbeOpFlags:      "probe_op_flags",
}

// String is the family's short name ("cqe_flags", "sqe_flags", ...).
func (f Family) String() string {
	if f < familyCount {
		return familyNames[f]
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// Families lists every flag family, in declaration order.
func Families() []Family {
	fs := make([]Family, familyCount)
	for i := range fs {
		fs[i] = Family(i)
	}
	return fs
}

// FamilyByName is the inverse of Family.String.
func FamilyByName(name string) (Family, bool) {
	for f, n := range familyNames {
		if n == name {
			return Family(f), true
		}
	}
	return 0, false
}

// FlagNames formats a flag word of the given family as its uapi names joined
// with "|" in bit order, followed by any bits the family does not name as one
// hex number: FlagNames(FamilySQEFlags, 0x85) is
// "IOSQE_FIXED_FILE|IOSQE_IO_LINK|0x80". Zero is "0". For IORING_CQE_F_* the
// buffer ID in the upper 16 bits shows as hex. ParseFlags reverses it.
func FlagNames(f Family, value uint64) string {
	if value == 0 {
		return "0"
	}
	var flags []constName
	if f < familyCount {
		flags = familyFlags[f]
	}
	var b strings.Builder
	rest := value
	for _, c := range flags {
		if value&c.Value == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(c.Name)
		rest &^= c.Value
	}
	if rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x")
		b.WriteString(strconv.FormatUint(rest, 16))
	}
	return b.String()
}

// ParseFlags parses a flag expression: terms joined with "|", each a
// constant name known to Lookup or a number in Go syntax (decimal, 0x hex,
// 0o/0 octal, 0b binary; a leading '-' is taken as two's complement), with
// optional spaces around terms. "A|B|0x10|3" is A, B, 0x10 and 3 or'ed.
func ParseFlags(s string) (uint64, error) {
	var v uint64
	for term := range strings.SplitSeq(s, "|") {
		term = strings.TrimSpace(term)
		if term == "" {
			return 0, fmt.Errorf("rings: empty term in flags %q", s)
		}
		if c, ok := Lookup(term); ok {
			v |= c
			continue
		}
		if n, err := strconv.ParseUint(term, 0, 64); err == nil {
			v |= n
			continue
		}
		if n, err := strconv.ParseInt(term, 0, 64); err == nil {
			v |= uint64(n)
			continue
		}
		return 0, fmt.Errorf("rings: unknown flag %q in %q", term, s)
	}
	return v, nil
}

// Lookup resolves the uapi name of any constant of this package (IORING_*,
// IOSQE_*, IOU_*, IO_*, SOCKET_URING_OP_*, SPLICE_F_FD_IN_FIXED, POLL*,
// EPOLL*) to its value. Negative constants (IORING_REGISTER_FILES_SKIP) are
// returned sign-extended to 64 bits. It scans the literal tables (a few
// hundred names): meant for parsing, not for hot paths.
func Lookup(name string) (uint64, bool) {
	for op, n := range opNames {
		if n == name {
			return uint64(op), true
		}
	}
	for op, n := range registerOpNames {
		if n == name {
			return uint64(op), true
		}
	}
	for _, flags := range familyFlags {
		for _, c := range flags {
			if c.Name == name {
				return c.Value, true
			}
		}
	}
	for _, c := range otherNames {
		if c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// OpName is the uapi name of an opcode, "IORING_OP_READ" for
// IORING_OP_READ; an opcode Linux 6.18 does not define is its decimal
// number, which OpByName accepts back.
func OpName(op uint8) string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return strconv.Itoa(int(op))
}

// OpByName resolves an opcode from "IORING_OP_READ", "READ" or "read" (any
// case), or a decimal number below 256.
func OpByName(s string) (uint8, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(n), true
	}
	s = "IORING_OP_" + strings.TrimPrefix(strings.ToUpper(s), "IORING_OP_")
	for op, name := range opNames {
		if name == s {
			return uint8(op), true
		}
	}
	return 0, false
}

// RegisterOpName is the uapi name of an io_uring_register(2) opcode
// ("IORING_REGISTER_PROBE"), with "|IORING_REGISTER_USE_REGISTERED_RING"
// appended when that bit is set; an undefined opcode is its decimal number.
func RegisterOpName(op uint32) string {
	suffix := ""
	if op&IORING_REGISTER_USE_REGISTERED_RING != 0 {
		op &^= IORING_REGISTER_USE_REGISTERED_RING
		suffix = "|IORING_REGISTER_USE_REGISTERED_RING"
	}
	if op < IORING_REGISTER_LAST {
		return registerOpNames[op] + suffix
	}
	return strconv.FormatUint(uint64(op), 10) + suffix
}

// RegisterOpByName resolves an io_uring_register(2) opcode from its uapi
// name ("IORING_REGISTER_PROBE", "IORING_UNREGISTER_FILES"), the name
// without "IORING_" ("register_probe", any case), a register opcode without
// "IORING_REGISTER_" ("PROBE", "probe"), or a decimal number.
func RegisterOpByName(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), true
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "IORING_")
	full, short := "IORING_"+s, "IORING_REGISTER_"+s
	for op, name := range registerOpNames {
		if name == full || name == short {
			return uint32(op), true
		}
	}
	return 0, false
}
