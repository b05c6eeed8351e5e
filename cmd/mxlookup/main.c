/*
 * mxlookup: where mail for a domain or address goes (DESIGN.md,
 * "mxlookup"): the MX hosts in RFC 5321 §5.1 order with their addresses
 * and TTLs, CNAMEs, implicit and null MX said in words; optionally a
 * probe of each address (greeting, EHLO, STARTTLS and its certificate).
 * --spf: RFC 7208 check_host() for a client address and a sender, with
 * the explanation a person needs (-v: every term, every DNS answer).
 * --policy: a domain's published mail policies checked (policy.c).
 * --dmarc: the DMARC result for a message (verdict.c).
 * --check-sender: a sender's check-up (sender.c).
 * --dkim: a message's DKIM signatures verified (msgcheck.c).
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "dns.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "smtp.h"
#include "smtp_client.h"
#include "spf.h"
#include "tls.h"
#include "util.h"

#include "mxlookup.h"
/* Longest argument we take: an address (RFC 5321 §4.5.3.1.3). */
#define ARG_MAX_LEN (SMTP_PATH_MAX + 4)
/* Seconds for each step of a probe unless --timeout says otherwise. */
#define PROBE_TIMEOUT 30

struct opts {
	int shortout;
	int flags; /* DNS_F_* */
	const char *server;
	int probe;
	long long port;
	long long timeout; /* seconds; 0: defaults */
	int verbose;
	const char *cafile;
	const char *ehlo;
	int spf;
	const char *helo; /* --spf's HELO identity */
	int policy;
	struct policy_opts po; /* --policy's */
	int dmarc;
	struct verdict_opts vo; /* --dmarc's */
	int check_sender;
	const char *ip; /* --check-sender's --ip */
	int dkim; /* --dkim [FILE] */
	char ehlo_buf[DNS_NAME_MAX + 1];
	struct log log;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-sv] [--no-shuffle] [--server ADDR[:PORT]] "
	    "[--timeout SEC]\n"
	    "       [--probe [--port N] [--cafile FILE] [--ehlo NAME]] "
	    "DOMAIN|ADDRESS...\n"
	    "       %s [-v] [--server ADDR[:PORT]] [--timeout SEC] --spf IP "
	    "SENDER\n"
	    "         [--helo NAME]\n"
	    "       %s [--server ADDR[:PORT]] [--timeout SEC] --policy\n"
	    "         [--selector S]...\n"
	    "         [--mta-sts-trust-file FILE] [--mta-sts-connect-to "
	    "H:P:H2:P2] DOMAIN\n"
	    "       %s [-v] [--server ADDR[:PORT]] [--timeout SEC] --dmarc\n"
	    "         [--spf-pass DOMAIN] [--dkim-pass DOMAIN]... FROM\n"
	    "       %s [--server ADDR[:PORT]] [--timeout SEC] --check-sender"
	    "\n         [--selector S]... [--ip ADDR] DOMAIN\n"
	    "       %s [-v] [--server ADDR[:PORT]] [--timeout SEC] --dkim "
	    "[FILE]\n"
	    "Show where mail for each domain (or address) goes, whether "
	    "IP may send\nmail from SENDER (SPF, RFC 7208), what mail "
	    "policies DOMAIN publishes,\nthe DMARC result for a "
	    "message (RFC 7489), whether DOMAIN meets the\nbulk-sender "
	    "requirements, or whether a message's DKIM signatures "
	    "verify.\n"
	    "  -s, --short            one \"PREF HOST ADDR\" line per "
	    "address\n"
	    "      --no-shuffle       equal preferences sorted by name, "
	    "not shuffled\n"
	    "      --server ADDR[:PORT]  ask this DNS server, not "
	    "resolv.conf's\n"
	    "      --timeout SEC      per DNS query and per probe step\n"
	    "      --probe            connect to each address: greeting, "
	    "EHLO, STARTTLS\n"
	    "      --port N           port to probe (default 25)\n"
	    "      --cafile FILE      trust these CAs when probing (default: "
	    "system store)\n"
	    "      --ehlo NAME        name to send in EHLO (default: this "
	    "host)\n"
	    "      --spf IP SENDER    SPF check_host() for client IP and "
	    "MAIL FROM SENDER\n"
	    "                         (\"\" for the null sender: "
	    "postmaster@HELO)\n"
	    "      --helo NAME        the client's HELO/EHLO name, for "
	    "--spf\n"
	    "      --policy           check DOMAIN's SPF, DMARC, MTA-STS, "
	    "TLS-RPT, MX TLSA\n"
	    "                         and DKIM keys, one finding a line\n"
	    "      --selector S       a DKIM selector to check, for "
	    "--policy and\n"
	    "                         --check-sender (repeatable)\n"
	    "      --mta-sts-trust-file FILE  CAs for the MTA-STS policy "
	    "fetch (--policy)\n"
	    "      --mta-sts-connect-to HOST:PORT:ADDR:PORT  fetch the "
	    "MTA-STS policy there\n"
	    "      --dmarc FROM       the DMARC result for mail From: FROM's "
	    "domain\n"
	    "      --spf-pass DOMAIN  SPF passed for this MAIL FROM domain\n"
	    "      --dkim-pass DOMAIN a DKIM signature with this d= "
	    "verified (repeatable)\n"
	    "      --check-sender     check DOMAIN against the bulk-sender "
	    "requirements:\n"
	    "                         SPF, DKIM key, DMARC, alignment, "
	    "reverse DNS\n"
	    "      --ip ADDR          the sending address, for "
	    "--check-sender\n"
	    "      --dkim [FILE]      verify the DKIM signatures of the "
	    "message in FILE\n"
	    "                         (default: standard input)\n"
	    "  -v, --verbose          say more (twice: SMTP trace)\n"
	    "  -h, --help             this help\n"
	    "      --version          version\n"
	    "Exit: 0 found, 68 no such domain, 69 accepts no mail, "
	    "75 try again later.\n"
	    "--spf exit: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 none, "
	    "65 permerror,\n"
	    "            75 temperror, 64 usage.\n"
	    "--policy exit: 0 nothing wrong, 65 a policy is missing or "
	    "broken, 75 a lookup\n"
	    "            failed, 64 usage.\n"
	    "--dmarc exit: 0 pass, 1 fail, 4 none, 65 permerror, 75 "
	    "temperror, 64 usage.\n"
	    "--check-sender exit: 0 all met, 1 not all checked (no --ip or "
	    "--selector),\n"
	    "            65 a requirement not met, 75 a lookup failed, 64 "
	    "usage.\n"
	    "--dkim exit: 0 a signature passes, 1 none does, 4 not signed, "
	    "75 a key\n"
	    "            could not be had, 66 no such file, 64 usage.\n",
	    PROG, PROG, PROG, PROG, PROG, PROG);
}

