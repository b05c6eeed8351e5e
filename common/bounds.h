/*
 * bounds.h: every bound yubin puts on input, with the rule it comes from.
 * Programs may lower these with options; nothing may raise them silently.
 */
#ifndef YUBIN_BOUNDS_H
#define YUBIN_BOUNDS_H

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF. */
#define SMTP_CMD_LINE_MAX	512
/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
#define SMTP_REPLY_LINE_MAX	512
/*
 * What a client accepts as one reply line: servers do pass the 512 of
 * §4.5.3.1.5 (long EHLO AUTH lists, verbose 5xx texts) and §4.5.3.1 says
 * to be liberal, so allow a few KB, but no more.
 */
#define SMTP_REPLY_LINE_READ_MAX	4096
/* Lines of a multi-line reply we keep (EHLO lists rarely pass 30). */
#define SMTP_REPLY_LINES_MAX	64
/* RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with CRLF. */
#define SMTP_TEXT_LINE_MAX	1000
/* RFC 5321 §4.5.3.1.1/§4.5.3.1.2: local part 64, domain 255 octets. */
#define SMTP_LOCALPART_MAX	64
#define SMTP_DOMAIN_MAX		255
/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets with punctuation. */
#define SMTP_PATH_MAX		256
/* RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted. */
#define SMTP_RCPT_MAX		100
/* RFC 5321 §4.5.3.2: client timeouts, in seconds. */
#define SMTP_TIMEOUT_GREETING	300
#define SMTP_TIMEOUT_MAIL	300
#define SMTP_TIMEOUT_RCPT	300
#define SMTP_TIMEOUT_DATA_INIT	120
#define SMTP_TIMEOUT_DATA_BLOCK	180
#define SMTP_TIMEOUT_DATA_TERM	600
/* RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a command. */
#define SMTP_TIMEOUT_SERVER	300

/* RFC 5321 §6.3: a message with this many Received fields is in a loop
   ("a simple counting of Received header fields ... the threshold
   should be at least 100"). */
#define SMTP_HOPS_MAX		100
/* Recipients one mdeliver run takes: a server whose delivery command is
   mdeliver refuses more at RCPT, not after DATA. */
#define MDELIVER_RCPT_MAX	512
/* A server's whole session, and a command line's whole arrival: a
   client that trickles a byte at a time holds a slot no longer (the
   idle timeout alone restarts with every byte). */
#define SESSION_LIFETIME_DEFAULT	3600
/* DATA/BDAT must arrive at this many bytes per second on average, after
   the first block's timeout (RFC 5321 §4.5.3.2.6 gives 3 minutes per
   block; a trickle of one byte a minute satisfies that forever). */
#define DATA_MIN_RATE_DEFAULT	1024

/* RFC 5321 §4.1.2: ESMTP parameters kept on one MAIL or RCPT command. */
#define SMTP_PARAMS_MAX		16
/* RFC 3461 §4.4: an ENVID is at most 100 characters (before xtext). */
#define SMTP_ENVID_MAX		100
/* RFC 3461 §4.2: an ORCPT value is at most 500 characters. */
#define SMTP_ORCPT_MAX		500
/* RFC 3030 §2: chunk sizes are 1*DIGIT; we take up to 2^53. */
#define SMTP_BDAT_MAX		(1LL << 53)
/* RFC 4954 §4: a SASL line (base64) is at most 12288 octets. */
#define SASL_LINE_MAX		12288
/* RFC 4616 §2: authzid, authcid and passwd up to 255 octets each. */
#define SASL_FIELD_MAX		255
/* passwd-file: a line, a user name, a crypt(3) string (CRYPT_OUTPUT_SIZE). */
#define PASSWD_LINE_MAX		4096
#define PASSWD_USER_MAX		255
#define PASSWD_HASH_MAX		383

/* RFC 2449 §4: a POP3 command line is at most 255 octets with CRLF, a
   response line at most 512 octets with CRLF. */
