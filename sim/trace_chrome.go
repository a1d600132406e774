package sim

import (
	"io"
	"strconv"
)

// ChromeSink writes the Chrome trace-event JSON format (an array of
// events) that Perfetto (ui.perfetto.dev) and chrome://tracing open:
//
//   - one process ("uringsim", pid 1) with one track per sim thread (tid =
//     thread ID), named by thread_name metadata events; SetProcess moves
//     a thread's track to a process of its own;
//   - each event as an instant event ("ph":"i","s":"t") whose args are the
//     fields plus "vtime_ns", the world's clock;
//   - for every request id (a field named "req"), a flow arrow from the
//     first to the last event carrying it (submit → complete), written by
//     Close.
//
// Timestamps: virtual time puts many events on one instant, which a
// timeline cannot show apart, so "ts" is the world's clock stretched to be
// strictly increasing: each event is placed at max(clock, previous + 1ns).
// Order and real gaps are kept; vtime_ns has the exact clock.
//
// Call Close after the run to write the flows and the closing bracket.
type ChromeSink struct {
	w      io.Writer
	buf    []byte
	args   []Field
	n      int
	lastTS int64
	named  []bool             // by thread id: thread_name written
	pids   []int              // by thread id: its process (SetProcess), 0 for pid 1
	procs  []string           // process names by pid (SetProcess)
	pnamed []bool             // by pid: process_name written
	flows  map[int64]*flowRec // by req id
	order  []int64            // req ids in order of first appearance
	closed bool
}

type flowRec struct {
	firstTS, lastTS   int64
	firstTid, lastTid int
	count             int
}

// NewChromeSink returns a ChromeSink writing to w.
func NewChromeSink(w io.Writer) *ChromeSink {
	return &ChromeSink{w: w, lastTS: -1, flows: make(map[int64]*flowRec)}
}

// SetProcess puts thread tid's track under process pid (> 1), named
// name, instead of pid 1 ("uringsim"): uringsim exec shows the program's
// threads apart from the kernel's. Call it before the thread's first
// event.
func (s *ChromeSink) SetProcess(tid, pid int, name string) {
	if tid < 0 || pid <= 1 {
		return
	}
	for tid >= len(s.pids) {
		s.pids = append(s.pids, 0)
	}
	s.pids[tid] = pid
	for pid >= len(s.procs) {
		s.procs = append(s.procs, "")
		s.pnamed = append(s.pnamed, false)
	}
	s.procs[pid] = name
}

// pidOf is the process of thread tid's track.
func (s *ChromeSink) pidOf(tid int) int {
	if tid >= 0 && tid < len(s.pids) && s.pids[tid] != 0 {
		return s.pids[tid]
	}
	return 1
}

// Event writes e as an instant event (and, the first time a thread is
// seen, its thread_name).
func (s *ChromeSink) Event(e *Event) {
	if s.closed {
		return
	}
	ts := int64(e.Time)
	if ts <= s.lastTS {
		ts = s.lastTS + 1
	}
	s.lastTS = ts
	b := s.buf[:0]
	if s.n == 0 {
		b = append(b, "[\n"...)
		b = append(b, `{"name":"process_name","ph":"M","pid":1,"args":{"name":"uringsim"}}`...)
		s.n++
	}
	pid := s.pidOf(e.Thread)
	if e.Thread >= 0 {
		for e.Thread >= len(s.named) {
			s.named = append(s.named, false)
		}
		if !s.named[e.Thread] {
			s.named[e.Thread] = true
			if pid != 1 && !s.pnamed[pid] {
				s.pnamed[pid] = true
				b = append(b, ",\n"...)
				b = append(b, `{"name":"process_name","ph":"M","pid":`...)
				b = strconv.AppendInt(b, int64(pid), 10)
				b = append(b, `,"args":{"name":`...)
				b = appendJSONString(b, s.procs[pid])
				b = append(b, "}}"...)
			}
			b = append(b, ",\n"...)
			b = append(b, `{"name":"thread_name","ph":"M","pid":`...)
			b = strconv.AppendInt(b, int64(pid), 10)
			b = append(b, `,"tid":`...)
			b = strconv.AppendInt(b, int64(e.Thread), 10)
			b = append(b, `,"args":{"name":`...)
			b = appendJSONString(b, e.ThreadName)
			b = append(b, "}}"...)
		}
	}
	b = append(b, ",\n"...)
	b = append(b, `{"name":`...)
	b = appendJSONString(b, e.Name)
	b = append(b, `,"cat":"sim","ph":"i","s":"t","ts":`...)
	b = appendMicros(b, ts)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(e.Thread), 10)
	b = append(b, `,"args":`...)
	s.args = append(append(s.args[:0], e.Fields...), I("vtime_ns", int64(e.Time)))
	b = appendJSONArgs(b, s.args)
	b = append(b, '}')
	s.n++
	s.buf = b
	_, _ = s.w.Write(b)

	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Key != "req" || f.IsStr {
			continue
		}
		r := s.flows[f.Int]
		if r == nil {
			r = &flowRec{firstTS: ts, firstTid: e.Thread}
			s.flows[f.Int] = r
			s.order = append(s.order, f.Int)
		}
		r.lastTS, r.lastTid = ts, e.Thread
		r.count++
		break
	}
}

// Close writes the flow events and the closing bracket. Later events are
// dropped. It does not close the underlying writer.
func (s *ChromeSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	b := s.buf[:0]
	if s.n == 0 {
		b = append(b, '[')
	}
	for _, id := range s.order {
		r := s.flows[id]
		if r.count < 2 {
			continue
		}
		b = appendFlow(b, 's', id, r.firstTS, s.pidOf(r.firstTid), r.firstTid)
		b = appendFlow(b, 'f', id, r.lastTS, s.pidOf(r.lastTid), r.lastTid)
	}
	b = append(b, "\n]\n"...)
	s.buf = b
	_, err := s.w.Write(b)
	return err
}

// appendFlow appends a flow-v1 event bound to the instant event at (ts,
// tid): same category, pid, tid and ts, binding to the enclosing slice.
func appendFlow(b []byte, ph byte, id, ts int64, pid, tid int) []byte {
	b = append(b, ",\n"...)
	b = append(b, `{"name":"req","cat":"sim","ph":"`...)
	b = append(b, ph, '"')
	if ph == 'f' {
		b = append(b, `,"bp":"e"`...)
	}
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"ts":`...)
	b = appendMicros(b, ts)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(tid), 10)
	return append(b, '}')
}

// appendMicros appends ns as microseconds with three decimals.
func appendMicros(b []byte, ns int64) []byte {
	b = strconv.AppendInt(b, ns/1000, 10)
	f := ns % 1000
	return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}