/* The domain of an argument: the part after the last '@', if any. */
static const char *
arg_domain(const char *arg)
{
	const char *at = strrchr(arg, '@');

	return at != NULL ? at + 1 : arg;
}

/* The exit code of a lookup's outcome, through its error class. */
static int
status_exit(int status)
{
	switch (status) {
	case DNS_MX_FOUND:
	case DNS_MX_IMPLICIT: return yerr_exit(YERR_OK);
	case DNS_MX_NULL:
	case DNS_MX_NODATA: return yerr_exit(YERR_PERM);
	case DNS_MX_NXDOMAIN:
	case DNS_MX_NOADDR: return yerr_exit(YERR_NOHOST);
	case DNS_MX_TEMPFAIL: return yerr_exit(YERR_TEMP);
	default: return yerr_exit(YERR_USAGE);
	}
}

/* "name" or "name (unicode)" when the name holds A-labels. */
static void
print_name(const char *name)
{
	char u[4 * (DNS_NAME_MAX + 1)];

	fputs(name, stdout);
	if (dns_to_unicode(name, u, sizeof(u)) == 0)
		printf(" (%s)", u);
}

static void
print_cnames(
    const char *indent, const char *from, const struct dns_cname *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		printf("%sCNAME %s -> %s (ttl %u)\n", indent,
		    i == 0 ? from : c[i - 1].target, c[i].target, c[i].ttl);
	}
}

static void
print_addrs(const struct dns_mx_host *h, const struct opts *o)
{
	char a[DNS_ADDRSTR_MAX];
	int i;

	for (i = 0; i < h->naddr; i++) {
		dns_addr_str(&h->addr[i], a, sizeof(a));
		printf("      %-4s %s (ttl %u)\n",
		    h->addr[i].family == AF_INET ? "A" : "AAAA", a,
		    h->addr[i].ttl);
	}
	if (h->naddr == 0)
		printf("      no address: %s\n", h->err);
	else if (o->verbose && h->from_additional != 0)
		printf("      (%s from the additional section)\n",
		    h->from_additional == (DNS_ADDL_A | DNS_ADDL_AAAA)
			? "A and AAAA"
			: h->from_additional == DNS_ADDL_A ? "A"
							   : "AAAA");
}

/* ---------------------------------------------------------------- probe */

static void
print_reply_lines(const char *indent, const struct smtp_reply *r, int from)
{
	int i;

	for (i = from; i < r->nlines; i++)
		printf("%s%s\n", indent, smtp_reply_text(r, i));
}

static void
ehlo_report(const char *when, const struct smtp_reply *r, int64_t ms)
{
	char line[SMTP_REPLY_LINE_MAX];

	smtp_reply_str(r, line, sizeof(line));
	if (r->code != 250) {
		printf("        %s: refused: %s (%lld ms)\n", when, line,
		    (long long)ms);
		return;
	}
	printf("        %s: %d %s (%lld ms)\n", when, r->code,
	    smtp_reply_text(r, 0), (long long)ms);
	print_reply_lines("          ", r, 1);
}

