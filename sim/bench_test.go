package sim_test

import (
	"testing"

	"github.com/uringsim/uringsim/sim"
)

// BenchmarkYieldSingleThread is the fast path: only the main thread is
// runnable. It must stay at a few ns and 0 allocs.
func BenchmarkYieldSingleThread(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	b.ReportAllocs()
	for b.Loop() {
		m.Yield()
	}
}

func BenchmarkMutexUncontended(b *testing.B) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		b.Run(mode.String(), func(b *testing.B) {
			w := sim.NewWorld(sim.Config{Seed: 1, Mode: mode})
			defer w.Shutdown()
			m := w.Main()
			var mu sim.Mutex
			b.ReportAllocs()
			for b.Loop() {
				mu.Lock(m)
				mu.Unlock(m)
			}
		})
	}
}

func BenchmarkLListAddDelAll(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var l sim.LList
	var n sim.LLNode
	b.ReportAllocs()
	for b.Loop() {
		l.Add(m, &n)
		l.DelAll(m)
	}
}

// BenchmarkSwitch measures a deterministic thread switch: main and a
// partner wake each other alternately, each wakeup-and-sleep is one op.
func BenchmarkSwitch(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1, NoChoiceLog: true})
	defer w.Shutdown()
	m := w.Main()
	turn := 0
	partner := w.Go(m, "partner", func(t *sim.Thread) {
		for {
			t.SetState(sim.TaskUninterruptible)
			if turn == 1 {
				turn = 0
				t.SetState(sim.TaskRunning)
				m.WakeUp(t)
				continue
			}
			t.Schedule()
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		turn = 1
		partner.WakeUp(m)
		for {
			m.SetState(sim.TaskUninterruptible)
			if turn == 0 {
				break
			}
			m.Schedule()
		}
		m.SetState(sim.TaskRunning)
	}
}

// BenchmarkWaitQueueWakeNoSleeper is the common completion-side check.
func BenchmarkWaitQueueWakeNoSleeper(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var q sim.WaitQueueHead
	b.ReportAllocs()
	for b.Loop() {
		if q.HasSleeper(m) {
			q.WakeUpAll(m, 1)
		}
	}
}

func BenchmarkEmitTracingOff(b *testing.B) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if w.Tracing() {
			w.Emit(m, "io_uring_complete", sim.I("req", int64(i)))
		}
	}
}
