package main

import "io"

// run is the whole command line minus the program name, for tests: it
// returns the exit status instead of exiting.
func run(args []string, stdout, stderr io.Writer) int { return dispatch(args, stdout, stderr) }
