//go:build linux

package rings

import (
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostSetup calls the host's io_uring_setup(2); it skips the test when the
// host has no usable io_uring and reports EINVAL (flags the host kernel does
// not know) as ok == false.
func hostSetup(t *testing.T, entries uint32, p *Params) (fd int, ok bool) {
	t.Helper()
	r, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	switch {
	case errno == 0:
		return int(r), true
	case errno == unix.EINVAL:
		return -1, false
	case errors.Is(errno, unix.ENOSYS), errors.Is(errno, unix.EPERM), errors.Is(errno, unix.EACCES), errors.Is(errno, unix.ENOMEM):
		t.Skipf("host io_uring unavailable: %v", errno)
	default:
		t.Fatalf("io_uring_setup: %v", errno)
	}
	return -1, false
}

// Differential: FillParams + RingsLayout give what the host kernel reports
// (for the flags it supports), and a RingView over the host's own mapping
// reads the words the host wrote.
func TestHostRingsLayout(t *testing.T) {
	for _, tt := range hostArrayTests {
		p := Params{Flags: tt.flags | IORING_SETUP_CQSIZE, CQEntries: tt.cq}
		fd, ok := hostSetup(t, tt.sq, &p)
		if !ok {
			t.Logf("host rejects flags %#x; skipped", tt.flags)
			continue
		}
		want := Params{Flags: tt.flags | IORING_SETUP_CQSIZE, CQEntries: tt.cq}
		if err := FillParams(tt.sq, &want); err != nil {
			t.Fatal(err)
		}
		l, lok := RingsLayout(want.Flags, want.SQEntries, want.CQEntries)
		if !lok {
			t.Fatalf("RingsLayout(%#x, %d, %d) failed", want.Flags, want.SQEntries, want.CQEntries)
		}
		if l.HasSQArray() {
			want.SQOff.Array = uint32(l.SQArrayOff)
		}
		want.Features = p.Features
		if p != want {
			t.Errorf("flags %#x sq %d cq %d: host %+v, simulated %+v", tt.flags, tt.sq, tt.cq, p, want)
		}

		mem, err := unix.Mmap(fd, IORING_OFF_SQ_RING, int(l.RingsRegionSize()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			unix.Close(fd)
			t.Fatalf("mmap rings: %v", err)
		}
		v, err := NewRingView(mem, l)
		if err != nil {
			t.Fatal(err)
		}
		if *v.SQRingEntries() != p.SQEntries || *v.CQRingEntries() != p.CQEntries ||
			*v.SQRingMask() != p.SQEntries-1 || *v.CQRingMask() != p.CQEntries-1 {
			t.Errorf("flags %#x: host ring words sq %d/%d cq %d/%d", tt.flags,
				*v.SQRingEntries(), *v.SQRingMask(), *v.CQRingEntries(), *v.CQRingMask())
		}
		unix.Munmap(mem)
		unix.Close(fd)
	}
}

// A NOP submitted through the views lands as a CQE the views read back: the
// SQ array, SQE slots, tails and CQE slots are where the host kernel looks.
func TestHostNopThroughViews(t *testing.T) {
	for _, flags := range []uint32{0, IORING_SETUP_CQE32 | IORING_SETUP_SQE128, IORING_SETUP_NO_SQARRAY} {
		p := Params{Flags: flags}
		fd, ok := hostSetup(t, 4, &p)
		if !ok {
			continue
		}
		l, _ := RingsLayout(p.Flags, p.SQEntries, p.CQEntries)
		rmem, err := unix.Mmap(fd, IORING_OFF_SQ_RING, int(l.RingsRegionSize()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			t.Fatal(err)
		}
		smem, err := unix.Mmap(fd, IORING_OFF_SQES, int(l.SQEsRegionSize()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			t.Fatal(err)
		}
		rv, err := NewRingView(rmem, l)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := NewSQEView(smem, l)
		if err != nil {
			t.Fatal(err)
		}
		for round := uint32(0); round < 6; round++ { // wraps the 4-entry SQ
			tail := *rv.SQTail()
			sqe := sv.SQE(tail)
			*sqe = SQE{Opcode: IORING_OP_NOP, UserData: 0xc0ffee00 + uint64(round)}
			if flags&IORING_SETUP_CQE32 != 0 {
				sqe.OpFlags = IORING_NOP_CQE32
				sqe.Off, sqe.Addr = 0x1111, 0x2222
			}
			if a := rv.SQArray(tail); a != nil {
				*a = tail & (l.SQEntries - 1)
			}
			StoreRelease(rv.SQTail(), tail+1)
			n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), 1, 1, IORING_ENTER_GETEVENTS, 0, 0)
			if errno != 0 || n != 1 {
				t.Fatalf("flags %#x: io_uring_enter = %d, %v", flags, n, errno)
			}
			head := *rv.CQHead()
			if LoadAcquire(rv.CQTail()) != head+1 {
				t.Fatalf("flags %#x: cq tail %d head %d", flags, *rv.CQTail(), head)
			}
			cqe := rv.CQE(head)
			if cqe.UserData != 0xc0ffee00+uint64(round) || cqe.Res != 0 {
				t.Errorf("flags %#x round %d: cqe %+v", flags, round, *cqe)
			}
			if flags&IORING_SETUP_CQE32 != 0 {
				if big := rv.CQE32(head); big == nil || big.BigCQE != [2]uint64{0x1111, 0x2222} {
					t.Errorf("flags %#x: big cqe %+v", flags, big)
				}
			}
			StoreRelease(rv.CQHead(), head+1)
		}
		unix.Munmap(smem)
		unix.Munmap(rmem)
		unix.Close(fd)
	}
}

// The host's probe agrees that IORING_OP_LAST is 63 (when the host runs
// Linux 6.18; older or newer hosts are skipped).
func TestHostProbeLastOp(t *testing.T) {
	p := Params{}
	fd, ok := hostSetup(t, 1, &p)
	if !ok {
		t.Skip("host io_uring rejects a plain ring (io_uring disabled for this user?)")
	}
	defer unix.Close(fd)
	buf := make([]uint64, (ProbeSize+256*unsafe.Sizeof(ProbeOp{}))/8)
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), IORING_REGISTER_PROBE, uintptr(unsafe.Pointer(&buf[0])), 256, 0, 0)
	if errno != 0 {
		t.Skipf("host io_uring has no IORING_REGISTER_PROBE: %v", errno)
	}
	probe := (*Probe)(unsafe.Pointer(&buf[0]))
	if p.Features != hostFeatures618 {
		t.Skipf("host features %#x are not Linux 6.18's", p.Features)
	}
	if probe.LastOp != IORING_OP_LAST-1 || probe.OpsLen != IORING_OP_LAST {
		t.Errorf("host probe last_op %d ops_len %d, want %d %d", probe.LastOp, probe.OpsLen, IORING_OP_LAST-1, IORING_OP_LAST)
	}
}

// hostFeatures618 is what io_uring_create() of Linux 6.18 reports.
const hostFeatures618 = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP |
	IORING_FEAT_SUBMIT_STABLE | IORING_FEAT_RW_CUR_POS |
	IORING_FEAT_CUR_PERSONALITY | IORING_FEAT_FAST_POLL |
	IORING_FEAT_POLL_32BITS | IORING_FEAT_SQPOLL_NONFIXED |
	IORING_FEAT_EXT_ARG | IORING_FEAT_NATIVE_WORKERS |
	IORING_FEAT_RSRC_TAGS | IORING_FEAT_CQE_SKIP |
	IORING_FEAT_LINKED_FILE | IORING_FEAT_REG_REG_RING |
	IORING_FEAT_RECVSEND_BUNDLE | IORING_FEAT_MIN_TIMEOUT |
	IORING_FEAT_RW_ATTR | IORING_FEAT_NO_IOWAIT
