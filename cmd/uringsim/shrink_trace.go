package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

// shrinkNarrator watches one run for replay --shrink's narrated trace: it
// is the run's sink (it keeps the events), its strategy (it passes each
// choice to inner and notes where in the events it fell and, for thread
// choices, which threads were the options), its Before hook (it notes
// where each scenario command began) and its Out (what the scenario
// printed: the CQEs it reaped).
type shrinkNarrator struct {
	inner   sim.Strategy
	rec     sim.Recorder
	notes   []narrNote // in the order they happened
	partial []byte
}

// narrNote is what happened before event at: a choice, a scenario command
// beginning, or a line the scenario printed.
type narrNote struct {
	at     int
	choice *narrChoice
	cmd    *scenario.Command
	text   string
}

// narrChoice is one choice of the run.
type narrChoice struct {
	kind    sim.ChoiceKind
	n, pick int
	ids     []int // thread choices: the thread of each option
}

func (n *shrinkNarrator) Event(e *sim.Event) { n.rec.Event(e) }

func (n *shrinkNarrator) Choose(kind sim.ChoiceKind, k int) int {
	p := n.inner.Choose(kind, k)
	n.notes = append(n.notes, narrNote{at: len(n.rec.Events), choice: &narrChoice{kind: kind, n: k, pick: p}})
	return p
}

func (n *shrinkNarrator) ChooseThread(ids []int) int {
	p := n.Choose(sim.ChooseThread, len(ids))
	n.notes[len(n.notes)-1].choice.ids = slices.Clone(ids)
	return p
}

func (n *shrinkNarrator) before(c *scenario.Command) {
	n.notes = append(n.notes, narrNote{at: len(n.rec.Events), cmd: c})
}

// Write keeps the scenario's output, line by line.
func (n *shrinkNarrator) Write(p []byte) (int, error) {
	n.partial = append(n.partial, p...)
	for {
		i := bytes.IndexByte(n.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		n.notes = append(n.notes, narrNote{at: len(n.rec.Events), text: string(n.partial[:i])})
		n.partial = n.partial[i+1:]
	}
}

// write prints the narrated trace: the run's kernel events (the
// scheduler's own switch and wakeup events left out), each on its thread
// (name[pid]: io-wq workers share a name), with the scenario's commands
// ("-- line L: ...") where they began, what the scenario printed ("user
// ..."), and every choice that deviated from the schedule without
// preemption as a ">>" line: which thread ran instead of which, and after
// what step of the one that waited.
func (n *shrinkNarrator) write(w io.Writer, src []string) {
	evs := n.rec.Events
	names := map[int]string{}
	for _, e := range evs {
		if e.Thread >= 0 {
			names[e.Thread] = e.ThreadName
		}
		if e.Name == "sched_process_fork" {
			names[int(fieldInt(&e, "child_pid"))] = fieldStr(&e, "child_comm")
		}
	}
	who := func(id int) string {
		if name, ok := names[id]; ok {
			return fmt.Sprintf("%s[%d]", name, id)
		}
		return fmt.Sprintf("thread[%d]", id)
	}
	last := map[int]string{} // thread -> its last kernel event
	var buf bytes.Buffer
	text := sim.NewTextSink(&buf)
	ni, c := 0, 0
	flush := func(at int) {
		for ; ni < len(n.notes) && n.notes[ni].at <= at; ni++ {
			switch note := n.notes[ni]; {
			case note.cmd != nil:
				first, _ := commandLines(src, note.cmd)
				line := ""
				if first >= 1 && first <= len(src) {
					line = strings.TrimSpace(stripComment(src[first-1]))
				}
				fmt.Fprintf(w, "  -- line %d: %s\n", note.cmd.Line, line)
			case note.choice != nil:
				c++
				if note.choice.pick != 0 {
					fmt.Fprintf(w, "  >> %s\n", describeChoice(c, note.at, note.choice, evs, who, last))
				}
			default:
				fmt.Fprintf(w, "  %11s  %-11s %s\n", "", "user", note.text)
			}
		}
	}
	for i := range evs {
		flush(i)
		e := evs[i]
		if e.Name == "sched_switch" || e.Name == "sched_wakeup" {
			continue
		}
		buf.Reset()
		if e.Thread >= 0 {
			e.ThreadName = who(e.Thread)
		}
		text.Event(&e)
		fmt.Fprintf(w, "  %s", buf.String())
		if e.Thread >= 0 {
			last[e.Thread] = eventText(&e)
		}
	}
	flush(len(evs))
}

// describeChoice says what deviation number c did: for a thread choice,
// which thread ran instead of which (a preemption when the thread that
// stopped was running and could have gone on).
func describeChoice(c, at int, ch *narrChoice, evs []sim.Event, who func(int) string, last map[int]string) string {
	if ch.kind != sim.ChooseThread || len(ch.ids) != ch.n {
		return fmt.Sprintf("choice %d (%v): option %d of %d instead of option 0", c, ch.kind, ch.pick+1, ch.n)
	}
	to, def := ch.ids[ch.pick], ch.ids[0]
	after := func(id int) string {
		if l := last[id]; l != "" {
			return ", after its " + l
		}
		return ""
	}
	if at < len(evs) && evs[at].Name == "sched_switch" && evs[at].Thread == def && fieldStr(&evs[at], "prev_state") == "TASK_RUNNING" {
		return fmt.Sprintf("choice %d: preemption: %s runs and %s, which could go on, waits%s", c, who(to), who(def), after(def))
	}
	return fmt.Sprintf("choice %d: %s runs before %s, runnable longer", c, who(to), who(def))
}

// eventText is an event's name and fields as the text trace prints them.
func eventText(e *sim.Event) string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " %s=%s", f.Key, f.String())
	}
	return b.String()
}

func fieldStr(e *sim.Event, key string) string {
	for _, f := range e.Fields {
		if f.Key == key {
			return f.Str
		}
	}
	return ""
}

func fieldInt(e *sim.Event, key string) int64 {
	for _, f := range e.Fields {
		if f.Key == key {
			return f.Int
		}
	}
	return -1
}
