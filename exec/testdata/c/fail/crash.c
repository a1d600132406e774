/* crash: reap a NOP, then crash with SIGSEGV holding the ring. */
#include <liburing.h>
#include <stdio.h>

int main(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(4, &ring, 0) < 0)
		return 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	io_uring_submit_and_wait(&ring, 1);
	printf("nop reaped\n");
	fflush(stdout);
	*(volatile int *)0 = 1;
	return 0;
}
