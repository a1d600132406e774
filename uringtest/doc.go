// Package uringtest runs a Go test's own io_uring code, written against
// package uring, on the simulator under many schedules, and checks the
// global invariants of its rings on every one.
//
// Run makes one subtest per seed (seed=S). The program drives a fresh
// simulated machine (World) from the test's goroutine; every ring
// operation is a point where the simulator may run a kernel thread
// instead (io-wq workers, the SQPOLL thread, task work, timers), and the
// seed, with the strategy, decides each choice, so one seed is one
// interleaving, the same on every run. Rings made with World.NewRing are
// watched (package ringcheck): every submitted SQE completes exactly once,
// no CQE is lost or duplicated across an overflow, the CQ head and tail
// only move forward, chain members complete in order; a deadlock, a panic
// in the simulator or a kernel WARN_ON_ONCE fails the run too. A failing
// subtest logs the command that reruns it alone:
//
//	uringtest: seed 13, strategy random; replay: go test -run '^TestOrder$/^seed=13$' -uringtest.seed=13 -uringtest.strategy=random
//
// Check is the same as one rapid property (the seed is drawn with the
// program, and shrinks with it); Explore runs outside a test and returns
// the first failure; Watch checks a single ring on any backend, the host
// kernel's too.
//
// Flags of the test binary: -uringtest.seeds=N (schedules per Run),
// -uringtest.seed=S (that seed only), -uringtest.strategy=random|pct:D[:K]|
// delay:D[:K]|preempt:P[:N] (see uringsim explore --help).
package uringtest
