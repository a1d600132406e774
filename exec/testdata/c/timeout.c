/* timeout: a relative IORING_OP_TIMEOUT expires with -ETIME; a count
 * timeout completes with 0 once enough CQEs are posted; a timeout is
 * removed with TIMEOUT_REMOVE; a wait with a timeout and nothing to
 * reap ends with -ETIME; a linked timeout cancels a read that never
 * completes. */
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void reap(struct io_uring *ring, int n)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0) {
			printf("wait: %s\n", strerror(-ret));
			return;
		}
		printf("cqe ud=%llu res=%d\n", (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
}

int main(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_timeout(sqe, &ts, 0, 0);
	sqe->user_data = 1;
	io_uring_submit(&ring);
	reap(&ring, 1);

	struct __kernel_timespec long_ts = {.tv_sec = 100};
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_timeout(sqe, &long_ts, 2, 0);
	sqe->user_data = 2;
	for (int i = 0; i < 2; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 10 + i;
	}
	io_uring_submit(&ring);
	reap(&ring, 3);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_timeout(sqe, &long_ts, 0, 0);
	sqe->user_data = 3;
	io_uring_submit(&ring);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_timeout_remove(sqe, 3, 0);
	sqe->user_data = 4;
	io_uring_submit(&ring);
	reap(&ring, 2);

	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	printf("wait_cqe_timeout: %s\n", ret == -ETIME ? "ETIME" : strerror(-ret));

	int p[2];
	if (pipe(p) < 0)
		return 1;
	char buf[8];
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 5;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 6;
	io_uring_submit(&ring);
	reap(&ring, 2);
	io_uring_queue_exit(&ring);
	return 0;
}
