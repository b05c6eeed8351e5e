/*
 * maildir_fuzz: Maildir file names as found in new/ and cur/ (the name
 * and ":2," info parser), folder names and host escaping.  Checks the
 * parser's promises, not only the absence of crashes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maildir.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check_flags(const char *f)
{
	size_t i;

	for (i = 0; f[i] != '\0'; i++) {
		if (!((f[i] >= 'A' && f[i] <= 'Z') ||
			(f[i] >= 'a' && f[i] <= 'z')))
			abort();
		if (i > 0 && f[i - 1] >= f[i])
			abort(); /* sorted and unique */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *name = (const char *)d;
	struct maildir_name mn, mn2;
	char out[MAILDIR_NAME_MAX + 1], s[MAILDIR_NAME_MAX + 1];
	char host[MAILDIR_HOST_MAX + 1], folder[PATH_MAX];

	if (maildir_name_parse(name, n, &mn) == 0) {
		if (mn.uniq_len == 0 || mn.uniq_len > mn.base_len ||
		    mn.base_len > n || n > MAILDIR_NAME_MAX)
			abort();
		if (memchr(name, '/', n) != NULL || name[0] == '.')
			abort();
		if (mn.size < -1 || mn.vsize < -1)
			abort();
		check_flags(mn.flags);
		if (mn.info != 2 && mn.flags[0] != '\0')
			abort();
		/* Setting the flags it has gives the same base and flags. */
		if (maildir_name_with_flags(
			name, n, mn.flags, out, sizeof(out)) == 0) {
			if (maildir_name_parse(out, strlen(out), &mn2) != 0)
				abort();
			if (mn2.base_len != mn.base_len ||
			    mn2.uniq_len != mn.uniq_len ||
			    mn2.size != mn.size || mn2.vsize != mn.vsize ||
			    mn2.info != 2 || strcmp(mn2.flags, mn.flags) != 0 ||
			    memcmp(out, name, mn.base_len) != 0)
				abort();
		}
	}
	/* The same bytes as a C string: folder names and host names. */
	if (n < sizeof(s)) {
		memcpy(s, d, n);
		s[n] = '\0';
		maildir_host_escape(s, host, sizeof(host));
		if (strlen(host) > MAILDIR_HOST_MAX ||
		    strpbrk(host, "/:") != NULL)
			abort();
		if (maildir_folder_valid(s) == 0) {
			if (strchr(s, '/') != NULL || strstr(s, "..") != NULL)
				abort();
			if (maildir_folder_path(
				"/m", s, folder, sizeof(folder)) != 0)
				abort();
		}
		if (maildir_flags_normalise(s) == 0)
			check_flags(s);
	}
	return 0;
}