#define POP3_CMD_LINE_MAX	255
#define POP3_RESP_LINE_MAX	512
/* RFC 1939 §3: keywords are 3 or 4 characters, arguments up to 40. */
#define POP3_KEYWORD_MAX	4
#define POP3_ARG_MAX		40
/* RFC 1939 §7: a unique-id is 1 to 70 characters 0x21-0x7E. */
#define POP3_UIDL_MAX		70
/* RFC 1939 §3: the autologout timer is at least 10 minutes. */
#define POP3_TIMEOUT_SERVER	600

/* RFC 1035 §2.3.4: a name is at most 255 octets, a label 63. */
#define DNS_NAME_MAX		255
#define DNS_LABEL_MAX		63
/* RFC 1035 §4.2.1 / RFC 6891: UDP answers; we ask for EDNS-sized ones. */
#define DNS_MSG_MAX		65535
/* MX hosts kept for one domain, addresses kept for one host, CNAME hops. */
#define DNS_MX_MAX		32
#define DNS_ADDR_MAX		16
#define DNS_CNAME_MAX		8
/* Per-query timeout (seconds) and tries, as resolv.conf's timeout/attempts. */
#define DNS_TIMEOUT		5
#define DNS_TRIES		2
/* TXT records kept per answer and the bytes of one (RFC 7208 §3.3 joins
   its strings; SPF and MTA-STS records are far shorter).  A busy apex
   holds dozens of site-verification records beside its SPF record, in
   any order: one past the bound would read as "no SPF record" (§4.5). */
#define DNS_TXT_MAX		64
#define DNS_TXT_LEN_MAX		4096
/* Addresses taken from an additional section; queries for one MX lookup. */
#define DNS_EXTRA_MAX		64
#define DNS_QUERIES_MAX		80
/* TLSA records kept per answer (RFC 6698 §2.1; RFC 7671 §8.1 expects a
   few: the current key and the next one, for rollover) and the bytes of
   one's certificate association data: a digest is 32 (SHA-256) or 64
   (SHA-512); a full (matching type 0) certificate or key is larger and
   one past this bound is dropped as unusable (RFC 7672 §3.1.3). */
#define DNS_TLSA_MAX		8
#define DNS_TLSA_DATA_MAX	4096
/* PTR names kept per answer (RFC 7208 §4.6.4 uses the first 10). */
#define DNS_PTR_MAX		16

/* SPF (RFC 7208, common/spf.h).  §4.6.4: at most 10 terms that cause
   DNS lookups (include, a, mx, ptr, exists, redirect) per check; an
   "mx" whose MX answer has more than 10 names is a permerror; a "ptr"
   or %{p} looks at the first 10 PTR names only; more than 2 "void"
   lookups (NXDOMAIN, or NOERROR with no answer) is a permerror. */
#define SPF_LOOKUPS_MAX		10
#define SPF_MX_NAMES_MAX	10
#define SPF_PTR_NAMES_MAX	10
#define SPF_VOID_MAX		2
/* §4.6.4: "such a limit SHOULD allow at least 20 seconds" for the whole
   of check_host(); past it, temperror. */
#define SPF_TIME_MAX		20
/* Terms kept from one record (the RFC sets no bound; a record is at
   most DNS_TXT_LEN_MAX octets here); one macro expansion's output
   (§7.3 sets no bound; a domain is cut to 253 after it, §7.3). */
#define SPF_TERMS_MAX		1024
#define SPF_EXPAND_MAX		8192
/* §7.3: an expanded domain is cut from the left to 253 octets. */
#define SPF_DOMAIN_MAX		253

/* RFC 5322 §2.1.1: lines must be at most 998 characters plus CRLF. */
#define MSG_LINE_MAX		998
/* Header fields we scan before giving up (a header, not a body). */
#define MSG_HEADER_MAX		(1024 * 1024)
/* Default largest message mdeliver/msmtpd accept (bytes); option-tunable. */
#define MSG_SIZE_DEFAULT	(64L * 1024 * 1024)

