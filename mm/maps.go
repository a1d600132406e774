package mm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vma is the bounds of a run of the process's VMAs.
type vma struct{ start, end uint64 }

// procMaps is a process's /proc/PID/maps, open for the run: its readable
// VMAs come from the PROCMAP_QUERY ioctl (Linux 6.11), one VMA a call
// with no text to format or parse, or where the host lacks it from the
// text.
type procMaps struct {
	f     *os.File
	fd    uintptr
	text  bool   // no PROCMAP_QUERY: read the text
	buf   []byte // the text's buffer
	pid   int
	query procmapQuery
}

// procmapQuery is struct procmap_query (include/uapi/linux/fs.h).
type procmapQuery struct {
	Size, QueryFlags, QueryAddr                     uint64
	VmaStart, VmaEnd, VmaFlags, VmaPageSize, VmaOff uint64
	Inode                                           uint64
	DevMajor, DevMinor, VmaNameSize, BuildIDSize    uint32
	VmaNameAddr, BuildIDAddr                        uint64
}

const (
	_PROCMAP_QUERY                      = 0xc0686611 // _IOWR('f', 17, struct procmap_query)
	_PROCMAP_QUERY_VMA_READABLE         = 0x01
	_PROCMAP_QUERY_COVERING_OR_NEXT_VMA = 0x10
)

func openMaps(pid int) (*procMaps, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return nil, err
	}
	return &procMaps{f: f, fd: f.Fd(), pid: pid}, nil
}

// readable appends the process's readable VMAs to vmas, adjacent ones
// merged, in address order.
// Linux: fs/proc/task_mmu.c:do_procmap_query(), show_map_vma()
func (m *procMaps) readable(vmas []vma) ([]vma, error) {
	got, err := m.read(vmas)
	if err == unix.ESRCH {
		// The file holds the mm it was opened on (proc_maps_open()),
		// which the process's execve replaced: open it again.
		var f *os.File
		if f, err = os.Open(m.f.Name()); err != nil {
			return vmas, err
		}
		m.f.Close()
		m.f, m.fd = f, f.Fd()
		got, err = m.read(vmas)
	}
	return got, err
}

func (m *procMaps) read(vmas []vma) ([]vma, error) {
	if !m.text {
		var err error
		if vmas, err = m.queried(vmas); err != unix.ENOTTY {
			return vmas, err
		}
		m.text = true
	}
	return m.parsed(vmas)
}

// queried is readable by PROCMAP_QUERY: the covering or next readable
// VMA from an address, until there is none (-ENOENT).
func (m *procMaps) queried(vmas []vma) ([]vma, error) {
	q := &m.query
	for addr := uint64(0); ; addr = q.VmaEnd {
		*q = procmapQuery{Size: uint64(unsafe.Sizeof(*q)), QueryAddr: addr,
			QueryFlags: _PROCMAP_QUERY_VMA_READABLE | _PROCMAP_QUERY_COVERING_OR_NEXT_VMA}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, m.fd, _PROCMAP_QUERY, uintptr(unsafe.Pointer(q)))
		switch errno {
		case 0:
		case unix.ENOENT:
			return vmas, nil
		default:
			return vmas, errno
		}
		vmas = appendVMA(vmas, q.VmaStart, q.VmaEnd)
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

// parsed is readable from the text: each line's "start-end perms".
func (m *procMaps) parsed(vmas []vma) ([]vma, error) {
	m.buf = m.buf[:0]
	for off := int64(0); ; {
		if len(m.buf) == cap(m.buf) {
			m.buf = append(m.buf, make([]byte, max(4096, cap(m.buf)))...)[:len(m.buf)]
		}
		n, err := m.f.ReadAt(m.buf[len(m.buf):cap(m.buf)], off)
		m.buf = m.buf[:len(m.buf)+n]
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return vmas, err
		}
	}
	if len(m.buf) == 0 {
		return vmas, unix.ESRCH // no mm: the file's mm is gone
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
