package scenario

import (
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/rings"
)

// FormatRes formats a result as SCENARIO.md prints it: a negative errno as
// its name ("-ECANCELED"), anything else in decimal.
func FormatRes(res int64) string {
	if res < 0 && res >= -4095 {
		if name := rings.ErrnoName(int(-res)); name != "" {
			return "-" + name
		}
	}
	return strconv.FormatInt(res, 10)
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

// FormatCQE formats a reaped CQE as the runner prints it (SCENARIO.md,
// "Output"): `cqe RING ud=N res=R flags=F [bid=N]`, res as an errno name
// when negative, flags as uapi names joined by '|' in bit order or 0, bid=
// when IORING_CQE_F_BUFFER is set.
func FormatCQE(ring string, ud uint64, res int32, flags uint32) string {
	var b strings.Builder
	b.WriteString("cqe ")
	b.WriteString(ring)
	b.WriteString(" ud=")
	b.WriteString(strconv.FormatUint(ud, 10))
	b.WriteString(" res=")
	b.WriteString(FormatRes(int64(res)))
	names, bid, hasBID := formatCQEFlags(flags)
	b.WriteString(" flags=")
	b.WriteString(names)
	if hasBID {
		b.WriteString(" bid=")
		b.WriteString(strconv.FormatUint(uint64(bid), 10))
	}
	return b.String()
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
