package scenario

import (
	"reflect"
	"strings"
	"testing"
)

// lexView is a compact picture of a lexed token for comparisons.
type lexView struct {
	Line   int
	Key    string
	Val    string
	HasEq  bool
	Quoted bool
}

func viewLines(lines []logicalLine) [][]lexView {
	var out [][]lexView
	for _, ll := range lines {
		var v []lexView
		for _, t := range ll.toks {
			v = append(v, lexView{t.line, t.key, t.val, t.hasEq, t.quoted})
		}
		out = append(out, v)
	}
	return out
}

func TestLex(t *testing.T) {
	bare := func(line int, s string) lexView { return lexView{Line: line, Val: s} }
	kv := func(line int, k, v string) lexView { return lexView{Line: line, Key: k, Val: v, HasEq: true} }
	qkv := func(line int, k, v string) lexView {
		return lexView{Line: line, Key: k, Val: v, HasEq: true, Quoted: true}
	}
	tests := []struct {
		name string
		src  string
		want [][]lexView
	}{
		{"empty", "", nil},
		{"blank and comments", "\n  \n# only a comment\n\t# another\n", nil},
		{"words", "ring r entries=8\n", [][]lexView{{bare(1, "ring"), bare(1, "r"), kv(1, "entries", "8")}}},
		{"no final newline", "nop", [][]lexView{{bare(1, "nop")}}},
		{"crlf", "a b\r\nc\r\n", [][]lexView{{bare(1, "a"), bare(1, "b")}, {bare(2, "c")}}},
		{"trailing comment", "cqe r ud=1 # the first\n", [][]lexView{{bare(1, "cqe"), bare(1, "r"), kv(1, "ud", "1")}}},
		{"comment glued to word", "a ud=1#x\n", [][]lexView{{bare(1, "a"), kv(1, "ud", "1")}}},
		{"continuation", "sqe r nop \\\n  ud=1\nx\n", [][]lexView{{bare(1, "sqe"), bare(1, "r"), bare(1, "nop"), kv(2, "ud", "1")}, {bare(3, "x")}}},
		{"continuation glued", "a ud=1\\\nb\n", [][]lexView{{bare(1, "a"), kv(1, "ud", "1"), bare(2, "b")}}},
		{"continuation then blanks and comment", "a \\  # why\n b\n", [][]lexView{{bare(1, "a"), bare(2, "b")}}},
		{"continuation at EOF", "a \\", [][]lexView{{bare(1, "a")}}},
		{"continuation over blank line", "a \\\n\nb\n", [][]lexView{{bare(1, "a")}, {bare(3, "b")}}},
		{"backslash inside a comment does not continue", "a # x \\\nb\n", [][]lexView{{bare(1, "a")}, {bare(2, "b")}}},
		{"backslash in word", `a\b c`, [][]lexView{{bare(1, `a\b`), bare(1, "c")}}},
		{"continued first line", "\\\nring r\n", [][]lexView{{bare(2, "ring"), bare(2, "r")}}},
		{"string value", `write p.w data="a b # c"`, [][]lexView{{bare(1, "write"), bare(1, "p.w"), qkv(1, "data", "a b # c")}}},
		{"escapes", `x data="\n\t\\\"\x00\xfF"`, [][]lexView{{bare(1, "x"), qkv(1, "data", "\n\t\\\"\x00\xff")}}},
		{"empty string", `x data=""`, [][]lexView{{bare(1, "x"), qkv(1, "data", "")}}},
		{"bare string", `x "hi there"`, [][]lexView{{bare(1, "x"), {Line: 1, Val: "hi there", Quoted: true}}}},
		{"string then continuation", "x data=\"a\"\\\ny=1", [][]lexView{{bare(1, "x"), qkv(1, "data", "a"), kv(2, "y", "1")}}},
		{"first equals splits", "x a=b=c", [][]lexView{{bare(1, "x"), kv(1, "a", "b=c")}}},
		{"empty value", "x a=", [][]lexView{{bare(1, "x"), kv(1, "a", "")}}},
		{"non-ASCII kept", "x data=\"é\xff\"", [][]lexView{{bare(1, "x"), qkv(1, "data", "é\xff")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := lex("t.scn", []byte(tt.src))
			if err != nil {
				t.Fatalf("lex: %v", err)
			}
			if got := viewLines(lines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLexLineOfLogicalLine(t *testing.T) {
	lines, err := lex("t.scn", []byte("\n\n  a \\\n b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].line != 3 {
		t.Fatalf("got %+v, want one line starting at 3", lines)
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"x data=\"abc\n", `t.scn:1: unterminated string "\"abc"`},
		{"\n\nx data=\"abc", `t.scn:3: unterminated string "\"abc"`},
		{"x data=\"ab\\", `t.scn:1: unterminated string "\"ab\\"`},
		{"x data=\"ab\\\ncd\"", `t.scn:1: unterminated string "\"ab\\"`},
		{`x data="a\q"`, `t.scn:1: bad escape "\\q" in string`},
		{`x data="a\x4"`, `t.scn:1: bad escape "\\x4" in string (want \xHH)`},
		{`x data="a\xzz"`, `t.scn:1: bad escape "\\xzz" in string (want \xHH)`},
		{`x data="a"b`, `t.scn:1: unexpected "b" after string "data=\"a\""`},
		{`x ab"c"`, `t.scn:1: unexpected quote in "ab\""`},
		{`x a=b"c"`, `t.scn:1: unexpected quote in "a=b\""`},
	}
	for _, tt := range tests {
		_, err := lex("t.scn", []byte(tt.src))
		if err == nil {
			t.Errorf("lex(%q): no error, want %s", tt.src, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("lex(%q):\n got %s\nwant %s", tt.src, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "t.scn:") {
			t.Errorf("no FILE:LINE prefix: %v", err)
		}
	}
}
