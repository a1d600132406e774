package sim_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

func submitEvent() *sim.Event {
	return &sim.Event{
		Time: 12500 * time.Nanosecond, Thread: 1, ThreadName: "main", Name: "io_uring_submit_req",
		Fields: []sim.Field{sim.I("ctx", 1), sim.I("req", 3), sim.S("opcode", "IORING_OP_NOP"), sim.X("user_data", 1)},
	}
}

func TestTextSinkFormat(t *testing.T) {
	for _, tc := range []struct {
		e    *sim.Event
		want string
	}{
		{submitEvent(), "   12.500us  main        io_uring_submit_req   ctx=1 req=3 opcode=IORING_OP_NOP user_data=0x1\n"},
		{&sim.Event{Time: 10 * time.Second, Thread: 2, ThreadName: "iou-wrk-1234567", Name: "x"}, "10000000.000us  iou-wrk-1234567 x\n"},
		{&sim.Event{Name: "f", ThreadName: "t", Fields: []sim.Field{sim.S("s", "a b"), sim.S("e", ""), sim.U("u", 1<<63), sim.I("n", -5)}},
			`    0.000us  t           f                     s="a b" e="" u=9223372036854775808 n=-5` + "\n"},
	} {
		var buf bytes.Buffer
		sim.NewTextSink(&buf).Event(tc.e)
		if buf.String() != tc.want {
			t.Errorf("got  %q\nwant %q", buf.String(), tc.want)
		}
	}
}

func TestJSONSink(t *testing.T) {
	var buf bytes.Buffer
	s := sim.NewJSONSink(&buf)
	s.Event(submitEvent())
	s.Event(&sim.Event{Name: "odd\"name\n", ThreadName: "t\x01", Fields: []sim.Field{sim.S("k", "v\xff")}})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	want := `{"time_ns":12500,"tid":1,"thread":"main","name":"io_uring_submit_req","args":{"ctx":1,"req":3,"opcode":"IORING_OP_NOP","user_data":"0x1"}}`
	if lines[0] != want {
		t.Fatalf("got  %s\nwant %s", lines[0], want)
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
}

func TestChromeSink(t *testing.T) {
	var buf bytes.Buffer
	cs := sim.NewChromeSink(&buf)
	w := sim.NewWorld(sim.Config{Seed: 3, Sink: cs})
	m := w.Main()
	var done sim.Completion
	w.Emit(m, "io_uring_submit_req", sim.I("req", 7))
	w.Go(m, "iou-wrk", func(t *sim.Thread) {
		sleep(t, time.Microsecond)
		w.Emit(t, "io_uring_complete", sim.I("req", 7), sim.I("res", 0))
		done.Complete(t)
	})
	done.Wait(m)
	w.Shutdown()
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, buf.String())
	}
	var names, flows int
	var lastTS float64 = -1
	var submitTS, completeTS float64
	for _, e := range events {
		switch e["ph"] {
		case "M":
			if e["name"] == "thread_name" {
				names++
			}
		case "i":
			ts := e["ts"].(float64)
			if ts <= lastTS {
				t.Fatalf("ts not increasing: %v after %v", ts, lastTS)
			}
			lastTS = ts
			switch e["name"] {
			case "io_uring_submit_req":
				submitTS = ts
			case "io_uring_complete":
				completeTS = ts
				if e["args"].(map[string]any)["vtime_ns"].(float64) != 1000 {
					t.Fatalf("vtime_ns %v", e["args"])
				}
			}
		case "s":
			flows++
			if e["ts"].(float64) != submitTS || e["id"].(float64) != 7 {
				t.Fatalf("flow start %v", e)
			}
		case "f":
			flows++
			if e["ts"].(float64) != completeTS || e["bp"] != "e" {
				t.Fatalf("flow end %v", e)
			}
		}
	}
	if names < 2 || flows != 2 || submitTS == 0 && completeTS == 0 {
		t.Fatalf("thread names %d, flow events %d\n%s", names, flows, buf.String())
	}
	// Closing an empty sink still gives valid JSON.
	var empty bytes.Buffer
	es := sim.NewChromeSink(&empty)
	es.Close()
	var v []any
	if err := json.Unmarshal(empty.Bytes(), &v); err != nil || len(v) != 0 {
		t.Fatalf("empty: %q %v", empty.String(), err)
	}
}

