package scenario

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// an *Error with a line inside the input, and that parsing is deterministic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte(prelude))
	f.Add([]byte(prelude + "either r\ncqe ud=1 res=0\nunordered\ncqe ud=2 res=*\nend\nor\nend\n"))
	f.Add([]byte(prelude + `register r IORING_REGISTER_FILES files=f,p.r,-1 tags=1,2,3` + "\n"))
	f.Add([]byte(prelude + `sqe r readv fd=f iov=b:512,b+512:0x200 ts=1ms sockaddr=l ring_fd=r` + "\n"))
	f.Add([]byte(prelude + `poke r sq_array[3]=-1` + "\n" + `fdinfo r SqHead=* X="a\x00"` + "\n"))
	f.Add([]byte("requires sim kernel>=6.8 op=read\nseed=7\n@t x \\\n y=\"\\x"))
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "parse", "*.scn"))
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkParse(t, src)
		// Again after the prelude, so that names resolve and parsing gets
		// past the first reference.
		checkParse(t, append([]byte(prelude), src...))
	})
}

func checkParse(t *testing.T, src []byte) {
	sc, err := Parse("f.scn", src)
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("error %T %v", err, err)
		}
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		if e.Line < 1 || e.Line > lines || e.File != "f.scn" {
			t.Fatalf("error %v: line outside 1..%d", err, lines)
		}
		if _, err2 := Parse("f.scn", src); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("nondeterministic: %v then %v", err, err2)
		}
		return
	}
	for _, c := range sc.Cmds {
		if c.Cmd == nil || c.Line < 1 {
			t.Fatalf("bad command %+v", c)
		}
		if s, ok := c.Cmd.(interface{ String() string }); ok {
			_ = s.String()
		}
	}
}
