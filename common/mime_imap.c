/*
 * mime_imap.c: IMAP strings, ENVELOPE (with a lenient RFC 5322 address
 * parser) and BODY/BODYSTRUCTURE of a parsed message.  See mime.h.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mime_priv.h"
#include "msg.h"

/* Longer strings go as literals: a client's line buffer is not ours to
 * strain. */
#define MIME_QUOTED_MAX 1024

int
mime_imap_nstring(struct buf *out, const char *s, size_t n)
{
	size_t i, start;
	unsigned char c;
	int lit = n > MIME_QUOTED_MAX;

	if (s == NULL)
		return buf_append(out, "NIL", 3);
	/* RFC 3501 §4.3: a quoted string is 7-bit without CR and LF; NUL is
	 * in no string at all (CHAR8 is 0x01-0xff). */
	for (i = 0; i < n && !lit; i++) {
		c = (unsigned char)s[i];
		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			lit = 1;
	}
	if (lit) {
		if (buf_printf(out, "{%zu}\r\n", n) != 0)
			return -1;
		for (start = i = 0; i < n; i++) {
			if (s[i] != '\0')
				continue;
			if (buf_append(out, s + start, i - start) != 0 ||
			    buf_putc(out, 0x80) != 0)
				return -1;
			start = i + 1;
		}
		return buf_append(out, s + start, n - start);
	}
	if (buf_reserve(out, n + 2) != 0 || buf_putc(out, '"') != 0)
		return -1;
	for (start = i = 0; i < n; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		if (buf_append(out, s + start, i - start) != 0 ||
		    buf_putc(out, '\\') != 0)
			return -1;
		start = i;
	}
	if (buf_append(out, s + start, n - start) != 0)
		return -1;
	return buf_putc(out, '"');
}

static int
cstring(struct buf *out, const char *s)
{
	return mime_imap_nstring(out, s, s != NULL ? strlen(s) : 0);
}

/* ------------------------------------------------------------ addresses */

/*
 * An address list being turned into IMAP address structures.  The
 * grammar is RFC 5322 §3.4 with the obsolete forms of §4.4, read as
 * Dovecot's message-address.c reads it: whatever does not parse still
 * gives an address (missing parts named) or is skipped to the next ",".
 */
struct ap {
	struct mime_lex lx;
	struct buf *out;
	struct buf name, route, local, domain, comment;
	size_t count; /* addresses written, group markers included */
	int err;
};

/* RFC 5322 §3.2.3 atext, '.' (obs-phrase, obs-local-part) and 8-bit. */
static int
is_word_char(int c)
{
	if (c >= 0x80)
		return 1;
	return c > 32 && c < 127 && strchr("()<>[]:;@\\,\"", c) == NULL;
}

static void
put(struct ap *a, const char *s, size_t n, int nil_if_empty)
{
	if (a->err)
		return;
	if (mime_imap_nstring(a->out, n == 0 && nil_if_empty ? NULL : s, n) !=
	    0)
		a->err = 1;
}

static void
lit(struct ap *a, const char *s)
{
	if (!a->err && buf_puts(a->out, s) != 0)
		a->err = 1;
}

/* (name route mailbox host); NULL pieces are NIL. */
static void
emit(struct ap *a, const struct buf *name, const struct buf *route,
    const char *mbox, size_t mn, const char *host, size_t hn)
{
	lit(a, "(");
	if (name != NULL)
		put(a, name->data, name->len, 1);
	else
		lit(a, "NIL");
	lit(a, " ");
	if (route != NULL)
		put(a, route->data, route->len, 1);
	else
		lit(a, "NIL");
	lit(a, " ");
	put(a, mbox, mn, mbox == NULL);
	lit(a, " ");
	put(a, host, hn, host == NULL);
	lit(a, ")");
	a->count++;
}

static int
at_end(const struct ap *a)
{
	return a->lx.i >= a->lx.n;
}

static char
peek(const struct ap *a)
{
	return at_end(a) ? '\0' : a->lx.s[a->lx.i];
}

