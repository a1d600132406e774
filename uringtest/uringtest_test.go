package uringtest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
	. "github.com/uringsim/uringsim/uringtest"
)

// TestExploreFindsOrderAssumption: a program that assumes the io-wq NOP
// completes first fails under some schedule, and the failure names the
// seed and the flags that replay it; rerunning that seed alone fails the
// same way. The program that takes either order passes every schedule.
func TestExploreFindsOrderAssumption(t *testing.T) {
	assume := func(w *World) error {
		order, err := asyncThenInline(w)
		if err != nil {
			return err
		}
		if order[0] != 1 {
			return fmt.Errorf("ud=%d came first", order[0])
		}
		return nil
	}
	err := Explore(Options{Seeds: 300}, assume)
	if err == nil {
		t.Fatal("300 schedules and the inline NOP never came first")
	}
	m := regexp.MustCompile(`ud=2 came first\nuringtest: seed (\d+), strategy random \(-uringtest.seed=(\d+) -uringtest.strategy=random\)$`).FindStringSubmatch(err.Error())
	if m == nil || m[1] != m[2] {
		t.Fatalf("failure %q does not name its seed and replay", err)
	}
	var seed uint64
	fmt.Sscan(m[1], &seed)
	if err2 := Explore(Options{Seed0: seed, Seeds: 1}, assume); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("seed %d alone: %v, want %v", seed, err2, err)
	}
	if err := Explore(Options{Seeds: 300}, func(w *World) error { _, err := asyncThenInline(w); return err }); err != nil {
		t.Fatal(err)
	}
}

// TestRun: one subtest per seed, all passing for a correct program, each
// on its own machine seeded with its name.
func TestRun(t *testing.T) {
	var seeds []uint64
	Run(t, Options{Seeds: 20, Seed0: 5}, func(t *testing.T, w *World) {
		if want := fmt.Sprintf("seed=%d", w.Seed); !strings.HasSuffix(t.Name(), "/"+want) {
			t.Errorf("subtest %s runs seed %d", t.Name(), w.Seed)
		}
		seeds = append(seeds, w.Seed)
		order, err := asyncThenInline(w)
		if err != nil || len(order) != 2 {
			t.Fatalf("%v %v", order, err)
		}
	})
	if len(seeds) != 20 || seeds[0] != 5 || seeds[19] != 24 {
		t.Fatalf("seeds %v", seeds)
	}
}

// TestExploreInvariants: the invariants of a watched ring fail the run: a
// CQE consumed behind the Ring's back is lost to the checker (the kernel
// holds nothing for it), a deadlock stops the simulator.
func TestExploreInvariants(t *testing.T) {
	lost := func(w *World) error {
		r, err := w.NewRing(4, nil)
		if err != nil {
			return err
		}
		uring.PrepNop(r.GetSQE())
		if _, err := r.SubmitAndWait(1); err != nil {
			return err
		}
		v := r.View()
		rings.StoreRelease(v.CQHead(), rings.LoadAcquire(v.CQTail()))
		return nil
	}
	if err := Explore(Options{Seeds: 3}, lost); err == nil || !strings.Contains(err.Error(), "a CQE was lost") || !strings.Contains(err.Error(), "-uringtest.seed=1 ") {
		t.Fatalf("lost CQE: %v", err)
	}
	stuck := func(w *World) error {
		r, err := w.NewRing(4, nil)
		if err != nil {
			return err
		}
		_, err = r.WaitCQE() // nothing was submitted
		return err
	}
	if err := Explore(Options{Seeds: 1}, stuck); err == nil || !strings.Contains(err.Error(), "uringtest: seed 1") {
		t.Fatalf("deadlock: %v", err)
	}
}

// TestWatch: Watch checks one ring on either backend, passing a correct
// program.
func TestWatch(t *testing.T) {
	m := uring.NewSimMachine(uring.SimConfig{Seed: 1})
	defer m.Close()
	backends := []uring.Backend{m.Backend()}
	if be, err := uring.HostBackend(); err == nil {
		backends = append(backends, be)
	}
	for _, be := range backends {
		t.Run(be.Name(), func(t *testing.T) {
			r, err := uring.New(be, 4, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() }) // after Watch's check
			Watch(t, r)
			for ud := range uint64(3) {
				sqe := r.GetSQE()
				uring.PrepNop(sqe)
				sqe.UserData = ud
			}
			if _, err := r.SubmitAndWait(3); err != nil {
				t.Fatal(err)
			}
			if n := r.ForEachCQE(func(*rings.CQE) {}); n != 3 {
				t.Fatalf("%d CQEs", n)
			}
		})
	}
}

// TestReplayCommand: the -run pattern of the replay line selects exactly
// the failing subtest.
func TestReplayCommand(t *testing.T) {
	cmd := ReplayCommand("TestA.b/seed=12", 12, "pct:2:30", "")
	pat := regexp.MustCompile(`-run '([^']*)'`).FindStringSubmatch(cmd)
	if pat == nil || !strings.Contains(cmd, "-uringtest.seed=12 -uringtest.strategy=pct:2:30") {
		t.Fatalf("%q", cmd)
	}
	parts := strings.Split(pat[1], "/")
	for i, name := range []string{"TestA.b", "seed=12"} {
		if !regexp.MustCompile(parts[i]).MatchString(name) || regexp.MustCompile(parts[i]).MatchString(name+"3") {
			t.Fatalf("%q does not select %s alone", parts[i], name)
		}
	}
}
