package sim_test

import (
	"slices"
	"testing"

	"github.com/uringsim/uringsim/sim"
)

func TestWaitQueueWakeSemantics(t *testing.T) {
	type entry struct {
		exclusive bool
		ret       int // what its callback returns
	}
	for _, tc := range []struct {
		name    string
		entries []entry // in queue order from the head
		nr      int     // exclusive wakeups (0 = all)
		want    []int   // indexes of the entries whose callback ran
	}{
		{"non-exclusive all called", []entry{{false, 1}, {false, 1}, {false, 1}}, 1, []int{0, 1, 2}},
		{"stop after one exclusive", []entry{{false, 1}, {true, 1}, {true, 1}}, 1, []int{0, 1}},
		{"exclusive that refused does not count", []entry{{true, 0}, {true, 1}, {true, 1}}, 1, []int{0, 1}},
		{"nr=2", []entry{{true, 1}, {true, 1}, {true, 1}}, 2, []int{0, 1}},
		{"wake all", []entry{{true, 1}, {true, 1}, {true, 1}}, 0, []int{0, 1, 2}},
		{"negative stops", []entry{{false, -1}, {false, 1}}, 0, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Seed: 1})
			defer w.Shutdown()
			m := w.Main()
			var q sim.WaitQueueHead
			var called []int
			es := make([]sim.WaitQueueEntry, len(tc.entries))
			for i, e := range tc.entries {
				es[i].Func = func(t *sim.Thread, we *sim.WaitQueueEntry, key uint32) int {
					if key != 0x41 || we.Private.(int) != i {
						panic("bad callback arguments")
					}
					called = append(called, i)
					return e.ret
				}
				es[i].Private = i
				if e.exclusive {
					q.AddExclusive(m, &es[i]) // tail
				} else {
					// non-exclusive go to the head: add in reverse below
				}
			}
			for i := len(tc.entries) - 1; i >= 0; i-- {
				if !tc.entries[i].exclusive {
					q.Add(m, &es[i])
				}
			}
			if !q.Active() || !q.HasSleeper(m) || q.Len() != len(tc.entries) {
				t.Fatal("queue empty")
			}
			q.WakeUpNr(m, tc.nr, 0x41)
			if !slices.Equal(called, tc.want) {
				t.Fatalf("called %v, want %v", called, tc.want)
			}
			for i := range es {
				q.Remove(m, &es[i])
			}
			if q.Active() {
				t.Fatal("entries left")
			}
		})
	}
}

func TestWaitQueueSleepers(t *testing.T) {
	// Three exclusive sleepers: WakeUp wakes exactly one, WakeUpAll the rest.
	for seed := range uint64(30) {
		w := sim.NewWorld(sim.Config{Seed: seed})
		m := w.Main()
		var q sim.WaitQueueHead
		woken := 0
		go3 := 3
		cond := 0
		var done sim.Completion
		for range go3 {
			w.Go(m, "sleeper", func(t *sim.Thread) {
				var e sim.WaitQueueEntry
				for {
					q.PrepareToWaitExclusive(t, &e, sim.TaskInterruptible)
					if cond > 0 {
						cond--
						break
					}
					t.Schedule()
				}
				q.FinishWait(t, &e)
				woken++
				done.Complete(t)
			})
		}
		for q.Len() < 3 {
			m.Yield()
		}
		cond = 1
		q.WakeUp(m, 1)
		done.Wait(m)
		for range 20 {
			m.Yield()
		}
		if woken != 1 {
			t.Fatalf("seed %d: woken %d after WakeUp", seed, woken)
		}
		cond = 2
		q.WakeUpAll(m, 1)
		done.Wait(m)
		done.Wait(m)
		if woken != 3 || q.Active() {
			t.Fatalf("seed %d: woken %d, queue active %v", seed, woken, q.Active())
		}
		w.Shutdown()
	}
}

func TestAutoremove(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var q sim.WaitQueueHead
	var e sim.WaitQueueEntry
	e.Func = sim.AutoremoveWakeFunction
	q.PrepareToWait(m, &e, sim.TaskInterruptible)
	if !e.Queued() || e.Thread != m {
		t.Fatal("not queued")
	}
	q.WakeUp(m, 0) // main wakes itself: state becomes running, entry removed
	if e.Queued() || m.State() != sim.TaskRunning {
		t.Fatalf("queued %v state %v", e.Queued(), m.State())
	}
	q.FinishWait(m, &e)
	// Callback with the lock held may dequeue itself.
	var f sim.WaitQueueEntry
	f.Func = func(t *sim.Thread, we *sim.WaitQueueEntry, key uint32) int {
		q.RemoveLocked(we)
		return 1
	}
	q.Add(m, &f)
	q.WakeUpAll(m, 0)
	if f.Queued() || q.Active() {
		t.Fatal("callback did not dequeue")
	}
	if r := catch(func() { q.Add(m, &f); q.Add(m, &f) }); r == nil {
		t.Fatal("double add did not panic")
	}
}

func TestLListOrder(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var l sim.LList
	if !l.Empty() || l.DelAll(m) != nil {
		t.Fatal("not empty")
	}
	for i := range 5 {
		if wasEmpty := l.Add(m, &sim.LLNode{Item: i}); wasEmpty != (i == 0) {
			t.Fatalf("Add %d: wasEmpty %v", i, wasEmpty)
		}
	}
	var got []int
	chain := l.DelAll(m)
	for n := chain; n != nil; n = n.Next {
		got = append(got, n.Item.(int))
	}
	if !slices.Equal(got, []int{4, 3, 2, 1, 0}) {
		t.Fatalf("DelAll order %v", got)
	}
	got = got[:0]
	for n := sim.Reverse(chain); n != nil; n = n.Next {
		got = append(got, n.Item.(int))
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("reversed %v", got)
	}
	// First + CompareAndSwap, as io_req_local_work_add does.
	n := &sim.LLNode{Item: 9}
	for {
		head := l.First(m)
		n.Next = head
		if l.CompareAndSwap(m, head, n) {
			break
		}
	}
	if l.Empty() || l.First(m) != n {
		t.Fatal("CAS push")
	}
	a, b := &sim.LLNode{Item: 1}, &sim.LLNode{Item: 2}
	a.Next = b
	if l.AddBatch(m, a, b) {
		t.Fatal("AddBatch on non-empty list reported empty")
	}
	if c := l.DelAll(m); c != a || c.Next != b || b.Next != n {
		t.Fatal("AddBatch chain")
	}
}