/* A phrase (display name): words joined by one space.  Word count. */
static int
phrase(struct ap *a, struct buf *out)
{
	size_t w0;
	int words = 0;

	buf_reset(out);
	for (;;) {
		mime_lex_cfws(&a->lx, NULL);
		if (peek(a) == '"') {
			if ((words++ && buf_putc(out, ' ') != 0) ||
			    mime_lex_quoted(&a->lx, out) != 0)
				a->err = 1;
			continue;
		}
		w0 = a->lx.i;
		while (!at_end(a) && is_word_char((unsigned char)peek(a)))
			a->lx.i++;
		if (a->lx.i == w0)
			return words;
		if ((words++ && buf_putc(out, ' ') != 0) ||
		    buf_append(out, a->lx.s + w0, a->lx.i - w0) != 0)
			a->err = 1;
	}
}

/* local-part or domain: words and dots, comments and white space
 * between them dropped; a domain literal kept as written. */
static void
dotted(struct ap *a, struct buf *out, int domain)
{
	size_t w0;

	for (;;) {
		mime_lex_cfws(&a->lx, &a->comment);
		if (!domain && peek(a) == '"') {
			if (mime_lex_quoted(&a->lx, out) != 0)
				a->err = 1;
			continue;
		}
		w0 = a->lx.i;
		if (domain && peek(a) == '[') {
			while (!at_end(a) && peek(a) != ']')
				a->lx.i++;
			if (!at_end(a))
				a->lx.i++;
		} else {
			while (
			    !at_end(a) && is_word_char((unsigned char)peek(a)))
				a->lx.i++;
		}
		if (a->lx.i == w0)
			break;
		if (buf_append(out, a->lx.s + w0, a->lx.i - w0) != 0)
			a->err = 1;
	}
	mime_lex_cfws(&a->lx, &a->comment);
}

/* addr-spec, with a comment as the name: "a@b (Name)". */
static void
addr_spec(struct ap *a)
{
	int at = 0;

	buf_reset(&a->local);
	buf_reset(&a->domain);
	buf_reset(&a->comment);
	dotted(a, &a->local, 0);
	if (peek(a) == '@') {
		at = 1;
		a->lx.i++;
		dotted(a, &a->domain, 1);
	}
	if (a->local.len == 0 && a->domain.len == 0 && !at)
		return; /* nothing here: junk, skipped by the caller */
	emit(a, a->comment.len > 0 ? &a->comment : NULL, NULL,
	    a->local.len > 0 ? a->local.data : "MISSING_MAILBOX",
	    a->local.len > 0 ? a->local.len : 15,
	    a->domain.len > 0 ? a->domain.data : "MISSING_DOMAIN",
	    a->domain.len > 0 ? a->domain.len : 14);
}

/* name-addr: [phrase] "<" [obs-route] addr-spec ">". */
static void
angle_addr(struct ap *a, int named)
{
	int bad = 0;

	a->lx.i++; /* '<' */
	buf_reset(&a->route);
	buf_reset(&a->local);
	buf_reset(&a->domain);
	mime_lex_cfws(&a->lx, NULL);
	/* RFC 5322 §4.4 obs-route: "@a,@b:" */
	while (peek(a) == '@') {
		a->lx.i++;
		if ((a->route.len > 0 && buf_putc(&a->route, ',') != 0) ||
		    buf_putc(&a->route, '@') != 0)
			a->err = 1;
		dotted(a, &a->route, 1);
		while (peek(a) == ',') {
			a->lx.i++;
			mime_lex_cfws(&a->lx, NULL);
		}
	}
	if (a->route.len > 0) {
		if (peek(a) == ':')
			a->lx.i++;
		else
			bad = 1;
	}
	if (!bad) {
		dotted(a, &a->local, 0);
		if (peek(a) == '@') {
			a->lx.i++;
			dotted(a, &a->domain, 1);
		}
	}
	if (peek(a) == '>')
		a->lx.i++;
	else {
		bad = 1;
		while (!at_end(a) && peek(a) != '>' && peek(a) != ',')
			a->lx.i++;
		if (peek(a) == '>')
			a->lx.i++;
	}
	emit(a, named ? &a->name : NULL, a->route.len > 0 ? &a->route : NULL,
	    a->local.len > 0 ? a->local.data : "MISSING_MAILBOX",
	    a->local.len > 0 ? a->local.len : 15,
	    bad			    ? "SYNTAX_ERROR"
		: a->domain.len > 0 ? a->domain.data
				    : "MISSING_DOMAIN",
	    bad			    ? 12
		: a->domain.len > 0 ? a->domain.len
				    : 14);
}

