package uring

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestPrepPoll: the liburing-named poll helpers fill the SQE the kernel
// reads. A multishot poll posts F_MORE on each write; an update moves an
// armed one-shot poll from POLLPRI (which a pipe never reports) to POLLIN
// under a new user_data, where the data already there completes it; a
// remove of the multishot ends it with -ECANCELED and no F_MORE (from
// task_work, after the batch's inline completions); a remove of a
// completed poll is -ENOENT.
func TestPrepPoll(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		fs, pr, pw, closePipe := openPipe(t, be)
		defer closePipe()
		var out []cqeRec
		sqe := r.GetSQE()
		PrepPollMultishot(sqe, int32(pr), unix.POLLIN)
		sqe.UserData = 1
		sqe = r.GetSQE()
		PrepPollAdd(sqe, int32(pr), unix.POLLPRI)
		sqe.UserData = 2
		if n, err := r.Submit(); n != 2 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		if _, err := fs.Write(pw, []byte("x")); err != nil {
			t.Fatal(err)
		}
		out = append(out, reapAll(t, r, 1)...)
		sqe = r.GetSQE()
		PrepPollUpdate(sqe, 2, 3, unix.POLLIN, rings.IORING_POLL_UPDATE_EVENTS|rings.IORING_POLL_UPDATE_USER_DATA)
		sqe.UserData = 4
		if n, err := r.Submit(); n != 1 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		out = append(out, reapAll(t, r, 2)...)
		sqe = r.GetSQE()
		PrepPollRemove(sqe, 1)
		sqe.UserData = 5
		sqe = r.GetSQE()
		PrepPollRemove(sqe, 3)
		sqe.UserData = 6
		if n, err := r.Submit(); n != 2 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		out = append(out, reapAll(t, r, 3)...)
		want := []cqeRec{
			{1, unix.POLLIN, rings.IORING_CQE_F_MORE},
			{4, 0, 0}, {3, unix.POLLIN, 0},
			{5, 0, 0}, {6, -int32(unix.ENOENT), 0}, {1, -int32(unix.ECANCELED), 0},
		}
		for i, c := range want {
			if i >= len(out) || out[i] != c {
				t.Errorf("%s: CQEs %v, want %v", be.Name(), out, want)
				break
			}
		}
		if n := r.CQReady(); n != 0 {
			t.Errorf("%s: %d CQEs left", be.Name(), n)
		}
		return out
	})
}
