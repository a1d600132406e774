package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// run is the whole command line minus the program name, for tests: it
// returns the exit status instead of exiting.
func run(args []string, stdout, stderr io.Writer) int { return dispatch(args, stdout, stderr) }

// flagsFailed reports a command's flag error and returns its exit status:
// 0 with the usage on stdout for -h, else 2 with the error ("uringsim
// NAME: err") and the usage on stderr.
func flagsFailed(name, usage string, err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "uringsim %s: %v\n", name, err)
	fmt.Fprint(stderr, usage)
	return 2
}

// parseInterleaved parses args with fset, flags and operands interleaved
// (run a.scn --seed=3 b.scn), and returns the operands in order.
func parseInterleaved(fset *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		args = fset.Args()
		if len(args) == 0 {
			return operands, nil
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
}
