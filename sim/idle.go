package sim

// SetIdle installs the source of events from outside a deterministic
// world (uringsim exec: a host descriptor becoming ready). When nothing
// can run, the scheduler calls idle(false) before it advances the clock
// to the next timer, and idle(true) before it declares a deadlock; idle
// returns the thread to wake for the event (asleep, e.g. a poller
// waiting for its next batch), or nil for none. With block, idle may
// wait in the host for an event. It is called inside the scheduler: it
// must not call into the world. Call SetIdle from the main thread before
// the world depends on it.
func (w *World) SetIdle(idle func(block bool) *Thread) { w.idle = idle }

// idleWake asks the idle hook for a thread to wake and wakes it.
func (w *World) idleWake(block bool) bool {
	if w.idle == nil {
		return false
	}
	t := w.idle(block)
	return t != nil && w.wakeDet(t)
}
