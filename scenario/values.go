package scenario

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/uringsim/uringsim/rings"
)

// parseIntLit parses a decimal or 0x-hex integer with an optional leading
// '-'. It returns the value in 64-bit two's complement; ok is false when s is
// not such a literal or does not fit (below -2^63 or above 2^64-1).
func parseIntLit(s string) (v uint64, neg, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	u, ok := parseUintLit(s)
	if !ok {
		return 0, false, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false, false
		}
		return -u, u != 0, true
	}
	return u, false, true
}

// parseUintLit parses a non-negative decimal or 0x-hex integer.
func parseUintLit(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base = 16
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || base == 16 && isHex(c)) {
			return 0, false
		}
	}
	u, err := strconv.ParseUint(s, base, 64)
	return u, err == nil
}

// looksNumeric reports whether s was meant as an integer literal.
func looksNumeric(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && '0' <= s[0] && s[0] <= '9'
}

// numText resolves text as an integer, an errno name (-EAGAIN) or a flag set
// (A|B|0x10), checking that it fits a field of the given width: an n-bit
// field takes -2^(n-1) … 2^n-1 (negatives stored in two's complement). what
// names the key for messages.
func (p *parser) numText(line int, what, text string, bits int, allowAny bool) (Num, error) {
	n := Num{Set: true, Text: text}
	switch {
	case text == "":
		return n, errorf(p.file, line, "missing value for %s", what)
	case text == "*":
		if !allowAny {
			return n, errorf(p.file, line, "%s=* not allowed here (* only matches in expectations)", what)
		}
		n.Any = true
		return n, nil
	case strings.HasPrefix(text, "-E") && !strings.Contains(text, "|"):
		e, ok := rings.ErrnoByName(text[1:])
		if !ok || e <= 0 {
			return n, errorf(p.file, line, "unknown errno name %q", text)
		}
		n.V = uint64(-int64(e))
		return n, p.checkWidth(line, what, n, true, bits)
	}
	if v, neg, ok := parseIntLit(text); ok {
		n.V = v
		return n, p.checkWidth(line, what, n, neg, bits)
	}
	if !strings.Contains(text, "|") && looksNumeric(text) {
		return n, errorf(p.file, line, "bad number %q for %s", text, what)
	}
	if v, neg, ok := lookupConst(text); ok { // one name: its value, sign included
		n.V = v
		return n, p.checkWidth(line, what, n, neg, bits)
	}
	for _, part := range strings.Split(text, "|") {
		switch {
		case part == "":
			return n, errorf(p.file, line, "bad flag set %q for %s", text, what)
		case looksNumeric(part):
			u, ok := parseUintLit(part)
			if !ok {
				return n, errorf(p.file, line, "bad number %q in %s", part, what)
			}
			n.V |= u
		default:
			u, _, ok := lookupConst(part)
			if !ok {
				return n, errorf(p.file, line, "unknown flag %q", part)
			}
			n.V |= u
		}
	}
	return n, p.checkWidth(line, what, n, false, bits)
}

func (p *parser) checkWidth(line int, what string, n Num, neg bool, bits int) error {
	if bits >= 64 {
		return nil
	}
	if neg {
		if int64(n.V) >= -(int64(1) << (bits - 1)) {
			return nil
		}
	} else if n.V <= 1<<bits-1 {
		return nil
	}
	return errorf(p.file, line, "value %q out of range for %s (%d bits)", n.Text, what, bits)
}

// num resolves the value of a key=value token.
func (p *parser) num(t token, bits int, allowAny bool) (Num, error) {
	if t.quoted {
		return Num{}, errorf(p.file, t.line, "unexpected string in %q", t.text)
	}
	return p.numText(t.line, t.key, t.val, bits, allowAny)
}

// durText parses a duration: "0", or digits followed by ns, us, ms or s.
func (p *parser) durText(line int, what, text string) (Dur, error) {
	d := Dur{Set: true, Text: text}
	if text == "0" {
		return d, nil
	}
	i := 0
	for i < len(text) && '0' <= text[i] && text[i] <= '9' {
		i++
	}
	var unit time.Duration
	switch text[i:] {
	case "ns":
		unit = time.Nanosecond
	case "us":
		unit = time.Microsecond
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	}
	if i == 0 || unit == 0 {
		return d, errorf(p.file, line, "bad duration %q for %s (want 0, or N with ns, us, ms or s)", text, what)
	}
	v, err := strconv.ParseUint(text[:i], 10, 63)
	if err != nil || v > uint64(math.MaxInt64/int64(unit)) {
		return d, errorf(p.file, line, "duration %q out of range for %s", text, what)
	}
	d.D = time.Duration(v) * unit
	return d, nil
}

func (p *parser) dur(t token) (Dur, error) {
	if t.quoted {
		return Dur{}, errorf(p.file, t.line, "unexpected string in %q", t.text)
	}
	return p.durText(t.line, t.key, t.val)
}

func (p *parser) str(t token) (Str, error) {
	if !t.quoted {
		return Str{}, errorf(p.file, t.line, "%s=%s: want a double-quoted string", t.key, t.val)
	}
	return Str{Set: true, S: t.val, Text: t.text}, nil
}

// isIdent reports whether s is an identifier: a letter or '_', then letters,
// digits and '_'.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isObjName reports whether s may name an object: an identifier, or an
// identifier and a part joined with '.' (p.r, s.0).
func isObjName(s string) bool {
	base, part, dotted := strings.Cut(s, ".")
	if !dotted {
		return isIdent(s)
	}
	if !isIdent(base) || part == "" {
		return false
	}
	for i := 0; i < len(part); i++ {
		c := part[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
