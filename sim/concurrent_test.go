package sim_test

import (
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// These run the primitives on real goroutines; run them with -race.

func TestConcurrentMutexCounter(t *testing.T) {
	for _, lock := range []string{"mutex", "spinlock"} {
		t.Run(lock, func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Mode: sim.Concurrent})
			defer w.Shutdown()
			m := w.Main()
			var mu sim.Mutex
			var sl sim.SpinLock
			var done sim.Completion
			const threads, iters = 8, 2000
			counter := 0
			for range threads {
				w.Go(m, "inc", func(t *sim.Thread) {
					for range iters {
						if lock == "mutex" {
							mu.Lock(t)
							counter++
							mu.Unlock(t)
						} else {
							sl.Lock(t)
							counter++
							sl.Unlock(t)
						}
					}
					done.Complete(t)
				})
			}
			for range threads {
				done.Wait(m)
			}
			if counter != threads*iters {
				t.Fatalf("counter %d", counter)
			}
			if mu.Held() || sl.Held() {
				t.Fatal("held at the end")
			}
		})
	}
}

func TestConcurrentWaitQueueProducerConsumer(t *testing.T) {
	w := sim.NewWorld(sim.Config{Mode: sim.Concurrent})
	defer w.Shutdown()
	m := w.Main()
	var (
		q     sim.WaitQueueHead
		lock  sim.SpinLock
		items []int
		done  sim.Completion
	)
	const producers, each = 4, 500
	for p := range producers {
		w.Go(m, "producer", func(t *sim.Thread) {
			for i := range each {
				lock.Lock(t)
				items = append(items, p*each+i)
				lock.Unlock(t)
				if q.HasSleeper(t) {
					q.WakeUp(t, 1)
				}
			}
		})
	}
	got := 0
	w.Go(m, "consumer", func(t *sim.Thread) {
		var e sim.WaitQueueEntry
		for got < producers*each {
			q.PrepareToWaitExclusive(t, &e, sim.TaskInterruptible)
			lock.Lock(t)
			n := len(items)
			items = items[:0]
			lock.Unlock(t)
			got += n
			if n == 0 {
				t.ScheduleTimeout(time.Second)
			}
			q.FinishWait(t, &e)
		}
		done.Complete(t)
	})
	if !done.WaitTimeout(m, time.Minute) {
		t.Fatalf("consumer stuck at %d", got)
	}
}

func TestConcurrentLListContention(t *testing.T) {
	w := sim.NewWorld(sim.Config{Mode: sim.Concurrent})
	defer w.Shutdown()
	m := w.Main()
	var l sim.LList
	var done sim.Completion
	const producers, each = 6, 1000
	for p := range producers {
		w.Go(m, "push", func(t *sim.Thread) {
			for i := range each {
				l.Add(t, &sim.LLNode{Item: p*each + i})
			}
			done.Complete(t)
		})
	}
	seen := make([]bool, producers*each)
	lastOf := make([]int, producers)
	for i := range lastOf {
		lastOf[i] = -1
	}
	count := 0
	consume := func() {
		for n := sim.Reverse(l.DelAll(m)); n != nil; n = n.Next {
			v := n.Item.(int)
			if seen[v] {
				t.Fatalf("item %d twice", v)
			}
			seen[v] = true
			// Per producer, arrival order is push order.
			if p := v / each; v <= lastOf[p] {
				t.Fatalf("producer %d: %d after %d", p, v, lastOf[p])
			} else {
				lastOf[p] = v
			}
			count++
		}
	}
	for range producers {
		for !done.Done() {
			consume()
		}
		done.Wait(m)
	}
	consume()
	if count != producers*each {
		t.Fatalf("got %d items", count)
	}
}

func TestConcurrentTimersAndSleep(t *testing.T) {
	w := sim.NewWorld(sim.Config{Mode: sim.Concurrent})
	defer w.Shutdown()
	m := w.Main()
	var c sim.Completion
	order := make(chan int, 3)
	w.AfterFunc(m, 20*time.Millisecond, func(t *sim.Thread) { order <- 2; c.Complete(t) })
	w.AfterFunc(m, 5*time.Millisecond, func(t *sim.Thread) { order <- 1; c.Complete(t) })
	stop := w.AfterFunc(m, 10*time.Millisecond, func(t *sim.Thread) { order <- 99 })
	if !stop.Stop(m) {
		t.Fatal("Stop failed")
	}
	c.Wait(m)
	c.Wait(m)
	if a, b := <-order, <-order; a != 1 || b != 2 {
		t.Fatalf("order %d %d", a, b)
	}
	m.SetState(sim.TaskInterruptible)
	if !m.ScheduleTimeout(time.Millisecond) {
		t.Fatal("sleep did not time out")
	}
	if w.Now() < 20*time.Millisecond {
		t.Fatalf("clock %v", w.Now())
	}
	// A wakeup ends a sleep early.
	w.Go(m, "waker", func(t *sim.Thread) {
		for m.State() == sim.TaskRunning {
			t.Yield()
		}
		m.WakeUp(t)
	})
	m.SetState(sim.TaskInterruptible)
	if m.ScheduleTimeout(time.Minute) {
		t.Fatal("woken sleep reported a timeout")
	}
}

func TestConcurrentNoLostWakeup(t *testing.T) {
	w := sim.NewWorld(sim.Config{Mode: sim.Concurrent})
	defer w.Shutdown()
	m := w.Main()
	var q sim.WaitQueueHead
	var lock sim.Mutex
	const rounds = 2000
	flag := 0
	w.Go(m, "pinger", func(t *sim.Thread) {
		for i := 1; i <= rounds; i++ {
			lock.Lock(t)
			flag = i
			lock.Unlock(t)
			q.WakeUpAll(t, 0)
			var e sim.WaitQueueEntry
			for {
				q.PrepareToWait(t, &e, sim.TaskUninterruptible)
				lock.Lock(t)
				f := flag
				lock.Unlock(t)
				if f == -i {
					break
				}
				t.Schedule()
			}
			q.FinishWait(t, &e)
		}
	})
	var e sim.WaitQueueEntry
	for i := 1; i <= rounds; i++ {
		for {
			q.PrepareToWait(m, &e, sim.TaskUninterruptible)
			lock.Lock(m)
			f := flag
			lock.Unlock(m)
			if f == i {
				break
			}
			m.Schedule()
		}
		q.FinishWait(m, &e)
		lock.Lock(m)
		flag = -i
		lock.Unlock(m)
		q.WakeUpAll(m, 0)
	}
}
