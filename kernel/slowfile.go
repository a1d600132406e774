package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/vfs"
)

// OpenSlowFile creates a regular file on simulated slow storage holding
// data: every transfer takes latency on the virtual clock, and io_uring
// reads and writes of it are queued (-EIOCBQUEUED) and completed from the
// device's timer context. It returns the descriptor or -errno.
// Differs from Linux: there is no such system call; it stands for opening
// a file on a disk with O_DIRECT.
func OpenSlowFile(task *Task, data []byte, latency time.Duration) int {
	return InstallDevice(task, vfs.NewSlowFile(task.Proc.K.World, task.Proc.K.NewFileID(), unix.O_RDWR|vfs.O_LARGEFILE, data, latency))
}
