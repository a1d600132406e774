package rsrc

import (
	"testing"

	"github.com/uringsim/uringsim/mm"
)

func TestBitmapGetWrapsToRangeStart(t *testing.T) {
	var ft FileTable
	ft.Alloc(130)
	ft.SetAllocRange(2, 127)
	for want := 2; want < 129; want++ {
		got := ft.BitmapGet()
		if got != want {
			t.Fatalf("BitmapGet = %d, want %d", got, want)
		}
		ft.BitmapSet(got)
	}
	if got := ft.BitmapGet(); got != -eNFILE {
		t.Fatalf("full range: BitmapGet = %d, want -ENFILE", got)
	}
	ft.BitmapClear(70)
	ft.BitmapSet(128 - 1) // hint past 70: the search wraps to the start
	if got := ft.BitmapGet(); got != 70 {
		t.Fatalf("after clear: BitmapGet = %d, want 70", got)
	}
	var empty FileTable
	if got := empty.BitmapGet(); got != -eNFILE {
		t.Fatalf("no table: BitmapGet = %d, want -ENFILE", got)
	}
}

func TestNodeRefsAndTake(t *testing.T) {
	var d Data
	d.Alloc(3)
	a, b := NewNode(IORING_RSRC_FILE), NewNode(IORING_RSRC_FILE)
	d.Nodes[0], d.Nodes[2] = a, b
	a.Get()
	if got := d.Take(); len(got) != 2 || got[0] != b || got[1] != a {
		t.Fatalf("Take = %v, want last slot first", got)
	}
	if d.Nr() != 0 {
		t.Fatal("Take left slots")
	}
	if a.Put() || !a.Put() {
		t.Fatal("a node with two references is freed by the second put only")
	}
}

func TestImportFixedBoundsAndAccounting(t *testing.T) {
	as := mm.New()
	defer as.Release()
	m, e := as.Mmap(3*mm.PageSize, "buf")
	if e != 0 {
		t.Fatal(e)
	}
	if _, ret := RegisterBuffer(as, m.Addr, 2*mm.PageSize, as, mm.PageSize, &PinAcct{}); ret != -eNOMEM {
		t.Fatalf("past the memlock limit: %d, want -ENOMEM", ret)
	}
	if as.Locked() != 0 {
		t.Fatalf("a refused registration left %d bytes charged", as.Locked())
	}
	imu, ret := RegisterBuffer(as, m.Addr+10, 2*mm.PageSize, as, 0, &PinAcct{})
	if ret != 0 {
		t.Fatal(ret)
	}
	if imu.AcctPages != 3 || as.Locked() != 3*mm.PageSize {
		t.Fatalf("charged %d pages (%d bytes), want 3 pages", imu.AcctPages, as.Locked())
	}
	copy(m.Mem[10:], "abc")
	segs, ret := imu.ImportFixed(ITER_DEST, m.Addr+10, 3)
	if ret != 0 || len(segs) != 1 || string(segs[0]) != "abc" {
		t.Fatalf("ImportFixed = %q, %d", segs, ret)
	}
	for _, c := range []struct{ addr, n uint64 }{{m.Addr + 9, 1}, {m.Addr + 10, 2*mm.PageSize + 1}, {^uint64(0), 2}} {
		if _, ret := imu.ImportFixed(ITER_DEST, c.addr, c.n); ret != -eFAULT {
			t.Errorf("ImportFixed(%#x, %d) = %d, want -EFAULT", c.addr, c.n, ret)
		}
	}
	if _, _, ret := imu.ImportVec(ITER_SOURCE, []Iovec{{m.Addr + 10, 0}}); ret != -eFAULT {
		t.Errorf("zero-length iovec: %d, want -EFAULT", ret)
	}
	imu.Get()
	imu.Put()
	if as.Locked() == 0 {
		t.Fatal("uncharged while a clone still holds the buffer")
	}
	imu.Put()
	if as.Locked() != 0 {
		t.Fatalf("%d bytes still charged after the last put", as.Locked())
	}
	if _, ret := RegisterBuffer(as, m.Addr+2*mm.PageSize, 2*mm.PageSize, as, 0, &PinAcct{}); ret != -eFAULT {
		t.Fatalf("unmapped tail: %d, want -EFAULT", ret)
	}
}

// An explicit removal below the allocation range leaves the hint there;
// the next allocation must still come from the range (the 6.18.y clamp).
func TestBitmapGetClampsHintToRange(t *testing.T) {
	var ft FileTable
	ft.Alloc(8)
	ft.SetAllocRange(4, 2)
	ft.BitmapSet(4)
	ft.BitmapSet(5)
	ft.BitmapSet(1)
	ft.BitmapClear(1) // hint 1, outside [4, 6)
	if got := ft.BitmapGet(); got != -eNFILE {
		t.Fatalf("full range, hint below it: BitmapGet = %d, want -ENFILE", got)
	}
	ft.BitmapClear(5)
	ft.BitmapSet(7) // hint 8, past the range
	if got := ft.BitmapGet(); got != 5 {
		t.Fatalf("hint past the range: BitmapGet = %d, want 5", got)
	}
}