func TestRecorderAndTracingOff(t *testing.T) {
	var rec sim.Recorder
	w := sim.NewWorld(sim.Config{Sink: sim.Tee(&rec)})
	m := w.Main()
	fields := []sim.Field{sim.I("a", 1)}
	w.Emit(m, "ev", fields...)
	fields[0].Int = 2 // the recorder keeps its own copy
	w.Go(m, "child", func(t *sim.Thread) {})
	m.Yield()
	w.Shutdown()
	if !w.Tracing() || len(rec.Events) == 0 || rec.Events[0].Fields[0].Int != 1 || rec.Events[0].ThreadName != "main" {
		t.Fatalf("events %+v", rec.Events)
	}
	var sawFork, sawExit bool
	for _, e := range rec.Events {
		sawFork = sawFork || e.Name == "sched_process_fork"
		sawExit = sawExit || e.Name == "sched_process_exit" && e.ThreadName == "child"
	}
	if !sawFork || !sawExit {
		t.Fatalf("lifecycle events missing: %+v", rec.Events)
	}
	off := sim.NewWorld(sim.Config{})
	defer off.Shutdown()
	if off.Tracing() {
		t.Fatal("tracing on without a sink")
	}
	off.Emit(off.Main(), "ignored")
}

func TestTraceByteIdenticalAcrossSinks(t *testing.T) {
	// Text and JSON traces of the same seed are identical run to run.
	run := func() (string, string) {
		var tb, jb bytes.Buffer
		w := sim.NewWorld(sim.Config{Seed: 9, Sink: sim.Tee(sim.NewTextSink(&tb), sim.NewJSONSink(&jb))})
		contention(w)
		w.Shutdown()
		return tb.String(), jb.String()
	}
	t1, j1 := run()
	t2, j2 := run()
	if t1 != t2 || j1 != j2 {
		t.Fatal("traces differ")
	}
	sc := bufio.NewScanner(strings.NewReader(t1))
	for sc.Scan() {
		if strings.HasSuffix(sc.Text(), " ") {
			t.Fatalf("trailing space: %q", sc.Text())
		}
	}
}

// TestChromeSinkSetProcess: a thread moved with SetProcess has its
// thread_name, its events and its end of a flow under the new pid, which
// gets one process_name; other threads stay in pid 1.
func TestChromeSinkSetProcess(t *testing.T) {
	var buf bytes.Buffer
	cs := sim.NewChromeSink(&buf)
	w := sim.NewWorld(sim.Config{Seed: 3, Sink: cs})
	m := w.Main()
	var done sim.Completion
	w.Emit(m, "io_uring_submit_req", sim.I("req", 7))
	for i := range 2 {
		w.Go(m, "prog", func(t *sim.Thread) {
			cs.SetProcess(t.ID(), 2, "prog (program)")
			w.Emit(t, "io_uring_complete", sim.I("req", 7+int64(i)))
			done.Complete(t)
		})
		done.Wait(m)
		done.Reinit()
	}
	w.Shutdown()
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Name, Ph string
		Pid, Tid int
	}
	if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, buf.String())
	}
	var procs, progNames, progEvents, flowEnds int
	for _, e := range events {
		switch {
		case e.Ph == "M" && e.Name == "process_name" && e.Pid == 2:
			procs++
		case e.Ph == "M" && e.Name == "thread_name" && e.Pid == 2:
			progNames++
		case e.Ph == "i" && e.Name == "io_uring_complete" && e.Pid == 2:
			progEvents++
		case e.Ph == "i" && e.Name == "io_uring_submit_req" && e.Pid != 1:
			t.Errorf("the main thread's event is in pid %d", e.Pid)
		case e.Ph == "f" && e.Pid == 2:
			flowEnds++
		}
	}
	if procs != 1 || progNames != 2 || progEvents != 2 || flowEnds != 1 {
		t.Errorf("pid 2: %d process_name, %d thread_name, %d events, %d flow ends; want 1, 2, 2, 1\n%s",
			procs, progNames, progEvents, flowEnds, buf.String())
	}
}
