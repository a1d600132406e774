package exec

import (
	"strconv"
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
	offNr      = 0
	offArch    = 4
	offArg4Low = 16 + 4*8 // the low word of args[4] (little-endian)
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
	unix.SYS_EXIT, // a thread ends: its task exits (the process's end is the pidfd's)
}

// filter is the BPF program: on x86-64, each call in notified, and an
// mmap of a descriptor (args[4] >= 0: it may be a ring), returns
// SECCOMP_RET_USER_NOTIF; every other call (and every other
// architecture's) SECCOMP_RET_ALLOW.
// Linux: kernel/seccomp.c:seccomp_run_filters()
func filter() []unix.SockFilter {
	n := len(notified)
	// Layout: 0 load arch; 1 arch check; 2 load nr; 3..3+n-1 compares;
	// 3+n mmap compare; 4+n load args[4]; 5+n sign test; 6+n ALLOW;
	// 7+n NOTIF. A jump's offset counts from the next instruction.
	allow, notif := n+6, n+7
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offArch},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: uint8(allow - 2), K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offNr},
	}
	for i, nr := range notified {
		at := 3 + i
		prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: uint8(notif - at - 1), K: nr})
	}
	at := 3 + n
	prog = append(prog,
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: uint8(allow - at - 1), K: unix.SYS_MMAP},
		unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offArg4Low},
		// fd < 0 (MAP_ANONYMOUS passes -1): ALLOW; else NOTIF.
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: 0, Jf: 1, K: 0x80000000},
	)
	return append(prog,
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	)
}

// syscallName names the system calls the supervisor may be notified of.
func syscallName(nr int32) string {
	switch nr {
	case unix.SYS_IO_URING_SETUP:
		return "io_uring_setup"
	case unix.SYS_IO_URING_ENTER:
		return "io_uring_enter"
	case unix.SYS_IO_URING_REGISTER:
		return "io_uring_register"
	case unix.SYS_CLOSE:
		return "close"
	case unix.SYS_DUP2:
		return "dup2"
	case unix.SYS_DUP3:
		return "dup3"
	case unix.SYS_CLOSE_RANGE:
		return "close_range"
	case unix.SYS_MMAP:
		return "mmap"
	case unix.SYS_EXIT:
		return "exit"
	}
	return "syscall " + strconv.Itoa(int(nr))
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
