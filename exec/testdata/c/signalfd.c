/* signalfd: a poll of a signalfd completes once a signal of its mask is
 * pending for the program (raised after the poll was armed), and the
 * signal is still there for the program's own read(2) of the signalfd. */
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	if (sfd < 0)
		return 1;
	struct io_uring ring;
	if (io_uring_queue_init(4, &ring, 0) < 0)
		return 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, sfd, POLLIN);
	sqe->user_data = 1;
	io_uring_submit(&ring);

	kill(getpid(), SIGUSR1);
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret == 0) {
		printf("poll ud=%llu res=0x%x\n", (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	struct signalfd_siginfo si;
	ssize_t n = read(sfd, &si, sizeof(si));
	printf("read %zd signo %u\n", n, n == sizeof(si) ? si.ssi_signo : 0);
	io_uring_queue_exit(&ring);
	return 0;
}