/* Step over junk up to the next "," (or ";" in a group). */
static void
skip_junk(struct ap *a, int group)
{
	struct buf dummy;
	char c;

	buf_init(&dummy, 0);
	while (!at_end(a)) {
		c = peek(a);
		if (c == ',' || (group && c == ';'))
			break;
		if (c == '"') {
			buf_reset(&dummy);
			(void)mime_lex_quoted(&a->lx, &dummy);
		} else if (c == '(')
			mime_lex_cfws(&a->lx, NULL);
		else
			a->lx.i++;
	}
	buf_free(&dummy);
}

/* address-list / mailbox-list (in a group: up to its ";"). */
static void
addr_list(struct ap *a, int group)
{
	size_t start;
	int words;
	char c;

	while (!a->err && a->count < MSG_ADDR_MAX) {
		mime_lex_cfws(&a->lx, NULL);
		if (at_end(a))
			return;
		c = peek(a);
		if (c == ',') {
			a->lx.i++;
			continue;
		}
		if (c == ';') {
			if (group)
				return;
			a->lx.i++;
			continue;
		}
		start = a->lx.i;
		words = phrase(a, &a->name);
		mime_lex_cfws(&a->lx, NULL);
		c = peek(a);
		if (c == ':' && !group && words > 0) {
			/* RFC 3501 §7.4.2: a group is (NIL NIL name NIL) ...
			 * (NIL NIL NIL NIL). */
			a->lx.i++;
			emit(a, NULL, NULL, a->name.data, a->name.len, NULL, 0);
			addr_list(a, 1);
			if (peek(a) == ';')
				a->lx.i++;
			emit(a, NULL, NULL, NULL, 0, NULL, 0);
			continue;
		}
		if (c == '<')
			angle_addr(a, words > 0);
		else {
			a->lx.i = start;
			addr_spec(a);
		}
		mime_lex_cfws(&a->lx, NULL);
		skip_junk(a, group);
	}
}

/* Append the address list of value (IMAP form, or NIL); the number of
 * addresses, -1 on error. */
static int
addresses(struct buf *out, const struct buf *value)
{
	struct ap a;
	struct buf tmp;
	int r;

	memset(&a, 0, sizeof(a));
	buf_init(&tmp, 0);
	a.lx.s = value->data != NULL ? value->data : "";
	a.lx.n = value->len;
	a.out = &tmp;
	buf_init(&a.name, MSG_HEADER_MAX);
	buf_init(&a.route, MSG_HEADER_MAX);
	buf_init(&a.local, MSG_HEADER_MAX);
	buf_init(&a.domain, MSG_HEADER_MAX);
	buf_init(&a.comment, MSG_HEADER_MAX);
	addr_list(&a, 0);
	if (a.err)
		r = -1;
	else if (a.count == 0)
		r = buf_append(out, "NIL", 3);
	else if (buf_putc(out, '(') != 0 ||
	    buf_append(out, tmp.data, tmp.len) != 0 || buf_putc(out, ')') != 0)
		r = -1;
	else
		r = (int)a.count;
	buf_free(&a.name);
	buf_free(&a.route);
	buf_free(&a.local);
	buf_free(&a.domain);
	buf_free(&a.comment);
	buf_free(&tmp);
	if (r < 0) {
		errno = ENOMEM;
		return -1;
	}
	return (int)a.count;
}

/* ------------------------------------------------------------- ENVELOPE */

enum {
	E_DATE,
	E_SUBJECT,
	E_FROM,
	E_SENDER,
	E_REPLY_TO,
	E_TO,
	E_CC,
	E_BCC,
	E_IN_REPLY_TO,
	E_MESSAGE_ID,
	E_N
};

