package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRun checks that running any well-formed scenario on the simulator
// never panics (a panic inside the runner or the simulated kernel would
// come back as a FAIL whose reason starts with "panic:").
func FuzzRun(f *testing.F) {
	ring := "ring r entries=4\nmem b size=4096\n"
	f.Add([]byte(ring + "sqe r nop ud=1\nsubmit r wait=1\ncqe r ud=1 res=0\n"))
	f.Add([]byte(ring + "poke r sq_tail=7 sq_array[1]=9 cq_head=3\nenter r to_submit=3 min_complete=1 flags=IORING_ENTER_GETEVENTS timeout=1ms\n"))
	f.Add([]byte(ring + "sqe r nop opcode=0xff flags=0xff ioprio=-1 fd=-1 addr=b+4095 len=-1 op_flags=-1 iov=b:16,0:1 ts=1s\nsubmit r\nnocqe r\n"))
	f.Add([]byte(ring + "register r IORING_REGISTER_PBUF_RING bgid=1 entries=4 size=16\nregister r IORING_REGISTER_PROBE\nregister r 200 expect=*\n"))
	f.Add([]byte(ring + "either r\ncqe ud=1 res=0\nor\nunordered\ncqe ud=* res=*\nend\nend\n"))
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "scenarios", "*.scn"))
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, known := KnownSimBug(src); known {
			return // a reproducer of a simulator bug already reported
		}
		sc, err := Parse("f.scn", src)
		if err != nil {
			return
		}
		r := Run(sc, RunOptions{CQEWait: time.Millisecond, Settle: time.Millisecond, Limit: 20 * time.Second})
		if strings.HasPrefix(r.Reason, "panic:") || strings.HasPrefix(r.Reason, "simulator livelock") || strings.Contains(r.Reason, "did not finish") {
			t.Fatalf("%s\n%s\n%s", r.String(), r.Detail, src)
		}
	})
}
