/*
 * imap.c: the IMAP parser (commands and response lines as a tree of
 * values, literals included), the command and response-code tables, and
 * the helpers that read values as the grammar's astring, nstring,
 * number and flag (those in imap_value.c).  See imap.h for how a
 * caller drives it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "util.h"

/* Values per arena chunk: the chunks never move, so pointers between
   values stay good while the arena grows. */
#define CHUNK_VALUES 128

struct imap_chunk {
	struct imap_chunk *next;
	size_t used;
	struct imap_value v[CHUNK_VALUES];
};

/* Parser states (state_). */
enum {
	ST_START = 0, /* nothing parsed yet */
	ST_LITERAL, /* a literal's octets come next */
	ST_VALUES, /* the rest of a line after a literal */
	ST_DONE,
	ST_ERROR
};

/* What may come next on the line (expect_). */
enum {
	EXP_SEP = 0, /* after a value: SP, ")" or the end */
	EXP_SEP_CLOSED, /* after ")": also "(" or "]..." joined */
	EXP_VALUE, /* after SP: a value */
	EXP_FIRST /* after "(": a value or ")" */
};

/* Lists of an APPEND that hold messages (msgkind_). */
enum {
	MSG_CATENATE = 1, /* "CATENATE (... TEXT literal ...)" */
	MSG_UTF8 /* "UTF8 (literal8)" */
};

/* What the tokenizer stopped at. */
enum {
	TOK_END = 0, /* the end of the line, all lists closed */
	TOK_LITERAL = 1 /* a literal header ended the line; p->lit */
};

/* ---------------------------------------------------------------- tables */

static const struct {
	const char *name;
	enum imap_verb verb;
} verbs[] = {
    {"CAPABILITY", IMAP_CMD_CAPABILITY},
    {"NOOP", IMAP_CMD_NOOP},
    {"LOGOUT", IMAP_CMD_LOGOUT},
    {"STARTTLS", IMAP_CMD_STARTTLS},
    {"AUTHENTICATE", IMAP_CMD_AUTHENTICATE},
    {"LOGIN", IMAP_CMD_LOGIN},
    {"ENABLE", IMAP_CMD_ENABLE},
    {"SELECT", IMAP_CMD_SELECT},
    {"EXAMINE", IMAP_CMD_EXAMINE},
    {"CREATE", IMAP_CMD_CREATE},
    {"DELETE", IMAP_CMD_DELETE},
    {"RENAME", IMAP_CMD_RENAME},
    {"SUBSCRIBE", IMAP_CMD_SUBSCRIBE},
    {"UNSUBSCRIBE", IMAP_CMD_UNSUBSCRIBE},
    {"LIST", IMAP_CMD_LIST},
    {"LSUB", IMAP_CMD_LSUB},
    {"NAMESPACE", IMAP_CMD_NAMESPACE},
    {"STATUS", IMAP_CMD_STATUS},
    {"APPEND", IMAP_CMD_APPEND},
    {"IDLE", IMAP_CMD_IDLE},
    {"ID", IMAP_CMD_ID},
    {"NOTIFY", IMAP_CMD_NOTIFY},
    {"CHECK", IMAP_CMD_CHECK},
    {"CLOSE", IMAP_CMD_CLOSE},
    {"UNSELECT", IMAP_CMD_UNSELECT},
    {"EXPUNGE", IMAP_CMD_EXPUNGE},
    {"SEARCH", IMAP_CMD_SEARCH},
    {"FETCH", IMAP_CMD_FETCH},
    {"STORE", IMAP_CMD_STORE},
    {"COPY", IMAP_CMD_COPY},
    {"MOVE", IMAP_CMD_MOVE},
    {"SORT", IMAP_CMD_SORT},
    {"THREAD", IMAP_CMD_THREAD},
};

/* What "UID" may come before (RFC 3501 §6.4.8, RFC 4315 §2.1, RFC 6851
   §3.2, RFC 5256 §3). */