static const char *const env_names[E_N] = {"Date", "Subject", "From", "Sender",
    "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"};

struct env {
	struct buf v[E_N];
	int seen[E_N];
};

static int
env_field(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct env *e = arg;
	size_t i;

	for (i = 0; i < E_N; i++) {
		if (e->seen[i] ||
		    !mime_name_is(f->name, f->namelen, env_names[i]))
			continue;
		e->seen[i] = 1;
		return buf_append(&e->v[i], f->value, f->valuelen);
	}
	return 0;
}

int
mime_envelope(
    const struct mime_msg *m, const struct mime_part *pt, struct buf *out)
{
	struct env e;
	struct buf from;
	size_t i;
	int r = -1;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < E_N; i++)
		buf_init(&e.v[i], MSG_HEADER_MAX);
	buf_init(&from, 0);
	if (mime_header_walk(m, pt, env_field, &e) != 0)
		goto done;
	if (buf_putc(out, '(') != 0)
		goto done;
	for (i = 0; i < E_N; i++) {
		if (i > 0 && buf_putc(out, ' ') != 0)
			goto done;
		switch (i) {
		case E_FROM:
			if (addresses(&from, &e.v[E_FROM]) < 0 ||
			    buf_append(out, from.data, from.len) != 0)
				goto done;
			break;
		case E_SENDER:
		case E_REPLY_TO:
		case E_TO:
		case E_CC:
		case E_BCC: {
			size_t mark = out->len;
			int n = addresses(out, &e.v[i]);

			if (n < 0)
				goto done;
			/* RFC 3501 §7.4.2: sender and reply-to default to
			 * from, an empty field too (as Dovecot). */
			if (n == 0 && (i == E_SENDER || i == E_REPLY_TO)) {
				buf_truncate(out, mark);
				if (buf_append(out, from.data, from.len) != 0)
					goto done;
			}
			break;
		}
		default:
			if (mime_imap_nstring(out,
				e.seen[i]
				    ? (e.v[i].data != NULL ? e.v[i].data : "")
				    : NULL,
				e.v[i].len) != 0)
				goto done;
		}
	}
	r = buf_putc(out, ')');
done:
	for (i = 0; i < E_N; i++)
		buf_free(&e.v[i]);
	buf_free(&from);
	return r;
}

/* -------------------------------------------------------- BODYSTRUCTURE */

/* ("name" "value" ...), NIL when none; charset=us-ascii added to a text
 * part that names no charset (RFC 2045 §5.2). */
static int
params(struct buf *out, const struct mime_param *p, size_t n, int text)
{
	size_t i;
	int charset = 0;

	if (n == 0 && !text)
		return buf_append(out, "NIL", 3);
	if (buf_putc(out, '(') != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcasecmp(p[i].name, "charset") == 0)
			charset = 1;
		if ((i > 0 && buf_putc(out, ' ') != 0) ||
		    cstring(out, p[i].name) != 0 || buf_putc(out, ' ') != 0 ||
		    cstring(out, p[i].value) != 0)
			return -1;
	}
	if (text && !charset &&
	    buf_puts(out,
		i > 0 ? " \"charset\" \"us-ascii\""
		      : "\"charset\" \"us-ascii\"") != 0)
		return -1;
	return buf_putc(out, ')');
}

/* body-ext-1part/mpart after md5 or parameters: disposition, language,
 * location. */
static int
ext_common(struct buf *out, const struct mime_part *pt)
{
	size_t i;

	if (buf_putc(out, ' ') != 0)
		return -1;
	if (pt->disposition == NULL) {
		if (buf_append(out, "NIL", 3) != 0)
			return -1;
	} else if (buf_putc(out, '(') != 0 ||
	    cstring(out, pt->disposition) != 0 || buf_putc(out, ' ') != 0 ||
	    params(out, pt->dparams, pt->ndparams, 0) != 0 ||
	    buf_putc(out, ')') != 0)
		return -1;
	if (buf_putc(out, ' ') != 0)
		return -1;
	if (pt->nlanguage == 0) {
		if (buf_append(out, "NIL", 3) != 0)
			return -1;
	} else {
		for (i = 0; i < pt->nlanguage; i++)
			if (buf_putc(out, i == 0 ? '(' : ' ') != 0 ||
			    cstring(out, pt->language[i]) != 0)
				return -1;
		if (buf_putc(out, ')') != 0)
			return -1;
	}
	if (buf_putc(out, ' ') != 0)
		return -1;
	return cstring(out, pt->location);
}

