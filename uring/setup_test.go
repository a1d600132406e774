package uring

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// setupCase is one io_uring_setup(2) call of the differential table.
type setupCase struct {
	name    string
	entries uint32
	cq      uint32 // io_uring_params.cq_entries
	flags   uint32
	wqFd    uint32
	resv    uint32 // written to resv[1]
	want    unix.Errno
}

const (
	cqsize = rings.IORING_SETUP_CQSIZE
	clamp  = rings.IORING_SETUP_CLAMP
)

// setupTable is shared by the differential test (sim vs host) and the
// simulator-only expectation check. want is what Linux 6.18 returns (0 for
// success); the differential test also compares the whole io_uring_params
// the kernel wrote back.
var setupTable = []setupCase{
	{name: "SQPOLL", entries: 8, flags: rings.IORING_SETUP_SQPOLL},
	{name: "SQPOLL|SQ_AFF", entries: 8, flags: rings.IORING_SETUP_SQPOLL | rings.IORING_SETUP_SQ_AFF},
	{name: "SQPOLL|SINGLE_ISSUER", entries: 8, flags: rings.IORING_SETUP_SQPOLL | rings.IORING_SETUP_SINGLE_ISSUER},
	{name: "entries=0", entries: 0, want: unix.EINVAL},
	{name: "entries=1", entries: 1},
	{name: "entries=3", entries: 3},
	{name: "entries=4096", entries: 4096},
	{name: "entries=32768", entries: 32768},
	{name: "entries=32769", entries: 32769, want: unix.EINVAL},
	{name: "entries=32769/CLAMP", entries: 32769, flags: clamp},
	{name: "entries=1<<31/CLAMP", entries: 1 << 31, flags: clamp},
	{name: "entries=max/CLAMP", entries: ^uint32(0), flags: clamp},
	{name: "entries=max", entries: ^uint32(0), want: unix.EINVAL},
	{name: "CQSIZE/cq=0", entries: 8, flags: cqsize, want: unix.EINVAL},
	{name: "CQSIZE/cq<sq", entries: 8, cq: 4, flags: cqsize, want: unix.EINVAL},
	{name: "CQSIZE/cq=sq", entries: 8, cq: 8, flags: cqsize},
	{name: "CQSIZE/cq=5 rounds", entries: 4, cq: 5, flags: cqsize},
	{name: "CQSIZE/cq=65536", entries: 8, cq: 65536, flags: cqsize},
	{name: "CQSIZE/cq=65537", entries: 8, cq: 65537, flags: cqsize, want: unix.EINVAL},
	{name: "CQSIZE/cq=65537/CLAMP", entries: 8, cq: 65537, flags: cqsize | clamp},
	{name: "CQSIZE/cq=max/CLAMP", entries: 8, cq: ^uint32(0), flags: cqsize | clamp},
	{name: "CQSIZE/sq clamped, cq<sq", entries: 40000, cq: 16384, flags: cqsize | clamp, want: unix.EINVAL},
	{name: "cq ignored without CQSIZE", entries: 8, cq: 3},
	{name: "DEFER_TASKRUN alone", entries: 8, flags: rings.IORING_SETUP_DEFER_TASKRUN, want: unix.EINVAL},
	{name: "DEFER_TASKRUN|SINGLE_ISSUER", entries: 8, flags: rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER},
	{name: "DEFER_TASKRUN|SINGLE_ISSUER|TASKRUN_FLAG", entries: 8, flags: rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_TASKRUN_FLAG},
	{name: "SINGLE_ISSUER", entries: 8, flags: rings.IORING_SETUP_SINGLE_ISSUER},
	{name: "SQ_AFF without SQPOLL", entries: 8, flags: rings.IORING_SETUP_SQ_AFF, want: unix.EINVAL},
	{name: "SQPOLL|COOP_TASKRUN", entries: 8, flags: rings.IORING_SETUP_SQPOLL | rings.IORING_SETUP_COOP_TASKRUN, want: unix.EINVAL},
	{name: "SQPOLL|TASKRUN_FLAG", entries: 8, flags: rings.IORING_SETUP_SQPOLL | rings.IORING_SETUP_TASKRUN_FLAG, want: unix.EINVAL},
	{name: "SQPOLL|DEFER_TASKRUN|SINGLE_ISSUER", entries: 8, flags: rings.IORING_SETUP_SQPOLL | rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER, want: unix.EINVAL},
	{name: "TASKRUN_FLAG alone", entries: 8, flags: rings.IORING_SETUP_TASKRUN_FLAG, want: unix.EINVAL},
	{name: "COOP_TASKRUN", entries: 8, flags: rings.IORING_SETUP_COOP_TASKRUN},
	{name: "COOP_TASKRUN|TASKRUN_FLAG", entries: 8, flags: rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG},
	{name: "unknown flag 1<<19", entries: 8, flags: 1 << 19, want: unix.EINVAL},
	{name: "unknown flag 1<<31", entries: 8, flags: 1 << 31, want: unix.EINVAL},
	{name: "CQE32|CQE_MIXED", entries: 8, flags: rings.IORING_SETUP_CQE32 | rings.IORING_SETUP_CQE_MIXED, want: unix.EINVAL},
	{name: "CQE_MIXED", entries: 8, flags: rings.IORING_SETUP_CQE_MIXED},
	{name: "CQE_MIXED/cq=1", entries: 1, cq: 1, flags: rings.IORING_SETUP_CQE_MIXED | cqsize, want: unix.EOVERFLOW},
	{name: "CQE_MIXED/entries=1", entries: 1, flags: rings.IORING_SETUP_CQE_MIXED},
	{name: "NO_SQARRAY", entries: 8, flags: rings.IORING_SETUP_NO_SQARRAY},
	{name: "SQE128", entries: 8, flags: rings.IORING_SETUP_SQE128},
	{name: "CQE32", entries: 8, flags: rings.IORING_SETUP_CQE32},
	{name: "SQE128|CQE32|NO_SQARRAY", entries: 64, flags: rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32 | rings.IORING_SETUP_NO_SQARRAY},
	{name: "R_DISABLED", entries: 8, flags: rings.IORING_SETUP_R_DISABLED},
	{name: "R_DISABLED|SINGLE_ISSUER", entries: 8, flags: rings.IORING_SETUP_R_DISABLED | rings.IORING_SETUP_SINGLE_ISSUER},
	{name: "SUBMIT_ALL", entries: 8, flags: rings.IORING_SETUP_SUBMIT_ALL},
	{name: "IOPOLL", entries: 8, flags: rings.IORING_SETUP_IOPOLL},
	{name: "HYBRID_IOPOLL alone", entries: 8, flags: rings.IORING_SETUP_HYBRID_IOPOLL, want: unix.EINVAL},
	{name: "IOPOLL|HYBRID_IOPOLL", entries: 8, flags: rings.IORING_SETUP_IOPOLL | rings.IORING_SETUP_HYBRID_IOPOLL},
	{name: "REGISTERED_FD_ONLY without NO_MMAP", entries: 8, flags: rings.IORING_SETUP_REGISTERED_FD_ONLY, want: unix.EINVAL},
	{name: "NO_MMAP without memory", entries: 8, flags: rings.IORING_SETUP_NO_MMAP, want: unix.EFAULT},
	{name: "ATTACH_WQ to fd -1", entries: 8, flags: rings.IORING_SETUP_ATTACH_WQ, wqFd: ^uint32(0), want: unix.ENXIO},
	{name: "resv nonzero", entries: 8, resv: 1, want: unix.EINVAL},
	{name: "everything compatible", entries: 100, cq: 1000, flags: cqsize | clamp | rings.IORING_SETUP_SUBMIT_ALL |
		rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG |
		rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE_MIXED | rings.IORING_SETUP_NO_SQARRAY},
}

