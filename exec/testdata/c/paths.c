/* paths: path names in SQEs name the program's own files. A file made
 * with open(2) is opened, stat'ed, renamed, linked and unlinked through
 * IORING_OP_OPENAT/OPENAT2/STATX/MKDIRAT/RENAMEAT/SYMLINKAT/LINKAT/
 * UNLINKAT, relative to the current directory and to a dirfd; the
 * descriptors the opens return are the program's own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct io_uring ring;

static int isfd; /* the next run's result is a descriptor: not printed */

static int run(const char *what)
{
	struct io_uring_cqe *cqe;
	/* one enter submits and waits: the completion comes inside the call
	 * (most of these ops run on io-wq) */
	io_uring_submit_and_wait(&ring, 1);
	int ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0) {
		printf("%s: wait: %s\n", what, strerror(-ret));
		exit(1);
	}
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (ret < 0)
		printf("%s: %s\n", what, strerror(-ret));
	else if (isfd)
		printf("%s: a descriptor\n", what);
	else
		printf("%s: %d\n", what, ret);
	isfd = 0;
	return ret;
}

/* lowest is the lowest free descriptor (the number an open must get);
 * numbers themselves depend on what the program inherited. */
static int lowest(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

/* run_open runs a prepared open whose CQE is a descriptor of the
 * program's, says whether it got the lowest free number, and returns it. */
static int run_open(const char *what, const char *name)
{
	int low = lowest();
	isfd = 1;
	int fd = run(what);
	printf("  %s: the lowest free descriptor: %d\n", name, fd == low);
	return fd;
}

static void statx_of(int dfd, const char *path, int flags)
{
	struct statx st;
	memset(&st, 0, sizeof(st));
	io_uring_prep_statx(io_uring_get_sqe(&ring), dfd, path, flags, STATX_BASIC_STATS, &st);
	if (run("statx") == 0)
		printf("  %s: %s size=%llu nlink=%u\n", path,
		       S_ISREG(st.stx_mode) ? "file" : S_ISLNK(st.stx_mode) ? "symlink" : S_ISDIR(st.stx_mode) ? "dir" : "other",
		       (unsigned long long)st.stx_size, st.stx_nlink);
}

int main(void)
{
	char dir[] = "/tmp/uringsim-exec-paths-XXXXXX";
	char buf[64];
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror("mkdtemp");
		return 1;
	}
	int fd = open("a", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "hello\n", 6) != 6) {
		perror("open");
		return 1;
	}
	close(fd);
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 1;

	/* open(2)'s file, opened by io_uring: the CQE's descriptor is ours */
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, "a", O_RDONLY, 0);
	fd = run_open("openat a", "a");
	memset(buf, 0, sizeof(buf));
	printf("  read(2) of it: %zd %s", read(fd, buf, sizeof(buf)), buf);
	printf("  fcntl(F_GETFL) O_NONBLOCK: %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	close(fd);
	statx_of(AT_FDCWD, "a", 0);

	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, "missing", O_RDONLY, 0);
	run("openat missing");

	io_uring_prep_mkdirat(io_uring_get_sqe(&ring), AT_FDCWD, "d", 0755);
	run("mkdirat d");
	io_uring_prep_mkdirat(io_uring_get_sqe(&ring), AT_FDCWD, "d", 0755);
	run("mkdirat d again");
	int dfd = open("d", O_RDONLY | O_DIRECTORY);

	/* relative to a dirfd the program opened itself */
	io_uring_prep_renameat(io_uring_get_sqe(&ring), AT_FDCWD, "a", dfd, "b", 0);
	run("renameat a -> d/b");
	printf("  access(2) a=%d d/b=%d\n", access("a", F_OK) == 0, access("d/b", F_OK) == 0);

	io_uring_prep_symlinkat(io_uring_get_sqe(&ring), "d/b", AT_FDCWD, "l");
	run("symlinkat l -> d/b");
	statx_of(AT_FDCWD, "l", 0);
	statx_of(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW);
	io_uring_prep_linkat(io_uring_get_sqe(&ring), dfd, "b", AT_FDCWD, "h", 0);
	run("linkat d/b -> h");
	statx_of(dfd, "b", 0);

	/* a direct descriptor: the ring's table, not the program's */
	io_uring_register_files_sparse(&ring, 2);
	io_uring_prep_openat_direct(io_uring_get_sqe(&ring), dfd, "b", O_RDONLY, 0, 1);
	run("openat direct d/b");
	memset(buf, 0, sizeof(buf));
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, 1, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	if (run("read fixed") > 0)
		printf("  %s", buf);

	/* openat2 with O_CREAT, written through io_uring, read by the program */
	struct open_how how = {.flags = O_CREAT | O_RDWR | O_EXCL, .mode = 0600};
	io_uring_prep_openat2(io_uring_get_sqe(&ring), dfd, "c", &how);
	fd = run_open("openat2 d/c", "d/c");
	io_uring_prep_write(io_uring_get_sqe(&ring), fd, "written\n", 8, 0);
	run("write d/c");
	memset(buf, 0, sizeof(buf));
	printf("  pread(2): %zd %s", pread(fd, buf, sizeof(buf), 0), buf);
	close(fd);
	io_uring_prep_openat2(io_uring_get_sqe(&ring), dfd, "c", &how);
	run("openat2 d/c O_EXCL again");

	/* /proc/self is the program, not whoever serves its ring */
	struct open_how ro = {.flags = O_RDONLY};
	io_uring_prep_openat2(io_uring_get_sqe(&ring), -1, "/proc/self/comm", &ro);
	fd = run_open("openat2 /proc/self/comm", "comm");
	memset(buf, 0, sizeof(buf));
	printf("  comm: %zd %s", read(fd, buf, sizeof(buf)), buf);
	close(fd);

	io_uring_prep_unlinkat(io_uring_get_sqe(&ring), AT_FDCWD, "d", 0);
	run("unlinkat d");
	io_uring_prep_unlinkat(io_uring_get_sqe(&ring), AT_FDCWD, "d", AT_REMOVEDIR);
	run("rmdir d (not empty)");
	const char *names[] = {"d/b", "d/c", "l", "h", "h"};
	for (int i = 0; i < 5; i++) {
		io_uring_prep_unlinkat(io_uring_get_sqe(&ring), AT_FDCWD, names[i], 0);
		snprintf(buf, sizeof(buf), "unlinkat %s", names[i]);
		run(buf);
	}
	io_uring_prep_unlinkat(io_uring_get_sqe(&ring), dfd, ".", AT_REMOVEDIR);
	run("rmdir d/.");
	io_uring_prep_unlinkat(io_uring_get_sqe(&ring), AT_FDCWD, "d", AT_REMOVEDIR);
	run("rmdir d");
	close(dfd);
	io_uring_queue_exit(&ring);
	if (chdir("/") < 0 || rmdir(dir) < 0) {
		perror("rmdir");
		return 1;
	}
	printf("done\n");
	return 0;
}
