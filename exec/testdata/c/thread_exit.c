/* thread_exit: a thread submits a write to a regular file and exits
 * before it completes; the write is not cancelled by the thread's exit
 * (regular-file work is bound io-wq work, which the exiting io-wq still
 * runs), and the main thread reaps its CQE. */
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct io_uring ring;
static int fd;
static char buf[512];

static void *submit(void *arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, sizeof(buf), (unsigned long)arg);
	sqe->user_data = (unsigned long)arg;
	io_uring_submit(&ring);
	return NULL;
}

int main(void)
{
	char name[] = "/tmp/uringsim-thread-exit-XXXXXX";
	fd = mkstemp(name);
	if (fd < 0)
		return 1;
	unlink(name);
	memset(buf, 0x5a, sizeof(buf));
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	for (unsigned long off = 0; off < 4 * sizeof(buf); off += sizeof(buf)) {
		pthread_t th;
		pthread_create(&th, NULL, submit, (void *)off);
		pthread_join(th, NULL);
	}
	int sum = 0;
	for (int i = 0; i < 4; i++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&ring, &cqe) < 0)
			return 1;
		printf("write res=%d\n", cqe->res);
		sum += cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("file size %ld, written %d\n", (long)lseek(fd, 0, SEEK_END), sum);
	io_uring_queue_exit(&ring);
	return 0;
}