// setupResult is what io_uring_setup gave: an errno, or the params.
type setupResult struct {
	Errno  unix.Errno
	Params rings.Params
}

func doSetup(t *testing.T, be Backend, c setupCase) setupResult {
	t.Helper()
	p := rings.Params{Flags: c.flags, CQEntries: c.cq, WQFd: c.wqFd}
	p.Resv[1] = c.resv
	fd, err := be.Setup(c.entries, &p)
	if err != nil {
		return setupResult{Errno: errnoOfErr(err)}
	}
	if err := be.Close(fd); err != nil {
		t.Errorf("%s: close: %v", be.Name(), err)
	}
	return setupResult{Params: p}
}

// TestSetupTable: every row gives the errno Linux 6.18 gives, and on
// success the same io_uring_params, on the simulator and on the host.
func TestSetupTable(t *testing.T) {
	for _, c := range setupTable {
		t.Run(c.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) setupResult {
				got := doSetup(t, be, c)
				if got.Errno != c.want {
					t.Errorf("%s: setup(%d, cq %d, flags %#x) = %v, want %v", be.Name(), c.entries, c.cq, c.flags, got.Errno, c.want)
				}
				return got
			})
		})
	}
}

// TestSetupParamsMatchLayout: what a successful setup reports is what
// rings.RingsLayout computes for the same sizes and flags (so New accepts
// it), and the sizes are rounded and clamped as io_uring_fill_params does.
func TestSetupParamsMatchLayout(t *testing.T) {
	for _, c := range setupTable {
		if c.want != 0 {
			continue
		}
		m := NewSimMachine(SimConfig{Seed: 1})
		res := doSetup(t, m.Backend(), c)
		m.Close()
		want := rings.Params{Flags: c.flags, CQEntries: c.cq}
		if err := rings.FillParams(c.entries, &want); err != nil {
			t.Errorf("%s: FillParams: %v", c.name, err)
			continue
		}
		l, ok := rings.RingsLayout(want.Flags, want.SQEntries, want.CQEntries)
		if !ok {
			t.Errorf("%s: RingsLayout failed", c.name)
			continue
		}
		want.SQOff.Array = l.SQOff.Array
		want.Features = res.Params.Features
		if res.Params != want {
			t.Errorf("%s:\n got  %+v\n want %+v", c.name, res.Params, want)
		}
	}
}