/* The EHLO phase, said; 0 when the server took it. */
static int
probe_ehlo(struct smtp_client *c, const char *when)
{
	int64_t t0 = util_now_ms();

	if (smtp_client_ehlo(c) == 0 || c->reply.code != 0) {
		ehlo_report(when, &c->reply, util_now_ms() - t0);
		return c->reply.code == 250 ? 0 : -1;
	}
	printf("        %s: %s\n", when, c->err.msg);
	return -1;
}

/*
 * One address: connect, then the phases of the SMTP client engine:
 * greeting, EHLO, STARTTLS (with the certificate checked against the
 * MX host name, the verdict reported, never enforced), EHLO again,
 * QUIT.  0 when the greeting was 220.
 */
static int
probe_addr(const struct opts *o, const char *host, const struct dns_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char as[DNS_ADDRSTR_MAX], err[ERR_MAX], line[SMTP_REPLY_LINE_MAX];
	struct smtp_client_opts co;
	struct smtp_client c;
	struct tls_info ti;
	int fd, tmo, ok = -1;
	int64_t t0, t1;

	tmo = (int)(o->timeout > 0 ? o->timeout : PROBE_TIMEOUT) * 1000;
	dns_addr_str(a, as, sizeof(as));
	sl = dns_addr_sockaddr(a, (int)o->port, &ss);
	printf("      probe %s%s%s port %lld:\n",
	    a->family == AF_INET6 ? "[" : "", as,
	    a->family == AF_INET6 ? "]" : "", o->port);
	t0 = util_now_ms();
	fd = net_connect_sa((struct sockaddr *)&ss, sl, tmo, err, sizeof(err));
	t1 = util_now_ms();
	if (fd < 0) {
		printf("        connect: failed: %s (%lld ms)\n", err,
		    (long long)(t1 - t0));
		return -1;
	}
	printf("        connect: ok (%lld ms)\n", (long long)(t1 - t0));
	memset(&co, 0, sizeof(co));
	co.host = host;
	co.ehlo = o->ehlo;
	co.no_helo = 1;
	co.tls = SMTP_CLIENT_TLS_STARTTLS;
	co.tls_optional = 1;
	co.tlso.trust_file = o->cafile;
	co.tlso.no_verify = 1; /* report the verdict, do not enforce it */
	co.timeout_ms = tmo;
	if (o->verbose > 1)
		co.log = (struct log *)&o->log;
	smtp_client_init(&c, fd, &co);

	t0 = util_now_ms();
	if (smtp_client_greeting(&c) == -1 && c.reply.code == 0) {
		printf("        greeting: %s (%lld ms)\n", c.err.msg,
		    (long long)(util_now_ms() - t0));
		goto out;
	}
	smtp_reply_str(&c.reply, line, sizeof(line));
	printf("        greeting: %s (%lld ms)\n", line,
	    (long long)(util_now_ms() - t0));
	if (c.reply.code != 220)
		goto quit;
	ok = 0;
	if (probe_ehlo(&c, "EHLO") == -1)
		goto quit;
	if (!c.ehlo.starttls) {
		printf("        STARTTLS: not offered\n");
		goto quit;
	}
	t0 = util_now_ms();
	if (smtp_client_starttls(&c) == -1) {
		if (c.tls_failed)
			printf("        STARTTLS: handshake failed: %s "
			       "(%lld ms)\n",
			    c.err.msg, (long long)(util_now_ms() - t0));
		else if (c.reply.code == 0)
			printf("        STARTTLS: %s\n", c.err.msg);
		else {
			smtp_reply_str(&c.reply, line, sizeof(line));
			printf("        STARTTLS: refused: %s\n", line);
		}
		goto quit;
	}
	t1 = util_now_ms();
	tls_info(c.io.tls, &ti);
	printf("        STARTTLS: %s, %s (%lld ms)\n", ti.protocol, ti.cipher,
	    (long long)(t1 - t0));
	printf("          subject: %s\n", ti.subject[0] ? ti.subject : "-");
	printf("          issuer: %s\n", ti.issuer[0] ? ti.issuer : "-");
	if (ti.not_after[0] != '\0')
		printf("          expires: %s\n", ti.not_after);
	if (ti.fingerprint[0] != '\0')
		printf("          sha256: %s\n", ti.fingerprint);
	if (ti.verified)
		printf("          verification: ok (trusted, name %s "
		       "matches)\n",
		    host);
	else
		printf("          verification: failed: %s\n",
		    ti.verify_msg[0] ? ti.verify_msg : "not verified");
	(void)probe_ehlo(&c, "EHLO after STARTTLS");
quit:
	if (smtp_client_quit(&c) == -1 && o->verbose)
		printf("        QUIT: %s\n", c.err.msg);
out:
	smtp_client_close(&c);
	(void)close(fd);
	return ok;
}

