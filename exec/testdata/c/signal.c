/* signal: a signal the program catches interrupts a wait in
 * io_uring_enter that nothing else would end: the handler runs, and the
 * wait fails with EINTR (no SA_RESTART); the ring then serves the next
 * call as usual. */
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

int main(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(4, &ring, 0) < 0)
		return 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_usec = 50 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);

	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&ring, &cqe);
	printf("wait: %s, handler ran %d\n", strerror(-ret), (int)fired);

	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 7;
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret == 1 && io_uring_peek_cqe(&ring, &cqe) == 0)
		printf("nop ud=%llu res=%d\n", (unsigned long long)cqe->user_data, cqe->res);
	io_uring_queue_exit(&ring);
	return 0;
}
