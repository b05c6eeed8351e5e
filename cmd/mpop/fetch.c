/*
 * fetch.c: the session of `mpop fetch' on libcurl: UIDL and LIST, then
 * RETR of each new message, delivery, the state record, and DELE when
 * asked for.
 *
 * One curl easy handle does the whole session: libcurl keeps the
 * connection (greeting, CAPA, STLS, AUTH happen once) and sends QUIT
 * when the handle is cleaned up; DELE takes effect only then (RFC 1939
 * §6, UPDATE state).  libcurl closes the connection after any error
 * (an -ERR too), and a new connection may number the messages
 * differently, so after one the pass starts again from UIDL.
 *
 * Order of the durable steps for one message into a Maildir (batched:
 * several messages share the syncs of the journal and of new/):
 *   RETR into tmp/NAME; syncfs, fsync             (maildir_open/sync)
 *   journal "P uidl NAME", fdatasync               (state_put_pending)
 *   link into new/, fsync of new/                  (maildir_commit)
 *   journal "F uidl"; with --delete: fdatasync, DELE
 * A crash anywhere leaves either nothing in new/ (fetched again) or a
 * P record whose NAME is in new/ or cur/ (recorded at the next start):
 * never lost, never twice.  An MDA cannot be asked whether it has the
 * message, so there "F uidl" follows its exit 0: a crash between the
 * two fetches that message again.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syncfs(2) */
#endif
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "mpop.h"
#include "pop3.h"
#include "state.h"
#include "util.h"

void
fetch_complain(struct fetch *f, const char *fmt, ...)
{
	va_list ap;

	if (f->progress) {
		fputc('\n', stderr);
		f->progress = 0;
	}
	fprintf(stderr, "%s: %s: ", PROG, f->label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------- curl */

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;

	n *= size;
	switch (f->mode) {
	case TO_BODY:
		if (buf_append(&f->body, p, n) == -1)
			return 0;
		return n;
	case TO_MESSAGE: return sink_write(&f->sink, p, n) == -1 ? 0 : n;
	default: return n;
	}
}

/* Response lines (libcurl passes them as "headers"): keep the last
   -ERR for the error messages, printable only. */
static size_t
on_line(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t i, l = n * size;

	/* Only -ERR: after one, libcurl closes the connection with QUIT,
	   whose +OK would hide it. */
	if (l >= 4 && memcmp(p, "-ERR", 4) == 0) {
		while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r'))
			l--;
		if (l >= sizeof(f->last))
			l = sizeof(f->last) - 1;
		for (i = 0; i < l; i++)
			f->last[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
		f->last[l] = '\0';
	}
	return n * size;
}

static int
curl_setup(struct fetch *f, const char *user, const char *secret)
{
	CURL *c;

	if ((f->c = c = curl_easy_init()) == NULL)
		return -1;
	f->curlerr[0] = '\0';
#if LIBCURL_VERSION_NUM >= 0x075500
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "pop3,pop3s");
#else
	(void)curl_easy_setopt(
	    c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_POP3 | CURLPROTO_POP3S));
#endif
	if (curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curlerr) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_USERNAME, user) ||
	    curl_easy_setopt(c, CURLOPT_PASSWORD, secret) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, f) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_line) ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, f) ||
	    curl_easy_setopt(
		c, CURLOPT_CONNECTTIMEOUT_MS, (long)NET_CONNECT_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, f->timeout) ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, f->timeout) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L))
		return -1;
	if (!f->implicit_tls &&
	    curl_easy_setopt(c, CURLOPT_USE_SSL,
		f->tls_off ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL))
		return -1;
	if (f->trust != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, f->trust))
		return -1;
	return 0;
}

/*
 * Was the last response line an -ERR?  1 with its RESP-CODE in *code
 * (RFC 2449 §8, RFC 3206), else 0.
 */
static int
last_err(const struct fetch *f, enum pop3_code *code)
{
	struct pop3_resp r;

	if (pop3_resp_parse(f->last, strlen(f->last), &r) == -1 ||
	    r.kind != POP3_RESP_ERR)
		return 0;
	*code = r.known;
	return 1;
}

/* RFC 3206 §4: [IN-USE] and [SYS/TEMP] will pass. */
static int
code_passes(enum pop3_code code)
{
	return code == POP3_CODE_IN_USE || code == POP3_CODE_SYS_TEMP;
}