/* ---------------------------------------------------------------- SPF */

/*
 * --spf: the exit code of each result, here and nowhere else (the
 * manual's EXIT STATUS says the same).  A result is a verdict, not a
 * failure of ours: the verdicts get small numbers, as grep(1) and
 * diff(1) do; the two errors get their <sysexits.h> meaning: temperror
 * is "try again later" (EX_TEMPFAIL), permerror is the domain's
 * published policy being bad data (EX_DATAERR).
 */
static const struct {
	int result;
	int code;
} spf_exits[] = {
    {SPF_PASS, 0},
    {SPF_FAIL, 1},
    {SPF_SOFTFAIL, 2},
    {SPF_NEUTRAL, 3},
    {SPF_NONE, 4},
    {SPF_PERMERROR, EX_DATAERR},
    {SPF_TEMPERROR, EX_TEMPFAIL},
};

static int
spf_exit(int result)
{
	size_t i;

	for (i = 0; i < sizeof(spf_exits) / sizeof(spf_exits[0]); i++)
		if (spf_exits[i].result == result)
			return spf_exits[i].code;
	return EX_SOFTWARE;
}

/* -v: one line of the trace, indented by include/redirect depth. */
static void
spf_trace(void *arg, const struct spf_event *ev)
{
	(void)arg;
	printf("%*s%s\n", 2 * ev->depth, "", ev->text);
	if (ev->kind == SPF_EV_RESULT && ev->depth == 0)
		printf("(%d of %d DNS-querying terms, %d of %d void lookups)\n",
		    ev->lookups, SPF_LOOKUPS_MAX, ev->voids, SPF_VOID_MAX);
}

/* The client address, IPv4 or IPv6 (spf_check takes an IPv4-mapped
   one as IPv4).  0, or -1. */
static int
spf_parse_ip(const char *s, struct spf_request *req)
{
	memset(req->ip, 0, sizeof(req->ip));
	req->family = AF_INET;
	if (inet_pton(AF_INET, s, req->ip) == 1)
		return 0;
	req->family = AF_INET6;
	return inet_pton(AF_INET6, s, req->ip) == 1 ? 0 : -1;
}

