package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// TestLostWakeupReported: a world whose threads all sleep, with a timer
// still pending, stops as soon as the quiescence check finds a lost
// wakeup: the main thread panics with a lost-wakeup report carrying the
// check's lines and facts and every thread, before the clock moves.
// Without a finding the world runs on to its timer.
func TestLostWakeupReported(t *testing.T) {
	for _, lost := range []bool{false, true} {
		w := sim.NewWorld(sim.Config{Seed: 1})
		m := w.Main()
		flag := false
		calls := 0
		w.SetQuiescenceCheck(sim.QuiescenceCheck{
			Lost: func() []string {
				calls++
				if lost && flag {
					return []string{"sleeper[2] should have been woken", "a second line"}
				}
				return nil
			},
			Facts: func() []string { return []string{"fact one"} },
		})
		w.Go(m, "sleeper", func(t *sim.Thread) {
			flag = true
			t.SetWaitReason("waiting for nothing")
			t.SetState(sim.TaskInterruptible)
			t.Schedule()
		})
		r := catch(func() { m.Sleep(time.Second) })
		var d *sim.DeadlockReport
		switch {
		case !lost:
			if r != nil || w.Now() != time.Second || calls == 0 {
				t.Errorf("no lost wakeup: panic %v, clock %v, %d checks", r, w.Now(), calls)
			}
		case !errors.As(asError(r), &d):
			t.Errorf("want a *DeadlockReport panic, got %v", r)
		default:
			s := d.String()
			if d.Kind != sim.KindLostWakeup || d.Time != 0 || len(d.Facts) != 1 ||
				!strings.Contains(s, "sim: lost-wakeup at 0.000us") || !strings.Contains(s, "but sleeper[2] should have been woken") ||
				!strings.Contains(s, "lost: a second line") || !strings.Contains(s, "fact one") || !strings.Contains(s, "waiting for nothing") {
				t.Errorf("report:\n%s", s)
			}
			if w.Deadlock() != d {
				t.Error("World.Deadlock does not return the report")
			}
		}
		w.Shutdown()
	}
}

// TestDeadlockReportFacts: a deadlock report carries the check's facts.
func TestDeadlockReportFacts(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	w.SetQuiescenceCheck(sim.QuiescenceCheck{Facts: func() []string { return []string{"ring ctx=1: 2 live request(s)"} }})
	r := catch(func() {
		var never sim.Completion
		m.SetState(sim.TaskUninterruptible)
		never.Wait(m)
	})
	var d *sim.DeadlockReport
	if !errors.As(asError(r), &d) || d.Kind != sim.KindDeadlock || !strings.Contains(d.String(), "  ring ctx=1: 2 live request(s)\n") {
		t.Fatalf("got %v", r)
	}
}
