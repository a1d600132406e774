package kernel

import "golang.org/x/sys/unix"

// Errno values as the kernel spells them, positive; kernel functions return
// them negated, exactly as the real syscalls do.
const (
	EPERM      = int(unix.EPERM)
	EINTR      = int(unix.EINTR)
	EBADF      = int(unix.EBADF)
	EAGAIN     = int(unix.EAGAIN)
	ENOMEM     = int(unix.ENOMEM)
	EACCES     = int(unix.EACCES)
	EFAULT     = int(unix.EFAULT)
	EBUSY      = int(unix.EBUSY)
	EEXIST     = int(unix.EEXIST)
	ENXIO      = int(unix.ENXIO)
	EINVAL     = int(unix.EINVAL)
	EMFILE     = int(unix.EMFILE)
	EOVERFLOW  = int(unix.EOVERFLOW)
	ETIME      = int(unix.ETIME)
	EBADR      = int(unix.EBADR)
	EBADFD     = int(unix.EBADFD)
	EOPNOTSUPP = int(unix.EOPNOTSUPP)
	ECANCELED  = int(unix.ECANCELED)
	EOWNERDEAD = int(unix.EOWNERDEAD)
	ENOENT     = int(unix.ENOENT)
	ENODEV     = int(unix.ENODEV)
	EALREADY   = int(unix.EALREADY)
	ENOBUFS    = int(unix.ENOBUFS)
	ENOSYS     = int(unix.ENOSYS)
	ECHILD     = int(unix.ECHILD)
	ENFILE     = int(unix.ENFILE)
	ESRCH      = int(unix.ESRCH)
	E2BIG      = int(unix.E2BIG)
	ERANGE     = int(unix.ERANGE)
)
