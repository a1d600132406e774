package scenario

import "testing"

func TestFormatCQE(t *testing.T) {
	tests := []struct {
		ud    uint64
		res   int32
		flags uint32
		want  string
	}{
		{1, 0, 0, "cqe r ud=1 res=0 flags=0"},
		{3, -125, 0, "cqe r ud=3 res=-ECANCELED flags=0"},
		{2, 4096, 2, "cqe r ud=2 res=4096 flags=IORING_CQE_F_MORE"},
		{9, 11, 1 | 2 | 5<<16, "cqe r ud=9 res=11 flags=IORING_CQE_F_BUFFER|IORING_CQE_F_MORE bid=5"},
		{9, 11, 1, "cqe r ud=9 res=11 flags=IORING_CQE_F_BUFFER bid=0"},
		{18446744073709551615, -11, 0x8040, "cqe r ud=18446744073709551615 res=-EAGAIN flags=IORING_CQE_F_32|0x40"},
		{0, -4096, 0, "cqe r ud=0 res=-4096 flags=0"},
		{0, -2147483648, 4 << 16, "cqe r ud=0 res=-2147483648 flags=0x40000"},
	}
	for _, tt := range tests {
		if got := FormatCQE("r", CQE{UD: tt.ud, Res: tt.res, Flags: tt.flags}); got != tt.want {
			t.Errorf("FormatCQE(%d, %d, %#x) = %q, want %q", tt.ud, tt.res, tt.flags, got, tt.want)
		}
	}
}

func TestFormatRes(t *testing.T) {
	for res, want := range map[int64]string{0: "0", 7: "7", -1: "-EPERM", -62: "-ETIME", -9999: "-9999", -530: "-ERECALLCONFLICT"} {
		if got := FormatRes(res); got != want {
			t.Errorf("FormatRes(%d) = %q, want %q", res, got, want)
		}
	}
}

func TestExpectString(t *testing.T) {
	src := prelude + `cqe r ud=0x10 res=-ECANCELED
cqe r ud=* res=3 flags=IORING_CQE_F_BUFFER|IORING_CQE_F_MORE bid=2 big0=1 big1=*
cqe r ud=1 res=0xffffffff flags=0
unordered r
cqe ud=1 res=0
cqe ud=2 res=*
end
either r
cqe ud=1 res=0
unordered
cqe ud=2 res=0
end
or
cqe ud=1 res=-EAGAIN
end
`
	sc, err := Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cqe r ud=16 res=-ECANCELED",
		"cqe r ud=* res=3 flags=IORING_CQE_F_BUFFER|IORING_CQE_F_MORE bid=2 big0=1 big1=*",
		"cqe r ud=1 res=-EPERM flags=0",
		"unordered r\n  cqe ud=1 res=0\n  cqe ud=2 res=*\nend",
		"either r\n  cqe ud=1 res=0\n  unordered\n    cqe ud=2 res=0\n  end\nor\n  cqe ud=1 res=-EAGAIN\nend",
	}
	cmds := sc.Cmds[len(sc.Cmds)-len(want):]
	for i, w := range want {
		s, ok := cmds[i].Cmd.(interface{ String() string })
		if !ok {
			t.Fatalf("%T has no String", cmds[i].Cmd)
		}
		if got := s.String(); got != w {
			t.Errorf("got\n%s\nwant\n%s", got, w)
		}
	}
	// A printed block parses back to the same block.
	for _, c := range cmds[3:] {
		s := c.Cmd.(interface{ String() string }).String()
		back, err := Parse("t.scn", []byte(prelude+s+"\n"))
		if err != nil {
			t.Fatalf("reparse %q: %v", s, err)
		}
		if got := back.Cmds[len(back.Cmds)-1].Cmd.(interface{ String() string }).String(); got != s {
			t.Errorf("reparsed as\n%s\nwant\n%s", got, s)
		}
	}
}

func TestCQEExpectMatch(t *testing.T) {
	src := prelude + `cqe r ud=1 res=0
cqe r ud=* res=-ECANCELED
cqe r ud=2 res=5 flags=IORING_CQE_F_MORE
cqe r ud=2 res=5 flags=0
cqe r ud=3 res=* flags=IORING_CQE_F_BUFFER bid=7
cqe r ud=3 res=* bid=*
cqe r ud=4 res=0 big0=1 big1=*
cqe r ud=5 res=0xffffffff
`
	sc, err := Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	exp := func(i int) *CQEExpect { return sc.Cmds[len(sc.Cmds)-8+i].Cmd.(*CQEExpect) }
	tests := []struct {
		i    int
		got  CQE
		want bool
	}{
		{0, CQE{UD: 1}, true},
		{0, CQE{UD: 2}, false},
		{0, CQE{UD: 1, Res: 1}, false},
		{0, CQE{UD: 1, Flags: 2}, true}, // flags not checked
		{1, CQE{UD: 99, Res: -125}, true},
		{1, CQE{UD: 99, Res: 125}, false},
		{2, CQE{UD: 2, Res: 5, Flags: 2}, true},
		{2, CQE{UD: 2, Res: 5, Flags: 3}, false}, // no others
		{2, CQE{UD: 2, Res: 5, Flags: 0}, false},
		{3, CQE{UD: 2, Res: 5}, true},
		{3, CQE{UD: 2, Res: 5, Flags: 4}, false},
		{4, CQE{UD: 3, Res: 9, Flags: 1 | 7<<16}, true},
		{4, CQE{UD: 3, Res: 9, Flags: 1 | 6<<16}, false},
		{4, CQE{UD: 3, Res: 9, Flags: 1 | 2 | 7<<16}, false},
		{5, CQE{UD: 3, Flags: 0}, true},
		{6, CQE{UD: 4, Big: [2]uint64{1, 42}}, true},
		{6, CQE{UD: 4, Big: [2]uint64{0, 42}}, false},
		{7, CQE{UD: 5, Res: -1}, true},
	}
	for _, tt := range tests {
		if got := exp(tt.i).Match(tt.got); got != tt.want {
			t.Errorf("%s matches %+v = %v, want %v", exp(tt.i), tt.got, got, tt.want)
		}
	}
}
