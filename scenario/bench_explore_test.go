package scenario_test

import (
	"runtime/debug"
	"testing"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

// BenchmarkExploreTwLost runs the 10-SQE scenario of issue 10 (two rings,
// two tasks, io-wq) once per op, each op a fresh world under the next seed,
// as `uringsim explore` does (no decision log: a failing seed replays by
// its seed; carriers and main goroutines reused; GOGC 400): the figure is
// schedules per second.
func BenchmarkExploreTwLost(b *testing.B) {
	sc, err := scenario.ParseFile("../testdata/scenarios/tw_lost_notification.scn")
	if err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as explore does (cmd/uringsim: sweepGCPercent)
	carriers := sim.NewCarriers(0)
	defer carriers.Close()
	b.ReportAllocs()
	seed := uint64(0)
	for b.Loop() {
		seed++
		r := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true, NoChoiceLog: true, Carriers: carriers})
		if r.Status != scenario.Pass {
			b.Fatalf("seed %d: %v", seed, r.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
}
