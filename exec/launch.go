package exec

import (
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// ChildCommand is the hidden subcommand of the uringsim binary that the
// supervisor re-executes as the launcher (ChildMain).
const ChildCommand = "__exec-child"

// childSockFd is the launcher's end of the socketpair (ExtraFiles[0]).
const childSockFd = 3

// addrNoRandomize is ADDR_NO_RANDOMIZE (include/uapi/linux/personality.h):
// the program's addresses, and so the trace, are the same every run.
const addrNoRandomize = 0x0040000

// ChildMain is the launcher: args are PROG ARGS. On its one locked OS
// thread it turns off address randomisation, sets PR_SET_NO_NEW_PRIVS,
// installs the seccomp filter with a listener, hands the listener to the
// supervisor over descriptor 3 (SCM_RIGHTS) and execs PROG, which keeps
// the filter. It returns only on failure, with the exit status (127, as
// a shell's for a program that cannot run).
func ChildMain(args []string, stderr io.Writer) int {
	runtime.LockOSThread() // the filter binds this thread, which execs
	if len(args) == 0 {
		fmt.Fprintln(stderr, "uringsim exec: no program")
		return 127
	}
	path, err := osexec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "uringsim exec: %v\n", err)
		return 127
	}
	if _, err := unix.FcntlInt(childSockFd, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		fmt.Fprintf(stderr, "uringsim exec: launcher socket: %v\n", err)
		return 127
	}
	if cur, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0); errno == 0 {
		_, _, _ = unix.RawSyscall(unix.SYS_PERSONALITY, cur|addrNoRandomize, 0, 0)
	}
	listener, err := installFilter()
	if err != nil {
		fmt.Fprintf(stderr, "uringsim exec: seccomp filter: %v\n", err)
		return 127
	}
	// From here until execve the thread makes no notified call: the
	// supervisor cannot answer before it has the listener.
	if err := unix.Sendmsg(childSockFd, []byte{'L'}, unix.UnixRights(listener), nil, 0); err != nil {
		fmt.Fprintf(stderr, "uringsim exec: sending the listener: %v\n", err)
		return 127
	}
	err = syscall.Exec(path, args, os.Environ())
	fmt.Fprintf(stderr, "uringsim exec: %s: %v\n", path, err)
	return 127
}