/* MIME (RFC 2045, RFC 2046; common/mime.h).  RFC 2046 sets no bound on
   nesting: Dovecot stops at 100 levels, mail clients render far fewer.
   A multipart or message/rfc822 deeper than this is one opaque leaf. */
#define MIME_DEPTH_MAX		32
/* Parts in one message (Dovecot's max_total_mime_parts is the same):
   past it, a multipart's further body parts count as its epilogue. */
#define MIME_PARTS_MAX		10000
/* RFC 2046 §5.1.1: a boundary is 1 to 70 characters.  A longer one is
   cut: boundary lines match by prefix, so it still works. */
#define MIME_BOUNDARY_MAX	70
/* Parameters kept per Content-Type or Content-Disposition field (RFC
   2045 §5.1 sets no bound), and RFC 2231 §3 continuation sections of
   one parameter. */
#define MIME_PARAMS_MAX		64
#define MIME_PARAM_SECTIONS_MAX	64
/* Content-Language tags kept (RFC 3282 sets no bound). */
#define MIME_LANG_MAX		16
/* Field names in one HEADER.FIELDS list (RFC 3501 §6.4.5 sets none). */
#define MIME_FIELDS_MAX		256
/* RFC 2978 §2.3: a charset name is at most 40 characters. */
#define MIME_CHARSET_MAX	40

/* Maildir (https://cr.yp.to/proto/maildir.html): names are short. */
#define MAILDIR_NAME_MAX	255
/* RFC 7162 §7 (mod-sequence-value): a MODSEQ is a positive 63-bit
   integer, at most 19 decimal digits. */
#define MODSEQ_MAX		9223372036854775807LL
#define MODSEQ_DIGITS		19
/* The Maildir UID list (mailbox.h): a line is "UID UNIQ[ W=SIZE]
   M=MODSEQ[ F=FLAGS]" and LF, the UID a 32-bit nz-number (RFC 3501
   §2.3.1.1: 10 digits), the UNIQ part of a Maildir name, SIZE the wire
   size (RFC 1939 §11) in at most 18 digits, FLAGS the Maildir info
   letters (at most 52); header and expunge lines are shorter. */
#define UIDLIST_SIZE_DIGITS	18
#define UIDLIST_LINE_MAX \
	(10 + 1 + MAILDIR_NAME_MAX + 3 + UIDLIST_SIZE_DIGITS + 3 + \
	    MODSEQ_DIGITS + 3 + 52 + 1)
/* RFC 7162 §3.2.5.1, §3.2.10: VANISHED (EARLIER) needs the UIDs expunged
   since a MODSEQ; a server keeps what it can and may answer an older
   question with every UID not present (the client ignores UIDs it does
   not know).  The UID list keeps this many expunge records (a MODSEQ and
   a run of UIDs each); older ones are forgotten, oldest first. */
#define UIDLIST_EXPUNGED_MAX	2048

/* RFC 3501 §2.3.2 keywords, §9 flag-keyword: no limit in the RFC.  A
   Maildir folder holds 26 keywords (info letters a..z, Dovecot's
   "dovecot-keywords"); a keyword name is at most this many bytes and
   the keyword file at most KEYWORDS_FILE_MAX. */
#define KEYWORD_NAME_MAX	128
#define KEYWORDS_FILE_MAX	(64 * 1024)
/* Maildir++ folder names (folders.h): a wire name "A/B" is the directory
   ".A.B" in the Maildir root, one directory entry (NAME_MAX 255 with the
   leading "."), so at most 254 bytes of UTF-8 (RFC 3501 §5.1 sets no
   limit on mailbox names; the filesystem does). */
#define FOLDER_NAME_MAX		254
/* Folders one LIST returns; the subscriptions file's size. */
#define FOLDERS_MAX		10000
#define SUBSCRIPTIONS_FILE_MAX	(1024 * 1024)