/* What a multipart without parts shows (RFC 3501 body-type-mpart needs
 * one): an empty text/plain part, as Dovecot. */
#define EMPTY_BODY \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

static int
body(const struct mime_msg *m, const struct mime_part *pt, int ext,
    struct buf *out)
{
	const struct mime_part *c;
	int text = (pt->flags & MIME_P_TEXT) != 0;
	int global = pt->kind == MIME_MESSAGE && pt->subtype != NULL &&
	    strcasecmp(pt->subtype, "global") == 0;

	if (buf_putc(out, '(') != 0)
		return -1;
	if (pt->kind == MIME_MULTIPART) {
		if (pt->child == NULL &&
		    (buf_puts(out, EMPTY_BODY) != 0 ||
			(ext && buf_puts(out, " NIL NIL NIL NIL") != 0) ||
			buf_putc(out, ')') != 0))
			return -1;
		for (c = pt->child; c != NULL; c = c->next)
			if (body(m, c, ext, out) != 0)
				return -1;
		if (buf_putc(out, ' ') != 0 || cstring(out, pt->subtype) != 0)
			return -1;
		if (ext &&
		    (buf_putc(out, ' ') != 0 ||
			params(out, pt->params, pt->nparams, 0) != 0 ||
			ext_common(out, pt) != 0))
			return -1;
		return buf_putc(out, ')');
	}
	if (pt->kind == MIME_MESSAGE) {
		/* RFC 9051 §9 media-message, as Dovecot writes it. */
		if (buf_puts(out,
			global ? "\"message\" \"global\""
			       : "\"message\" \"rfc822\"") != 0)
			return -1;
	} else if (pt->flags & MIME_P_OPAQUE) {
		/* A multipart or message we did not look into. */
		if (buf_puts(out, "\"application\" \"octet-stream\"") != 0)
			return -1;
	} else if (pt->flags & MIME_P_DEFAULT) {
		if (buf_puts(out, "\"text\" \"plain\"") != 0)
			return -1;
	} else if (cstring(out, pt->type) != 0 || buf_putc(out, ' ') != 0 ||
	    cstring(out, pt->subtype) != 0)
		return -1;
	if (buf_putc(out, ' ') != 0 ||
	    params(out, pt->params, pt->nparams, text) != 0 ||
	    buf_putc(out, ' ') != 0 || cstring(out, pt->id) != 0 ||
	    buf_putc(out, ' ') != 0 || cstring(out, pt->description) != 0 ||
	    buf_putc(out, ' ') != 0 ||
	    cstring(out, pt->encoding != NULL ? pt->encoding : "7bit") != 0 ||
	    buf_printf(out, " %zu", pt->body_size) != 0)
		return -1;
	if (text) {
		if (buf_printf(out, " %zu", pt->body_lines) != 0)
			return -1;
	} else if (pt->kind == MIME_MESSAGE && pt->child != NULL) {
		/* body-type-msg: envelope body body-fld-lines */
		if (buf_putc(out, ' ') != 0 ||
		    mime_envelope(m, pt->child, out) != 0 ||
		    buf_putc(out, ' ') != 0 ||
		    body(m, pt->child, ext, out) != 0 ||
		    buf_printf(out, " %zu", pt->body_lines) != 0)
			return -1;
	}
	if (ext &&
	    (buf_putc(out, ' ') != 0 || cstring(out, pt->md5) != 0 ||
		ext_common(out, pt) != 0))
		return -1;
	return buf_putc(out, ')');
}

int
mime_bodystructure(const struct mime_msg *m, const struct mime_part *pt,
    int extended, struct buf *out)
{
	if (pt == NULL) {
		errno = EINVAL;
		return -1;
	}
	return body(m, pt, extended != 0, out);
}
