package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/uringsim/uringsim/uring"
)

const bugsUsage = `usage: uringsim bugs

Lists the bug museum: every switch that --bug=NAME (on run, explore and
replay) turns back on, with its fixing commit, the versions that had the
bug and how it breaks. testdata/museum/ holds a scenario for each.
`

// runBugs is `uringsim bugs`.
func runBugs(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(stdout, bugsUsage)
			return 0
		}
		fmt.Fprintf(stderr, "uringsim bugs: unexpected argument %q\n", args[0])
		fmt.Fprint(stderr, bugsUsage)
		return 2
	}
	for i, b := range uring.Museum() {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s\n  fixed by: %s\n  affected: %s\n", b.Name, b.Fix, b.Affected)
		for _, l := range wrap(b.Mechanism, 74) {
			fmt.Fprintln(stdout, "  "+l)
		}
	}
	return 0
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
