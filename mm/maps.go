package mm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// vma is the bounds of a run of the process's VMAs.
type vma struct{ start, end uint64 }

// procMaps is a process's /proc/PID/maps, open for the run. (Its
// PROCMAP_QUERY ioctl, one VMA a call, costs as much as the text for a
// program's few dozen VMAs: 19 µs either way for 37.)
type procMaps struct {
	f   *os.File
	buf []byte // the text
	pid int
}

func openMaps(pid int) (*procMaps, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return nil, err
	}
	return &procMaps{f: f, pid: pid}, nil
}

// readable appends the process's readable VMAs to vmas, adjacent ones
// merged, in address order: from each line's "start-end perms".
// Linux: fs/proc/task_mmu.c:show_map_vma()
func (m *procMaps) readable(vmas []vma) ([]vma, error) {
	if err := m.read(); err != nil {
		return vmas, err
	}
	if len(m.buf) == 0 {
		// Empty: the process's execve replaced the mm the file holds
		// (proc_maps_open()).
		if err := reopen(&m.f); err != nil {
			return vmas, err
		}
		if err := m.read(); err != nil {
			return vmas, err
		}
	}
	for text := m.buf; len(text) > 0; {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		start, rest, ok1 := hexField(line, '-')
		end, rest, ok2 := hexField(rest, ' ')
		if !ok1 || !ok2 || len(rest) == 0 {
			return vmas, fmt.Errorf("mm: /proc/%d/maps: %q: not start-end perms", m.pid, line)
		}
		if rest[0] == 'r' {
			vmas = appendVMA(vmas, start, end)
		}
	}
	return vmas, nil
}

// reopen opens *f's file again, closing the old one. A /proc/PID file
// that holds the mm it was opened on (maps, pagemap) reads as empty or
// fails once the process's execve has replaced that mm.
func reopen(f **os.File) error {
	nf, err := os.Open((*f).Name())
	if err != nil {
		return err
	}
	(*f).Close()
	*f = nf
	return nil
}

// read reads the whole text into buf.
func (m *procMaps) read() error {
	m.buf = m.buf[:0]
	for off := int64(0); ; {
		if len(m.buf) == cap(m.buf) {
			m.buf = append(m.buf, make([]byte, max(4096, cap(m.buf)))...)[:len(m.buf)]
		}
		n, err := m.f.ReadAt(m.buf[len(m.buf):cap(m.buf)], off)
		m.buf = m.buf[:len(m.buf)+n]
		off += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// appendVMA appends [start, end) to vmas, merged with the last if they
// touch.
func appendVMA(vmas []vma, start, end uint64) []vma {
	if n := len(vmas); n > 0 && vmas[n-1].end == start {
		vmas[n-1].end = end
		return vmas
	}
	return append(vmas, vma{start, end})
}

// hexField parses the hexadecimal number that b begins with, up to sep,
// and returns it and what follows sep.
func hexField(b []byte, sep byte) (uint64, []byte, bool) {
	i := bytes.IndexByte(b, sep)
	if i <= 0 || i > 16 {
		return 0, nil, false
	}
	v, err := strconv.ParseUint(string(b[:i]), 16, 64)
	return v, b[i+1:], err == nil
}
