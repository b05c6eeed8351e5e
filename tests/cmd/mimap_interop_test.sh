# mimap_interop_test: clients nobody here wrote, curl (imap://) and
# mbsync (isync), against `mimap serve --listen' on 127.0.0.1 with
# STARTTLS (a test CA from make_certs), account alice / s3cret over
# ./smd.  As root the Maildir belongs to nobody and the server logs in
# through its privilege separation, as in production; as a user it is
# the user's own.  python3's imaplib plays a second client where a case
# needs one (a flag set, a message expunged on the server's side).

LC_ALL=C
export LC_ALL
CR=$(printf '\r')

# fail TEXT: atf_fail with TEXT on one line (Kyua calls a result of
# several lines broken), its line ends shown as " | ".
fail()
{
	atf_fail "$(printf '%s' "$*" | tr -d '\r' | sed -e ':a' -e 'N;$!ba' -e 's/\n/ | /g')"
}

# serve_start: the server on a free port, PORT; ./smd with its Sent
# folder, ./passwd, ./certs.  IDS is nobody's uid:gid as root, else "".
serve_start()
{
	peer_require curl mbsync python3
	M=$(yubin_prog mimap)
	mkdir -p smd/new smd/cur smd/tmp smd/.Sent/new smd/.Sent/cur \
	    smd/.Sent/tmp
	: >smd/.Sent/maildirfolder
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    fail "openssl cannot make a hash"
	IDS=
	if [ "$(id -u)" = 0 ]; then
		IDS="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$IDS" smd
	fi
	printf 'alice:%s:%s:%s/smd\n' "$hash" "${IDS:-:}" "$PWD" >passwd
	make_certs certs
	PORT=$(free_port)
	"$M" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --auth-delay 0 --passwd-file passwd --tls-cert certs/server.pem \
	    --tls-key certs/server.key 2>>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || fail "mimap did not listen: $(cat listen.log)"
	URL=imap://127.0.0.1:$PORT
}

serve_stop()
{
	stop_pidfile mimap.pid
}

# deliver ID [FOLDER]: message ID (its Message-ID <ID@test>) into ./smd
# or its FOLDER (".Sent") with mdeliver, as root as the Maildir's owner.
# The body has what a careless server could spoil: a lone dot, "From ",
# a literal's brace, 8 bits, trailing blanks, an empty line at the end.
deliver()
{
	{
		printf 'From: Alice <alice@example.org>\nTo: bob@example.org\n'
		printf 'Subject: message %s\nMessage-ID: <%s@test>\n' "$1" "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf 'body of %s\n.\n..dots\nFrom the start\n' "$1"
		printf 'a literal {12}\nand a brace }\n'
		printf 'caf\303\251 \342\202\254 trailing blanks  \t\n\n'
	} | "$(yubin_prog mdeliver)" -f alice@example.org \
	    --maildir "smd${2:+/$2}" || fail "mdeliver $1: exit $?"
}