/* The exit code for a libcurl failure, and its reason. */
static int
curl_fail(struct fetch *f, CURLcode rc, const char *what)
{
	const char *why =
	    f->curlerr[0] != '\0' ? f->curlerr : curl_easy_strerror(rc);
	enum pop3_code code = POP3_CODE_NONE;
	int err = last_err(f, &code);
	enum yerr_class cls;

	switch (rc) {
	case CURLE_LOGIN_DENIED:
		/* [LOGIN-DELAY] passes too; [AUTH] or nothing: the
		   credentials are wrong. */
		if (code_passes(code) || code == POP3_CODE_LOGIN_DELAY) {
			fetch_complain(f, "login refused for now: %s", f->last);
			cls = YERR_TEMP;
			break;
		}
		fetch_complain(f, "authentication refused%s%s",
		    f->last[0] ? ": " : "", f->last);
		cls = YERR_AUTH;
		break;
	case CURLE_USE_SSL_FAILED:
		fetch_complain(f,
		    "the server does not offer STLS (RFC 2595); "
		    "--tls=off fetches without TLS");
		cls = YERR_TLS;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		fetch_complain(f, "TLS certificate not trusted: %s", why);
		cls = YERR_TLS;
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		fetch_complain(f, "--tls-trust-file: %s", why);
		cls = YERR_CONFIG;
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		fetch_complain(f, "%s", why);
		cls = YERR_USAGE;
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		if (err) {
			fetch_complain(f, "%s: %s", what, f->last);
			cls = code_passes(code) ? YERR_TEMP : YERR_PROTO;
			break;
		}
		fetch_complain(f, "%s: %s", what, why);
		cls = YERR_PROTO;
		break;
	default:
		fetch_complain(f, "%s: %s", what, why);
		cls = YERR_TEMP;
		break;
	}
	return yerr_exit(cls);
}

/* One command; 0 or a CURLcode.  url_num 0: the mailbox URL. */
static CURLcode
perform(struct fetch *f, const char *custom, unsigned long url_num, int nobody,
    enum sinkmode mode)
{
	char url[URL_MAX + 24];

	if (url_num > 0)
		(void)snprintf(url, sizeof(url), "%s%lu", f->base, url_num);
	else
		(void)util_strlcpy(url, f->base, sizeof(url));
	f->mode = mode;
	f->curlerr[0] = '\0';
	f->last[0] = '\0';
	if (curl_easy_setopt(f->c, CURLOPT_URL, url) ||
	    curl_easy_setopt(f->c, CURLOPT_CUSTOMREQUEST, custom) ||
	    curl_easy_setopt(f->c, CURLOPT_NOBODY, (long)nobody))
		return CURLE_OUT_OF_MEMORY;
	return curl_easy_perform(f->c);
}

/* ---------------------------------------------------------------- a pass */

static int
skipped(const struct fetch *f, const char *uidl)
{
	size_t i;

	for (i = 0; i < f->nskip; i++)
		if (strcmp(f->skip[i], uidl) == 0)
			return 1;
	return 0;
}

/* Give up on a message for this run; its failure decides the exit. */
static void
skip(struct fetch *f, const char *uidl, int rc)
{
	if (f->nskip < FETCH_SKIP_MAX &&
	    (f->skip[f->nskip] = strdup(uidl)) != NULL)
		f->nskip++;
	if (f->fail_rc == 0 || rc == EX_TEMPFAIL)
		f->fail_rc = rc;
}

static void
show_progress(struct fetch *f)
{
	if (!f->progress)
		return;
	fprintf(stderr, "\r%s: %s: %lld/%lld messages, %lld kB", PROG, f->label,
	    f->nfetched, f->todo, f->bytes / 1024);
	fflush(stderr);
}

