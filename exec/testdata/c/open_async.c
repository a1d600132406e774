/* open_async: every open forced to io-wq (IOSQE_ASYNC on OPENAT and
 * OPENAT2), several in flight at once, submitted in one io_uring_enter
 * and reaped in later ones, with the program's own calls in between; each
 * opened descriptor is the program's (read(2) of it), closed by close(2)
 * or by an async IORING_OP_CLOSE. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NFILES 4
#define ROUNDS 12

static struct io_uring ring;

static void die(const char *what, int err)
{
	printf("%s: %s\n", what, strerror(err));
	exit(1);
}

int main(void)
{
	char dir[] = "/tmp/uringsim-exec-open-async-XXXXXX";
	char name[32], buf[32];
	if (!mkdtemp(dir) || chdir(dir) < 0)
		die("mkdtemp", 1);
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		int fd = open(name, O_CREAT | O_WRONLY, 0644);
		snprintf(buf, sizeof(buf), "file %d\n", i);
		if (fd < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf))
			die("create", 1);
		close(fd);
	}
	if (io_uring_queue_init(16, &ring, 0) < 0)
		return 1;
	int low = dup(0); /* the lowest free descriptor */
	close(low);
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	int ok = 0, missing = 0, closed = 0, bad = 0;
	for (int round = 0; round < ROUNDS; round++) {
		/* NFILES opens of existing files, one of a missing file */
		for (int i = 0; i <= NFILES; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			if (i == NFILES)
				io_uring_prep_openat(sqe, AT_FDCWD, "missing", O_RDONLY, 0);
			else if ((i + round) % 2)
				io_uring_prep_openat2(sqe, AT_FDCWD, (snprintf(name, sizeof(name), "f%d", i), strdup(name)), &how);
			else
				io_uring_prep_openat(sqe, AT_FDCWD, (snprintf(name, sizeof(name), "f%d", i), strdup(name)), O_RDONLY, 0);
			sqe->flags |= IOSQE_ASYNC;
			sqe->user_data = i;
		}
		int ret = io_uring_submit(&ring);
		if (ret != NFILES + 1)
			die("submit", -ret);
		getppid(); /* the program runs between submit and wait */
		int fds[NFILES + 1];
		for (int n = 0; n <= NFILES; n++) {
			struct io_uring_cqe *cqe;
			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0)
				die("wait", -ret);
			fds[cqe->user_data] = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		if (fds[NFILES] == -ENOENT)
			missing++;
		int inflight = 0;
		for (int i = 0; i < NFILES; i++) {
			if (fds[i] < 0) {
				printf("round %d open f%d: %s\n", round, i, strerror(-fds[i]));
				bad++;
				continue;
			}
			memset(buf, 0, sizeof(buf));
			snprintf(name, sizeof(name), "file %d\n", i);
			if (read(fds[i], buf, sizeof(buf)) == (ssize_t)strlen(name) && !strcmp(buf, name))
				ok++;
			else
				bad++;
			if (i % 2) {
				close(fds[i]);
				closed++;
			} else {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
				io_uring_prep_close(sqe, fds[i]);
				sqe->flags |= IOSQE_ASYNC;
				sqe->user_data = 100 + i;
				inflight++;
			}
		}
		io_uring_submit(&ring);
		int closing[NFILES], nclosing = 0;
		for (int i = 0; i < NFILES; i += 2)
			if (fds[i] >= 0)
				closing[nclosing++] = fds[i];
		for (; inflight > 0; inflight--) {
			struct io_uring_cqe *cqe;
			if (io_uring_wait_cqe(&ring, &cqe) < 0)
				die("wait close", 1);
			if (cqe->res == 0)
				closed++;
			else
				bad++;
			io_uring_cqe_seen(&ring, cqe);
		}
		/* Under exec IORING_OP_CLOSE closes the simulator's copy only
		 * (docs/exec.md): close(2) them again, -EBADF natively. */
		for (int i = 0; i < nclosing; i++)
			close(closing[i]);
	}
	printf("opened and read %d, missing %d, closed %d, bad %d\n", ok, missing, closed, bad);
	/* every descriptor is closed: the lowest free one is as before */
	int fd = dup(0);
	printf("lowest free as before: %d\n", fd == low);
	close(fd);
	io_uring_queue_exit(&ring);
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		unlink(name);
	}
	if (chdir("/") < 0 || rmdir(dir) < 0)
		die("rmdir", 1);
	return 0;
}
