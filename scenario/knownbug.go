package scenario

import (
	"bufio"
	"bytes"
	"strings"
)

// KnownSimBugMarker starts a comment line that marks a scenario the
// simulator is known to get wrong (it differs from the host kernel): the
// rest of the line says how. Runners report such a scenario's simulator
// failure as XFAIL instead of FAIL, so the corpus can hold the bug's
// reproducer before the fix lands.
const KnownSimBugMarker = "# known-sim-bug:"

// KnownSimBug returns the description after KnownSimBugMarker in src, if
// a line starts with it (leading blanks allowed); descriptions continued on
// the following comment lines are joined.
func KnownSimBug(src []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	var parts []string
	found := false
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if !found {
			if rest, ok := strings.CutPrefix(l, KnownSimBugMarker); ok {
				found = true
				parts = append(parts, strings.TrimSpace(rest))
			}
			continue
		}
		rest, ok := strings.CutPrefix(l, "#")
		rest = strings.TrimSpace(rest)
		if !ok || rest == "" {
			break
		}
		parts = append(parts, rest)
	}
	return strings.Join(parts, " "), found
}

// AllowsReorder reports whether the scenario has `unordered` or `either`
// blocks: places where it accepts more than one CQE order, so two runs (on
// the simulator and on the host) may pass with different CQE streams.
func (s *Scenario) AllowsReorder() bool {
	for _, c := range s.Cmds {
		switch c.Cmd.(type) {
		case *UnorderedBlock, *EitherBlock:
			return true
		}
	}
	return false
}
