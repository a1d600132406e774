package uring

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// noMmapCase is one io_uring_setup with IORING_SETUP_NO_MMAP and the
// user addresses it passes for the rings (cq_off.user_addr) and the SQEs
// (sq_off.user_addr), built from two fresh page-aligned allocations.
type noMmapCase struct {
	name   string
	flags  uint32
	cq, sq func(ring, sqes uint64) uint64
	want   unix.Errno
}

func same(a, _ uint64) uint64   { return a }
func second(_, b uint64) uint64 { return b }

var noMmapCases = []noMmapCase{
	{name: "both given", cq: same, sq: second},
	{name: "both given, SQE128|CQE32|NO_SQARRAY", flags: rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32 | rings.IORING_SETUP_NO_SQARRAY, cq: same, sq: second},
	{name: "no SQE memory", cq: same, sq: func(uint64, uint64) uint64 { return 0 }, want: unix.EFAULT},
	{name: "no ring memory", cq: func(uint64, uint64) uint64 { return 0 }, sq: second, want: unix.EFAULT},
	{name: "ring memory off a page", cq: func(a, _ uint64) uint64 { return a + 64 }, sq: second, want: unix.EINVAL},
	{name: "SQE memory off a page", cq: same, sq: func(_, b uint64) uint64 { return b + 512 }, want: unix.EINVAL},
	{name: "misaligned ring memory before missing SQE memory", cq: func(a, _ uint64) uint64 { return a + 8 }, sq: func(uint64, uint64) uint64 { return 0 }, want: unix.EINVAL},
	{name: "ring memory unmapped", cq: func(uint64, uint64) uint64 { return 0x1000 }, sq: second, want: unix.EFAULT},
	{name: "SQE memory unmapped", cq: same, sq: func(uint64, uint64) uint64 { return 0x2000 }, want: unix.EFAULT},
	{name: "ring memory wraps the address space", cq: func(uint64, uint64) uint64 { return ^uint64(0) &^ 0xfff }, sq: second, want: unix.EOVERFLOW},
}

// TestNoMmapSetupRules: io_uring_setup with IORING_SETUP_NO_MMAP checks the
// user memory as io_create_region does (a missing address -EFAULT, one off
// a page -EINVAL, a wrapping range -EOVERFLOW, unmapped memory -EFAULT),
// the ring region first; a ring that was created cannot be mmap'd.
func TestNoMmapSetupRules(t *testing.T) {
	for _, c := range noMmapCases {
		t.Run(c.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) [2]unix.Errno {
				ringMem, err := be.Alloc(64 << 10)
				if err != nil {
					t.Fatal(err)
				}
				defer be.Free(ringMem)
				sqeMem, err := be.Alloc(64 << 10)
				if err != nil {
					t.Fatal(err)
				}
				defer be.Free(sqeMem)
				p := rings.Params{Flags: rings.IORING_SETUP_NO_MMAP | c.flags}
				p.CQOff.UserAddr = c.cq(addrOf(ringMem), addrOf(sqeMem))
				p.SQOff.UserAddr = c.sq(addrOf(ringMem), addrOf(sqeMem))
				fd, err := be.Setup(8, &p)
				got := errnoOfErr(err)
				if got != c.want {
					t.Errorf("%s: setup = %v, want %v", be.Name(), got, c.want)
				}
				if err != nil {
					return [2]unix.Errno{got, 0}
				}
				defer be.Close(fd)
				m, err := be.MapRing(fd, rings.IORING_OFF_SQ_RING, 4096)
				if err == nil {
					be.Unmap(m)
					t.Errorf("%s: mmap of a NO_MMAP ring succeeded", be.Name())
				}
				return [2]unix.Errno{got, errnoOfErr(err)}
			})
		})
	}
}
