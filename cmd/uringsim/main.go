// Command uringsim runs the io_uring simulator: scenarios, traces, the
// guided tour, benchmarks, and comparisons with the host kernel.
//
// Usage:
//
//	uringsim <command> [arguments]
//
// Each command lives in its own file beside this one and is listed in
// commands below.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/uringsim/uringsim/exec"
)

// command is one subcommand: run gets the arguments after its name and
// returns the exit status (2 for usage errors).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand, in the order usage prints them.
func commands() []command {
	return []command{
		{name: "run", summary: "run scenario files on the simulator, the host kernel, or both", run: runRun},
		{name: "tour", summary: "a guided tour of io_uring on the simulator, with a narrated trace", run: runTour},
		{name: "bench", summary: "measure the simulator or the host kernel (bench nop, bench report)", run: runBench},
		{name: "explore", summary: "run scenarios under many seeds: failures, either histogram, replay line", run: runExplore},
		{name: "replay", summary: "replay one seed of a scenario with its trace (byte-identical each time)", run: runReplay},
		{name: "bugs", summary: "list the bug museum: fixed io_uring bugs that --bug=NAME brings back", run: runBugs},
		{name: "exec", summary: "run a Linux program with its io_uring served by the simulator", run: runExec},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0].
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	case exec.ChildCommand: // exec's launcher, never typed by hand
		return exec.ChildMain(args[1:], stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "uringsim: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: uringsim <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}
