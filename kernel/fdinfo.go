package kernel

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"

	"github.com/uringsim/uringsim/rings"
)

// Fdinfo returns what /proc/<pid>/fdinfo/<fd> shows: the generic header
// (position, open flags in octal with O_CLOEXEC for a close-on-exec
// descriptor, mount, inode), then the file's own lines — for a ring,
// io_uring's fields in the kernel's order and format.
// Differs from Linux: mnt_id is 0 and ino is the simulated file's ID.
// Linux: fs/proc/fd.c:seq_show(), io_uring/fdinfo.c:io_uring_show_fdinfo()
func Fdinfo(task *Task, fd int) (string, int) {
	t := task.Thread
	f := task.Proc.Files.GetRaw(t, fd) // /proc shows O_PATH files too
	if f == nil {
		return "", -EBADF
	}
	defer f.Put(t)
	flags := f.Flags
	if cloexec, _ := task.Proc.Files.CloseOnExec(t, fd); cloexec {
		flags |= unix.O_CLOEXEC
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pos:\t%d\nflags:\t0%o\nmnt_id:\t0\nino:\t%d\n", f.Pos, flags, f.ID)
	if ctx, ok := f.Private.(*Ctx); ok {
		ctx.showFdinfo(t, &b)
	} else if s, ok := f.Op.(vfs.Fdinfoer); ok {
		b.WriteString(s.ShowFdinfo(f))
	}
	return b.String(), 0
}

func (ctx *Ctx) showFdinfo(t *sim.Thread, b *strings.Builder) {
	// Linux reads the cached head and tail racily (data_race()); take the
	// locks that guard them instead.
	ctx.uringLock.Lock(t)
	cachedSQHead := ctx.cachedSQHead
	ctx.uringLock.Unlock(t)
	ctx.completionLock.Lock(t)
	cachedCQTail := ctx.cachedCQTail
	ctx.completionLock.Unlock(t)
	r := ctx.rings
	sqMask, cqMask := ctx.sqEntries-1, ctx.cqEntries-1
	sqHead, sqTail := rings.LoadAcquire(&r.SQ.Head), rings.LoadAcquire(&r.SQ.Tail)
	cqHead, cqTail := rings.LoadAcquire(&r.CQ.Head), rings.LoadAcquire(&r.CQ.Tail)
	fmt.Fprintf(b, "SqMask:\t0x%x\nSqHead:\t%d\nSqTail:\t%d\nCachedSqHead:\t%d\n", sqMask, sqHead, sqTail, cachedSQHead)
	fmt.Fprintf(b, "CqMask:\t0x%x\nCqHead:\t%d\nCqTail:\t%d\nCachedCqTail:\t%d\n", cqMask, cqHead, cqTail, cachedCQTail)
	fmt.Fprintf(b, "SQEs:\t%d\n", sqTail-sqHead)
	for i := uint32(0); i < min(sqTail-sqHead, ctx.sqEntries); i++ {
		if ctx.sqArray == nil {
			break
		}
		idx := rings.LoadAcquire(ctx.sqArrayEntry((i + sqHead) & sqMask))
		if idx > sqMask {
			continue
		}
		s := ctx.sqe(idx)
		fmt.Fprintf(b, "%5d: opcode:%s, fd:%d, flags:%x, off:%d, addr:0x%x, rw_flags:0x%x, buf_index:%d user_data:%d",
			idx, ctx.k.table.Name(s.Opcode), s.Fd, s.Flags, s.Off, s.Addr, s.OpFlags, s.BufIndex, s.UserData)
		if ctx.sqeShift == 1 {
			ext := (*[8]uint64)(ctx.sqeExtra(idx))
			for j, v := range ext {
				fmt.Fprintf(b, ", e%d:0x%x", j, v)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "CQEs:\t%d\n", cqTail-cqHead)
	for i := uint32(0); i < min(cqTail-cqHead, ctx.cqEntries); i++ {
		e := (i + cqHead) & cqMask
		c := ctx.cqSlot(e << ctx.cqeShift)
		fmt.Fprintf(b, "%5d: user_data:%d, res:%d, flag:%x", e, c.UserData, c.Res, c.Flags)
		if ctx.cqeShift == 1 {
			big := ctx.cqSlotBig(e << ctx.cqeShift)
			fmt.Fprintf(b, ", extra1:%d, extra2:%d\n", big[0], big[1])
		}
		b.WriteString("\n")
	}
	if sq := ctx.sqThread(); sq != nil {
		fmt.Fprintf(b, "SqThread:\t%d\nSqThreadCpu:\t0\n", sq.ID())
	} else {
		b.WriteString("SqThread:\t-1\nSqThreadCpu:\t-1\n")
	}
	b.WriteString("SqTotalTime:\t0\nSqWorkTime:\t0\n")
	ctx.showRsrcFdinfo(t, b)
	b.WriteString("PollList:\n")
	b.WriteString("CqOverflowList:\n")
	ctx.completionLock.Lock(t)
	for _, o := range ctx.overflowList.all() {
		fmt.Fprintf(b, "  user_data=%d, res=%d, flags=%x\n", o.cqe.UserData, o.cqe.Res, o.cqe.Flags)
	}
	ctx.completionLock.Unlock(t)
	ctx.uringLock.Lock(t)
	ctx.showNapiFdinfo(b)
	ctx.uringLock.Unlock(t)
}

// showRsrcFdinfo lists the fixed file table (the path of each file in a
// used slot) and the registered buffers (address/length, or <none>).
// Linux reads them only when its trylock of uring_lock succeeds; the
// simulator takes the lock.
// Linux: io_uring/fdinfo.c:io_uring_show_fdinfo()
func (ctx *Ctx) showRsrcFdinfo(t *sim.Thread, b *strings.Builder) {
	ctx.uringLock.Lock(t)
	defer ctx.uringLock.Unlock(t)
	fmt.Fprintf(b, "UserFiles:\t%d\n", ctx.fileTable.Data.Nr())
	for i, node := range ctx.fileTable.Data.Nodes {
		if node != nil && node.File != nil {
			fmt.Fprintf(b, "%5d: %s\n", i, manglePath(node.File.Name, " \t\n\\"))
		}
	}
	fmt.Fprintf(b, "UserBufs:\t%d\n", ctx.bufTableRsrc.Nr())
	for i, node := range ctx.bufTableRsrc.Nodes {
		if node != nil && node.Buf != nil {
			fmt.Fprintf(b, "%5d: 0x%x/%d\n", i, node.Buf.Ubuf, uint32(node.Buf.Len))
		} else {
			fmt.Fprintf(b, "%5d: <none>\n", i)
		}
	}
}

// manglePath writes the bytes of esc in p as \ooo octal escapes, as
// seq_file_path does.
// Linux: fs/seq_file.c:mangle_path()
func manglePath(p, esc string) string {
	if !strings.ContainsAny(p, esc) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; strings.IndexByte(esc, c) >= 0 {
			fmt.Fprintf(&b, "\\%03o", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
