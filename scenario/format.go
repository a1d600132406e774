package scenario

import (
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/rings"
)

// FormatRes formats a result as SCENARIO.md prints it: a negative errno as
// its name ("-ECANCELED"), anything else in decimal.
func FormatRes(res int64) string {
	var buf [24]byte
	return string(appendRes(buf[:0], res))
}

// appendRes appends res formatted as FormatRes does.
func appendRes(b []byte, res int64) []byte {
	if res < 0 && res >= -4095 {
		if name := rings.ErrnoName(int(-res)); name != "" {
			return append(append(b, '-'), name...)
		}
	}
	return strconv.AppendInt(b, res, 10)
}

// formatCQEFlags formats cqe->flags without the buffer id when
// IORING_CQE_F_BUFFER is set (the id is printed by bid=).
func formatCQEFlags(flags uint32) (names string, bid uint32, hasBID bool) {
	if flags&rings.IORING_CQE_F_BUFFER != 0 {
		return rings.FlagNames(rings.FamilyCQEFlags, uint64(flags&(1<<rings.IORING_CQE_BUFFER_SHIFT-1))),
			flags >> rings.IORING_CQE_BUFFER_SHIFT, true
	}
	return rings.FlagNames(rings.FamilyCQEFlags, uint64(flags)), 0, false
}

// CQE is a completion as the runner reaped it, for matching and printing.
type CQE struct {
	UD    uint64
	Res   int32
	Flags uint32    // as in the CQE: the buffer id in the upper 16 bits
	Big   [2]uint64 // the extra words of a 32-byte CQE
}

// FormatCQE formats a reaped CQE as the runner prints it (SCENARIO.md,
// "Output"): `cqe RING ud=N res=R flags=F [bid=N]`, res as an errno name
// when negative, flags as uapi names joined by '|' in bit order or 0, bid=
// when IORING_CQE_F_BUFFER is set.
func FormatCQE(ring string, c CQE) string {
	var buf [96]byte // one allocation: the string
	b := append(buf[:0], "cqe "...)
	b = append(b, ring...)
	b = append(b, " ud="...)
	b = strconv.AppendUint(b, c.UD, 10)
	b = append(b, " res="...)
	b = appendRes(b, int64(c.Res))
	names, bid, hasBID := formatCQEFlags(c.Flags)
	b = append(b, " flags="...)
	b = append(b, names...)
	if hasBID {
		b = append(b, " bid="...)
		b = strconv.AppendUint(b, uint64(bid), 10)
	}
	return string(b)
}

// Match reports whether got satisfies the expectation: ud and res equal
// (or `*`); with flags=, the low 16 bits of cqe->flags are exactly those
// flags; with bid=, IORING_CQE_F_BUFFER is set and the upper 16 bits are
// that id; with big0=/big1=, the extra words are equal.
func (c *CQEExpect) Match(got CQE) bool {
	const low = 1<<rings.IORING_CQE_BUFFER_SHIFT - 1
	if !c.UD.Matches(got.UD) || !c.Res.Matches(uint64(int64(got.Res))) ||
		!c.Flags.Matches(uint64(got.Flags&low)) ||
		!c.Big0.Matches(got.Big[0]) || !c.Big1.Matches(got.Big[1]) {
		return false
	}
	if c.BID.Set && !c.BID.Any {
		return got.Flags&rings.IORING_CQE_F_BUFFER != 0 &&
			uint64(got.Flags>>rings.IORING_CQE_BUFFER_SHIFT) == c.BID.V
	}
	return true
}

// String formats the expectation in the same canonical form as FormatCQE,
// with `*` for wildcards and only the keys that were given:
// `cqe r ud=3 res=-ECANCELED flags=IORING_CQE_F_MORE bid=1`.
func (c *CQEExpect) String() string {
	return "cqe " + c.Ring + " " + c.fields()
}

// fields formats the keys of the expectation, without the ring.
func (c *CQEExpect) fields() string {
	var parts []string
	add := func(key string, n Num, format func(uint64) string) {
		switch {
		case !n.Set:
		case n.Any:
			parts = append(parts, key+"=*")
		default:
			parts = append(parts, key+"="+format(n.V))
		}
	}
	dec := func(v uint64) string { return strconv.FormatUint(v, 10) }
	add("ud", c.UD, dec)
	add("res", c.Res, func(v uint64) string { return FormatRes(int64(v)) })
	add("flags", c.Flags, func(v uint64) string { return rings.FlagNames(rings.FamilyCQEFlags, v) })
	add("bid", c.BID, dec)
	add("big0", c.Big0, dec)
	add("big1", c.Big1, dec)
	return strings.Join(parts, " ")
}

// String formats the block as it would be written, one line per cqe.
func (u *UnorderedBlock) String() string {
	var b strings.Builder
	b.WriteString("unordered " + u.Ring + "\n")
	u.body(&b, "  ")
	b.WriteString("end")
	return b.String()
}

func (u *UnorderedBlock) body(b *strings.Builder, indent string) {
	for _, c := range u.CQEs {
		b.WriteString(indent + "cqe " + c.fields() + "\n")
	}
}

// String formats the block as it would be written.
func (e *EitherBlock) String() string {
	var b strings.Builder
	b.WriteString("either " + e.Ring + "\n")
	for i, alt := range e.Alts {
		if i > 0 {
			b.WriteString("or\n")
		}
		for _, it := range alt.Items {
			switch it := it.(type) {
			case *CQEExpect:
				b.WriteString("  cqe " + it.fields() + "\n")
			case *UnorderedBlock:
				b.WriteString("  unordered\n")
				it.body(&b, "    ")
				b.WriteString("  end\n")
			}
		}
	}
	b.WriteString("end")
	return b.String()
}
