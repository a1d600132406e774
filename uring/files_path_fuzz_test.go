package uring

import (
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzPathOps drives the path ops with names and flags taken from the
// input, on the simulator: nothing may panic, every op completes, and the
// namespace invariants hold afterwards.
func FuzzPathOps(f *testing.F) {
	f.Add([]byte("\x00a\x00\x01a/b\x00\x02b\x00a\x00"))
	f.Add([]byte("\x03l\x00a\x00\x04l/..\x00\x05a\x00c\x00\x06c\x00\x07a/\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewSimMachine(SimConfig{Seed: 1})
		defer m.Close()
		be := m.Backend()
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		mem, err := be.Alloc(3 * 4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		name := func(off int) uint64 {
			n := copy(mem[off:off+4095], cut(&data))
			mem[off+n] = 0
			return addrOf(mem[off:])
		}
		ops := 0
		for len(data) > 0 && ops < 16 {
			sqe := r.GetSQE()
			op := next()
			flags := uint32(next()) | uint32(next())<<8 | uint32(next())<<16
			dfd := int32(unix.AT_FDCWD)
			if op&0x80 != 0 {
				dfd = int32(next() % 8)
			}
			switch op % 8 {
			case 0:
				PrepMkdirat(sqe, dfd, name(0), flags)
			case 1:
				PrepOpenat(sqe, dfd, name(0), flags, 0o644)
			case 2:
				PrepUnlinkat(sqe, dfd, name(0), flags&unix.AT_REMOVEDIR)
			case 3:
				PrepSymlinkat(sqe, name(0), dfd, name(4096))
			case 4:
				PrepLinkat(sqe, dfd, name(0), dfd, name(4096), flags&(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH))
			case 5:
				PrepRenameat(sqe, dfd, name(0), dfd, name(4096), flags&7)
			case 6:
				PrepStatx(sqe, dfd, name(0), flags&0x7fff, 0xfff, addrOf(mem[8192:]))
			case 7:
				how := mem[8192:]
				clear(how[:32])
				how[0], how[1], how[2] = byte(flags), byte(flags>>8), byte(flags>>16)
				how[16] = next() & 0x3f
				PrepOpenat2(sqe, dfd, name(0), addrOf(how), 24)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatalf("Submit: %v", err)
			}
			c := reapAll(t, r, 1)[0]
			if c.Res >= 0 && (op%8 == 1 || op%8 == 7) {
				// Keep low descriptors free for dfd choices.
				if c.Res > 6 {
					PrepClose(r.GetSQE(), c.Res)
					if _, err := r.Submit(); err != nil {
						t.Fatal(err)
					}
					reapAll(t, r, 1)
				}
			}
			ops++
		}
		if err := m.Kernel().Tmpfs().Check(m.World().Main()); err != nil {
			t.Fatalf("tmpfs invariant: %v", err)
		}
	})
}

// cut takes bytes up to a NUL (or the end) from *data.
func cut(data *[]byte) []byte {
	d := *data
	for i, b := range d {
		if b == 0 {
			*data = d[i+1:]
			return d[:i]
		}
	}
	*data = nil
	return d
}