/* IMAP (RFC 3501, RFC 9051), common/imap.h.  RFC 7162 §4: a client
   should keep a command line to about 8192 octets (quoted strings
   included, literals not), and a server should take at least that.
   Clients send more (an ID with many fields, RFC 2971 §3.3 allows 30 of
   1024 octets each; long UID sets): a server takes 64 KiB, as Dovecot's
   imap_max_line_length does. */
#define IMAP_CMD_LINE_MAX	(64 * 1024)
/* A command tag as a server keeps it: RFC 3501 §9 puts no bound on a
   tag, and clients use a few characters ("A0001"); longer gets BAD. */
#define IMAP_TAG_MAX		128
/* A response line outside literals, as a client takes it: RFC 3501 puts
   no bound on responses, and a SEARCH or FETCH answer over a large
   mailbox is long; 1 MiB and no more (ESEARCH, RFC 4731, is shorter). */
#define IMAP_RESP_LINE_MAX	(1024 * 1024)
/* Parenthesized lists open at once.  BODYSTRUCTURE nests two lists per
   MIME level (RFC 3501 §7.4.2 body-type-mpart, message/rfc822); MIME
   parsers stop far sooner (Dovecot: 100 parts, nesting 100 lists). */
#define IMAP_LIST_DEPTH_MAX	100
/* Values in one command: each takes two octets or more of the line. */
#define IMAP_CMD_ITEMS_MAX	(IMAP_CMD_LINE_MAX / 2)
/* Values in one response: more than any ENVELOPE or BODYSTRUCTURE; a
   larger SEARCH answer needs ESEARCH (RFC 4731). */
#define IMAP_RESP_ITEMS_MAX	(256 * 1024)
/* A literal a server holds in memory: a mailbox name, a LOGIN password,
   a SEARCH string.  APPEND's messages are streamed to a file and
   bounded by APPENDLIMIT (RFC 7889), not by this. */
#define IMAP_LITERAL_MAX	(64 * 1024)
/* RFC 7888 §5 (LITERAL-, and IMAP4rev2 per RFC 9051 §4.3): a
   non-synchronizing literal is at most 4096 octets. */
#define IMAP_LITERAL_MINUS_MAX	4096
/* Octets a server holds for one command: its lines and held literals. */
#define IMAP_CMD_HELD_MAX	(256 * 1024)
/* A literal a client holds in memory (a header block, an address); the
   message data of FETCH is streamed. */
#define IMAP_RESP_LITERAL_MAX	(1024 * 1024)
/* Octets a client holds for one response line and its held literals. */
#define IMAP_RESP_HELD_MAX	(16 * 1024 * 1024)
/* RFC 9051 §9 number64, RFC 7162 §7 mod-sequence-value: below 2^63. */
#define IMAP_NUMBER64_MAX	9223372036854775807ULL
/* Ranges one sequence set keeps after merging: a command line of
   IMAP_CMD_LINE_MAX holds at most a quarter as many ("1,3,"); a
   response (VANISHED, COPYUID) may hold more. */
#define IMAP_SEQSET_RANGES_MAX	(64 * 1024)
/* The longest string we write as a quoted string; longer ones go as
   literals, keeping lines far under RFC 7162 §4's 8192. */
#define IMAP_QUOTED_MAX		1024
/* RFC 3501 §9 date-time without its quotes: "02-Dec-2026 03:49:06 +0000". */
#define IMAP_DATETIME_LEN	26
/* mimap serve --idle-poll: seconds between looks at the folders during
   IDLE and NOTIFY when inotify is not used (NFS).  RFC 2177 §3: a
   client re-issues IDLE at least every 29 minutes, so a longer interval
   would never come round within one IDLE. */
#define IMAP_IDLE_POLL_MAX	(29 * 60)

/* The per-folder message cache (msgcache.h), only a cache: what passes
   a bound is simply not cached.  A record holds one message's ENVELOPE,
   BODY, BODYSTRUCTURE and a few header fields: a few KB for ordinary
   mail; a larger one (hundreds of addresses or parts) is read from its
   file each time.  The file is read whole into the session's memory:
   MSGCACHE_FILE_MAX keeps that under what a folder of 100,000 ordinary
   messages needs.  A Maildir file name is at most NAME_MAX (255). */
