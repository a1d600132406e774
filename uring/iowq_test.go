package uring

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// iowqResult is what TestIOWQRegistration observes: the errno of each
// registration and the bound-worker limits returned (the unbound limit is
// RLIMIT_NPROC, which differs between machines, so it is left out).
type iowqResult struct {
	Errnos []string
	Bound  []uint32
}

func iowqRegistrations(t *testing.T, be Backend, flags uint32) iowqResult {
	r := mustNew(t, be, 8, &Params{Flags: flags})
	defer r.Close()
	arg, err := be.Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(arg)
	lim := (*[2]uint32)(unsafe.Pointer(&arg[0]))
	var res iowqResult
	reg := func(op uint32, a uint64, nr uint32) {
		_, err := r.Register(op, a, nr)
		res.Errnos = append(res.Errnos, errnoOfErr(err).Error())
	}
	for _, set := range [][2]uint32{{5, 0}, {0, 0}, {1, 0}, {0, 0}} {
		*lim = set
		reg(rings.IORING_REGISTER_IOWQ_MAX_WORKERS, addrOf(arg), 2)
		res.Bound = append(res.Bound, lim[0])
	}
	reg(rings.IORING_REGISTER_IOWQ_MAX_WORKERS, addrOf(arg), 1)
	reg(rings.IORING_REGISTER_IOWQ_MAX_WORKERS, 0, 2)
	clear(arg)
	arg[0] = 1 // CPU 0
	reg(rings.IORING_REGISTER_IOWQ_AFF, addrOf(arg), 1)
	reg(rings.IORING_UNREGISTER_IOWQ_AFF, 0, 0)
	arg[0], arg[7] = 0, 0x80 // only CPU 63: past nr_cpu_ids, ignored
	reg(rings.IORING_REGISTER_IOWQ_AFF, addrOf(arg), 8)
	reg(rings.IORING_REGISTER_IOWQ_AFF, 0, 1)
	reg(rings.IORING_UNREGISTER_IOWQ_AFF, addrOf(arg), 0)
	return res
}

// onFreshThread runs f on an OS thread of its own, not the main thread,
// which ends with it (GoLockedThread; Go may still hand it a thread that
// ran other goroutines before).
func onFreshThread[T any](f func() T) T {
	var v T
	<-GoLockedThread(func() { v = f() })
	return v
}

// TestIOWQRegistration: IORING_REGISTER_IOWQ_MAX_WORKERS returns the old
// limits (0 keeps a limit; a new task's bound limit is min(sq_entries,
// 4 × CPUs)) and IORING_REGISTER_IOWQ_AFF takes a CPU mask (bits past the
// last CPU ignored), the same on the simulator and the host, for a plain
// and an SQPOLL ring.
func TestIOWQRegistration(t *testing.T) {
	for _, flags := range []uint32{0, rings.IORING_SETUP_SQPOLL} {
		t.Run(rings.FlagNames(rings.FamilySetupFlags, uint64(flags)), func(t *testing.T) {
			sim := onSim(t, SimConfig{Seed: 1}, func(t *testing.T, be Backend) iowqResult {
				return iowqRegistrations(t, be, flags)
			})
			if want := []uint32{8, 5, 5, 1}; !reflect.DeepEqual(sim.Bound, want) {
				t.Errorf("sim bound limits %v, want %v", sim.Bound, want)
			}
			be := hostOrSkip(t)
			host := onFreshThread(func() iowqResult { return iowqRegistrations(t, be, flags) })
			// The first value is the thread's limit before the test: a
			// reused OS thread may carry an earlier ring's io-wq.
			sim.Bound, host.Bound = sim.Bound[1:], host.Bound[1:]
			if !reflect.DeepEqual(sim, host) {
				t.Errorf("simulator and host kernel differ:\n sim  %+v\n host %+v", sim, host)
			}
		})
	}
}
