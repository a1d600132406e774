/* fork: io_uring from a forked child. The parent arms a POLL_ADD on a
 * pipe and forks; the child sets up a ring of its own and submits a NOP
 * on the parent's ring (both -ENOSYS under exec, served natively), then
 * writes the pipe and exits; the parent waits for the poll in
 * io_uring_enter, which the child's write ends, reaps the child and
 * leaves a grandchild behind asleep for the supervisor to clean up.
 * Under exec the parent's wait must neither be taken for a deadlock
 * while the child runs nor hang. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct io_uring ring;
	int p[2];
	if (pipe(p) < 0 || io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, p[0], POLLIN);
	sqe->user_data = 1;
	if (io_uring_submit(&ring) != 1)
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		struct io_uring own;
		int ret = io_uring_queue_init(4, &own, 0);
		printf("child: queue_init: %s\n", ret < 0 ? strerror(-ret) : "ok");
		if (ret == 0)
			io_uring_queue_exit(&own);
		/* a NOP on the parent's ring, with an enter of the child's */
		usleep(20000); /* the parent is waiting in io_uring_enter by now */
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 2;
		ret = io_uring_submit(&ring);
		printf("child: submit on the parent's ring: %s\n", ret < 0 ? strerror(-ret) : "ok");
		fflush(stdout);
		if (fork() == 0) { /* a grandchild that outlives everyone */
			close(p[1]);
			pause();
			_exit(0);
		}
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	struct io_uring_cqe *cqe;
	int polls = 0;
	while (!polls) {
		if (io_uring_wait_cqe(&ring, &cqe) < 0)
			return 1;
		if (cqe->user_data == 1)
			polls = 1;
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("parent: poll completed\n");
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	printf("parent: child exited %d\n", WEXITSTATUS(status));
	io_uring_queue_exit(&ring);
	return 0;
}
