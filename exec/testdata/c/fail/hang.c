/* hang: wait for a CQE when nothing was submitted: natively it waits
 * forever. */
#include <liburing.h>
#include <stdio.h>

int main(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(4, &ring, 0) < 0)
		return 1;
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&ring, &cqe);
	printf("wait returned %d\n", ret);
	return 0;
}