#define MSGCACHE_RECORD_MAX	(64 * 1024)
#define MSGCACHE_FILE_MAX	(256 * 1024 * 1024)
#define MSGCACHE_UNIQ_MAX	255
/* A save's temporary file (MSGCACHE_NAME ".PID.tmp") lives for well
   under a second; one older than this was left by a killed session and
   is removed by the next save in its folder.  Age, not the PID: the
   writer may be another host's (NFS). */
#define MSGCACHE_TMP_STALE	3600

/* msend --queue --batch: the files of a directory taken at most, and the
   piece of an mbox line read at once (longer lines pass in pieces). */
#define BATCH_FILES_MAX		1000000
#define BATCH_LINE_MAX		4096
/* The outbound queue (queue.h).  A queued message may have many
   recipients (a list's); each transaction still carries at most what
   the server takes (RFC 5321 §4.5.3.1.8: 100 at least).  A queue ID is
   "SECONDS.USEC" in hex and the process, about 24 characters.  The
   header and journal are read whole into memory: these bound them
   (a recipient line is at most ~2.3 KB encoded, a journal line ~2 KB,
   and compaction keeps about one line per recipient). */
#define QUEUE_RCPT_MAX		10000
/* Messages queue_hold keeps open before a commit (queue.h). */
#define QUEUE_HOLD_MAX		64
#define QUEUE_ID_MAX		40
#define QUEUE_PATH_MAX		1024
#define QUEUE_HEADER_MAX	(QUEUE_RCPT_MAX * 2400 + 64 * 1024)
#define QUEUE_JOURNAL_MAX	(64 * 1024 * 1024)
/* A reply kept per recipient: RFC 5321 §4.5.3.1.5 bounds a reply line
   to 512 octets; the lines of a multi-line reply are joined and cut. */
#define QUEUE_REPLY_MAX		1024
/* A header or journal line: the longest holds a reply and a relay,
   each octet perhaps written as %XX. */
#define QUEUE_LINE_MAX		8192
/* The origin line's word, decoded (msmtpd's, the longest written, is
   under 640 octets): three times it, encoded, still fits a line. */
#define QUEUE_ORIGIN_MAX	1024
/* Past this many journal bytes per recipient, a runner compacts. */
#define QUEUE_COMPACT_PER_RCPT	4096

/* MTA-STS (RFC 8461, mtasts.h).  §3.1: a policy id is 1 to 32 letters
   and digits.  §3.3: a policy body should be bounded (64 KiB suggested)
   and its fetch given a timeout (a minute suggested).  §3.2: max_age is
   at most 31557600 seconds (about a year).  Patterns one policy keeps:
   RFC 8461 sets no limit; real policies list a handful. */
#define MTASTS_ID_MAX		32
#define MTASTS_POLICY_MAX	(64 * 1024)
#define MTASTS_FETCH_TIMEOUT	60
#define MTASTS_MAX_AGE_MAX	31557600L
#define MTASTS_MX_MAX		64
/* A cache file: the policy and a few header lines. */
#define MTASTS_CACHE_MAX	(MTASTS_POLICY_MAX + 256)
/* Delivery status notifications (dsn.h).  RFC 3461 §4.3: without RET
   the MTA chooses what to return: the whole original when at most
   DSN_FULL_MAX octets, else its header (RFC 6522 §4
   text/rfc822-headers), itself at most DSN_HEADER_MAX octets (a header
   longer is cut at a line; a header line past MSG_LINE_MAX is cut; no
   more than MSG_HEADER_MAX octets are read looking for its end).  A
   string of a recipient's (a remote server's reply, our reason) is
   taken up to DSN_TEXT_MAX octets (QUEUE_REPLY_MAX is what the queue
   keeps). */