static int
spf_main(struct dns_resolver *r, const char *ip, const char *sender,
    const struct opts *o)
{
	struct spf_request req;
	struct spf_outcome *out;
	int ex;

	memset(&req, 0, sizeof(req));
	if (spf_parse_ip(ip, &req) != 0) {
		fprintf(stderr, "%s: --spf %s: not an IPv4 or IPv6 address\n",
		    PROG, ip);
		return EX_USAGE;
	}
	req.sender = sender;
	req.helo = o->helo;
	if (o->verbose) {
		req.trace = spf_trace;
		printf("SPF check of %s%s from %s%s%s (DNS: %s)\n",
		    sender[0] != '\0' ? sender : "<>",
		    sender[0] != '\0' ? "" : " (null sender)", ip,
		    o->helo != NULL ? ", HELO " : "",
		    o->helo != NULL ? o->helo : "",
		    o->server != NULL ? o->server : "resolv.conf");
	}
	if ((out = malloc(sizeof(*out))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return EX_OSERR;
	}
	(void)spf_check(r, &req, out);
	if (o->verbose)
		printf("(%d DNS quer%s; decided by %s)\n", out->queries,
		    out->queries == 1 ? "y" : "ies",
		    out->mech[0] != '\0' ? out->mech : "no term");
	printf("%s\n", spf_result_str(out->result));
	if (out->result == SPF_FAIL && out->exp[0] != '\0')
		printf("explanation: %s\n", out->exp);
	if (out->why[0] != '\0')
		fprintf(stderr, "%s: %s: SPF %s: %s\n", PROG, out->sender,
		    spf_result_str(out->result), out->why);
	ex = spf_exit(out->result);
	free(out);
	return ex;
}

/* ---------------------------------------------------------------- output */

static void
print_short(const struct dns_mx_result *res)
{
	char a[DNS_ADDRSTR_MAX];
	int i, j;

	for (i = 0; i < res->nhost; i++) {
		/* Left out of the lines; said on stderr unless all are. */
		if (res->host[i].naddr == 0 && res->status != DNS_MX_NOADDR)
			fprintf(stderr, "%s: %s: MX %s has no address: %s\n",
			    PROG, res->ascii, res->host[i].name,
			    res->host[i].err);
		for (j = 0; j < res->host[i].naddr; j++) {
			dns_addr_str(&res->host[i].addr[j], a, sizeof(a));
			printf("%u %s %s\n", res->host[i].pref,
			    res->host[i].name, a);
		}
	}
}

/* Human output for one domain; returns the number of good probes. */
static int
print_human(const struct dns_mx_result *res, const struct opts *o)
{
	const struct dns_mx_host *h;
	int i, j, good = 0;

	/* The ASCII form; a UTF-8 domain as given, then its A-labels. */
	if (!util_is_ascii(res->domain))
		printf("%s (%s)", res->domain, res->ascii);
	else
		fputs(res->ascii, stdout);
	switch (res->status) {
	case DNS_MX_FOUND:
		printf(
		    ": %d MX host%s\n", res->nhost, res->nhost == 1 ? "" : "s");
		break;
	case DNS_MX_IMPLICIT:
		printf(": no MX record; implicit MX (RFC 5321 §5.1): the "
		       "domain's own address\n");
		break;
	case DNS_MX_NULL:
		printf(": null MX (RFC 7505): accepts no mail\n");
		break;
	case DNS_MX_NOADDR:
		printf(": %d MX host%s, none with an address\n", res->nhost,
		    res->nhost == 1 ? "" : "s");
		break;
	default: printf(": %s\n", res->err); break;
	}
	print_cnames("  ", res->ascii, res->cname, res->ncname);
	for (i = 0; i < res->nhost; i++) {
		h = &res->host[i];
		printf("  MX %u ", h->pref);
		print_name(h->name);
		if (res->status == DNS_MX_IMPLICIT)
			printf(" (implicit MX)\n");
		else
			printf(" (ttl %u)\n", h->ttl);
		print_cnames("      ", h->name, h->cname, h->ncname);
		print_addrs(h, o);
		if (!o->probe)
			continue;
		for (j = 0; j < h->naddr; j++)
			if (probe_addr(o, h->name, &h->addr[j]) == 0)
				good++;
	}
	if (o->verbose) {
		printf("  (%d quer%s to %s", res->nqueries,
		    res->nqueries == 1 ? "y" : "ies",
		    o->server != NULL ? o->server : "the resolv.conf servers");
		if (res->dropped > 0)
			printf("; %d MX record%s ignored", res->dropped,
			    res->dropped == 1 ? "" : "s");
		printf(")\n");
	}
	fflush(stdout);
	return good;
}

static int
lookup(struct dns_resolver *r, const char *arg, struct dns_mx_result *res,
    const struct opts *o, int *printed)
{
	const char *dom = arg_domain(arg);
	int ex, good;

	if (dom[0] == '[') {
		fprintf(stderr,
		    "%s: %s: an address literal: mail goes to that "
		    "address, there is nothing to look up\n",
		    PROG, dom);
		return EX_USAGE;
	}
	(void)dns_mx_lookup(r, dom, o->flags, res);
	ex = status_exit(res->status);
	if (o->shortout)
		print_short(res);
	else if (res->status == DNS_MX_FOUND ||
	    res->status == DNS_MX_IMPLICIT || res->status == DNS_MX_NULL ||
	    res->status == DNS_MX_NOADDR) {
		/* A blank line between the blocks of several domains. */
		if ((*printed)++ > 0)
			putchar('\n');
		good = print_human(res, o);
		/* --probe: no MX address answered with a greeting. */
		if (o->probe && ex == 0 && good == 0) {
			fprintf(
			    stderr, "%s: %s: no MX host answered\n", PROG, dom);
			ex = yerr_exit(YERR_TEMP);
		}
		if (res->status == DNS_MX_NULL)
			return ex;
	}
	switch (res->status) {
	case DNS_MX_FOUND:
	case DNS_MX_IMPLICIT: break;
	case DNS_MX_TEMPFAIL:
		fprintf(stderr, "%s: %s: %s (try again later)\n", PROG, dom,
		    res->err);
		break;
	default: fprintf(stderr, "%s: %s: %s\n", PROG, dom, res->err); break;
	}
	return ex;
}

/*
 * --policy DOMAIN (the checks are policy.c's) or, with sender,
 * --check-sender DOMAIN (sender.c's): one operand, one resolver.
 */
static int
domain_run(struct opts *o, int argc, char **argv, int port_set, int sender)
{
	const char *opt = sender ? "--check-sender" : "--policy";
	struct dns_resolver *r;
	char err[ERR_MAX];
	int ex;

	if (o->spf || o->probe || o->shortout || port_set ||
	    o->cafile != NULL || o->ehlo != NULL || o->helo != NULL ||
	    (o->flags & DNS_F_NO_SHUFFLE) || o->vo.spf_pass != NULL ||
	    o->vo.ndkim > 0 ||
	    (sender &&
		(o->po.sts_cafile != NULL || o->po.sts_connect_to != NULL))) {
		fprintf(stderr, "%s: %s goes with --server, --timeout, "
				"--selector and %s only\n",
		    PROG, opt, sender ? "--ip" : "--mta-sts-*");
		return EX_USAGE;
	}
	if (argc != 1) {
		fprintf(stderr, "%s: %s takes one operand: DOMAIN\n", PROG,
		    opt);
		usage(stderr);
		return EX_USAGE;
	}
	if (strlen(argv[0]) > DNS_NAME_MAX || strchr(argv[0], '@') != NULL) {
		fprintf(stderr, "%s: %s %.40s: not a domain name\n", PROG, opt,
		    argv[0]);
		return EX_USAGE;
	}
	r = dns_new(o->server, (int)o->timeout, 0, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return o->server != NULL ? EX_USAGE : EX_OSERR;
	}
	o->po.server = o->server;
	o->po.verbose = o->verbose;
	o->po.timeout = (int)o->timeout;
	ex = sender ? sender_main(r, argv[0], o->ip, &o->po)
		    : policy_main(r, argv[0], &o->po);
	dns_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: write error\n", PROG);
		return EX_IOERR;
	}
	return ex;
}

