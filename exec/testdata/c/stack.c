/* stack: an IOSQE_ASYNC read into a buffer on the stack, submitted in
 * one io_uring_enter and waited for in a deeper function whose locals,
 * written between the two calls, share the buffer's page. The io-wq
 * worker writes the buffer when it runs; the program's memory must
 * still hold the locals it wrote (a page of the program written back
 * whole from a stale copy would undo them, or a return address). */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS 16

static struct io_uring ring;

/* wait_in_frame fills locals of its own, waits for the read, and
 * reports whether the locals survived the wait. */
static __attribute__((noinline)) int wait_in_frame(int round)
{
	volatile unsigned canary[64];
	for (int i = 0; i < 64; i++)
		canary[i] = 0x5eed0000u + round * 64 + i;
	struct io_uring_cqe *cqe;
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		exit(1);
	int res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	for (int i = 0; i < 64; i++)
		if (canary[i] != 0x5eed0000u + round * 64 + i)
			return -1;
	return res;
}

int main(void)
{
	char path[] = "/tmp/uringsim-exec-stack-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	unlink(path);
	if (write(fd, "0123456789abcdef", 16) != 16)
		return 1;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;
	int intact = 0, data = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char buf[16];
		memset(buf, 0, sizeof(buf));
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, 8, round % 8);
		sqe->flags |= IOSQE_ASYNC;
		if (io_uring_submit(&ring) != 1)
			return 1;
		int res = wait_in_frame(round);
		if (res >= 0)
			intact++;
		if (res == 8 && !memcmp(buf, "0123456789abcdef" + round % 8, 8))
			data++;
	}
	printf("rounds %d: locals intact %d, data right %d\n", ROUNDS, intact, data);
	io_uring_queue_exit(&ring);
	return 0;
}
