package main

import "io"

func runTour(args []string, stdout, stderr io.Writer) int { return 0 }
