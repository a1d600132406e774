/* recv_multishot: a loopback TCP connection made with IORING_OP_CONNECT
 * and IORING_OP_ACCEPT on the program's own sockets, then a multishot
 * receive on the accepted descriptor into a provided-buffer ring: one CQE
 * with F_MORE and F_BUFFER per message, a message larger than a buffer
 * spread over several (F_SOCK_NONEMPTY while more is queued), the ring
 * running out (-ENOBUFS ends the request), and after re-arming, the
 * peer's close (res 0, no F_MORE). Each send(2) is followed by a wait, so
 * the CQEs do not depend on timing. */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUFS 4
#define BUFSZ 32
#define BGID 7

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char bufs[NBUFS][BUFSZ];

static void die(const char *what, int err)
{
	printf("%s: %s\n", what, strerror(err));
	exit(1);
}

static struct io_uring_cqe *wait_one(void)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0)
		die("wait", -ret);
	return cqe;
}

/* provide puts every buffer back in the ring. */
static void provide(void)
{
	for (int i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(br, bufs[i], BUFSZ, i, io_uring_buf_ring_mask(NBUFS), i);
	io_uring_buf_ring_advance(br, NBUFS);
}

static void arm(int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 9;
	io_uring_submit(&ring);
}

/* reap prints one receive CQE: its result, flags and data. It returns
 * whether the request goes on (F_MORE). */
static int reap(void)
{
	struct io_uring_cqe *cqe = wait_one();
	int res = cqe->res;
	unsigned f = cqe->flags;
	printf("recv res=%d more=%d sock_nonempty=%d", res, !!(f & IORING_CQE_F_MORE),
	       !!(f & IORING_CQE_F_SOCK_NONEMPTY));
	if (f & IORING_CQE_F_BUFFER) {
		int bid = f >> IORING_CQE_BUFFER_SHIFT;
		printf(" bid=%d data=%.*s", bid, res, bufs[bid]);
	}
	printf("\n");
	io_uring_cqe_seen(&ring, cqe);
	return !!(f & IORING_CQE_F_MORE);
}

int main(void)
{
	if (io_uring_queue_init(16, &ring, 0) < 0)
		return 1;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		die("listen", 1);
	int cfd = socket(AF_INET, SOCK_STREAM, 0);

	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_connect(sqe, cfd, (struct sockaddr *)&sa, sizeof(sa));
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&ring);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	io_uring_prep_accept(sqe, lfd, (struct sockaddr *)&peer, &plen, 0);
	sqe->user_data = 2;
	io_uring_submit(&ring);
	int afd = -1;
	for (int i = 0; i < 2; i++) {
		struct io_uring_cqe *cqe = wait_one();
		if (cqe->res < 0)
			die(cqe->user_data == 1 ? "connect" : "accept", -cqe->res);
		if (cqe->user_data == 2)
			afd = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	/* the accepted descriptor is the program's own */
	struct sockaddr_in local;
	socklen_t llen = sizeof(local);
	if (getsockname(afd, (struct sockaddr *)&local, &llen) < 0)
		die("getsockname of the accepted socket", 1);
	printf("connected: accepted fd usable=%d peer family=%d addrlen=%u\n",
	       local.sin_port == sa.sin_port, peer.sin_family, plen);

	br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	io_uring_buf_ring_init(br);
	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = NBUFS, .bgid = BGID};
	int ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (ret)
		die("register_buf_ring", -ret);
	provide();

	arm(afd);
	const char *msgs[] = {"hello", "multishot"};
	for (int i = 0; i < 2; i++) {
		if (send(cfd, msgs[i], strlen(msgs[i]), 0) < 0)
			die("send", 1);
		reap();
	}
	/* 40 bytes: one buffer of 32 with more queued, then the rest, in
	 * the two buffers left; the ring is then empty */
	char big[41];
	memset(big, 'x', 40);
	memcpy(big + 32, "01234567", 8);
	if (send(cfd, big, 40, 0) < 0)
		die("send", 1);
	reap();
	reap();
	/* no buffer left: the next message ends the request */
	if (send(cfd, "tail", 4, 0) < 0)
		die("send", 1);
	printf("more=%d\n", reap());

	provide();
	arm(afd);
	reap();
	close(cfd);
	printf("more=%d\n", reap());
	close(afd);
	close(lfd);
	io_uring_queue_exit(&ring);
	return 0;
}
