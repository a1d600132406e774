/* cqmap: map the CQ ring on its own (IORING_OFF_CQ_RING), as a program
 * that ignores IORING_FEAT_SINGLE_MMAP does. */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = io_uring_setup(4, &p);
	if (fd < 0)
		return 1;
	void *cq = mmap(0, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	printf("cq mmap: %s\n", cq == MAP_FAILED ? strerror(errno) : "mapped");
	return 0;
}
