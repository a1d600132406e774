package uring

import (
	"fmt"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"golang.org/x/sys/unix"
)

// TestRegisterMiscHelpers: the liburing-named helpers for io-wq limits
// and affinity, the wait clock and memory regions give the same results
// on both backends (the values the kernel writes back included).
func TestRegisterMiscHelpers(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		log := func(what string, err error) { out = append(out, fmt.Sprintf("%s: %v", what, errnoOfErr(err))) }
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		lim := [2]uint32{3, 0}
		log("max workers 3", r.RegisterIOWQMaxWorkers(&lim))
		lim = [2]uint32{1, 0}
		log("max workers 1", r.RegisterIOWQMaxWorkers(&lim))
		out = append(out, fmt.Sprint("previous bound limit: ", lim[0]))
		log("affinity CPU 0", r.RegisterIOWQAff([]byte{1, 0, 0, 0, 0, 0, 0, 0}))
		log("affinity, no CPUs", r.RegisterIOWQAff(nil))
		log("unregister affinity", r.UnregisterIOWQAff())
		log("clock boottime", r.RegisterClock(&rings.ClockRegister{ClockID: unix.CLOCK_BOOTTIME}))
		log("clock realtime", r.RegisterClock(&rings.ClockRegister{ClockID: unix.CLOCK_REALTIME}))
		desc := rings.RegionDesc{Size: 4096}
		log("kernel region", r.RegisterRegion(&desc, 0))
		out = append(out, fmt.Sprintf("mmap offset %#x", desc.MmapOffset))
		desc = rings.RegionDesc{Size: 4096}
		log("region again", r.RegisterRegion(&desc, 0))
		return out
	})
}
