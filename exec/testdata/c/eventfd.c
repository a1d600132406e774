/* eventfd: the program's own eventfd registered with
 * IORING_REGISTER_EVENTFD is signalled when CQEs are posted (read with
 * read(2)), not while IORING_CQ_EVENTFD_DISABLED is set, not after
 * unregistering; a poll on the eventfd in the same ring fires from the
 * ring's own signal. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static struct io_uring ring;
static int efd;

static void nop(int n)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 100 + i;
	}
	io_uring_submit_and_wait(&ring, n);
}

static void reap_all(const char *what)
{
	struct io_uring_cqe *cqe;
	while (io_uring_peek_cqe(&ring, &cqe) == 0) {
		printf("%s: cqe ud=%llu res=%#x\n", what, (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
}

static void count(const char *what)
{
	uint64_t v;
	ssize_t n = read(efd, &v, sizeof(v));
	if (n < 0)
		printf("%s: eventfd %s\n", what, strerror(errno));
	else
		printf("%s: eventfd %llu\n", what, (unsigned long long)v);
}

int main(void)
{
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0)
		return 1;
	int ret = io_uring_register_eventfd(&ring, efd);
	printf("register: %d\n", ret);
	if (ret)
		return 1;
	nop(1);
	reap_all("one nop");
	count("one nop");

	io_uring_cq_eventfd_toggle(&ring, false);
	nop(1);
	reap_all("disabled");
	count("disabled");
	io_uring_cq_eventfd_toggle(&ring, true);

	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, efd, POLLIN);
	sqe->user_data = 1;
	io_uring_submit(&ring);
	nop(1);
	struct io_uring_cqe *cqe;
	if (io_uring_wait_cqe_nr(&ring, &cqe, 2) < 0)
		return 1;
	reap_all("poll");
	count("poll");

	printf("unregister: %d\n", io_uring_unregister_eventfd(&ring));
	nop(1);
	reap_all("unregistered");
	count("unregistered");
	io_uring_queue_exit(&ring);
	return 0;
}
