package kernel

import "github.com/uringsim/uringsim/vfs"

// InstallDevice installs a device file (a block or character device the
// machine's devices created, holding one reference) in the task's
// descriptor table, as open(2) of its device node would, and returns the
// descriptor or -EMFILE (dropping f).
// Differs from Linux: there is no /dev in the simulated namespace; the
// user side opens devices through this call.
// Linux: fs/open.c:do_sys_openat2()
func InstallDevice(task *Task, f *vfs.File) int {
	defer task.ReturnToUser()
	t := task.Thread
	fd := task.Proc.Files.Install(t, f)
	if fd < 0 {
		f.Put(t)
	}
	return fd
}
