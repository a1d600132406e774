/* threads: two pthreads and io_uring. A thread waits on a ring for the
 * CQE of a NOP the other thread submits (with and without a timeout on
 * the wait); each thread has a ring of its own and a MSG_RING carries a
 * message from one to the other; a SINGLE_ISSUER|DEFER_TASKRUN ring
 * refuses a second submitter with -EEXIST. Every line is printed after
 * a join, so the output is the same natively and under uringsim exec. */
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct io_uring shared, mine, theirs;
static char line[128], sent[128];

/* waiter: the CQE of the NOP the main thread submits on the shared ring. */
static void *waiter(void *arg)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	int ret = arg ? io_uring_wait_cqe_timeout(&shared, &cqe, &ts)
		      : io_uring_wait_cqe(&shared, &cqe);
	if (ret < 0) {
		snprintf(line, sizeof(line), "waiter: %s", strerror(-ret));
		return NULL;
	}
	snprintf(line, sizeof(line), "waiter got user_data=%llu res=%d",
		 (unsigned long long)cqe->user_data, cqe->res);
	io_uring_cqe_seen(&shared, cqe);
	return NULL;
}

/* receiver: the message the main thread sends to this thread's ring. */
static void *receiver(void *arg)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&theirs, &cqe);
	if (ret < 0) {
		snprintf(line, sizeof(line), "receiver: %s", strerror(-ret));
		return NULL;
	}
	snprintf(line, sizeof(line), "receiver got user_data=%llu res=%d",
		 (unsigned long long)cqe->user_data, cqe->res);
	io_uring_cqe_seen(&theirs, cqe);
	return NULL;
}

/* submitter: a NOP on the main thread's SINGLE_ISSUER ring. */
static void *submitter(void *arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&mine);
	io_uring_prep_nop(sqe);
	int ret = io_uring_submit(&mine);
	snprintf(line, sizeof(line), "second submitter: %s",
		 ret < 0 ? strerror(-ret) : "submitted");
	return NULL;
}

static int run(void *(*fn)(void *), void *arg, void (*meanwhile)(void))
{
	pthread_t th;
	if (pthread_create(&th, NULL, fn, arg)) {
		printf("pthread_create failed\n");
		return 1;
	}
	if (meanwhile)
		meanwhile();
	pthread_join(th, NULL);
	printf("%s\n", line);
	return 0;
}

static void submit_nop(void)
{
	/* Some user-space work first: the waiter's clock must not run out
	 * while this thread is still on its way to the submission. */
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 1000000; i++)
		x += i;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&shared);
	io_uring_prep_nop(sqe);
	sqe->user_data = 42;
	io_uring_submit(&shared);
}

static void send_msg(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&mine);
	io_uring_prep_msg_ring(sqe, theirs.ring_fd, 99, 7, 0);
	sqe->user_data = 1;
	io_uring_submit(&mine);
	if (io_uring_wait_cqe(&mine, &cqe) == 0) {
		snprintf(sent, sizeof(sent), "msg_ring res=%d", cqe->res);
		io_uring_cqe_seen(&mine, cqe);
	}
}

int main(void)
{
	if (io_uring_queue_init(8, &shared, 0) < 0 ||
	    io_uring_queue_init(8, &mine, 0) < 0 ||
	    io_uring_queue_init(8, &theirs, 0) < 0) {
		printf("queue_init failed\n");
		return 1;
	}
	if (run(waiter, NULL, submit_nop) || run(waiter, "timed", submit_nop))
		return 1;
	if (run(receiver, NULL, send_msg))
		return 1;
	printf("%s\n", sent);
	io_uring_queue_exit(&mine);

	int ret = io_uring_queue_init(8, &mine, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	if (ret < 0) {
		printf("single issuer: %s\n", strerror(-ret));
		return 1;
	}
	if (run(submitter, NULL, NULL))
		return 1;
	io_uring_queue_exit(&mine);
	io_uring_queue_exit(&theirs);
	io_uring_queue_exit(&shared);
	printf("done\n");
	return 0;
}
