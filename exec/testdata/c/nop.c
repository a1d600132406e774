/* nop: submit NOPs in batches through liburing and reap them, printing
 * each CQE; the output is the same natively and under uringsim exec. */
#include <liburing.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) {
		printf("queue_init: %s\n", strerror(-ret));
		return 1;
	}
	printf("features single_mmap=%d nodrop=%d\n",
	       !!(ring.features & IORING_FEAT_SINGLE_MMAP),
	       !!(ring.features & IORING_FEAT_NODROP));
	for (int batch = 0; batch < 3; batch++) {
		for (int i = 0; i < 4; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			io_uring_prep_nop(sqe);
			sqe->user_data = batch * 10 + i;
		}
		ret = io_uring_submit_and_wait(&ring, 4);
		printf("batch %d submitted %d\n", batch, ret);
		unsigned long long sum = 0;
		for (int i = 0; i < 4; i++) {
			struct io_uring_cqe *cqe;
			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				printf("wait_cqe: %s\n", strerror(-ret));
				return 1;
			}
			sum += cqe->user_data;
			printf("cqe res=%d flags=%u\n", cqe->res, cqe->flags);
			io_uring_cqe_seen(&ring, cqe);
		}
		printf("user_data sum %llu\n", sum);
	}
	io_uring_queue_exit(&ring);
	printf("done\n");
	return 0;
}