# msgfile DIR ID: the files under DIR/cur and DIR/new whose Message-ID
# is <ID@test>, one a line: one, or none.  (Several make a name no file
# has, and the caller's check fails saying them all: atf_fail in a
# command substitution would be lost.)
msgfile()
{
	grep -l -F -x -e "Message-ID: <$2@test>" \
	    -e "Message-ID: <$2@test>$CR" "$1"/cur/* "$1"/new/* 2>/dev/null
}

# once DIR ID: msgfile, and a failure unless <ID@test> is there once.
once()
{
	msgfile "$1" "$2" >once.out
	[ "$(grep -c . once.out)" = 1 ] ||
	    fail "<$2@test> is in $1 $(grep -c . once.out) times: $(cat once.out) (all: $(ls "$1/cur" "$1/new"))"
}

# count DIR: the number of messages in a Maildir.
count()
{
	ls "$1/cur" "$1/new" | grep -c -v -e '^$' -e ':$'
}

# same WHAT EXPECTED GOT: the files are byte for byte the same, or the
# failure says WHAT and where they part (cmp) and the diff is on stderr.
same()
{
	cmp "$2" "$3" >cmp.out 2>&1 && return 0
	echo "--- $1: $2 (expected) against $3 (got)" >&2
	diff -u "$2" "$3" | cat -A | head -40 >&2
	fail "$1: $(head -1 cmp.out) ($(wc -c <"$2") bytes expected, $(wc -c <"$3") got; diff on stderr)"
}

# crlf FILE: FILE with its LF line ends made CRLF, as IMAP sends it.
crlf()
{
	sed 's/$/\r/' "$1"
}

# ccurl ARGS...: curl with STARTTLS required, the test CA, alice's
# login; stdout in curl.out, stderr in curl.err; its exit status.
ccurl()
{
	_rc=0
	curl -sS --max-time 20 --ssl-reqd --cacert certs/ca.pem \
	    -u alice:s3cret "$@" >curl.out 2>curl.err || _rc=$?
	return $_rc
}

# ccurl_ok WHAT ARGS...: ccurl that must succeed.
ccurl_ok()
{
	_what=$1
	shift
	ccurl "$@" || fail "curl $_what: exit $? $(cat curl.err) -- server: $(tail -n 3 listen.log)"
}

# imapdo CMD...: python3 imaplib logged in over STARTTLS; each CMD is
# "select F", "store UID FLAGS" (UID STORE +FLAGS), "unstore UID
# FLAGS", "expunge", "flags UID" (prints the flags, sorted, space
# separated), "uids" (prints UID SEARCH ALL).
imapdo()
{
	python3 - "$PORT" "$PWD/certs/ca.pem" "$@" <<'EOF' ||
import imaplib, ssl, sys

port, ca = int(sys.argv[1]), sys.argv[2]
m = imaplib.IMAP4("127.0.0.1", port)
m.starttls(ssl.create_default_context(cafile=ca))
m.login("alice", "s3cret")

def ok(r, what):
    if r[0] != "OK":
        sys.exit("%s: %r" % (what, r))
    return r[1]

for c in sys.argv[3:]:
    w = c.split(" ", 2)
    if w[0] == "select":
        ok(m.select(w[1]), c)
    elif w[0] == "store":
        ok(m.uid("STORE", w[1], "+FLAGS", "(%s)" % w[2]), c)
    elif w[0] == "unstore":
        ok(m.uid("STORE", w[1], "-FLAGS", "(%s)" % w[2]), c)
    elif w[0] == "expunge":
        ok(m.expunge(), c)
    elif w[0] == "flags":
        d = ok(m.uid("FETCH", w[1], "(FLAGS)"), c)
        if not d or d[0] is None:
            sys.exit("%s: no such message" % c)
        f = imaplib.ParseFlags(d[0])
        print(" ".join(sorted(x.decode() for x in f)))
    elif w[0] == "uids":
        print(ok(m.uid("SEARCH", None, "ALL"), c)[0].decode())
    else:
        sys.exit("imapdo: what is " + c)
m.logout()
EOF
	fail "imaplib $*: $(tail -n 3 listen.log)"
}

atf_test_case curl_list cleanup
curl_list_head()
{
	atf_set "descr" "curl lists the folders over STARTTLS, the Sent folder with its special use"
}
curl_list_body()
{
	serve_start
	ccurl_ok list "$URL/"
	tr -d '\r' <curl.out >list.txt
	for l in '* LIST (\HasNoChildren) "/" INBOX' \
	    '* LIST (\HasNoChildren \Sent) "/" Sent'; do
		grep -qxF -- "$l" list.txt ||
		    fail "no line $l in curl's LIST: $(cat list.txt)"
	done
	[ "$(wc -l <list.txt)" = 2 ] || fail "LIST: $(cat list.txt)"
	# A folder's URL with a trailing slash lists below it.
	ccurl_ok "list Sent/" "$URL/Sent/"
	[ ! -s curl.out ] || fail "Sent has subfolders: $(cat curl.out)"
}
curl_list_cleanup()
{
	serve_stop
}

atf_test_case curl_fetch cleanup
curl_fetch_head()
{
	atf_set "descr" "curl fetches messages by UID, MAILINDEX, PARTIAL, in two folders, byte-exact (CRLF on the wire); a wrong UID or UIDVALIDITY fails"
}
curl_fetch_body()
{
	serve_start
	deliver one
	deliver two
	deliver three
	deliver sent1 .Sent
	for n in 1 2 3; do
		ccurl_ok "UID=$n" "$URL/INBOX;UID=$n"
		id=$(sed -n 's/^Message-ID: <\(.*\)@test>\r$/\1/p' curl.out)
		[ -n "$id" ] || fail "UID $n: no Message-ID in $(head -c 300 curl.out | cat -A)"
		once smd "$id"
		f=$(cat once.out)
		crlf "$f" >want
		same "UID $n (<$id@test>) as sent" want curl.out
		# And converted back, the file as delivered.
		tr -d '\r' <curl.out >got.lf
		same "UID $n (<$id@test>) after CRLF to LF" "$f" got.lf
		echo "$id" >>ids
	done
	[ "$(sort -u ids | wc -l)" = 3 ] || fail "UIDs 1 to 3 are not 3 messages: $(cat ids)"
	ccurl_ok "Sent;UID=1" "$URL/Sent;UID=1"
	crlf "$(msgfile smd/.Sent sent1)" >want
	same "Sent UID 1" want curl.out
	# A UID that is not there: curl fails, the server stays.
	if ccurl "$URL/INBOX;UID=9"; then
		fail "UID 9 fetched: $(head -c 200 curl.out)"
	fi
	ccurl_ok "UID=1 again" "$URL/INBOX;UID=1"
	# By sequence number, and a part of one (BODY[]<0.40>).
	f=$(msgfile smd "$(sed -n 2p ids)")
	ccurl_ok "MAILINDEX=2" "$URL/INBOX;MAILINDEX=2"
	crlf "$f" >want
	same "MAILINDEX=2" want curl.out
	ccurl_ok "UID=2;PARTIAL=0.40" "$URL/INBOX;UID=2;PARTIAL=0.40"
	head -c 40 want >want40
	same "UID 2, PARTIAL=0.40" want40 curl.out
	# The URL's UIDVALIDITY is checked against SELECT's.
	ccurl_ok "STATUS UIDVALIDITY" -X 'STATUS INBOX (UIDVALIDITY)' "$URL/"
	uv=$(tr -d '\r' <curl.out | sed -n 's/^\* STATUS INBOX (UIDVALIDITY \([0-9]*\))$/\1/p')
	[ -n "$uv" ] || fail "STATUS INBOX (UIDVALIDITY): $(cat curl.out)"
	ccurl_ok "UIDVALIDITY=$uv" "$URL/INBOX;UIDVALIDITY=$uv/;UID=2"
	same "UIDVALIDITY=$uv/;UID=2" want curl.out
	rc=0
	ccurl "$URL/INBOX;UIDVALIDITY=$((uv + 1))/;UID=2" || rc=$?
	[ $rc = 78 ] && grep -q 'UIDVALIDITY has changed' curl.err ||
	    fail "UIDVALIDITY=$((uv + 1)): exit $rc $(cat curl.err)"
}
curl_fetch_cleanup()
{
	serve_stop
}

atf_test_case curl_section cleanup
curl_section_head()
{
	atf_set "descr" "curl fetches sections: TEXT, HEADER.FIELDS (Subject Message-ID), HEADER, a MIME part"
}
curl_section_body()
{
	serve_start
	deliver one
	ccurl_ok "SECTION=TEXT" "$URL/INBOX;UID=1/;SECTION=TEXT"
	# curl's SELECT moved it to cur/.
	once smd one
	f=$(cat once.out)
	sed '1,/^$/d' "$f" | sed 's/$/\r/' >want
	same "SECTION=TEXT" want curl.out
	ccurl_ok "SECTION=HEADER" "$URL/INBOX;UID=1/;SECTION=HEADER"
	sed '/^$/q' "$f" | sed 's/$/\r/' >want
	same "SECTION=HEADER" want curl.out
	ccurl_ok "SECTION=HEADER.FIELDS" \
	    "$URL/INBOX;UID=1/;SECTION=HEADER.FIELDS%20(Subject%20Message-ID)"
	printf 'Subject: message one\r\nMessage-ID: <one@test>\r\n\r\n' >want
	same "SECTION=HEADER.FIELDS (Subject Message-ID)" want curl.out
	# A single-part message's part 1 is its body.
	ccurl_ok "SECTION=1" "$URL/INBOX;UID=1/;SECTION=1"
	sed '1,/^$/d' "$f" | sed 's/$/\r/' >want
	same "SECTION=1" want curl.out
	# curl fetches BODY[...], not BODY.PEEK[...]: \Seen is set, in
	# the file's name too.
	imapdo "select INBOX" "flags 1" >flags
	grep -qx '\\Seen' flags || fail "BODY[] did not set \\Seen: $(cat flags)"
	ls smd/cur | grep -q ':2,S$' || fail "no S in the file name: $(ls smd/cur smd/new)"
}
curl_section_cleanup()
{
	serve_stop
}

atf_test_case curl_append cleanup
curl_append_head()
{
	atf_set "descr" "curl -T appends messages (LF and CRLF files) that land in the Maildir intact"
}
curl_append_body()
{
	serve_start
	deliver one
	printf 'From: curl@example.org\nTo: alice@example.org\nSubject: uploaded\nMessage-ID: <up1@test>\n\nfirst line\n.\nFrom here\ncaf\303\251\n\nlast line\n' >up1
	ccurl_ok "-T up1" -T up1 "$URL/INBOX"
	once smd up1
	f=$(cat once.out)
	same "appended LF message in the Maildir" up1 "$f"
	# A CRLF file: the Maildir holds it as sent, CRLF (mimap serve
	# takes either, and sends CRLF).
	printf 'From: curl@example.org\r\nSubject: crlf\r\nMessage-ID: <up2@test>\r\n\r\nline 1\r\nline 2\r\n' >up2
	ccurl_ok "-T up2" -T up2 "$URL/Sent"
	once smd/.Sent up2
	f=$(cat once.out)
	same "appended CRLF message in the Maildir" up2 "$f"
	if [ -n "$IDS" ]; then
		o=$(stat -c %u:%g "$f")
		[ "$o" = "$IDS" ] || fail "appended file owned by $o, not $IDS"
	fi
	# Both read back through the server as sent.
	ccurl_ok "UID=2" "$URL/INBOX;UID=2"
	crlf up1 >want
	same "appended message read back" want curl.out
	ccurl_ok "Sent UID=1" "$URL/Sent;UID=1"
	same "appended CRLF message read back" up2 curl.out
	[ "$(count smd)" = 2 ] || fail "INBOX: $(ls smd/new smd/cur)"
}
curl_append_cleanup()
{
	serve_stop
}

atf_test_case curl_custom cleanup
curl_custom_head()
{
	atf_set "descr" "curl -X: EXAMINE INBOX, UID SEARCH ALL, STATUS, NOOP"
}
curl_custom_body()
{
	serve_start
	deliver one
	deliver two
	deliver three
	ccurl_ok "-X EXAMINE" -X 'EXAMINE INBOX' "$URL/"
	tr -d '\r' <curl.out >out
	for l in '* 3 EXISTS' '* OK [UIDNEXT 4] predicted next UID' \
	    '* OK [PERMANENTFLAGS ()] read-only'; do
		grep -qxF -- "$l" out || fail "EXAMINE: no line $l in $(cat out)"
	done
	# EXAMINE left new/ as it was (the later URLs with a folder SELECT).
	[ "$(ls smd/new | wc -l)" = 3 ] ||
	    fail "EXAMINE moved mail out of new/: $(ls smd/new smd/cur)"
	ccurl_ok "-X UID SEARCH" -X 'UID SEARCH ALL' "$URL/INBOX"
	tr -d '\r' <curl.out >out
	[ "$(cat out)" = '* SEARCH 1 2 3' ] || fail "UID SEARCH ALL: $(cat out)"
	ccurl_ok "-X UID SEARCH HEADER" \
	    -X 'UID SEARCH HEADER Message-ID two@test' "$URL/INBOX"
	tr -d '\r' <curl.out >out
	[ "$(cat out)" = '* SEARCH 2' ] || fail "UID SEARCH HEADER: $(cat out)"
	# A search in the URL: curl sends SEARCH and prints its answer.
	ccurl_ok "?SUBJECT search" "$URL/INBOX?SUBJECT%20%22message%20three%22"
	tr -d '\r' <curl.out >out
	[ "$(cat out)" = '* SEARCH 3' ] || fail "URL search: $(cat out)"
	ccurl_ok "-X STATUS" -X 'STATUS INBOX (MESSAGES UIDNEXT UNSEEN)' "$URL/"
	tr -d '\r' <curl.out >out
	[ "$(cat out)" = '* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UNSEEN 3)' ] ||
	    fail "STATUS: $(cat out)"
	ccurl_ok "-X NOOP" -X NOOP "$URL/"
}
curl_custom_cleanup()
{
	serve_stop
}

atf_test_case curl_starttls cleanup
curl_starttls_head()
{
	atf_set "descr" "curl --ssl-reqd gets STARTTLS with the test CA; without TLS no login; an untrusted CA is refused"
}
curl_starttls_body()
{
	serve_start
	deliver one
	ccurl_ok "-v --ssl-reqd" -v "$URL/"
	grep -q '^> A[0-9]* STARTTLS' curl.err ||
	    fail "curl sent no STARTTLS: $(grep '^[<>]' curl.err)"
	grep -q 'SSL connection using TLS' curl.err ||
	    fail "no TLS: $(grep -i ssl curl.err)"
	grep -q '^< \* OK .*LOGINDISABLED' curl.err ||
	    fail "the greeting does not say LOGINDISABLED: $(grep '^<' curl.err | head -3)"
	# Without TLS curl has no way in (LOGINDISABLED, no AUTH=) and
	# sends no password: its login error.
	rc=0
	curl -sS -v --max-time 20 -u alice:s3cret "$URL/" >plain.out \
	    2>plain.err || rc=$?
	[ $rc = 67 ] || fail "without TLS: exit $rc, not 67: $(grep -v '^\*  ' plain.err)"
	grep -q 'No known authentication mechanisms' plain.err ||
	    fail "without TLS: $(grep -v '^\*  ' plain.err)"
	grep -qi '^> [^ ]* \(LOGIN\|AUTHENTICATE\)' plain.err &&
	    fail "curl sent a login in clear: $(grep '^>' plain.err)"
	# The server's certificate does not chain to another CA.
	rc=0
	curl -sS --max-time 20 --ssl-reqd --cacert certs/other.pem \
	    -u alice:s3cret "$URL/" >other.out 2>other.err || rc=$?
	[ $rc = 60 ] || fail "an untrusted CA: exit $rc $(cat other.err)"
	# A session that went well is logged as TLS.
	grep -q 'user=alice tls=TLS1\.[23] ' listen.log ||
	    fail "no TLS session logged: $(cat listen.log)"
}
curl_starttls_cleanup()
{
	serve_stop
}

atf_test_case curl_bad_password cleanup
curl_bad_password_head()
{
	atf_set "descr" "curl with a wrong password or user: curl's login error (67), the right one still works"
}
curl_bad_password_body()
{
	serve_start
	for u in alice:wrong mallory:s3cret; do
		rc=0
		curl -sS --max-time 20 --ssl-reqd --cacert certs/ca.pem \
		    -u "$u" "$URL/" >bad.out 2>bad.err || rc=$?
		[ $rc = 67 ] || fail "$u: exit $rc, not 67: $(cat bad.err)"
		grep -q 'Login denied' bad.err || fail "$u: $(cat bad.err)"
	done
	ccurl_ok "after failures" "$URL/"
}
curl_bad_password_cleanup()
{
	serve_stop
}

# mbsync_setup: the server with INBOX one two three and Sent sent1,
# ./near (a Maildir++ store for mbsync, Verbatim subfolders) and
# ./mbsyncrc: channel "c", everything both ways.  Host is localhost:
# mbsync 1.4 matches the certificate's DNS names, not its IP address.
mbsync_setup()
{
	serve_start
	deliver one
	deliver two
	deliver three
	deliver sent1 .Sent
	mkdir -p near
	cat >mbsyncrc <<EOF
IMAPAccount srv
Host localhost
Port $PORT
User alice
PassCmd "echo s3cret"
SSLType STARTTLS
CertificateFile $PWD/certs/ca.pem
Timeout 20

IMAPStore far
Account srv

MaildirStore near
Path $PWD/near/
Inbox $PWD/near/INBOX
SubFolders Verbatim

Channel c
Far :far:
Near :near:
Patterns *
Sync All
Create Both
Expunge Both
CopyArrivalDate yes
SyncState *
EOF
}

# mbsync_run WHAT: mbsync the channel; the failure says WHAT and mbsync's
# and the server's last words.
mbsync_run()
{
	mbsync -c mbsyncrc -V c >mbsync.out 2>&1 || {
		cat mbsync.out >&2
		fail "mbsync $1: $(grep -v '^\(Reading\|Opening\|Connecting\|Logging\|Processing\|Selecting\|Loading\|Synchronizing\|Channel\|Boxes\|Merging\|Trying\)' mbsync.out | tail -n 5) -- server: $(tail -n 3 listen.log)"
	}
}

# pair ID FOLDER NEAR: <ID@test> is in the server's FOLDER (smd,
# smd/.Sent) and in NEAR (near/INBOX, near/Sent), the same but for the
# X-TUID field mbsync adds to each copy it makes (the near one of a
# pulled message, the server's of a pushed one) and the CRs of a pushed
# one: mbsync APPENDs with CRLF line ends and mimap serve keeps a
# message as it was sent, while mbsync's Maildir holds LF.
pair()
{
	once "$2" "$1"
	_s=$(cat once.out)
	once "$3" "$1"
	_n=$(cat once.out)
	grep -q '^X-TUID: ' "$_s" "$_n" ||
	    fail "<$1@test>: no X-TUID field on either side: did mbsync copy it?"
	untuid "$_s" >pair.far
	untuid "$_n" >pair.near
	same "<$1@test>, $_s against $_n (CRs and X-TUID left out)" \
	    pair.far pair.near
}

# untuid FILE: FILE without CRs and without an X-TUID field in its
# header.
untuid()
{
	tr -d '\r' <"$1" | sed '/^$/,$!{/^X-TUID: /d;}'
}

# flags_of FILE: the Maildir flags in FILE's name.
flags_of()
{
	case $1 in
	*:2,*) echo "${1##*:2,}" ;;
	esac
}

# setflags DIR ID FLAGS: rename message <ID@test> of the near Maildir
# DIR to cur/ with FLAGS, as mbsync's (and every) Maildir reader does.
setflags()
{
	once "$1" "$2"
	_b=$(basename "$(cat once.out)")
	mv "$(cat once.out)" "$1/cur/${_b%%:*}:2,$3" ||
	    fail "cannot rename $(cat once.out)"
}

# snapshot: the names of every message on both sides.
snapshot()
{
	find near smd -path '*/cur/*' -o -path '*/new/*' | sort
}

# sizes_match: the two sides hold as many messages in each folder.
sizes_match()
{
	for p in "smd near/INBOX" "smd/.Sent near/Sent"; do
		set -- $p
		[ "$(count "$1")" = "$(count "$2")" ] ||
		    fail "$1 has $(count "$1") messages, $2 $(count "$2"): $(ls "$1/cur" "$1/new" "$2/cur" "$2/new")"
	done
}

atf_test_case mbsync_pull cleanup
mbsync_pull_head()
{
	atf_set "descr" "mbsync pulls INBOX and Sent byte-exact (a CRLF file too) with their flags; a second run changes nothing"
}
mbsync_pull_body()
{
	mbsync_setup
	# One the server stored as a client APPENDed it, with CRLF (and so
	# without ",W=" in its name: the server counts its size).
	printf 'From: c@example.org\r\nSubject: crlf\r\nMessage-ID: <crlf@test>\r\n\r\nsecond\r\n.\r\nthird\r\n' \
	    >'smd/cur/1001.M2P2.test:2,S'
	[ -z "$IDS" ] || chown "$IDS" 'smd/cur/1001.M2P2.test:2,S'
	mbsync_run "first"
	[ -d near/INBOX/cur ] && [ -d near/Sent/cur ] ||
	    fail "folders near: $(ls near)"
	for id in one two three crlf; do
		pair $id smd near/INBOX
	done
	pair sent1 smd/.Sent near/Sent
	sizes_match
	# Pulled messages keep the server's flags: none but crlf's \Seen.
	for f in near/INBOX/*/* near/Sent/*/*; do
		case $(flags_of "$f"):$(grep -c '^Message-ID: <crlf@test>' "$f") in
		:0 | S:1) ;;
		*) fail "flags near: $f" ;;
		esac
	done
	snapshot >before
	mbsync_run "second"
	snapshot >after
	diff -u before after >&2 ||
	    fail "a second run renamed, added or removed messages (diff on stderr)"
}
mbsync_pull_cleanup()
{
	serve_stop
}

atf_test_case mbsync_flags cleanup
mbsync_flags_head()
{
	atf_set "descr" "mbsync: flags set near (S, F, R) reach the server, flags set on the server (imaplib STORE) reach near, and a removal too"
}
mbsync_flags_body()
{
	mbsync_setup
	mbsync_run "first"
	setflags near/INBOX one S
	setflags near/INBOX two FS
	setflags near/Sent sent1 RS
	mbsync_run "near flags"
	for p in "one S smd" "two FS smd" "three '' smd" "sent1 RS smd/.Sent"; do
		eval set -- $p
		once "$3" "$1"
		f=$(cat once.out)
		[ "$(flags_of "$f")" = "$2" ] ||
		    fail "<$1@test> on the server: $f, not flags '$2'"
	done
	# The server says so too.
	imapdo "select INBOX" "flags 1" "flags 2" "flags 3" >flags
	printf '%s\n' '\Seen' '\Flagged \Seen' '' >want
	same "FETCH FLAGS on the server after the near flags" want flags
	# The other way: a STORE on the server, and one removed.
	imapdo "select INBOX" "store 3 \\Flagged \\Answered" \
	    "unstore 2 \\Flagged" "select Sent" "store 1 \\Draft"
	mbsync_run "far flags"
	for p in "one S near/INBOX" "two S near/INBOX" "three FR near/INBOX" \
	    "sent1 DRS near/Sent"; do
		set -- $p
		once "$3" "$1"
		f=$(cat once.out)
		[ "$(flags_of "$f")" = "$2" ] ||
		    fail "<$1@test> near: $f, not flags '$2'"
		case $f in
		*/cur/*) ;;
		*) fail "<$1@test> with flags not in cur/: $f" ;;
		esac
	done
	# Nothing got lost or doubled, the contents did not change.
	sizes_match
	for id in one two three; do
		pair $id smd near/INBOX
	done
	pair sent1 smd/.Sent near/Sent
}
mbsync_flags_cleanup()
{
	serve_stop
}

atf_test_case mbsync_append cleanup
mbsync_append_head()
{
	atf_set "descr" "mbsync: messages added near (INBOX, Sent, a new folder) are appended to the server intact, mail delivered on the server comes near"
}
mbsync_append_body()
{
	mbsync_setup
	mbsync_run "first"
	printf 'From: bob@example.org\nTo: alice@example.org\nSubject: written near\nMessage-ID: <near1@test>\n\nfrom the near side\n.\n\n' \
	    >near/INBOX/new/1700000000.near1.host
	printf 'From: alice@example.org\nSubject: sent near\nMessage-ID: <near2@test>\n\nsent\n' \
	    >near/Sent/cur/1700000001.near2.host:2,S
	# Its arrival date goes along (APPEND's date-time).
	touch -d '2020-02-29 23:59:58 UTC' near/INBOX/new/1700000000.near1.host
	# New folders, one of them a subfolder: created on the server.
	mkdir -p near/Lists/cur near/Lists/new near/Lists/tmp \
	    near/Lists/yubin/cur near/Lists/yubin/new near/Lists/yubin/tmp
	printf 'From: list@example.org\nSubject: list\nMessage-ID: <near3@test>\n\nlist mail\n' \
	    >near/Lists/new/1700000002.near3.host
	printf 'From: list@example.org\nSubject: yubin\nMessage-ID: <near4@test>\n\nyubin list mail\n' \
	    >near/Lists/yubin/new/1700000003.near4.host
	deliver four
	touch -d '2021-03-04 05:06:07 UTC' "$(msgfile smd four)"
	mbsync_run "appends"
	pair near1 smd near/INBOX
	pair near2 smd/.Sent near/Sent
	pair four smd near/INBOX
	[ -d smd/.Lists/cur ] || fail "the new folder is not on the server: $(ls -a smd)"
	[ -d smd/.Lists.yubin/cur ] ||
	    fail "the new subfolder is not on the server: $(ls -a smd)"
	pair near3 smd/.Lists near/Lists
	pair near4 smd/.Lists.yubin near/Lists/yubin
	# The dates: INTERNALDATE is the server's file's mtime.
	d=$(date -u -r "$(msgfile smd near1)" '+%F %T')
	[ "$d" = '2020-02-29 23:59:58' ] ||
	    fail "<near1@test>'s date on the server: $d, not 2020-02-29 23:59:58"
	d=$(date -u -r "$(msgfile near/INBOX four)" '+%F %T')
	[ "$d" = '2021-03-04 05:06:07' ] ||
	    fail "<four@test>'s date near: $d, not 2021-03-04 05:06:07"
	[ "$(flags_of "$(msgfile smd/.Sent near2)")" = S ] ||
	    fail "near2's \\Seen did not come along: $(msgfile smd/.Sent near2)"
	if [ -n "$IDS" ]; then
		o=$(stat -c %u:%g "$(msgfile smd near1)" smd/.Lists \
		    "$(msgfile smd/.Lists.yubin near4)" |
		    sort -u | tr '\n' ' ')
		[ "$o" = "$IDS " ] || fail "appended files owned by $o, not $IDS"
	fi
	sizes_match
	# The appended messages have UIDs mbsync learnt: a second run
	# changes nothing, the server lists them in order.
	imapdo "select INBOX" uids >uids
	[ "$(cat uids)" = "1 2 3 4 5" ] || fail "INBOX UIDs: $(cat uids)"
	snapshot >before
	mbsync_run "second"
	snapshot >after
	diff -u before after >&2 ||
	    fail "a second run renamed, added or removed messages (diff on stderr)"
}
mbsync_append_cleanup()
{
	serve_stop
}

atf_test_case mbsync_expunge cleanup
mbsync_expunge_head()
{
	atf_set "descr" "mbsync: a message deleted near (T) is expunged on the server, one expunged on the server (imaplib) goes near, in INBOX and Sent"
}
mbsync_expunge_body()
{
	mbsync_setup
	deliver sent2 .Sent
	mbsync_run "first"
	setflags near/INBOX one ST
	setflags near/Sent sent1 T
	mbsync_run "near deletion"
	[ -z "$(msgfile smd one)" ] || fail "<one@test> still on the server: $(msgfile smd one)"
	[ -z "$(msgfile near/INBOX one)" ] || fail "<one@test> still near"
	[ -z "$(msgfile smd/.Sent sent1)" ] || fail "<sent1@test> still on the server"
	imapdo "select INBOX" uids >uids
	[ "$(cat uids)" = "2 3" ] || fail "INBOX UIDs after the expunge: $(cat uids)"
	# Now on the server: UID 3 (three) and Sent's UID 2 (sent2).
	imapdo "select INBOX" "store 3 \\Deleted" expunge "select Sent" \
	    "store 2 \\Deleted" expunge
	[ -z "$(msgfile smd three)" ] || fail "EXPUNGE left <three@test>"
	mbsync_run "far deletion"
	[ -z "$(msgfile near/INBOX three)" ] ||
	    fail "<three@test> still near: $(msgfile near/INBOX three)"
	[ -z "$(msgfile near/Sent sent2)" ] ||
	    fail "<sent2@test> still near: $(msgfile near/Sent sent2)"
	pair two smd near/INBOX
	[ "$(count smd)" = 1 ] && [ "$(count near/INBOX)" = 1 ] ||
	    fail "INBOX: $(ls smd/cur smd/new near/INBOX/cur near/INBOX/new)"
	[ "$(count smd/.Sent)" = 0 ] && [ "$(count near/Sent)" = 0 ] ||
	    fail "Sent: $(ls smd/.Sent/cur smd/.Sent/new near/Sent/cur near/Sent/new)"
	mbsync_run "second"
	sizes_match
}
mbsync_expunge_cleanup()
{
	serve_stop
}

atf_init_test_cases()
{
	atf_add_test_case curl_list
	atf_add_test_case curl_fetch
	atf_add_test_case curl_section
	atf_add_test_case curl_append
	atf_add_test_case curl_custom
	atf_add_test_case curl_starttls
	atf_add_test_case curl_bad_password
	atf_add_test_case mbsync_pull
	atf_add_test_case mbsync_flags
	atf_add_test_case mbsync_append
	atf_add_test_case mbsync_expunge
}
