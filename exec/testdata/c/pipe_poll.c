/* pipe_poll: arm POLL_ADD on a pipe's read end, see it pending, make it
 * ready with write(2) from the program itself, reap the poll, then read
 * the pipe with IORING_OP_READ, and poll the write end for POLLOUT. */
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, p[0], POLLIN);
	sqe->user_data = 1;
	printf("submitted %d\n", io_uring_submit(&ring));
	struct io_uring_cqe *cqe;
	printf("peek before write: %s\n", io_uring_peek_cqe(&ring, &cqe) == 0 ? "cqe" : "none");
	if (write(p[1], "ping", 4) != 4)
		return 1;
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		return 1;
	printf("poll ud=%llu res=%#x\n", (unsigned long long)cqe->user_data, cqe->res);
	io_uring_cqe_seen(&ring, cqe);

	char buf[16] = {0};
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->user_data = 2;
	io_uring_submit_and_wait(&ring, 1);
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		return 1;
	printf("read ud=%llu res=%d %.*s\n", (unsigned long long)cqe->user_data, cqe->res, cqe->res, buf);
	io_uring_cqe_seen(&ring, cqe);

	/* a read of the empty pipe waits for the program's next write */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->user_data = 3;
	io_uring_submit(&ring);
	printf("peek: %s\n", io_uring_peek_cqe(&ring, &cqe) == 0 ? "cqe" : "none");
	if (write(p[1], "pong", 4) != 4)
		return 1;
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		return 1;
	printf("read ud=%llu res=%d %.*s\n", (unsigned long long)cqe->user_data, cqe->res, cqe->res, buf);
	io_uring_cqe_seen(&ring, cqe);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, p[1], POLLOUT);
	sqe->user_data = 4;
	io_uring_submit_and_wait(&ring, 1);
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		return 1;
	printf("poll ud=%llu res=%#x\n", (unsigned long long)cqe->user_data, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return 0;
}