#define DSN_FULL_MAX		(256 * 1024)
#define DSN_HEADER_MAX		(64 * 1024)
#define DSN_TEXT_MAX		QUEUE_REPLY_MAX

/* DKIM (RFC 6376, RFC 8463, RFC 8301). */
/* §3.2: a tag-list; the tags one DKIM-Signature or key record may hold
   (RFC 6376 defines 14, extensions a few more). */
#define DKIM_TAGS_MAX		64
/* §3.5 h=: the header field names one signature may list. */
#define DKIM_HEADERS_MAX	64
/* A header field name in h= (RFC 5322 §2.2 sets no limit below a line). */
#define DKIM_HNAME_MAX		128
/* §3.1: a selector is a sub-domain name; with "._domainkey." and d= the
   whole key name is at most DNS_NAME_MAX. */
#define DKIM_SELECTOR_MAX	63
/* §3.5 i=: the AUID, a local part and a domain (RFC 5321 §4.5.3.1). */
#define DKIM_AUID_MAX		(SMTP_LOCALPART_MAX + 1 + SMTP_DOMAIN_MAX)
/* §3.3.3: verifiers must take keys of 512-2048 bits; we take up to 8192,
   and RFC 8301 §3.2 forbids fewer than 1024 for signing and verifying. */
#define DKIM_RSA_BITS_MIN	1024
#define DKIM_RSA_BITS_MAX	8192
/* The signature (b=) and a public key (p=) in octets: 8192-bit RSA. */
#define DKIM_SIG_BYTES_MAX	(DKIM_RSA_BITS_MAX / 8)
#define DKIM_KEY_BYTES_MAX	(DKIM_RSA_BITS_MAX / 8 + 64)
/* §6.1: a verifier may limit the signatures it checks per message. */
#define DKIM_SIGS_MAX		8
/* msend: signatures one message may get (--dkim-key repeated). */
#define DKIM_SIGNERS_MAX	8
/* msend --list-unsubscribe: the URIs of one List-Unsubscribe field (RFC
   2369 §3.2; RFC 8058 §3.1 wants one HTTPS URI, a mailto: may go
   beside it), the field on one line of at most MSG_LINE_MAX. */
#define LIST_UNSUB_MAX		2
/* A private key file (PEM of an 8192-bit RSA key is under 7 KB). */
#define DKIM_KEYFILE_MAX	(64 * 1024)
/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; the fold
   width of the DKIM-Signature field we write. */
#define DKIM_FOLD_WIDTH		78
/* DMARC (RFC 7489, dmarc.h).  §6.3: pct= is a percentage (0 to 100),
   ri= a 32-bit count of seconds (default 86400, a day).  §6.2: a
   receiver may limit the report URIs it uses but must take two; rua=
   and ruf= are kept for display up to DMARC_SHOW_MAX octets (a record
   is at most DNS_TXT_LEN_MAX).  Warnings kept per record, each one line
   a person reads. */
#define DMARC_PCT_MAX		100
#define DMARC_RI_DEFAULT	86400UL
#define DMARC_RI_MAX		4294967295UL
#define DMARC_SHOW_MAX		256
#define DMARC_WARN_MAX		8
#define DMARC_WARN_LEN		256
/* Authentication-Results (RFC 8601, authres.h).  §2.2: the authserv-id
   is a host name as a rule (a value: token or quoted-string), so at most
   DNS_NAME_MAX read; comments before it (RFC 5322 §3.2.2 CFWS) nested
   at most this deep. */
#define AUTHRES_ID_MAX		DNS_NAME_MAX
#define AUTHRES_COMMENT_DEPTH	16

/* TLS handshake and I/O idle timeout, milliseconds. */
#define TLS_HANDSHAKE_TIMEOUT_MS	(60 * 1000)
/* Network connect timeout per address, milliseconds. */
#define NET_CONNECT_TIMEOUT_MS	(30 * 1000)

/* Error message buffers: one line a person reads. */
#define ERR_MAX			512

#endif