static int
listing(struct fetch *f)
{
	enum pop3_code code;
	char err[ERR_MAX];
	CURLcode rc;
	size_t i;

	buf_reset(&f->body);
	if ((rc = perform(f, "UIDL", 0, 0, TO_BODY)) != CURLE_OK) {
		if (rc == CURLE_WEIRD_SERVER_REPLY && last_err(f, &code) &&
		    !code_passes(code)) {
			fetch_complain(f,
			    "the server does not support UIDL "
			    "(RFC 1939 §7): %s",
			    f->last);
			return yerr_exit(YERR_PERM);
		}
		return curl_fail(f, rc, "UIDL");
	}
	if (listing_parse_uidl(
		&f->l, f->body.data, f->body.len, err, sizeof(err)) == -1) {
		fetch_complain(f, "%s", err);
		return EX_PROTOCOL;
	}
	buf_reset(&f->body);
	if ((rc = perform(f, NULL, 0, 0, TO_BODY)) != CURLE_OK)
		return curl_fail(f, rc, "LIST");
	if (listing_parse_sizes(
		&f->l, f->body.data, f->body.len, err, sizeof(err)) == -1) {
		fetch_complain(f, "%s", err);
		return EX_PROTOCOL;
	}
	buf_reset(&f->body);
	for (i = 0; i < f->st.cap; i++)
		f->st.tab[i].flags &= ~(unsigned)ST_ONSERVER;
	for (i = 0; i < f->l.n; i++) {
		struct state_ent *e = state_add(&f->st, f->l.item[i].uidl);

		if (e == NULL) {
			fetch_complain(f, "%s", strerror(errno));
			return EX_OSERR;
		}
		/* RFC 1939 §7: unique-ids are unique in the maildrop. */
		if (e->flags & ST_ONSERVER) {
			fetch_complain(f, "UIDL: unique-id %s given twice",
			    f->l.item[i].uidl);
			return EX_PROTOCOL;
		}
		e->flags |= ST_ONSERVER;
	}
	return 0;
}

/* DELE; 0, or -1 after an -ERR (the pass must start again), or an exit
   code. */
static int
dele(struct fetch *f, const struct listing_item *it)
{
	CURLcode rc = perform(f, "DELE", it->num, 1, TO_NOWHERE);
	enum pop3_code code;
	int ex;

	if (rc == CURLE_OK) {
		f->ndeleted++;
		return 0;
	}
	if (rc == CURLE_WEIRD_SERVER_REPLY && last_err(f, &code)) {
		ex = curl_fail(f, rc, "DELE");
		fetch_complain(f, "message %s stays on the server", it->uidl);
		skip(f, it->uidl, ex);
		return -1;
	}
	return curl_fail(f, rc, "DELE");
}

/* Link the batch into new/ and record it; DELE when asked.  0, -1 (an
   -ERR on DELE: start the pass again), or an exit code. */
static int
flush_batch(struct fetch *f)
{
	struct maildir_file *files[FETCH_BATCH];
	char err[ERR_MAX];
	struct state_ent *e;
	size_t i, n = f->nbatch, p = 0;
	int rc;

	if (n == 0)
		return 0;
	f->nbatch = 0;
	f->batch_bytes = 0;
	/*
	 * One syncfs(2) writes the whole batch back in one journal commit;
	 * the fsync of each file that maildir_sync then does finds little
	 * left to do.  That is most of the cost of a message on a disk.
	 */
#ifdef __linux__
	(void)syncfs(f->batch[0].mf.fd);
#endif
	for (i = 0; i < n; i++)
		if (maildir_sync(&f->batch[i].mf, err, sizeof(err)) == -1)
			goto tempfail;
	for (i = 0; i < n; i++) {
		files[i] = &f->batch[i].mf;
		e = state_find(&f->st, f->batch[i].uidl);
		if (e != NULL && (e->flags & ST_FETCHED))
			continue; /* --all: it was recorded before */
		if (state_put_pending(&f->st, f->batch[i].uidl,
			f->batch[i].mf.name, err, sizeof(err)) == -1)
			goto tempfail;
		p++;
	}
	if (p > 0 && state_sync(&f->st, err, sizeof(err)) == -1)
		goto tempfail;
	if (maildir_commit(files, n, err, sizeof(err)) == -1) {
		fetch_complain(f, "%s (will retry: exit 75)", err);
		return EX_TEMPFAIL;
	}
	for (i = 0; i < n; i++) {
		if (state_put_fetched(
			&f->st, f->batch[i].uidl, err, sizeof(err)) == -1)
			goto tempfail;
		f->nfetched++;
		f->bytes += f->batch[i].mf.size;
	}
	show_progress(f);
	if (!f->del)
		return 0;
	if (state_sync(&f->st, err, sizeof(err)) == -1)
		goto tempfail;
	for (i = 0; i < n; i++) {
		struct listing_item it;

		it.num = f->batch[i].num;
		(void)util_strlcpy(it.uidl, f->batch[i].uidl, sizeof(it.uidl));
		if ((rc = dele(f, &it)) != 0)
			return rc;
	}
	return 0;
tempfail:
	for (i = 0; i < n; i++)
		maildir_abort(&f->batch[i].mf);
	fetch_complain(f, "%s (will retry: exit 75)", err);
	return EX_TEMPFAIL;
}

