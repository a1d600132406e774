package uring

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestPrepNetListen: PrepSocket (a normal descriptor), PrepBind to an
// abstract AF_UNIX name, PrepListen, PrepSocketDirect into slot 1,
// PrepConnect of that direct socket, PrepMultishotAcceptDirect (one CQE
// with F_MORE into an allocated slot: 2, after the hint slot 1 left) and PrepAcceptDirect into slot 3
// for a second connection from a direct socket of slot 2.
func TestPrepNetListen(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		var cqes []cqeRec
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		if err := r.RegisterFilesSparse(8); err != nil {
			t.Fatal(err)
		}
		mem, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		base := addrOf(mem)
		name := fmt.Sprintf("\x00uringsim-prepnet-%d-%s", os.Getpid(), be.Name())
		mem[0], mem[1] = unix.AF_UNIX, 0
		n := copy(mem[2:], name)
		alen := uint32(2 + n)
		run := func(k int, prep ...func(*rings.SQE)) []cqeRec {
			for i, p := range prep {
				sqe := r.GetSQE()
				p(sqe)
				sqe.UserData = uint64(len(cqes) + i + 1)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatalf("%s: Submit: %v", be.Name(), err)
			}
			got := reapAll(t, r, k)
			cqes = append(cqes, got...)
			return got
		}
		got := run(1, func(s *rings.SQE) { PrepSocket(s, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0, 0) })
		lfd := got[0].Res
		if lfd < 0 {
			t.Fatalf("%s: socket: %v", be.Name(), got)
		}
		fs, _ := Files(be)
		defer fs.Close(int(lfd))
		cqes[0].Res = 1 // a descriptor; its number differs
		run(1, func(s *rings.SQE) { PrepBind(s, lfd, base, alen) })
		run(1, func(s *rings.SQE) { PrepListen(s, lfd, 8) })
		run(1, func(s *rings.SQE) { PrepSocketDirect(s, unix.AF_UNIX, unix.SOCK_STREAM, 0, 1, 0) })
		run(1, func(s *rings.SQE) {
			PrepConnect(s, 1, base, alen)
			s.Flags |= rings.IOSQE_FIXED_FILE
		})
		run(1, func(s *rings.SQE) { PrepMultishotAcceptDirect(s, lfd, 0, 0, 0) })
		sqe := r.GetSQE()
		PrepCancel64(sqe, 6, 0)
		sqe.UserData = 7
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		cqes = append(cqes, reapAll(t, r, 2)...)
		run(1, func(s *rings.SQE) { PrepSocketDirect(s, unix.AF_UNIX, unix.SOCK_STREAM, 0, 2, 0) })
		run(1, func(s *rings.SQE) {
			PrepConnect(s, 2, base, alen)
			s.Flags |= rings.IOSQE_FIXED_FILE
		})
		run(1, func(s *rings.SQE) { PrepAcceptDirect(s, lfd, 0, 0, 0, 3) })
		want := []cqeRec{{1, 1, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}, {5, 0, 0},
			{6, 2, rings.IORING_CQE_F_MORE}}
		for i, c := range want {
			if i >= len(cqes) || cqes[i] != c {
				t.Errorf("%s: CQEs %v, want a prefix %v", be.Name(), cqes, want)
				break
			}
		}
		return cqes
	})
}
