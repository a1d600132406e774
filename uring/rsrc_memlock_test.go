package uring

import (
	"reflect"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// memlockPages is the RLIMIT_MEMLOCK of the accounting tests, in pages.
const memlockPages = 64

// memlockScript charges registered buffers against RLIMIT_MEMLOCK: past
// the limit registration and update are -ENOMEM, unregistering gives the
// pages back, a buffer cloned into a second ring stays charged until the
// last ring lets go of it. Sizes leave room for the ring memory the host
// also charges (the simulator charges buffers only).
// Linux: io_uring/rsrc.c:io_buffer_account_pin(), io_account_mem(), io_buffer_unmap()
func memlockScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r := l.r
	const page = 4096
	a, b := l.mem(40*page), l.mem(40*page)
	l.call("register 40 pages", r.RegisterBuffersTags([]Iovec{IovecOf(a), {}}, nil))
	n, err := r.RegisterBuffersUpdateTag(1, []Iovec{IovecOf(b)}, nil)
	l.calln("update to 80 pages", n, err)
	n, err = r.RegisterBuffersUpdateTag(1, []Iovec{IovecOf(b[:8*page])}, nil)
	l.calln("update to 48 pages", n, err)
	l.call("unregister", r.UnregisterBuffers())
	l.call("register 80 pages", r.RegisterBuffers([]Iovec{IovecOf(a), IovecOf(b)}))
	l.call("register 40 pages again", r.RegisterBuffers([]Iovec{IovecOf(b)}))

	r2 := mustNew(t, be, 4, nil)
	defer r2.Close()
	l.call("clone", r2.CloneBuffers(r))
	l.call("unregister source", r.UnregisterBuffers())
	// The clone still holds the 40 pages.
	l.call("register 40 pages with the clone alive", r.RegisterBuffers([]Iovec{IovecOf(a)}))
	l.call("register 8 pages with the clone alive", r.RegisterBuffers([]Iovec{IovecOf(a[:8*page])}))
	l.call("unregister source", r.UnregisterBuffers())
	l.call("unregister clone", r2.UnregisterBuffers())
	l.call("register 40 pages after both", r.RegisterBuffers([]Iovec{IovecOf(a)}))
	l.call("unregister", r.UnregisterBuffers())
	return l.log
}

// TestRegisteredBufferMemlock runs memlockScript on the simulator with
// MemlockLimit set and on the host kernel from a thread without
// CAP_IPC_LOCK (io_uring charges only such tasks) under the same
// RLIMIT_MEMLOCK, and compares.
func TestRegisteredBufferMemlock(t *testing.T) {
	first := onSimVariants(t, func(c *SimConfig) { c.MemlockLimit = memlockPages * 4096 }, memlockScript)
	want := []string{
		"register 40 pages: errno 0",
		"update to 80 pages: n=-1 cannot allocate memory",
		"update to 48 pages: n=1 errno 0",
		"unregister: errno 0",
		"register 80 pages: cannot allocate memory",
		"register 40 pages again: errno 0",
		"clone: errno 0",
		"unregister source: errno 0",
		"register 40 pages with the clone alive: cannot allocate memory",
		"register 8 pages with the clone alive: errno 0",
		"unregister source: errno 0",
		"unregister clone: errno 0",
		"register 40 pages after both: errno 0",
		"unregister: errno 0",
	}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("simulator:\n got  %q\n want %q", first, want)
	}
	if t.Failed() {
		return
	}
	be := hostOrSkip(t)
	var host []string
	withoutIPCLock(t, memlockPages*4096, func() {
		memlockSettle(t, be, 56)
		host = memlockScript(t, be)
	})
	if !reflect.DeepEqual(host, first) {
		t.Errorf("simulator and host kernel differ:\n sim  %q\n host %q", first, host)
	}
}

// memlockSettle waits until the user's pinned-page count leaves room for
// the script: a ring closed earlier (by an earlier run of this test)
// gives its pages back only when its deferred exit work has run. Room
// for pages pages next to a ring of its own (56 under the 64 of
// memlockScript) leaves the few pages charged elsewhere within the
// script's margin.
func memlockSettle(t *testing.T, be Backend, pages uint64) {
	mem, err := be.Alloc(pages * 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(mem)
	for range 200 {
		r := mustNew(t, be, 4, nil)
		err := r.RegisterBuffers([]Iovec{IovecOf(mem)})
		if err == nil {
			// Given back now, not with the ring's deferred exit.
			err = r.UnregisterBuffers()
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		r.Close()
		time.Sleep(5 * time.Millisecond)
	}
	t.Skipf("the host keeps more locked pages charged to this user than room for %d leaves", pages)
}

// withoutIPCLock runs f on this OS thread with CAP_IPC_LOCK dropped from
// its effective set and RLIMIT_MEMLOCK at limit bytes, restoring both.
// It skips the test when the capability cannot be changed.
func withoutIPCLock(t *testing.T, limit uint64, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		t.Skipf("capget: %v", err)
	}
	saved := caps
	if caps[0].Effective&(1<<unix.CAP_IPC_LOCK) == 0 {
		t.Skip("no CAP_IPC_LOCK to drop: the host charges every task already, under an unknown limit")
	}
	caps[0].Effective &^= 1 << unix.CAP_IPC_LOCK
	if err := unix.Capset(&hdr, &caps[0]); err != nil {
		t.Skipf("capset: %v", err)
	}
	defer func() {
		if err := unix.Capset(&hdr, &saved[0]); err != nil {
			t.Fatalf("restoring capabilities: %v", err)
		}
	}()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_MEMLOCK, &old)
	f()
}