/* The spooled message to the MDA.  0, -1 (given up on this message),
   or an exit code. */
static int
to_mda(struct fetch *f, const struct listing_item *it)
{
	char err[ERR_MAX];
	int rc = mda_run(f->mda, f->sink.spool, err, sizeof(err));

	if (rc == 0) {
		if (state_put_fetched(&f->st, it->uidl, err, sizeof(err)) ==
		    -1) {
			fetch_complain(f, "%s", err);
			return EX_TEMPFAIL;
		}
		f->nfetched++;
		f->bytes += f->sink.size;
		show_progress(f);
		if (f->del) {
			if (state_sync(&f->st, err, sizeof(err)) == -1) {
				fetch_complain(f, "%s", err);
				return EX_TEMPFAIL;
			}
			return dele(f, it);
		}
		return 0;
	}
	if (rc == EX_TEMPFAIL || rc == -1) {
		fetch_complain(f, "message %s: %s", it->uidl, err);
		return EX_TEMPFAIL;
	}
	fetch_complain(
	    f, "message %s: %s; it stays on the server", it->uidl, err);
	skip(f, it->uidl, EX_UNAVAILABLE);
	return 0;
}

/* RETR one message into the sink.  0, -1 (given up on this message;
   the connection is gone, start the pass again), or an exit code. */
static int
retr(struct fetch *f, const struct listing_item *it)
{
	char err[ERR_MAX], what[64];
	enum pop3_code code;
	CURLcode rc;
	int ex;

	if (sink_start(&f->sink, f->maildir, &f->nm, err, sizeof(err)) == -1) {
		fetch_complain(f, "%s (will retry: exit 75)", err);
		return EX_TEMPFAIL;
	}
	rc = perform(f, NULL, it->num, 0, TO_MESSAGE);
	f->mode = TO_NOWHERE;
	if (rc != CURLE_OK) {
		sink_abort(&f->sink);
		if (rc == CURLE_WRITE_ERROR && f->sink.too_big) {
			fetch_complain(f,
			    "message %s: %s (the server said %lld)", it->uidl,
			    f->sink.err, it->size);
			skip(f, it->uidl, EX_UNAVAILABLE);
			return -1;
		}
		if (rc == CURLE_WRITE_ERROR) {
			fetch_complain(f,
			    "message %s: %s (will retry: exit 75)", it->uidl,
			    f->sink.err);
			return EX_TEMPFAIL;
		}
		(void)snprintf(what, sizeof(what), "RETR %lu", it->num);
		ex = curl_fail(f, rc, what);
		if (rc == CURLE_WEIRD_SERVER_REPLY && last_err(f, &code) &&
		    ex != EX_TEMPFAIL) {
			skip(f, it->uidl, ex);
			return -1;
		}
		return ex;
	}
	/*
	 * libcurl ends a POP3 transfer without an error when the server
	 * closes the connection mid-message (the length is unknown).  It
	 * gives the CRLF before the terminating "." last and holds back
	 * a CRLF that could begin it, so a message cut short never ends
	 * in CRLF, and a complete one always does.
	 */
	if (f->sink.raw < 2 || memcmp(f->sink.tail, "\r\n", 2) != 0) {
		sink_abort(&f->sink);
		fetch_complain(f,
		    "RETR %lu: the connection ended before the "
		    "message did (will retry: exit 75)",
		    it->num);
		return EX_TEMPFAIL;
	}
	if (sink_end(&f->sink, err, sizeof(err)) == -1) {
		sink_abort(&f->sink);
		fetch_complain(f, "%s (will retry: exit 75)", err);
		return EX_TEMPFAIL;
	}
	return 0;
}

