package scenario

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// memAt names the user memory holding address a: "MEM+0xOFF" for a `mem`
// mapping (or a buffer ring's pbufN), "scratchN+0xOFF" for memory the
// runner placed a timespec, sockaddr or iovec array in; ok is false for an
// address in none of them.
func (x *runner) memAt(a uint64) (string, bool) {
	in := func(b []byte) (uint64, bool) {
		base := addr(b[:cap(b)])
		return a - base, cap(b) > 0 && a >= base && a-base < uint64(cap(b))
	}
	for _, name := range slices.Sorted(maps.Keys(x.mems)) { // mappings never overlap: at most one holds a
		if off, ok := in(x.mems[name]); ok {
			return name + "+0x" + strconv.FormatUint(off, 16), true
		}
	}
	for i, b := range x.scratch {
		if off, ok := in(b); ok {
			return "scratch" + strconv.Itoa(i) + "+0x" + strconv.FormatUint(off, 16), true
		}
	}
	return "", false
}

// symbolizeAddrs rewrites every hexadecimal number in s that is an
// address in the run's user memory as MEM+0xOFF, so what the runner prints
// (an SQE's addr in fdinfo) is the same run to run and on both backends,
// whatever addresses mmap gave.
func (x *runner) symbolizeAddrs(s string) string {
	if !strings.Contains(s, "0x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "0x")
		if i < 0 {
			break
		}
		j := i + 2
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		b.WriteString(s[:i])
		tok := s[i:j]
		if v, err := strconv.ParseUint(tok[2:], 16, 64); err == nil && (i == 0 || !isHexDigit(s[i-1])) {
			if name, ok := x.memAt(v); ok {
				tok = name
			}
		}
		b.WriteString(tok)
		s = s[j:]
	}
	b.WriteString(s)
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
