/* link: an IOSQE_IO_LINK chain NOP -> WRITE -> READ on a pipe runs in
 * order; a chain whose head fails (a read of a closed descriptor)
 * cancels the rest; IOSQE_IO_HARDLINK does not. CQEs are printed in
 * user_data order (the kernel posts a chain's CQEs in order too). */
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void reap(struct io_uring *ring, int n)
{
	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(ring, &cqe) < 0)
			return;
		printf("cqe ud=%llu res=%d\n", (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
}

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	char out[] = "linked", in[16] = {0};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, p[1], out, strlen(out), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 2;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], in, sizeof(in), 0);
	sqe->user_data = 3;
	printf("submitted %d\n", io_uring_submit_and_wait(&ring, 3));
	reap(&ring, 3);
	printf("read back: %s\n", in);

	int closed = dup(p[0]);
	close(closed);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, closed, in, sizeof(in), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 4;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 5;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 6;
	printf("submitted %d\n", io_uring_submit_and_wait(&ring, 3));
	reap(&ring, 3);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, closed, in, sizeof(in), 0);
	sqe->flags |= IOSQE_IO_HARDLINK;
	sqe->user_data = 7;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 8;
	printf("submitted %d\n", io_uring_submit_and_wait(&ring, 2));
	reap(&ring, 2);
	io_uring_queue_exit(&ring);
	return 0;
}
