/* rw: write a file with IORING_OP_WRITE, read it back with READ and
 * READV at offsets, through liburing; print what came back. */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int reap(struct io_uring *ring, const char *what)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0) {
		printf("%s: wait: %s\n", what, strerror(-ret));
		exit(1);
	}
	ret = cqe->res;
	printf("%s: ud=%llu res=%d\n", what, (unsigned long long)cqe->user_data, ret);
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

int main(void)
{
	char path[] = "/tmp/uringsim-exec-rw-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(path);
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	static char msg[] = "hello from io_uring, through the program's own descriptor\n";
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, msg, sizeof(msg) - 1, 0);
	sqe->user_data = 1;
	io_uring_submit(&ring);
	reap(&ring, "write");

	char buf[128] = {0};
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 5, 6);
	sqe->user_data = 2;
	io_uring_submit(&ring);
	int n = reap(&ring, "read");
	printf("read %.*s\n", n, buf);

	char a[8] = {0}, b[16] = {0};
	struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 2, 0);
	sqe->user_data = 3;
	io_uring_submit(&ring);
	n = reap(&ring, "readv");
	printf("readv [%.8s][%.16s]\n", a, b);

	/* the program sees the file as io_uring left it */
	memset(buf, 0, sizeof(buf));
	n = pread(fd, buf, sizeof(buf), 0);
	printf("pread %d: %s", n, buf);

	/* a descriptor that is not open */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, 99, buf, 5, 0);
	sqe->user_data = 4;
	io_uring_submit(&ring);
	reap(&ring, "read bad fd");
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