/* A domain given to --dmarc's options: ASCII and short enough. */
static int
verdict_domain_ok(const char *opt, const char *d)
{
	if (strlen(d) > DNS_NAME_MAX || !util_is_ascii(d) || d[0] == '\0') {
		fprintf(stderr,
		    "%s: %s %.40s: not a domain name (give "
		    "A-labels)\n",
		    PROG, opt, d);
		return 0;
	}
	return 1;
}

/* --dmarc FROM: the evaluation is verdict.c's. */
static int
verdict_run(struct opts *o, int argc, char **argv, int port_set)
{
	struct dns_resolver *r;
	char err[ERR_MAX];
	int i, ex;

	if (o->spf || o->probe || o->shortout || port_set ||
	    o->cafile != NULL || o->ehlo != NULL || o->helo != NULL ||
	    (o->flags & DNS_F_NO_SHUFFLE) || o->po.nselector > 0 ||
	    o->po.sts_cafile != NULL || o->po.sts_connect_to != NULL) {
		fprintf(stderr,
		    "%s: --dmarc goes with -v, --server, --timeout, "
		    "--spf-pass and --dkim-pass only\n",
		    PROG);
		return EX_USAGE;
	}
	if (argc != 1) {
		fprintf(stderr,
		    "%s: --dmarc takes one operand: the From domain or "
		    "address\n",
		    PROG);
		usage(stderr);
		return EX_USAGE;
	}
	if (strlen(argv[0]) > ARG_MAX_LEN) {
		fprintf(
		    stderr, "%s: --dmarc %.40s...: too long\n", PROG, argv[0]);
		return EX_USAGE;
	}
	if (o->vo.spf_pass != NULL &&
	    !verdict_domain_ok("--spf-pass", o->vo.spf_pass))
		return EX_USAGE;
	for (i = 0; i < o->vo.ndkim; i++)
		if (!verdict_domain_ok("--dkim-pass", o->vo.dkim_pass[i]))
			return EX_USAGE;
	r = dns_new(o->server, (int)o->timeout, 0, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return o->server != NULL ? EX_USAGE : EX_OSERR;
	}
	o->vo.verbose = o->verbose;
	ex = verdict_main(r, argv[0], &o->vo);
	dns_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: write error\n", PROG);
		return EX_IOERR;
	}
	return ex;
}

/* --dkim [FILE]: the checking is msgcheck.c's. */
static int
msgcheck_run(struct opts *o, int argc, char **argv, int port_set)
{
	struct dns_resolver *r;
	char err[ERR_MAX];
	int ex;

	if (o->spf || o->probe || o->shortout || port_set || o->policy ||
	    o->dmarc || o->check_sender || o->cafile != NULL ||
	    o->ehlo != NULL || o->helo != NULL || o->ip != NULL ||
	    (o->flags & DNS_F_NO_SHUFFLE) || o->po.nselector > 0 ||
	    o->po.sts_cafile != NULL || o->po.sts_connect_to != NULL ||
	    o->vo.spf_pass != NULL || o->vo.ndkim > 0) {
		fprintf(stderr,
		    "%s: --dkim goes with -v, --server and --timeout only\n",
		    PROG);
		return EX_USAGE;
	}
	if (argc > 1) {
		fprintf(stderr,
		    "%s: --dkim takes one message: a file, or none for "
		    "standard input\n",
		    PROG);
		usage(stderr);
		return EX_USAGE;
	}
	r = dns_new(o->server, (int)o->timeout, 0, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return o->server != NULL ? EX_USAGE : EX_OSERR;
	}
	ex = msgcheck_main(r, argc == 1 ? argv[0] : NULL, o->verbose);
	dns_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: write error\n", PROG);
		return EX_IOERR;
	}
	return ex;
}

