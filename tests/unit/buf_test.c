/*
 * buf_test: the growable, bounded buffer.
 */
#include <errno.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "buf.h"

ATF_TC_WITHOUT_HEAD(append_and_cstr);
ATF_TC_BODY(append_and_cstr, tc)
{
	struct buf b;

	buf_init(&b, 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "");
	ATF_REQUIRE(buf_puts(&b, "hello") == 0);
	ATF_REQUIRE(buf_putc(&b, ' ') == 0);
	ATF_REQUIRE(buf_append(&b, "world!!", 5) == 0);
	ATF_CHECK_EQ(b.len, 11);
	ATF_CHECK_STREQ(buf_cstr(&b), "hello world");
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(printf_grows);
ATF_TC_BODY(printf_grows, tc)
{
	struct buf b;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		ATF_REQUIRE(buf_printf(&b, "%04d,", i) == 0);
	ATF_CHECK_EQ(b.len, 5000);
	ATF_CHECK(memcmp(b.data, "0000,0001,", 10) == 0);
	ATF_CHECK(memcmp(b.data + 4995, "0999,", 5) == 0);
	ATF_CHECK_EQ(b.data[b.len], '\0');
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(max_is_enforced);
ATF_TC_BODY(max_is_enforced, tc)
{
	struct buf b;

	buf_init(&b, 8);
	ATF_REQUIRE(buf_puts(&b, "12345678") == 0);
	errno = 0;
	ATF_CHECK(buf_putc(&b, 'x') == -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	ATF_CHECK_STREQ(buf_cstr(&b), "12345678");
	ATF_CHECK(buf_printf(&b, "%d", 1) == -1);
	ATF_CHECK_EQ(b.len, 8);
	/* A huge length must not wrap around. */
	ATF_CHECK(buf_append(&b, "", (size_t)-1) == -1);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(consume_truncate_release);
ATF_TC_BODY(consume_truncate_release, tc)
{
	struct buf b;
	char *p;

	buf_init(&b, 0);
	ATF_REQUIRE(buf_puts(&b, "abcdef") == 0);
	buf_consume(&b, 2);
	ATF_CHECK_STREQ(buf_cstr(&b), "cdef");
	buf_truncate(&b, 2);
	ATF_CHECK_STREQ(buf_cstr(&b), "cd");
	buf_truncate(&b, 10);
	ATF_CHECK_STREQ(buf_cstr(&b), "cd");
	buf_consume(&b, 99);
	ATF_CHECK_EQ(b.len, 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "");
	ATF_REQUIRE(buf_puts(&b, "xyz") == 0);
	p = buf_release(&b);
	ATF_CHECK_STREQ(p, "xyz");
	ATF_CHECK(b.data == NULL && b.len == 0);
	free(p);
	p = buf_release(&b);
	ATF_CHECK_STREQ(p, "");
	free(p);
}

ATF_TC_WITHOUT_HEAD(binary_content);
ATF_TC_BODY(binary_content, tc)
{
	struct buf b;

	buf_init(&b, 0);
	ATF_REQUIRE(buf_append(&b, "a\0b", 3) == 0);
	ATF_CHECK_EQ(b.len, 3);
	ATF_CHECK(memcmp(b.data, "a\0b", 3) == 0);
	buf_reset(&b);
	ATF_CHECK_EQ(b.len, 0);
	buf_free(&b);
}

/* Write n bytes of 'x' into a pipe from a child; return the read end. */
static int
pipe_with(size_t n)
{
	int fds[2];
	pid_t pid;

	ATF_REQUIRE(pipe(fds) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		char x[1000];

		close(fds[0]);
		memset(x, 'x', sizeof(x));
		while (n > 0) {
			size_t k = n < sizeof(x) ? n : sizeof(x);

			if (write(fds[1], x, k) != (ssize_t)k)
				_exit(1);
			n -= k;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

ATF_TC_WITHOUT_HEAD(read_fd_bounded);
ATF_TC_BODY(read_fd_bounded, tc)
{
	struct buf b;
	int fd;

	/* Exactly max bytes fit. */
	buf_init(&b, 10000);
	fd = pipe_with(10000);
	ATF_CHECK(buf_read_fd(&b, fd) == 0);
	ATF_CHECK_EQ(b.len, 10000);
	ATF_CHECK_EQ(b.data[b.len], '\0');
	close(fd);
	buf_free(&b);

	/* One byte more is refused, and nothing past max was stored. */
	buf_init(&b, 10000);
	fd = pipe_with(10001);
	errno = 0;
	ATF_CHECK(buf_read_fd(&b, fd) == -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	ATF_CHECK(b.len <= 10000);
	close(fd);
	buf_free(&b);

	/* Appends after what is there; an empty input is fine. */
	buf_init(&b, 0);
	ATF_REQUIRE(buf_puts(&b, "ab") == 0);
	fd = pipe_with(5);
	ATF_CHECK(buf_read_fd(&b, fd) == 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "abxxxxx");
	close(fd);
	fd = pipe_with(0);
	ATF_CHECK(buf_read_fd(&b, fd) == 0);
	ATF_CHECK_EQ(b.len, 7);
	close(fd);
	buf_free(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, read_fd_bounded);
	ATF_TP_ADD_TC(tp, append_and_cstr);
	ATF_TP_ADD_TC(tp, printf_grows);
	ATF_TP_ADD_TC(tp, max_is_enforced);
	ATF_TP_ADD_TC(tp, consume_truncate_release);
	ATF_TP_ADD_TC(tp, binary_content);
	return atf_no_error();
}
