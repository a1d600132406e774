package blockdev

import (
	"fmt"

	"github.com/uringsim/uringsim/sim"
)

// FaultKind is what an injected fault does.
type FaultKind uint8

const (
	// FaultMedia fails reads and writes of the range with the NVMe media
	// errors (Unrecovered Read Error, Write Fault): -ENODATA through the
	// block layer, as BLK_STS_MEDIUM.
	FaultMedia FaultKind = iota + 1
	// FaultIO fails them with an internal device error: -EIO.
	FaultIO
	// FaultShort completes them moving only half the blocks.
	FaultShort
	// FaultFull makes the queues report themselves full: a nowait
	// submission gets -EAGAIN, a blocking one waits as for a tag.
	FaultFull
)

var faultNames = [...]string{FaultMedia: "media", FaultIO: "eio", FaultShort: "short", FaultFull: "full"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) && faultNames[k] != "" {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", k)
}

// ParseFaultKind is the inverse of String.
func ParseFaultKind(s string) (FaultKind, bool) {
	for k, n := range faultNames {
		if n != "" && n == s {
			return FaultKind(k), true
		}
	}
	return 0, false
}

// Fault is an injected fault on the blocks [LBA, LBA+Count) (Count 0: to
// the end of the namespace), hitting the next Times commands that touch
// them (0: every one, until removed). A FaultFull fault ignores the range.
type Fault struct {
	Kind  FaultKind
	LBA   uint64
	Count uint64
	Times int
	// Reads, Writes restrict a media, eio or short fault to one
	// direction; both false means both.
	Reads, Writes bool
	hits          int
}

// status is the NVMe status the fault completes a command with.
func (f *Fault) status(opcode uint8) uint16 {
	if f.Kind == FaultIO {
		return NVME_SC_INTERNAL
	}
	if opcode == nvmeCmdWrite {
		return NVME_SC_WRITE_FAULT
	}
	return NVME_SC_READ_ERROR
}

// Inject adds a fault.
func (ns *Namespace) Inject(t *sim.Thread, f Fault) error {
	if f.Kind < FaultMedia || f.Kind > FaultFull {
		return fmt.Errorf("blockdev: unknown fault kind %d", f.Kind)
	}
	if f.LBA >= ns.nlba && f.Kind != FaultFull {
		return fmt.Errorf("blockdev: fault at block %d is past the end (%d blocks)", f.LBA, ns.nlba)
	}
	if f.Times < 0 {
		return fmt.Errorf("blockdev: fault times %d is negative", f.Times)
	}
	ns.lock.Lock(t)
	ns.faults = append(ns.faults, &f)
	ns.lock.Unlock(t)
	return nil
}

// ClearFaults removes every injected fault.
func (ns *Namespace) ClearFaults(t *sim.Thread) {
	ns.lock.Lock(t)
	ns.faults = nil
	ns.lock.Unlock(t)
}

// faultFor finds the first data fault that hits c and counts the hit.
// Called with ns.lock held.
func (ns *Namespace) faultFor(c *command) *Fault {
	if c.opcode == nvmeCmdFlush {
		return nil
	}
	for i, f := range ns.faults {
		if f.Kind == FaultFull || f.Reads != f.Writes && (c.opcode == nvmeCmdRead) != f.Reads {
			continue
		}
		end := ns.nlba
		if f.Count != 0 {
			end = min(end, f.LBA+f.Count)
		}
		if c.slba >= end || c.slba+uint64(c.nlb) <= f.LBA {
			continue
		}
		ns.hit(i)
		return f
	}
	return nil
}

// faultFull reports whether a FaultFull fault is active: it refuses only
// nowait submissions. Called with ns.lock held.
func (ns *Namespace) faultFull() bool {
	for _, f := range ns.faults {
		if f.Kind == FaultFull {
			return true
		}
	}
	return false
}

// consumeFullFault counts a nowait submission that a FaultFull fault
// refused.
func (ns *Namespace) consumeFullFault(q *queue) {
	for i, f := range ns.faults {
		if f.Kind == FaultFull {
			ns.hit(i)
			return
		}
	}
}

// hit counts a hit of fault i, removing it when it has hit Times commands.
func (ns *Namespace) hit(i int) {
	f := ns.faults[i]
	f.hits++
	if f.Times != 0 && f.hits >= f.Times {
		ns.faults = append(ns.faults[:i:i], ns.faults[i+1:]...)
	}
}
