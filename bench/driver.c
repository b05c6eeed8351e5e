/*
 * driver: start PROG N times, one process per message, the way an MTA
 * runs a delivery agent, and print the elapsed wall-clock seconds.
 *
 *	driver [-p] [-u UID:GID] N MESSAGE PROG [ARG...]
 *
 * Each run gets MESSAGE on stdin (one descriptor, rewound before every
 * fork; with -p a pipe the driver writes the message into, from a copy
 * held in memory, as most MTAs do), /dev/null on stdout and the
 * driver's stderr.  Runs are
 * sequential: the next one starts when the previous has exited.  Any
 * exit status other than 0 stops the loop (exit 1).  With -u the child
 * switches to UID:GID (no supplementary groups) before exec.  The same
 * driver is used for every tool in bench/mdeliver.sh, so the loop costs
 * the same for all of them.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fputs("usage: driver [-p] [-u UID:GID] N MESSAGE PROG [ARG...]\n",
	    stderr);
	exit(64);
}

/* The whole message in memory, for -p. */
static char *
slurp(int fd, size_t *lenp)
{
	char *p = NULL, *q;
	size_t len = 0, cap = 0;
	ssize_t r;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				return NULL;
			}
			p = q;
		}
		r = read(fd, p + len, cap - len);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(p);
			return NULL;
		}
		len += (size_t)r;
	}
	*lenp = len;
	return p;
}

/* Write it all; a reader that went away early is not our error here. */
static void
feed(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		len -= (size_t)w;
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	char *end;
	long n, i;
	long uid = -1, gid = -1;
	int ch, msg, null, status, usepipe = 0;
	int fds[2] = {-1, -1};
	char *body = NULL;
	size_t bodylen = 0;
	double t0, t1;
	pid_t pid;

	while ((ch = getopt(argc, argv, "+pu:")) != -1) {
		switch (ch) {
		case 'p': usepipe = 1; break;
		case 'u':
			uid = strtol(optarg, &end, 10);
			if (*end != ':' || uid < 0)
				usage();
			gid = strtol(end + 1, &end, 10);
			if (*end != '\0' || gid < 0)
				usage();
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage();
	n = strtol(argv[0], &end, 10);
	if (*end != '\0' || n < 1)
		usage();
	if ((msg = open(argv[1], O_RDONLY)) == -1 ||
	    (null = open("/dev/null", O_WRONLY)) == -1) {
		fprintf(stderr, "driver: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (usepipe) {
		if ((body = slurp(msg, &bodylen)) == NULL) {
			fprintf(stderr, "driver: %s: %s\n", argv[1],
			    strerror(errno));
			return 1;
		}
		signal(SIGPIPE, SIG_IGN);
	}

	t0 = now();
	for (i = 0; i < n; i++) {
		if (usepipe) {
			if (pipe(fds) == -1) {
				perror("driver: pipe");
				return 1;
			}
		} else if (lseek(msg, 0, SEEK_SET) == -1) {
			perror("driver: lseek");
			return 1;
		}
		pid = fork();
		if (pid == -1) {
			perror("driver: fork");
			return 1;
		}
		if (pid == 0) {
			if (usepipe) {
				signal(SIGPIPE, SIG_DFL);
				close(fds[1]);
				if (dup2(fds[0], STDIN_FILENO) == -1)
					_exit(71);
				close(fds[0]);
			} else if (dup2(msg, STDIN_FILENO) == -1)
				_exit(71);
			if (dup2(null, STDOUT_FILENO) == -1)
				_exit(71);
			close(msg);
			close(null);
			if (uid != -1 &&
			    (setgroups(0, NULL) == -1 ||
				setgid((gid_t)gid) == -1 ||
				setuid((uid_t)uid) == -1)) {
				perror("driver: dropping privileges");
				_exit(77);
			}
			execv(argv[2], argv + 2);
			fprintf(stderr, "driver: %s: %s\n", argv[2],
			    strerror(errno));
			_exit(127);
		}
		if (usepipe) {
			close(fds[0]);
			feed(fds[1], body, bodylen);
			close(fds[1]);
		}
		while (waitpid(pid, &status, 0) == -1) {
			if (errno != EINTR) {
				perror("driver: waitpid");
				return 1;
			}
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFEXITED(status))
				fprintf(stderr,
				    "driver: %s: run %ld of %ld exited %d\n",
				    argv[2], i + 1, n, WEXITSTATUS(status));
			else
				fprintf(stderr,
				    "driver: %s: run %ld of %ld killed by "
				    "signal %d\n",
				    argv[2], i + 1, n, WTERMSIG(status));
			return 1;
		}
	}
	t1 = now();
	printf("%.6f\n", t1 - t0);
	return 0;
}
