package sim

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// NewTextSink returns a Sink writing one line per event to w, in columns
// that fit 80 characters where the names allow:
//
//	12.500us  main        io_uring_submit_req   ctx=1 req=3 opcode=IORING_OP_NOP user_data=0x1
//
// time (microseconds with nanosecond precision, right-aligned in 11), the
// thread name (12 wide), the event name (22 wide), then key=value fields
// in the order given. Strings containing spaces, quotes, '=' or
// non-printable characters (or empty ones) are Go-quoted. The output is a
// pure function of the events, so the same run gives byte-identical text.
// Each line is written with one Write call; write errors are ignored.
func NewTextSink(w io.Writer) Sink { return &textSink{w: w} }

type textSink struct {
	w   io.Writer
	buf []byte
}

func (s *textSink) Event(e *Event) {
	b := s.buf[:0]
	start := len(b)
	b = appendTime(b, e.Time)
	b = padLeft(b, start, 11)
	b = append(b, "  "...)
	start = len(b)
	b = append(b, e.ThreadName...)
	b = padRight(b, start, 11)
	b = append(b, ' ')
	start = len(b)
	b = append(b, e.Name...)
	if len(e.Fields) > 0 {
		b = padRight(b, start, 21)
		for _, f := range e.Fields {
			b = append(b, ' ')
			b = append(b, f.Key...)
			b = append(b, '=')
			b = appendTextValue(b, &f)
		}
	}
	b = append(b, '\n')
	s.buf = b
	_, _ = s.w.Write(b)
}

// appendTime appends d as microseconds with three decimals: "12.500us".
func appendTime(b []byte, d time.Duration) []byte {
	ns := int64(d)
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	b = strconv.AppendInt(b, ns/1000, 10)
	frac := ns % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'u', 's')
	return b
}

// padLeft right-aligns b[start:] in width columns.
func padLeft(b []byte, start, width int) []byte {
	n := len(b) - start
	if n >= width {
		return b
	}
	pad := width - n
	for range pad {
		b = append(b, ' ')
	}
	copy(b[start+pad:], b[start:start+n])
	for i := start; i < start+pad; i++ {
		b[i] = ' '
	}
	return b
}

// padRight pads b[start:] with spaces to width columns.
func padRight(b []byte, start, width int) []byte {
	for n := utf8.RuneCount(b[start:]); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendTextValue appends a field's value as the text sink shows it.
func appendTextValue(b []byte, f *Field) []byte {
	switch {
	case f.IsStr:
		if needsQuote(f.Str) {
			return strconv.AppendQuote(b, f.Str)
		}
		return append(b, f.Str...)
	case f.Hex:
		b = append(b, "0x"...)
		return strconv.AppendUint(b, uint64(f.Int), 16)
	case f.Unsigned:
		return strconv.AppendUint(b, uint64(f.Int), 10)
	}
	return strconv.AppendInt(b, f.Int, 10)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '=' || r == '\\' || r == utf8.RuneError || r == 0x7f {
			return true
		}
	}
	return false
}