/* One pass: list, fetch what is new, delete what is done.  0 done, -1
   start again, or an exit code. */
static int
pass(struct fetch *f)
{
	size_t i;
	int rc;

	if ((rc = listing(f)) != 0)
		return rc;
	f->todo = f->nfetched;
	for (i = 0; i < f->l.n; i++) {
		const struct listing_item *it = &f->l.item[i];
		const struct state_ent *e = state_find(&f->st, it->uidl);

		if (!skipped(f, it->uidl) &&
		    (f->all || e == NULL || !(e->flags & ST_FETCHED)))
			f->todo++;
	}
	if (f->limit > 0 && f->todo > f->limit)
		f->todo = f->limit;
	for (i = 0; i < f->l.n; i++) {
		const struct listing_item *it = &f->l.item[i];
		struct state_ent *e = state_find(&f->st, it->uidl);
		int seen = e != NULL && (e->flags & ST_FETCHED);

		if (skipped(f, it->uidl))
			continue;
		if (seen && !f->all) {
			/* Fetched before, still there: kept, or its DELE
			   did not reach UPDATE state. */
			if (f->del && (rc = dele(f, it)) != 0)
				return rc;
			continue;
		}
		if (f->limit > 0 &&
		    f->nfetched + (long long)f->nbatch >= f->limit)
			break;
		if (it->size >= 0 && f->max_size > 0 &&
		    it->size > f->max_size) {
			fetch_complain(f,
			    "message %s: %lld bytes, larger than "
			    "--max-size; it stays on the server",
			    it->uidl, it->size);
			skip(f, it->uidl, EX_UNAVAILABLE);
			continue;
		}
		if ((rc = retr(f, it)) != 0) {
			int rc2 = flush_batch(f);

			return rc2 > 0 && rc < 0 ? rc2 : rc;
		}
		if (f->maildir != NULL) {
			struct batch_msg *b = &f->batch[f->nbatch++];

			b->mf = f->sink.mf;
			b->num = it->num;
			(void)util_strlcpy(b->uidl, it->uidl, sizeof(b->uidl));
			f->batch_bytes += f->sink.size;
			if ((f->nbatch == FETCH_BATCH ||
				f->batch_bytes >= FETCH_BATCH_BYTES) &&
			    (rc = flush_batch(f)) != 0)
				return rc;
		} else if ((rc = to_mda(f, it)) != 0)
			return rc;
	}
	return flush_batch(f);
}

int
fetch_run(struct fetch *f, const char *user, char *secret)
{
	char err[ERR_MAX];
	int rc, passes = 0, prune;

	if ((rc = state_open(&f->st, f->state_path, err, sizeof(err))) != 0) {
		fetch_complain(f, "%s", err);
		return rc;
	}
	/* What a crash left pending is settled (and written down) first. */
	if (f->st.npending > 0 &&
	    (state_resolve(&f->st, f->maildir, err, sizeof(err)) == -1 ||
		state_rewrite(&f->st, 0, err, sizeof(err)) == -1)) {
		fetch_complain(f, "%s", err);
		return EX_IOERR;
	}
	if (curl_setup(f, user, secret) == -1) {
		util_wipe(secret, strlen(secret));
		fetch_complain(f, "cannot set up libcurl");
		return EX_SOFTWARE;
	}
	util_wipe(secret, strlen(secret));
	f->progress = !f->quiet && isatty(2);
	do
		rc = pass(f);
	while (rc == -1 && ++passes < FETCH_PASSES_MAX);
	if (rc == -1)
		rc = EX_PROTOCOL;
	/* QUIT: the server enters UPDATE state and deletes (RFC 1939 §6). */
	curl_easy_cleanup(f->c);
	f->c = NULL;
	if (f->progress) {
		show_progress(f);
		fputc('\n', stderr);
		f->progress = 0;
	}
	/* Record the run compactly: prune what the server no longer has
	   when its listing was complete. */
	prune = rc == 0;
	if ((f->st.appended > 0 || (prune && state_prunable(&f->st) > 0)) &&
	    state_rewrite(&f->st, prune, err, sizeof(err)) == -1) {
		fetch_complain(f, "%s", err);
		if (rc == 0)
			rc = EX_IOERR;
	}
	if (rc == 0)
		rc = f->fail_rc;
	return rc;
}
