package sim

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// NewJSONSink returns a Sink writing one JSON object per line (JSON
// lines):
//
//	{"time_ns":12500,"tid":1,"thread":"main","name":"io_uring_submit_req","args":{"ctx":1,"opcode":"IORING_OP_NOP","user_data":"0x1"}}
//
// Integer fields are JSON numbers, hex fields strings "0x...", string
// fields strings; args keep the order the fields were given. Each line is
// written with one Write call; write errors are ignored.
func NewJSONSink(w io.Writer) Sink { return &jsonSink{w: w} }

type jsonSink struct {
	w   io.Writer
	buf []byte
}

func (s *jsonSink) Event(e *Event) {
	b := s.buf[:0]
	b = append(b, `{"time_ns":`...)
	b = strconv.AppendInt(b, int64(e.Time), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(e.Thread), 10)
	b = append(b, `,"thread":`...)
	b = appendJSONString(b, e.ThreadName)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, e.Name)
	b = append(b, `,"args":`...)
	b = appendJSONArgs(b, e.Fields)
	b = append(b, "}\n"...)
	s.buf = b
	_, _ = s.w.Write(b)
}

// appendJSONArgs appends the fields as a JSON object.
func appendJSONArgs(b []byte, fields []Field) []byte {
	b = append(b, '{')
	for i := range fields {
		f := &fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Key)
		b = append(b, ':')
		b = appendJSONValue(b, f)
	}
	return append(b, '}')
}

// appendJSONValue appends a field's value as JSON.
func appendJSONValue(b []byte, f *Field) []byte {
	switch {
	case f.IsStr:
		return appendJSONString(b, f.Str)
	case f.Hex:
		b = append(b, `"0x`...)
		b = strconv.AppendUint(b, uint64(f.Int), 16)
		return append(b, '"')
	case f.Unsigned:
		return strconv.AppendUint(b, uint64(f.Int), 10)
	}
	return strconv.AppendInt(b, f.Int, 10)
}

// appendJSONString appends s as a JSON string literal (invalid UTF-8
// becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
