package iowq

import (
	"testing"
)

// A race this port reproduces from Linux 6.18's io-wq.c (not a simulator
// divergence): the last worker of an account leaves on its idle timeout
// because its CPU left the affinity mask. Between its decision to exit
// (nr_workers--) and io_worker_exit dropping its reference it is still on
// the free list, so an Enqueue in that window "activates" it
// (io_acct_activate_free_worker returns true whether or not the wakeup did
// anything) and creates nobody; the exiting worker's io_wq_dec_running
// does not create one either (no cur_work). The work stays queued with no
// worker until the next Enqueue. The test pins that the window is
// reachable and that the next Enqueue rescues the work.
func TestLinuxAffinityExitStrandsWork(t *testing.T) {
	stranded := -1
	for seed := range uint64(200) {
		e := newEnv(t, envConfig{seed: seed, bounded: 2, data: Data{NrCPUs: 2}, trace: true})
		it := newItem(1, 0, -1, 0)
		e.wq.Enqueue(e.m, &it.work)
		e.waitAll(1)
		idle := e.w.Now()
		e.wq.SetAffinity(e.m, []byte{0x02}) // the worker runs on CPU 0
		e.m.Sleep(idle + WORKER_IDLE_TIMEOUT - e.w.Now())
		it2 := newItem(2, 0, -1, 0)
		e.wq.Enqueue(e.m, &it2.work) // at the instant the worker times out
		if e.done.WaitTimeout(e.m, 100*WORKER_IDLE_TIMEOUT) {
			e.finish()
			e.w.Shutdown()
			continue
		}
		s := e.wq.Stats()
		if s.Acct[0].Workers != 0 || s.Acct[0].Queued != 1 || it2.ran != 0 {
			t.Fatalf("seed %d: stranded with %+v, ran %d", seed, s, it2.ran)
		}
		it3 := newItem(3, 0, -1, 0)
		e.wq.Enqueue(e.m, &it3.work)
		e.waitAll(2)
		if it2.ran != 1 || it3.ran != 1 {
			t.Fatalf("seed %d: next enqueue did not rescue: %d %d", seed, it2.ran, it3.ran)
		}
		e.finish()
		e.w.Shutdown()
		stranded = int(seed)
		break
	}
	if stranded < 0 {
		t.Fatal("the affinity-exit race never stranded work in 200 seeds")
	}
	t.Logf("stranded at seed %d", stranded)
}