static const struct {
	enum imap_verb verb, uid;
	const char *name;
} uid_verbs[] = {
    {IMAP_CMD_EXPUNGE, IMAP_CMD_UID_EXPUNGE, "UID EXPUNGE"},
    {IMAP_CMD_SEARCH, IMAP_CMD_UID_SEARCH, "UID SEARCH"},
    {IMAP_CMD_FETCH, IMAP_CMD_UID_FETCH, "UID FETCH"},
    {IMAP_CMD_STORE, IMAP_CMD_UID_STORE, "UID STORE"},
    {IMAP_CMD_COPY, IMAP_CMD_UID_COPY, "UID COPY"},
    {IMAP_CMD_MOVE, IMAP_CMD_UID_MOVE, "UID MOVE"},
    {IMAP_CMD_SORT, IMAP_CMD_UID_SORT, "UID SORT"},
    {IMAP_CMD_THREAD, IMAP_CMD_UID_THREAD, "UID THREAD"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Indexed by enum imap_code. */
static const char *const code_names[] = {
    "",
    "",
    "ALERT",
    "ALREADYEXISTS",
    "APPENDUID",
    "AUTHENTICATIONFAILED",
    "AUTHORIZATIONFAILED",
    "BADCHARSET",
    "CANNOT",
    "CAPABILITY",
    "CLIENTBUG",
    "CLOSED",
    "CONTACTADMIN",
    "COPYUID",
    "CORRUPTION",
    "EXPIRED",
    "EXPUNGEISSUED",
    "HASCHILDREN",
    "HIGHESTMODSEQ",
    "INUSE",
    "LIMIT",
    "MODIFIED",
    "NOMODSEQ",
    "NONEXISTENT",
    "NOPERM",
    "OVERQUOTA",
    "PARSE",
    "PERMANENTFLAGS",
    "PRIVACYREQUIRED",
    "READ-ONLY",
    "READ-WRITE",
    "SERVERBUG",
    "TOOBIG",
    "TRYCREATE",
    "UIDNEXT",
    "UIDNOTSTICKY",
    "UIDVALIDITY",
    "UNAVAILABLE",
    "UNKNOWN-CTE",
    "UNSEEN",
};

static const char *const status_names[] = {
    "", "OK", "NO", "BAD", "PREAUTH", "BYE"};

/* Is s[0..len) the word name, in any case? */
static int
word_is(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len == n && util_casecmp_n(s, name, n) == 0;
}

const char *
imap_verb_name(enum imap_verb v)
{
	size_t i;

	for (i = 0; i < NELEM(verbs); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	for (i = 0; i < NELEM(uid_verbs); i++)
		if (uid_verbs[i].uid == v)
			return uid_verbs[i].name;
	return "";
}

const char *
imap_code_name(enum imap_code c)
{
	if ((size_t)c >= NELEM(code_names))
		return "";
	return code_names[c];
}

const char *
imap_status_name(enum imap_status s)
{
	if ((size_t)s >= NELEM(status_names))
		return "";
	return status_names[s];
}

static enum imap_verb
verb_lookup(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(verbs); i++)
		if (word_is(s, len, verbs[i].name))
			return verbs[i].verb;
	return IMAP_CMD_NONE;
}

static enum imap_code
code_lookup(const char *s, size_t len)
{
	size_t i;

	for (i = IMAP_CODE_OTHER + 1; i < NELEM(code_names); i++)
		if (word_is(s, len, code_names[i]))
			return (enum imap_code)i;
	return IMAP_CODE_OTHER;
}

static enum imap_status
status_lookup(const char *s, size_t len)
{
	size_t i;

	for (i = 1; i < NELEM(status_names); i++)
		if (word_is(s, len, status_names[i]))
			return (enum imap_status)i;
	return IMAP_ST_NONE;
}

const char *
imap_parse_text(int rc)
{
	switch (rc) {
	case IMAP_PARSE_OK: return "OK";
	case IMAP_PARSE_NEED_LITERAL: return "literal follows";
	case IMAP_PARSE_INCOMPLETE: return "incomplete line";
	case IMAP_PARSE_SYNTAX: return "syntax error";
	case IMAP_PARSE_TAG: return "missing or invalid tag";
	case IMAP_PARSE_COMMAND: return "missing or invalid command name";
	case IMAP_PARSE_CHAR:
		return "invalid character (NUL, control, "
		       "bare CR or LF)";
	case IMAP_PARSE_8BIT: return "8-bit data not allowed here";
	case IMAP_PARSE_QUOTED: return "malformed quoted string";
	case IMAP_PARSE_LITERAL: return "malformed literal";
	case IMAP_PARSE_LITERAL_BIG: return "literal too large";
	case IMAP_PARSE_DEPTH: return "lists nested too deeply";
	case IMAP_PARSE_ITEMS: return "too many arguments";
	case IMAP_PARSE_TOOLONG: return "line too long";
	case IMAP_PARSE_NOMEM: return "out of memory";
	case IMAP_PARSE_MISUSE: return "parser misuse";
	default: return "syntax error";
	}
}

/* ---------------------------------------------------------------- chars */

/* tag = 1*<any ASTRING-CHAR except "+">. */
static int
is_tag_char(unsigned char c)
{
	return imap_astring_char(c) && c != '+';
}

/*
 * What the tokenizer takes as one word: anything but SP, CTL, "(",
 * ")", "{" and '"'.  Wider than ATOM-CHAR so that flags ("\Seen"),
 * sequence sets ("1:*"), LIST patterns ("%") and fetch attributes
 * ("BODY[1.2]<0.10>") are single values; the helpers check each use.
 */
static int
is_word_char(unsigned char c, unsigned flags)
{
	if (c >= 0x80)
		return (flags & IMAP_PF_8BIT) != 0;
	if (c <= 0x20 || c == 0x7f)
		return 0;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

/* ---------------------------------------------------------------- arena */

static struct imap_value *
new_value(struct imap_parser *p, enum imap_type type, size_t off, int *rc)
{
	struct imap_chunk *c = p->cur_;
	struct imap_value *v;

	if (p->nitems_ >= p->items_max) {
		*rc = IMAP_PARSE_ITEMS;
		return NULL;
	}
	if (c == NULL || c->used == CHUNK_VALUES) {
		if (c != NULL && c->next != NULL)
			c = c->next;
		else {
			struct imap_chunk *n = malloc(sizeof(*n));

			if (n == NULL) {
				*rc = IMAP_PARSE_NOMEM;
				return NULL;
			}
			n->next = NULL;
			if (c == NULL)
				p->chunks_ = n;
			else
				c->next = n;
			c = n;
		}
		c->used = 0;
		p->cur_ = c;
	}
	v = &c->v[c->used++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->off = off;
	v->soff_ = off;
	p->nitems_++;
	return v;
}

/* Hang v at the end of the list open at depth d. */
static void
append_value(struct imap_parser *p, struct imap_value *v)
{
	size_t d = p->depth_;

	if (p->last_[d] == NULL)
		p->stack_[d]->child = v;
	else
		p->last_[d]->next = v;
	p->last_[d] = v;
	p->stack_[d]->count++;
}

/*
 * Point every value's s, and the result's strings, into the buffer as
 * it is now (it may have moved since the last call) or the spool.  When
 * neither moved, only the values made since the last call need it.
 */
static void
rebase(struct imap_parser *p)
{
	const char *b = p->base_;
	struct imap_chunk *c = p->chunks_;
	size_t i = 0;
	int text;

	if (b == NULL) /* an empty first call: nothing points anywhere */
		return;
	if (p->rb_chunk_ != NULL && b == p->rb_base_ &&
	    p->spool_.data == p->rb_spool_) {
		c = p->rb_chunk_;
		i = p->rb_used_;
	}
	for (; c != NULL; c = c->next, i = 0) {
		for (; i < c->used; i++) {
			struct imap_value *v = &c->v[i];

			if (v->type == IMAP_LIST)
				v->s = NULL;
			else if (v->flags & IMAP_VF_TAKEN)
				v->s = NULL;
			else if (v->spool_)
				v->s = p->spool_.data + v->soff_;
			else
				v->s = b + v->soff_;
		}
		if (c == p->cur_)
			break;
	}
	p->rb_chunk_ = p->cur_;
	p->rb_used_ = p->cur_ != NULL ? p->cur_->used : 0;
	p->rb_base_ = b;
	p->rb_spool_ = p->spool_.data;

	p->args = p->root_.child;
	p->nargs = p->root_.count;
	p->tag = p->taglen > 0 ? b + p->tag_off_ : NULL;
	p->verb_name = p->verb_namelen > 0 ? b + p->verb_off_ : NULL;
	p->resp.name = p->resp.namelen > 0 ? b + p->name_off_ : NULL;
	p->resp.code_name = p->resp.code_namelen > 0 ? b + p->code_off_ : NULL;
	p->resp.code_arg = p->resp.code_arglen > 0 ? b + p->carg_off_ : NULL;
	text = p->resp.kind == IMAP_RESP_CONT || p->resp.status != IMAP_ST_NONE;
	p->resp.text = text ? b + p->text_off_ : NULL;
}

/* ---------------------------------------------------------------- set-up */

void
imap_parser_init(struct imap_parser *p, enum imap_mode mode)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->depth_max = IMAP_LIST_DEPTH_MAX;
	if (mode == IMAP_MODE_COMMAND) {
		p->line_max = IMAP_CMD_LINE_MAX;
		p->items_max = IMAP_CMD_ITEMS_MAX;
		p->literal_max = IMAP_LITERAL_MAX;
		p->nonsync_max = IMAP_LITERAL_MINUS_MAX;
		p->held_max = IMAP_CMD_HELD_MAX;
	} else {
		p->flags = IMAP_PF_8BIT | IMAP_PF_LAX;
		p->line_max = IMAP_RESP_LINE_MAX;
		p->items_max = IMAP_RESP_ITEMS_MAX;
		p->literal_max = IMAP_RESP_LITERAL_MAX;
		p->held_max = IMAP_RESP_HELD_MAX;
	}
	buf_init(&p->spool_, 0);
	imap_parser_reset(p);
}

void
imap_parser_reset(struct imap_parser *p)
{
	struct imap_chunk *c;

	for (c = p->chunks_; c != NULL; c = c->next)
		c->used = 0;
	p->cur_ = p->chunks_;
	buf_reset(&p->spool_);
	p->spool_.max = p->held_max;
	p->used = 0;
	p->tag = NULL;
	p->taglen = 0;
	p->verb = IMAP_CMD_NONE;
	p->verb_name = NULL;
	p->verb_namelen = 0;
	p->args = NULL;
	p->nargs = 0;
	memset(&p->resp, 0, sizeof(p->resp));
	memset(&p->lit, 0, sizeof(p->lit));
	p->err_off = 0;
	p->state_ = ST_START;
	p->base_ = NULL;
	p->pos_ = 0;
	p->scan_ = 0;
	p->tag_off_ = p->verb_off_ = p->name_off_ = 0;
	p->code_off_ = p->carg_off_ = p->text_off_ = 0;
	p->line_bytes_ = 0;
	p->nitems_ = 0;
	p->nlits_ = 0;
	p->expect_ = EXP_SEP;
	p->taken_ = 0;
	memset(&p->root_, 0, sizeof(p->root_));
	p->root_.type = IMAP_LIST;
	p->stack_[0] = &p->root_;
	p->last_[0] = NULL;
	p->depth_ = 0;
	p->msglist_ = NULL;
	p->msgkind_ = 0;
	p->rb_chunk_ = NULL;
	p->rb_used_ = 0;
	p->rb_base_ = p->rb_spool_ = NULL;
}

void
imap_parser_free(struct imap_parser *p)
{
	struct imap_chunk *c, *n;

	for (c = p->chunks_; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	p->chunks_ = p->cur_ = NULL;
	buf_free(&p->spool_);
}

int
imap_parser_take(struct imap_parser *p)
{
	if (p->state_ != ST_LITERAL || p->taken_)
		return -1;
	p->taken_ = 1;
	return 0;
}

/* ---------------------------------------------------------------- tokens */

/*
 * A quoted string at b[*i] (the opening '"'), ending before end.
 * RFC 3501 §9: quoted = DQUOTE *QUOTED-CHAR DQUOTE, QUOTED-CHAR = any
 * TEXT-CHAR but quoted-specials, or "\" quoted-specials; RFC 9051 adds
 * UTF-8.  TEXT-CHAR excludes only CR and LF (which cannot be here: the
 * line ends at the first), so other controls pass; NUL is no CHAR.
 */
static int
tok_quoted(struct imap_parser *p, const char *b, size_t *i, size_t end,
    struct imap_value *v)
{
	size_t k, start = *i + 1, nesc = 0;
	uint32_t cp;

	for (k = start; k < end && b[k] != '"'; k++) {
		unsigned char c = (unsigned char)b[k];

		if (c == '\\') {
			if (k + 1 >= end ||
			    (b[k + 1] != '"' && b[k + 1] != '\\'))
				return IMAP_PARSE_QUOTED;
			k++;
			nesc++;
		} else if (c == '\0') {
			return IMAP_PARSE_CHAR;
		} else if (c >= 0x80) {
			size_t n;

			if (p->flags & IMAP_PF_8BIT)
				continue;
			if (!(p->flags & IMAP_PF_UTF8) ||
			    (n = util_utf8_char(b + k, end - k, &cp)) == 0)
				return IMAP_PARSE_8BIT;
			k += n - 1;
		}
	}
	if (k >= end)
		return IMAP_PARSE_QUOTED;
	v->len = k - start - nesc;
	if (nesc == 0) {
		v->soff_ = start;
	} else {
		/* Unescape into the spool; s is set by rebase(). */
		size_t j, at = p->spool_.len;

		if (buf_reserve(&p->spool_, v->len) == -1)
			return errno == ENOMEM ? IMAP_PARSE_NOMEM
					       : IMAP_PARSE_TOOLONG;
		for (j = start; j < k; j++) {
			if (b[j] == '\\')
				j++;
			p->spool_.data[p->spool_.len++] = b[j];
		}
		p->spool_.data[p->spool_.len] = '\0';
		v->soff_ = at;
		v->spool_ = 1;
	}
	*i = k + 1;
	return 0;
}

/*
 * A literal header at b[*i] ("{" or "~{"), which must end the line at
 * end.  RFC 9051 §9: literal = "{" number64 ["+"] "}" CRLF *CHAR8, with
 * "+" from RFC 7888; literal8 = "~{" number64 ["+"] "}" (RFC 3516,
 * RFC 7888 §8).  Fills p->lit but for message and fits.
 */
static int
tok_literal(struct imap_parser *p, const char *b, size_t i, size_t end)
{
	uint64_t size = 0;
	size_t start;
	int binary = 0, plus = 0;

	if (b[i] == '~') {
		binary = 1;
		i++;
	}
	i++; /* "{" */
	start = i;
	while (i < end && b[i] >= '0' && b[i] <= '9') {
		unsigned d = (unsigned)(b[i] - '0');

		if (size > (IMAP_NUMBER64_MAX - d) / 10)
			return IMAP_PARSE_LITERAL;
		size = size * 10 + d;
		i++;
	}
	if (i == start)
		return IMAP_PARSE_LITERAL;
	if (i < end && b[i] == '+') {
		/* RFC 7888: non-synchronizing literals go from client to
		   server only. */
		if (p->mode != IMAP_MODE_COMMAND)
			return IMAP_PARSE_LITERAL;
		plus = 1;
		i++;
	}
	if (i >= end || b[i] != '}' || i + 1 != end)
		return IMAP_PARSE_LITERAL;
	memset(&p->lit, 0, sizeof(p->lit));
	p->lit.size = size;
	p->lit.sync = !plus;
	p->lit.binary = binary;
	p->lit.index = p->nlits_;
	p->lit.offset = end + 2;
	return 0;
}

/* Is the value a word that starts with prefix (any case)? */
static int
word_starts(const struct imap_value *v, const char *b, const char *prefix)
{
	size_t n = strlen(prefix);

	return v != NULL && v->type != IMAP_LIST && v->type != IMAP_QUOTED &&
	    v->type != IMAP_LITERAL && v->len >= n &&
	    util_casecmp_n(b + v->soff_, prefix, n) == 0;
}

/* Is the value the word name (any case)? */
static int
word_eq(const struct imap_value *v, const char *b, const char *name)
{
	return word_starts(v, b, name) && v->len == strlen(name);
}

/*
 * Is the literal about to come a message (see imap.h)?  Server: APPEND's
 * message is any top-level argument after the mailbox (RFC 3501 §6.3.11,
 * RFC 3502 MULTIAPPEND: flags are lists and the date is quoted, so a
 * literal there is a message), CATENATE's "TEXT" literal (RFC 4469 §5)
 * or the literal8 in "UTF8 (...)" (RFC 6855 §4).  Client: the data of
 * BODY[...], BINARY[...] and RFC822* in a FETCH response (RFC 3501
 * §7.4.2), or after the "]" of a BODY[HEADER.FIELDS (...)] split by the
 * tokenizer.
 */
static int
literal_is_message(struct imap_parser *p, const char *b)
{
	struct imap_value *prev = p->last_[p->depth_];

	if (p->mode == IMAP_MODE_COMMAND) {
		if (p->verb != IMAP_CMD_APPEND)
			return 0;
		if (p->depth_ == 0)
			return p->root_.count >= 1;
		if (p->depth_ != 1 || p->stack_[1] != p->msglist_)
			return 0;
		return p->msgkind_ == MSG_UTF8 || word_eq(prev, b, "TEXT");
	}
	if (p->depth_ != 1 || prev == NULL ||
	    !word_is(b + p->name_off_, p->resp.namelen, "FETCH"))
		return 0;
	return word_starts(prev, b, "BODY[") ||
	    word_starts(prev, b, "BINARY[") || word_starts(prev, b, "RFC822") ||
	    ((prev->flags & IMAP_VF_JOINED) && word_starts(prev, b, "]"));
}

/* A list opens at depth 0 of an APPEND: one that holds messages? */
static void
append_list(struct imap_parser *p, const char *b, struct imap_value *v)
{
	if (word_eq(p->last_[0], b, "CATENATE")) {
		p->msglist_ = v;
		p->msgkind_ = MSG_CATENATE;
	} else if (word_eq(p->last_[0], b, "UTF8")) {
		p->msglist_ = v;
		p->msgkind_ = MSG_UTF8;
	}
}

/* A word at b[*i]; typed NUMBER or NIL when it is one. */
static int
tok_word(struct imap_parser *p, const char *b, size_t *i, size_t end,
    struct imap_value *v)
{
	size_t k = *i, n;
	uint64_t num = 0;
	int digits = 1;

	while (k < end && is_word_char((unsigned char)b[k], p->flags)) {
		if (b[k] < '0' || b[k] > '9')
			digits = 0;
		k++;
	}
	n = k - *i;
	if (n == 0) {
		unsigned char c = (unsigned char)b[k];

		if (c >= 0x80)
			return IMAP_PARSE_8BIT;
		return c < 0x20 || c == 0x7f ? IMAP_PARSE_CHAR
					     : IMAP_PARSE_SYNTAX;
	}
	v->len = n;
	if (digits &&
	    imap_parse_number(b + *i, n, IMAP_NUMBER64_MAX, &num) == 0) {
		v->type = IMAP_NUMBER;
		v->num = num;
	} else if (word_is(b + *i, n, "NIL"))
		v->type = IMAP_NIL;
	*i = k;
	return 0;
}

/* What a stray octet where a separator should be means. */
static int
bad_sep(unsigned char c)
{
	if (c >= 0x80)
		return IMAP_PARSE_8BIT;
	if (c < 0x20 || c == 0x7f)
		return IMAP_PARSE_CHAR;
	return IMAP_PARSE_SYNTAX;
}

/*
 * Values on b[p->pos_ .. end), end being the CR of the line's CRLF (or
 * the end of a response code's arguments when frag).  TOK_END,
 * TOK_LITERAL (p->lit set, not with frag), or an error with p->err_off.
 */
static int
tok_values(struct imap_parser *p, const char *b, size_t end, int frag)
{
	size_t i = p->pos_;
	int lax = (p->flags & IMAP_PF_LAX) != 0, rc = 0;

	while (i < end) {
		unsigned char c = (unsigned char)b[i];
		struct imap_value *v;
		unsigned joined = 0;

		if (p->expect_ == EXP_SEP || p->expect_ == EXP_SEP_CLOSED) {
			if (c == ' ') {
				i++;
				while (lax && i < end && b[i] == ' ')
					i++;
				p->expect_ = EXP_VALUE;
				continue;
			}
			if (c == ')')
				goto close;
			if (p->expect_ != EXP_SEP_CLOSED ||
			    (c != '(' && c != ']')) {
				rc = bad_sep(c);
				goto fail;
			}
			/* ")(" and ")]": see IMAP_VF_JOINED. */
			joined = IMAP_VF_JOINED;
		} else if (c == ')' && (p->expect_ == EXP_FIRST || lax)) {
			goto close;
		}

		/* A value starts at b[i]. */
		if (c == '{' || (c == '~' && i + 1 < end && b[i + 1] == '{')) {
			if (frag) {
				rc = IMAP_PARSE_LITERAL;
				goto fail;
			}
			if ((rc = tok_literal(p, b, i, end)) != 0)
				goto fail;
			p->pos_ = end;
			return TOK_LITERAL;
		}
		if (c == '(') {
			if (p->depth_ >= p->depth_max) {
				rc = IMAP_PARSE_DEPTH;
				goto fail;
			}
			if ((v = new_value(p, IMAP_LIST, i, &rc)) == NULL)
				goto fail;
			v->flags = joined;
			if (p->depth_ == 0 && p->verb == IMAP_CMD_APPEND)
				append_list(p, b, v);
			append_value(p, v);
			p->depth_++;
			p->stack_[p->depth_] = v;
			p->last_[p->depth_] = NULL;
			p->expect_ = EXP_FIRST;
			i++;
			continue;
		}
		if ((v = new_value(p, IMAP_ATOM, i, &rc)) == NULL)
			goto fail;
		v->flags = joined;
		if (c == '"') {
			v->type = IMAP_QUOTED;
			rc = tok_quoted(p, b, &i, end, v);
		} else
			rc = tok_word(p, b, &i, end, v);
		if (rc != 0)
			goto fail;
		append_value(p, v);
		p->expect_ = EXP_SEP;
		continue;
	close:
		if (p->depth_ == 0) {
			rc = IMAP_PARSE_SYNTAX;
			goto fail;
		}
		p->depth_--;
		p->expect_ = EXP_SEP_CLOSED;
		i++;
	}
	p->pos_ = i;
	if (p->depth_ > 0 || p->expect_ == EXP_FIRST ||
	    (p->expect_ == EXP_VALUE && !lax)) {
		rc = IMAP_PARSE_SYNTAX;
		goto fail;
	}
	return TOK_END;
fail:
	p->err_off = i;
	return rc;
}

/* ---------------------------------------------------------------- lines */

/*
 * The end of the line that starts at p->pos_: the offset of its CR.
 * 0 with *end, IMAP_PARSE_INCOMPLETE, or an error (a bare CR or LF,
 * the line bound).
 */
static int
find_eol(struct imap_parser *p, const char *b, size_t len, size_t *end)
{
	size_t i = p->scan_ > p->pos_ ? p->scan_ : p->pos_, more;

	for (; i < len; i++) {
		if (b[i] == '\n') {
			p->err_off = i;
			return IMAP_PARSE_CHAR;
		}
		if (b[i] != '\r')
			continue;
		if (i + 1 == len)
			break;
		if (b[i + 1] != '\n') {
			p->err_off = i;
			return IMAP_PARSE_CHAR;
		}
		if (p->line_bytes_ + (i + 2 - p->pos_) > p->line_max ||
		    i + 2 > p->held_max)
			return IMAP_PARSE_TOOLONG;
		p->line_bytes_ += i + 2 - p->pos_;
		*end = i;
		return 0;
	}
	/* Too long already, with what of the CRLF is still to come? */
	p->scan_ = i;
	more = i < len ? 1 : 2;
	if (p->line_bytes_ + (len - p->pos_) + more > p->line_max ||
	    len + more > p->held_max)
		return IMAP_PARSE_TOOLONG;
	return IMAP_PARSE_INCOMPLETE;
}

/*
 * A response code at b[i] ("["): RFC 3501 §9 resp-text =
 * ["[" resp-text-code "]" SP] text; resp-text-code = atom [SP 1*<any
 * TEXT-CHAR except "]">] or one of the known forms whose arguments are
 * values (PERMANENTFLAGS, BADCHARSET, CAPABILITY).  The arguments end
 * at the first "]" outside a quoted string.  Returns the offset after
 * "]", or 0 when there is no well-formed code (then it is all text).
 */
static size_t
resp_code(struct imap_parser *p, const char *b, size_t i, size_t end, int *rc)
{
	size_t n0 = i + 1, k = n0, a0 = 0, a1 = 0;
	int inq = 0;

	while (k < end && imap_atom_char((unsigned char)b[k]))
		k++;
	if (k == n0 || k >= end || (b[k] != ' ' && b[k] != ']'))
		return 0;
	if (b[k] == ' ') {
		a0 = k + 1;
		for (k = a0; k < end; k++) {
			if (inq && b[k] == '\\' && k + 1 < end)
				k++;
			else if (b[k] == '"')
				inq = !inq;
			else if (!inq && b[k] == ']')
				break;
		}
		if (k >= end)
			return 0;
		a1 = k;
	}
	p->resp.code = code_lookup(b + n0, (a0 ? a0 - 1 : k) - n0);
	p->code_off_ = n0;
	p->resp.code_namelen = (a0 ? a0 - 1 : k) - n0;
	if (a1 > a0) {
		struct imap_value *root;
		size_t save = p->pos_;
		int r;

		p->carg_off_ = a0;
		p->resp.code_arglen = a1 - a0;
		/* The arguments as values, when they are in the grammar
		   (a failure but for memory only leaves them as text). */
		if ((root = new_value(p, IMAP_LIST, a0, &r)) == NULL) {
			if (r == IMAP_PARSE_NOMEM)
				*rc = r;
			return k + 1;
		}
		p->stack_[0] = root;
		p->last_[0] = NULL;
		p->depth_ = 0;
		p->expect_ = EXP_VALUE;
		p->pos_ = a0;
		r = tok_values(p, b, a1, 1);
		if (r == TOK_END)
			p->resp.code_args = root->child;
		else if (r == IMAP_PARSE_NOMEM)
			*rc = r;
		p->stack_[0] = &p->root_;
		p->last_[0] = NULL;
		p->depth_ = 0;
		p->pos_ = save;
		p->err_off = 0;
	}
	return k + 1;
}

/* resp-text at b[i..end): an optional code, then text. */
static int
resp_text(struct imap_parser *p, const char *b, size_t i, size_t end)
{
	size_t k;
	int rc = 0;

	for (k = i; k < end; k++)
		if (b[k] == '\0') {
			p->err_off = k;
			return IMAP_PARSE_CHAR;
		}
	if (i < end && b[i] == '[' && (k = resp_code(p, b, i, end, &rc)) > 0) {
		i = k;
		if (i < end && b[i] == ' ')
			i++;
	}
	if (rc != 0)
		return rc;
	p->text_off_ = i;
	p->resp.textlen = end - i;
	return 0;
}

/* A run of atom chars at b[*i]: its length (0 when none). */
static size_t
atom_run(const char *b, size_t *i, size_t end)
{
	size_t k = *i;

	while (k < end && imap_atom_char((unsigned char)b[k]))
		k++;
	k -= *i;
	*i += k;
	return k;
}

/*
 * The start of a command: tag SP command-name [SP "UID"-command], with
 * p->pos_ left before the arguments.  1 when the line ends there, 0
 * when arguments follow, or an error.
 */
static int
cmd_prefix(struct imap_parser *p, const char *b, size_t end)
{
	size_t i = 0, n, k;

	while (i < end && is_tag_char((unsigned char)b[i]))
		i++;
	if (i == 0 || i >= end || b[i] != ' ') {
		p->err_off = i;
		return IMAP_PARSE_TAG;
	}
	p->tag_off_ = 0;
	p->taglen = i;
	p->verb_off_ = ++i;
	if ((n = atom_run(b, &i, end)) == 0) {
		p->err_off = i;
		return IMAP_PARSE_COMMAND;
	}
	p->verb = verb_lookup(b + p->verb_off_, n);
	p->verb_namelen = n;
	if (word_is(b + p->verb_off_, n, "UID") && i < end && b[i] == ' ') {
		enum imap_verb sub;

		k = i + 1;
		if ((n = atom_run(b, &k, end)) == 0) {
			p->err_off = k;
			return IMAP_PARSE_COMMAND;
		}
		sub = verb_lookup(b + i + 1, n);
		p->verb = IMAP_CMD_NONE;
		for (n = 0; n < NELEM(uid_verbs); n++)
			if (uid_verbs[n].verb == sub)
				p->verb = uid_verbs[n].uid;
		i = k;
		p->verb_namelen = i - p->verb_off_;
	}
	p->pos_ = i;
	if (i == end)
		return 1;
	if (b[i] != ' ') {
		p->err_off = i;
		return bad_sep((unsigned char)b[i]);
	}
	p->pos_ = i + 1;
	p->expect_ = EXP_VALUE;
	if (p->pos_ == end)
		return (p->flags & IMAP_PF_LAX) ? 1 : IMAP_PARSE_SYNTAX;
	return 0;
}

/*
 * The start of a response line (RFC 3501 §9 response): continue-req,
 * response-data ("*" SP ...) or response-tagged.  1 when the whole
 * line is taken (status and continuation), 0 when values follow
 * (p->pos_ before them), or an error.
 */
static int
resp_prefix(struct imap_parser *p, const char *b, size_t end)
{
	size_t i = 0, k, n;
	int lax = (p->flags & IMAP_PF_LAX) != 0, rc;

	if (end > 0 && b[0] == '+') {
		p->resp.kind = IMAP_RESP_CONT;
		i = 1;
		if (i < end && b[i] == ' ')
			i++;
		else if (i < end && !lax)
			return IMAP_PARSE_SYNTAX;
		return (rc = resp_text(p, b, i, end)) != 0 ? rc : 1;
	}
	if (end > 1 && b[0] == '*' && b[1] == ' ') {
		p->resp.kind = IMAP_RESP_UNTAGGED;
		i = 2;
		if (i < end && b[i] >= '0' && b[i] <= '9') {
			uint64_t num;

			for (k = i; k < end && b[k] >= '0' && b[k] <= '9'; k++)
				;
			if (imap_parse_number(b + i, k - i, UINT32_MAX, &num) ==
				-1 ||
			    k >= end || b[k] != ' ') {
				p->err_off = k;
				return IMAP_PARSE_SYNTAX;
			}
			p->resp.has_number = 1;
			p->resp.number = (uint32_t)num;
			i = k + 1;
		}
	} else {
		while (i < end && is_tag_char((unsigned char)b[i]))
			i++;
		if (i == 0 || i >= end || b[i] != ' ') {
			p->err_off = i;
			return IMAP_PARSE_TAG;
		}
		p->resp.kind = IMAP_RESP_TAGGED;
		p->tag_off_ = 0;
		p->taglen = i++;
	}
	p->name_off_ = i;
	if ((n = atom_run(b, &i, end)) == 0) {
		p->err_off = i;
		return IMAP_PARSE_SYNTAX;
	}
	p->resp.namelen = n;
	if (!p->resp.has_number)
		p->resp.status = status_lookup(b + p->name_off_, n);
	if (p->resp.kind == IMAP_RESP_TAGGED && p->resp.status != IMAP_ST_OK &&
	    p->resp.status != IMAP_ST_NO && p->resp.status != IMAP_ST_BAD) {
		p->err_off = p->name_off_;
		return IMAP_PARSE_SYNTAX;
	}
	if (i < end && b[i] != ' ') {
		p->err_off = i;
		return bad_sep((unsigned char)b[i]);
	}
	if (p->resp.status != IMAP_ST_NONE) {
		p->text_off_ = i;
		if (i < end)
			i++;
		return (rc = resp_text(p, b, i, end)) != 0 ? rc : 1;
	}
	if (i == end)
		return 1;
	p->pos_ = i + 1;
	p->expect_ = EXP_VALUE;
	return 0;
}

/* ---------------------------------------------------------------- parse */

static int
finish(struct imap_parser *p, int rc)
{
	if (rc < 0)
		p->state_ = ST_ERROR;
	else if (rc == IMAP_PARSE_OK)
		p->state_ = ST_DONE;
	rebase(p);
	return rc;
}

/* The literal announced by p->lit: checks before its octets come. */
static int
literal_announced(struct imap_parser *p, const char *b)
{
	struct imap_lit *l = &p->lit;
	uint64_t room = p->held_max > l->offset ? p->held_max - l->offset : 0;

	l->message = literal_is_message(p, b);
	l->fits = l->size <= room && (l->message || l->size <= p->literal_max);
	if (!l->sync && p->nonsync_max > 0 && l->size > p->nonsync_max)
		return IMAP_PARSE_LITERAL_BIG;
	/* Only a message may be streamed instead of held. */
	if (!l->message && !l->fits)
		return IMAP_PARSE_LITERAL_BIG;
	p->state_ = ST_LITERAL;
	p->taken_ = 0;
	return IMAP_PARSE_NEED_LITERAL;
}

/* The pending literal's octets: into the tree as a value. */
static int
literal_arrived(struct imap_parser *p, const char *b, size_t len)
{
	struct imap_lit *l = &p->lit;
	struct imap_value *v;
	int rc;

	if (!p->taken_) {
		if (!l->fits)
			return IMAP_PARSE_LITERAL_BIG;
		if (len - p->pos_ < l->size)
			return IMAP_PARSE_INCOMPLETE;
		/* RFC 3501 §9: a literal is CHAR8 (no NUL); only literal8
		   may carry one (RFC 3516 §4.2).  Servers are not held to
		   it: real messages hold NULs. */
		if (!l->binary && p->mode == IMAP_MODE_COMMAND &&
		    memchr(b + p->pos_, '\0', (size_t)l->size) != NULL) {
			p->err_off = p->pos_;
			return IMAP_PARSE_CHAR;
		}
	}
	if ((v = new_value(p, IMAP_LITERAL, p->pos_, &rc)) == NULL)
		return rc;
	v->len = (size_t)l->size;
	v->lit_index = l->index;
	if (l->binary)
		v->flags |= IMAP_VF_BINARY;
	if (!l->sync)
		v->flags |= IMAP_VF_NONSYNC;
	if (p->taken_)
		v->flags |= IMAP_VF_TAKEN;
	else
		p->pos_ += (size_t)l->size;
	append_value(p, v);
	p->nlits_++;
	p->taken_ = 0;
	p->expect_ = EXP_SEP;
	p->state_ = ST_VALUES;
	return 0;
}

int
imap_parse(struct imap_parser *p, const char *buf, size_t len)
{
	size_t end;
	int rc;

	if (p->state_ == ST_DONE || p->state_ == ST_ERROR || len < p->pos_ ||
	    (buf == NULL && len > 0))
		return IMAP_PARSE_MISUSE;
	/* The stack is sized by the hard bound; the others are policy. */
	if (p->depth_max > IMAP_LIST_DEPTH_MAX)
		p->depth_max = IMAP_LIST_DEPTH_MAX;
	p->spool_.max = p->held_max;
	p->base_ = buf;
	for (;;) {
		switch (p->state_) {
		case ST_LITERAL:
			if ((rc = literal_arrived(p, buf, len)) != 0)
				return finish(p, rc);
			continue;
		case ST_START:
		case ST_VALUES: break;
		default: return finish(p, IMAP_PARSE_MISUSE);
		}
		if ((rc = find_eol(p, buf, len, &end)) != 0)
			return finish(p, rc);
		if (p->state_ == ST_START) {
			rc = p->mode == IMAP_MODE_COMMAND
			    ? cmd_prefix(p, buf, end)
			    : resp_prefix(p, buf, end);
			if (rc < 0)
				return finish(p, rc);
			p->state_ = ST_VALUES;
			if (rc == 1) {
				p->used = end + 2;
				return finish(p, IMAP_PARSE_OK);
			}
		}
		rc = tok_values(p, buf, end, 0);
		if (rc < 0)
			return finish(p, rc);
		if (rc == TOK_END) {
			p->pos_ = p->used = end + 2;
			return finish(p, IMAP_PARSE_OK);
		}
		p->pos_ = end + 2;
		return finish(p, literal_announced(p, buf));
	}
}

int
imap_line_literal(const char *line, size_t len, struct imap_lit *lit)
{
	size_t i, e;
	uint64_t size = 0;

	memset(lit, 0, sizeof(*lit));
	if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n')
		len -= 2;
	if (len < 3 || line[len - 1] != '}')
		return 0;
	e = len - 1;
	if (line[e - 1] == '+') {
		e--;
		lit->sync = 0;
	} else
		lit->sync = 1;
	for (i = e; i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9'; i--)
		;
	if (i == e || i == 0 || line[i - 1] != '{' ||
	    imap_parse_number(line + i, e - i, IMAP_NUMBER64_MAX, &size) == -1)
		return 0;
	lit->binary = i >= 2 && line[i - 2] == '~';
	lit->size = size;
	return 1;
}
