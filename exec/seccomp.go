package exec

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The structs of include/uapi/linux/seccomp.h that x/sys/unix lacks.

// seccompData is struct seccomp_data: the system call a filter sees.
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// seccompNotif is struct seccomp_notif (SECCOMP_IOCTL_NOTIF_RECV).
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

// seccompNotifResp is struct seccomp_notif_resp (SECCOMP_IOCTL_NOTIF_SEND).
type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// seccompNotifAddfd is struct seccomp_notif_addfd (SECCOMP_IOCTL_NOTIF_ADDFD).
type seccompNotifAddfd struct {
	ID         uint64
	Flags      uint32
	Srcfd      uint32
	Newfd      uint32
	NewfdFlags uint32
}

// Offsets into struct seccomp_data, for the filter's loads.
const (
	offNr   = 0
	offArch = 4
)

// notified lists the system calls the filter hands to the supervisor.
var notified = []uint32{
	unix.SYS_IO_URING_SETUP,
	unix.SYS_IO_URING_ENTER,
	unix.SYS_IO_URING_REGISTER,
	unix.SYS_CLOSE,
	unix.SYS_DUP2,
	unix.SYS_DUP3,
	unix.SYS_CLOSE_RANGE,
}

// filter is the BPF program: on x86-64, each call in notified returns
// SECCOMP_RET_USER_NOTIF, every other call (and every other
// architecture's) SECCOMP_RET_ALLOW.
// Linux: kernel/seccomp.c:seccomp_run_filters()
func filter() []unix.SockFilter {
	n := len(notified)
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offArch},
		// jt 0: go on; jf: jump to ALLOW, past the n compares and the nr load.
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: uint8(n + 1), K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offNr},
	}
	for i, nr := range notified {
		// Matched: jump over the remaining compares and ALLOW to NOTIF.
		prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: uint8(n - i), K: nr})
	}
	return append(prog,
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	)
}

// installFilter sets PR_SET_NO_NEW_PRIVS and installs filter on the
// calling thread with SECCOMP_FILTER_FLAG_NEW_LISTENER, returning the
// listener (close-on-exec).
func installFilter() (int, error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, err
	}
	prog := filter()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	fd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func ioctlPtr(fd int, req uint, p unsafe.Pointer) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// recvNotif is SECCOMP_IOCTL_NOTIF_RECV (the struct must be zeroed).
func recvNotif(listener int, n *seccompNotif) error {
	*n = seccompNotif{}
	_, err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(n))
	return err
}

// sendResp is SECCOMP_IOCTL_NOTIF_SEND.
func sendResp(listener int, r *seccompNotifResp) error {
	_, err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(r))
	return err
}

// idValid is SECCOMP_IOCTL_NOTIF_ID_VALID: the notifying thread is still
// stopped in that call (so what was read of its memory was its own).
func idValid(listener int, id uint64) bool {
	_, err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id))
	return err == nil
}

// addFd is SECCOMP_IOCTL_NOTIF_ADDFD: a copy of our descriptor src
// installed in the notifying process, at the lowest free number; it
// returns that number.
func addFd(listener int, id uint64, src int, flags uint32) (int, error) {
	a := seccompNotifAddfd{ID: id, Srcfd: uint32(src), NewfdFlags: flags}
	return ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_ADDFD, unsafe.Pointer(&a))
}
