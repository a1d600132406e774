/* async: IOSQE_ASYNC reads and writes on a file and a pipe, each
 * submitted in one io_uring_enter and waited for in a later one, with
 * the program's own read(2)/write(2)/lseek(2) on the same descriptors in
 * between. The io-wq work runs while the program is outside the
 * simulator on Linux; under exec the run must still be a function of
 * (program, input, seed): its output and its trace repeat. */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct io_uring ring;

static void submit(const char *what)
{
	int ret = io_uring_submit(&ring);
	if (ret < 0) {
		printf("%s: submit: %s\n", what, strerror(-ret));
		exit(1);
	}
}

/* reap waits for n CQEs and prints them sorted by user_data: io-wq
 * completes them in either order. */
static void reap(const char *what, int n, int *res)
{
	struct io_uring_cqe *cqe;
	int got[8];
	unsigned long long ud[8];
	for (int i = 0; i < n; i++) {
		int ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0) {
			printf("%s: wait: %s\n", what, strerror(-ret));
			exit(1);
		}
		got[i] = cqe->res;
		ud[i] = cqe->user_data;
		io_uring_cqe_seen(&ring, cqe);
	}
	for (unsigned long long want = 0; want < 16; want++)
		for (int i = 0; i < n; i++)
			if (ud[i] == want) {
				printf("%s: ud=%llu res=%d\n", what, want, got[i]);
				if (res)
					res[want] = got[i];
			}
}

static struct io_uring_sqe *sqe_async(unsigned long long ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = ud;
	return sqe;
}

int main(void)
{
	char path[] = "/tmp/uringsim-exec-async-XXXXXX";
	int fd = mkstemp(path);
	int p[2];
	if (fd < 0 || pipe(p) < 0) {
		perror("setup");
		return 1;
	}
	unlink(path);
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	static const char a[] = "async write of the file\n";
	static const char b[] = "second async write\n";
	char buf[64], buf2[64];
	int res[16] = {0};

	/* 1: two async writes of the file in one submit; the program writes
	 * the file itself after them, then waits */
	io_uring_prep_write(sqe_async(1), fd, a, sizeof(a) - 1, 0);
	io_uring_prep_write(sqe_async(2), fd, b, sizeof(b) - 1, 64);
	submit("file writes");
	if (pwrite(fd, "own", 3, 128) != 3)
		return 1;
	reap("file writes", 2, NULL);

	/* 2: async reads of the file; the program reads it too meanwhile */
	memset(buf, 0, sizeof(buf));
	memset(buf2, 0, sizeof(buf2));
	io_uring_prep_read(sqe_async(3), fd, buf, sizeof(a) - 1, 0);
	io_uring_prep_read(sqe_async(4), fd, buf2, 3, 128);
	submit("file reads");
	char own[8] = {0};
	if (pread(fd, own, 6, 64) != 6)
		return 1;
	printf("own pread: %s\n", own);
	reap("file reads", 2, res);
	printf("read 3: %.*s", res[3], buf);
	printf("read 4: %.*s\n", res[4], buf2);

	/* 3: an async read of the empty pipe, then the program's write(2) to
	 * it, then the wait: the read sees the program's bytes */
	memset(buf, 0, sizeof(buf));
	io_uring_prep_read(sqe_async(5), p[0], buf, sizeof(buf), 0);
	submit("pipe read");
	if (write(p[1], "ping", 4) != 4)
		return 1;
	reap("pipe read", 1, res);
	printf("pipe read: %.*s\n", res[5], buf);

	/* 4: an async write into the pipe and a nop; the program then waits
	 * for both and reads the pipe with read(2) */
	io_uring_prep_write(sqe_async(6), p[1], "pong", 4, 0);
	io_uring_prep_nop(sqe_async(7));
	submit("pipe write");
	getpid();
	reap("pipe write", 2, NULL);
	memset(buf, 0, sizeof(buf));
	if (read(p[0], buf, 4) != 4)
		return 1;
	printf("own read: %s\n", buf);

	/* 5: a few rounds of submit, host calls, wait on both at once */
	for (int round = 0; round < 3; round++) {
		memset(buf, 0, sizeof(buf));
		io_uring_prep_read(sqe_async(8), p[0], buf, sizeof(buf), 0);
		io_uring_prep_write(sqe_async(9), fd, "round", 5, 200 + 8 * round);
		submit("round");
		lseek(fd, 0, SEEK_SET);
		char c = '0' + round;
		if (write(p[1], &c, 1) != 1)
			return 1;
		reap("round", 2, res);
		printf("round %d read: %.*s\n", round, res[8], buf);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