int
main(int argc, char **argv)
{
	enum {
		O_NOSHUFFLE = 256,
		O_SERVER,
		O_PROBE,
		O_PORT,
		O_TIMEOUT,
		O_CAFILE,
		O_EHLO,
		O_SPF,
		O_HELO,
		O_POLICY,
		O_SELECTOR,
		O_STS_CA,
		O_STS_CONNECT,
		O_DMARC,
		O_SPF_PASS,
		O_DKIM_PASS,
		O_CHECK_SENDER,
		O_IP,
		O_DKIM,
		O_VERSION
	};
	static const struct option longopts[] = {
	    {"short", no_argument, NULL, 's'},
	    {"no-shuffle", no_argument, NULL, O_NOSHUFFLE},
	    {"server", required_argument, NULL, O_SERVER},
	    {"probe", no_argument, NULL, O_PROBE},
	    {"port", required_argument, NULL, O_PORT},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"cafile", required_argument, NULL, O_CAFILE},
	    {"ehlo", required_argument, NULL, O_EHLO},
	    {"spf", no_argument, NULL, O_SPF},
	    {"helo", required_argument, NULL, O_HELO},
	    {"policy", no_argument, NULL, O_POLICY},
	    {"selector", required_argument, NULL, O_SELECTOR},
	    {"mta-sts-trust-file", required_argument, NULL, O_STS_CA},
	    {"mta-sts-connect-to", required_argument, NULL, O_STS_CONNECT},
	    {"dmarc", no_argument, NULL, O_DMARC},
	    {"spf-pass", required_argument, NULL, O_SPF_PASS},
	    {"dkim-pass", required_argument, NULL, O_DKIM_PASS},
	    {"check-sender", no_argument, NULL, O_CHECK_SENDER},
	    {"ip", required_argument, NULL, O_IP},
	    {"dkim", no_argument, NULL, O_DKIM},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, O_VERSION}, {NULL, 0, NULL, 0}};
	struct opts o;
	struct dns_resolver *r;
	struct dns_mx_result *res;
	char err[ERR_MAX];
	int c, i, ex, worst = 0, port_set = 0, printed = 0;

	memset(&o, 0, sizeof(o));
	o.port = 25;
	log_open(&o.log, PROG, 0, 0);
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	while ((c = getopt_long(argc, argv, "svh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.shortout = 1; break;
		case O_NOSHUFFLE: o.flags |= DNS_F_NO_SHUFFLE; break;
		case O_SERVER: o.server = optarg; break;
		case O_PROBE: o.probe = 1; break;
		case O_PORT:
			if (util_parse_num(optarg, 1, 65535, 0, &o.port) != 0) {
				fprintf(stderr,
				    "%s: --port %s: not a port "
				    "number\n",
				    PROG, optarg);
				return EX_USAGE;
			}
			port_set = 1;
			break;
		case O_TIMEOUT:
			if (util_parse_num(optarg, 1, 3600, 0, &o.timeout) !=
			    0) {
				fprintf(stderr,
				    "%s: --timeout %s: not a number "
				    "of seconds (1-3600)\n",
				    PROG, optarg);
				return EX_USAGE;
			}
			break;
		case O_CAFILE: o.cafile = optarg; break;
		case O_EHLO: o.ehlo = optarg; break;
		case O_SPF: o.spf = 1; break;
		case O_HELO: o.helo = optarg; break;
		case O_POLICY: o.policy = 1; break;
		case O_SELECTOR:
			if (o.po.nselector >= POLICY_SELECTORS_MAX) {
				fprintf(stderr,
				    "%s: --selector: at most %d selectors\n",
				    PROG, POLICY_SELECTORS_MAX);
				return EX_USAGE;
			}
			o.po.selector[o.po.nselector++] = optarg;
			break;
		case O_STS_CA: o.po.sts_cafile = optarg; break;
		case O_STS_CONNECT: o.po.sts_connect_to = optarg; break;
		case O_DMARC: o.dmarc = 1; break;
		case O_SPF_PASS: o.vo.spf_pass = optarg; break;
		case O_DKIM_PASS:
			if (o.vo.ndkim >= POLICY_SELECTORS_MAX) {
				fprintf(stderr,
				    "%s: --dkim-pass: at most %d domains\n",
				    PROG, POLICY_SELECTORS_MAX);
				return EX_USAGE;
			}
			o.vo.dkim_pass[o.vo.ndkim++] = optarg;
			break;
		case O_CHECK_SENDER: o.check_sender = 1; break;
		case O_IP: o.ip = optarg; break;
		case O_DKIM: o.dkim = 1; break;
		case 'v': o.verbose++; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: return util_version(PROG);
		default: usage(stderr); return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (o.policy && o.dmarc) {
		fprintf(stderr, "%s: --policy and --dmarc go apart\n", PROG);
		return EX_USAGE;
	}
	if (o.check_sender && (o.policy || o.dmarc)) {
		fprintf(stderr,
		    "%s: --check-sender goes apart from --policy and "
		    "--dmarc\n",
		    PROG);
		return EX_USAGE;
	}
	if (o.ip != NULL && !o.check_sender) {
		fprintf(stderr, "%s: --ip goes with --check-sender\n", PROG);
		return EX_USAGE;
	}
	if (o.dkim)
		return msgcheck_run(&o, argc, argv, port_set);
	if (o.check_sender)
		return domain_run(&o, argc, argv, port_set, 1);
	if (o.policy)
		return domain_run(&o, argc, argv, port_set, 0);
	if (o.dmarc)
		return verdict_run(&o, argc, argv, port_set);
	if (o.vo.spf_pass != NULL || o.vo.ndkim > 0) {
		fprintf(stderr,
		    "%s: --spf-pass and --dkim-pass go with --dmarc\n", PROG);
		return EX_USAGE;
	}
	if (argc == 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if (o.po.nselector > 0 || o.po.sts_cafile != NULL ||
	    o.po.sts_connect_to != NULL) {
		fprintf(stderr,
		    "%s: --selector and --mta-sts-* go with --policy\n", PROG);
		return EX_USAGE;
	}
	if (o.spf) {
		if (o.probe || o.shortout || port_set || o.cafile != NULL ||
		    o.ehlo != NULL || (o.flags & DNS_F_NO_SHUFFLE)) {
			fprintf(stderr,
			    "%s: --spf goes with -v, --server, --timeout "
			    "and --helo only\n",
			    PROG);
			return EX_USAGE;
		}
		if (argc != 2) {
			fprintf(stderr,
			    "%s: --spf takes two operands: IP SENDER\n", PROG);
			usage(stderr);
			return EX_USAGE;
		}
		if (strlen(argv[1]) > ARG_MAX_LEN ||
		    (o.helo != NULL && strlen(o.helo) > DNS_NAME_MAX)) {
			fprintf(stderr, "%s: --spf: sender or HELO too long\n",
			    PROG);
			return EX_USAGE;
		}
		if (argv[1][0] == '\0' && o.helo == NULL) {
			fprintf(stderr,
			    "%s: --spf: the null sender is checked as "
			    "postmaster@HELO: give --helo\n",
			    PROG);
			return EX_USAGE;
		}
		r = dns_new(o.server, (int)o.timeout, 0, err, sizeof(err));
		if (r == NULL) {
			fprintf(stderr, "%s: %s\n", PROG, err);
			return o.server != NULL ? EX_USAGE : EX_OSERR;
		}
		ex = spf_main(r, argv[0], argv[1], &o);
		dns_free(r);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(
			    stderr, "%s: standard output: write error\n", PROG);
			return EX_IOERR;
		}
		return ex;
	}
	if (o.helo != NULL) {
		fprintf(stderr, "%s: --helo goes with --spf\n", PROG);
		return EX_USAGE;
	}
	if ((port_set || o.cafile != NULL || o.ehlo != NULL) && !o.probe) {
		fprintf(stderr,
		    "%s: --port, --cafile and --ehlo go with "
		    "--probe\n",
		    PROG);
		return EX_USAGE;
	}
	if (o.probe && o.shortout) {
		fprintf(stderr,
		    "%s: --probe shows its results for people; it "
		    "does not go with --short\n",
		    PROG);
		return EX_USAGE;
	}
	/* -vv: the SMTP dialogue of --probe on stderr. */
	o.log.trace = o.verbose > 1;
	if (o.ehlo == NULL) {
		util_hostname(o.ehlo_buf, sizeof(o.ehlo_buf));
		o.ehlo = o.ehlo_buf;
	}
	if (strlen(o.ehlo) > DNS_NAME_MAX || strpbrk(o.ehlo, " \r\n") != NULL) {
		fprintf(
		    stderr, "%s: --ehlo %s: not a host name\n", PROG, o.ehlo);
		return EX_USAGE;
	}
	for (i = 0; i < argc; i++)
		if (strlen(argv[i]) > ARG_MAX_LEN) {
			fprintf(stderr,
			    "%s: %.40s...: too long for a domain "
			    "or an address\n",
			    PROG, argv[i]);
			return EX_USAGE;
		}
	r = dns_new(o.server, (int)o.timeout, 0, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return o.server != NULL ? EX_USAGE : EX_OSERR;
	}
	if ((res = malloc(sizeof(*res))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		dns_free(r);
		return EX_OSERR;
	}
	for (i = 0; i < argc; i++) {
		ex = lookup(r, argv[i], res, &o, &printed);
		worst = yerr_exit_worst(worst, ex);
	}
	free(res);
	dns_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: write error\n", PROG);
		return EX_IOERR;
	}
	return worst;
}
