package exec

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/vfs"
)

// hostPaths makes the program's path names resolve on the host
// (vfs.HostNamespace: relative to its cwd and its dirfds), so that
// IORING_OP_OPENAT, STATX, RENAMEAT, UNLINKAT, … name the program's own
// files. A file an open returns is a HostFile, which the simulated table
// installs in the program as hostDescriptors arranges (ADDFD through a
// pending notification, at the program's number): docs/exec.md, Paths,
// says why that is the moment io_openat2's fd_install would run.
func (s *supervisor) hostPaths(k *kernel.Kernel) {
	k.SetNamespace(vfs.NewHostNamespace(s.pid, &s.poller))
}
