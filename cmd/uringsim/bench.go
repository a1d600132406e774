package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

const benchUsage = `usage: uringsim bench nop [--backend=sim|kernel] [--batch=N] [--ops=N] [--mode=deterministic|concurrent]
       go test -bench=... ./uring/ | uringsim bench report

Submits --ops NOPs in batches of --batch (one io_uring_enter per batch,
waiting for the batch's CQEs), reaps them, and prints one line:

  nop backend=... mode=... batch=... ops=... ns/op=... ops/s=...

--mode applies to the simulator only (the kernel backend reports mode=host).
Times are wall-clock.
`

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// runBench is `uringsim bench`.
func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "report" {
		return runBenchReport(args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "nop" {
		if len(args) == 0 {
			fmt.Fprintln(stderr, "uringsim bench: missing benchmark name (nop, or report)")
		} else {
			fmt.Fprintf(stderr, "uringsim bench: unknown benchmark %q (want nop, or report)\n", args[0])
		}
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	cfg, err := parseBenchNop(args[1:])
	if err != nil {
		return flagsFailed("bench nop", benchUsage, err, stdout, stderr)
	}
	line, err := benchNop(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "uringsim bench nop: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, line)
	return 0
}

// benchNopConfig is the parsed command line of `bench nop`.
type benchNopConfig struct {
	backend string // "sim" or "kernel"
	mode    string // "deterministic", "concurrent", or "host" for the kernel
	batch   int
	ops     int
}

func parseBenchNop(args []string) (benchNopConfig, error) {
	fs := flag.NewFlagSet("bench nop", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller
	backend := fs.String("backend", "sim", "sim or kernel")
	mode := fs.String("mode", "", "deterministic or concurrent (sim only; default deterministic)")
	batch := fs.Int("batch", 32, "NOPs per io_uring_enter")
	ops := fs.Int("ops", 1000000, "NOPs in total")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return benchNopConfig{}, err
		}
		return benchNopConfig{}, usagef("%v", err)
	}
	if fs.NArg() != 0 {
		return benchNopConfig{}, usagef("unexpected argument %q", fs.Arg(0))
	}
	c := benchNopConfig{backend: *backend, mode: *mode, batch: *batch, ops: *ops}
	switch c.backend {
	case "sim":
		switch c.mode {
		case "":
			c.mode = "deterministic"
		case "deterministic", "concurrent":
		default:
			return c, usagef("invalid --mode=%q (want deterministic or concurrent)", c.mode)
		}
	case "kernel":
		if c.mode != "" {
			return c, usagef("--mode=%s applies to --backend=sim only", c.mode)
		}
		c.mode = "host"
	default:
		return c, usagef("invalid --backend=%q (want sim or kernel)", c.backend)
	}
	if c.batch < 1 || c.batch > rings.IORING_MAX_ENTRIES {
		return c, usagef("invalid --batch=%d (want 1..%d)", c.batch, rings.IORING_MAX_ENTRIES)
	}
	if c.ops < 1 {
		return c, usagef("invalid --ops=%d (want at least 1)", c.ops)
	}
	return c, nil
}

// benchNop runs the benchmark and returns its result line.
func benchNop(c benchNopConfig) (string, error) {
	var be uring.Backend
	switch c.backend {
	case "sim":
		mode := sim.Deterministic
		if c.mode == "concurrent" {
			mode = sim.Concurrent
		}
		m := uring.NewSimMachine(uring.SimConfig{Seed: 1, Mode: mode, NoChoiceLog: true})
		defer m.Close()
		be = m.Backend()
	case "kernel":
		hb, err := uring.HostBackend()
		if err != nil {
			return "", err
		}
		be = hb
	}
	r, err := uring.New(be, uint32(c.batch), nil)
	if err != nil {
		return "", fmt.Errorf("setting up a ring of %d entries: %w", c.batch, err)
	}
	defer r.Close()

	start := time.Now()
	for done := 0; done < c.ops; {
		n := min(c.batch, c.ops-done)
		for i := range n {
			sqe := r.GetSQE()
			if sqe == nil {
				return "", fmt.Errorf("SQ full after %d of %d SQEs", i, n)
			}
			uring.PrepNop(sqe)
			sqe.UserData = uint64(done + i)
		}
		sub, err := r.SubmitAndWait(uint32(n))
		if err != nil {
			return "", fmt.Errorf("submit: %w", err)
		}
		if sub != n {
			return "", fmt.Errorf("submitted %d of %d NOPs", sub, n)
		}
		for reaped := 0; reaped < n; {
			cqe, err := r.WaitCQE()
			if err != nil {
				return "", fmt.Errorf("wait: %w", err)
			}
			if cqe.Res != 0 {
				return "", fmt.Errorf("NOP %d completed with %d", cqe.UserData, cqe.Res)
			}
			r.CQESeen(cqe)
			reaped++
		}
		done += n
	}
	elapsed := time.Since(start)
	nsPerOp := float64(elapsed.Nanoseconds()) / float64(c.ops)
	opsPerSec := float64(c.ops) / elapsed.Seconds()
	return fmt.Sprintf("nop backend=%s mode=%s batch=%d ops=%d ns/op=%.1f ops/s=%.0f",
		c.backend, c.mode, c.batch, c.ops, nsPerOp, opsPerSec), nil
}
