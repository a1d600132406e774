package sim

import (
	"slices"
	"time"
)

// Field is one key=value of a trace event. Build fields with I, U, X and S.
type Field struct {
	Key      string
	Int      int64  // the value of an integer field (U stores the bits)
	Str      string // the value of a string field
	IsStr    bool   // Str is the value
	Hex      bool   // render Int as 0x... (unsigned)
	Unsigned bool   // render Int as unsigned decimal
}

// I returns a signed integer field.
func I(k string, v int64) Field { return Field{Key: k, Int: v} }

// U returns an unsigned integer field.
func U(k string, v uint64) Field { return Field{Key: k, Int: int64(v), Unsigned: true} }

// X returns an unsigned integer field rendered in hex (user_data=0x1).
func X(k string, v uint64) Field { return Field{Key: k, Int: int64(v), Hex: true} }

// S returns a string field.
func S(k, v string) Field { return Field{Key: k, Str: v, IsStr: true} }

// Event is one trace event: a kernel tracepoint (io_uring_submit_req) or a
// function name, on a thread, at a time of the world's clock.
type Event struct {
	Time       time.Duration
	Thread     int    // the thread's ID (-1 when emitted outside any thread)
	ThreadName string // the thread's name ("-" outside any thread)
	Name       string
	Fields     []Field
}

// Field returns the event's field named key, or the zero Field.
func (e *Event) Field(key string) Field {
	for _, f := range e.Fields {
		if f.Key == key {
			return f
		}
	}
	return Field{}
}

// Sink receives trace events. The event and its Fields are only valid
// during the call: a sink that keeps them must copy them. Calls are
// serialised (one at a time) in both modes.
type Sink interface {
	Event(e *Event)
}

// Tracing reports whether the world has a sink. Guard Emit calls with it,
// so that building fields costs nothing when tracing is off:
//
//	if w.Tracing() { w.Emit(t, "io_uring_complete", sim.I("res", res)) }
func (w *World) Tracing() bool { return w.sink != nil }

// Emit sends an event named name with the given fields to the sink,
// stamped with the world's clock and the calling thread. No-op without a
// sink. Not a yield point.
func (w *World) Emit(t *Thread, name string, fields ...Field) {
	s := w.sink
	if s == nil {
		return
	}
	e := Event{Thread: -1, ThreadName: "-", Name: name, Fields: fields}
	if t != nil {
		e.Thread, e.ThreadName = t.id, t.name
	}
	if w.det {
		e.Time = w.clock
		s.Event(&e)
		return
	}
	w.traceMu.Lock()
	e.Time = w.Now()
	s.Event(&e)
	w.traceMu.Unlock()
}

// Recorder is a Sink that keeps every event (with its own copy of the
// fields), for tests.
type Recorder struct {
	Events []Event
}

// Event appends a copy of e.
func (r *Recorder) Event(e *Event) {
	c := *e
	c.Fields = slices.Clone(e.Fields)
	r.Events = append(r.Events, c)
}

// Tee returns a Sink that passes every event to each of sinks in turn.
func Tee(sinks ...Sink) Sink { return tee(slices.Clone(sinks)) }

type tee []Sink

func (t tee) Event(e *Event) {
	for _, s := range t {
		s.Event(e)
	}
}
