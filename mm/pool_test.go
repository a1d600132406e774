package mm

import "testing"

// TestPoolZeroes: memory a released address space or a freed region gave
// back to the pool comes out of the next Mmap or NewRegion of its size
// zeroed, as fresh anonymous pages are.
func TestPoolZeroes(t *testing.T) {
	const size = 3 * PageSize
	for _, name := range []string{"mapping", "region"} {
		t.Run(name, func(t *testing.T) {
			alloc := func() ([]byte, func()) {
				if name == "region" {
					r, errno := NewRegion(size)
					if errno != 0 {
						t.Fatalf("NewRegion: %d", errno)
					}
					return r.Mem, r.Free
				}
				as := New()
				m, errno := as.Mmap(size, "test")
				if errno != 0 {
					t.Fatalf("Mmap: %d", errno)
				}
				return m.Mem, as.Release
			}
			mem, free := alloc()
			for i := range mem {
				mem[i] = 0xa5
			}
			first := &mem[0]
			free()
			mem, free = alloc()
			defer free()
			if &mem[0] != first {
				t.Fatalf("the second mapping is not the pooled one")
			}
			if len(mem) != size {
				t.Fatalf("len %d, want %d", len(mem), size)
			}
			for i, b := range mem {
				if b != 0 {
					t.Fatalf("byte %d of a reused mapping is %#x, want 0", i, b)
				}
			}
		})
	}
}
