# mimap_serve_test: the IMAP server as inetd, ssh and clients run it.
# Protocol cases feed `mimap serve --preauth' over a pipe and compare
# the answers byte for byte; the --listen cases log in with Python's
# imaplib on 127.0.0.1 (as root: through the privilege separation).

MIMAP=
IDS=
setup()
{
	MIMAP=$(yubin_prog mimap)
	mkmd md
	mkmd md/.Sent
	: >md/.Sent/maildirfolder
	# m1 in new/ (LF), m2 in cur/ with \Seen (CRLF).
	printf 'From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: hello\nMessage-ID: <1@x>\n\nbody line\n' \
	    >md/new/1000.M1P1.test
	printf 'From: c@example.org\r\nSubject: two\r\n\r\nsecond\r\n' \
	    >'md/cur/1001.M2P2.test:2,S'
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	if [ "$(id -u)" = 0 ]; then
		IDS="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
	fi
	printf 'alice:%s:%s:%s/md\n' "$hash" "${IDS:-:}" "$PWD" >passwd
	[ -z "$IDS" ] || chown -R "$IDS" md
}

mkmd()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
}

# imap ARGS...: one preauthenticated session on ./in, answers in out.txt
# with CRs shown as "^M" removed (they are checked by the cases that
# care), log in log.txt.  As root the Maildir is served as its owner.
imap()
{
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test "$@" <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
}

# has LINE...: each line is in out.txt.
has()
{
	for l in "$@"; do
		grep -qxF -- "$l" out.txt || {
			echo "--- got"; cat out.txt; echo "--- log"; cat log.txt
			atf_fail "no line: $l"
		}
	done
}

start_listen()
{
	PORT=$(free_port)
	"$MIMAP" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --hostname imap.test --auth-delay 0 "$@" 2>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
}

atf_test_case greeting_capability
greeting_capability_head()
{
	atf_set "descr" "PREAUTH greeting with capabilities, CAPABILITY, LOGOUT"
}
greeting_capability_body()
{
	setup
	printf 'a1 CAPABILITY\r\na2 LOGOUT\r\n' >in
	imap
	grep -q '^\* PREAUTH \[CAPABILITY IMAP4rev1 IMAP4rev2 .*\] imap.test ' \
	    out.txt || atf_fail "greeting: $(head -1 out.txt)"
	has 'a1 OK CAPABILITY completed' '* BYE imap.test IMAP server logging out' \
	    'a2 OK LOGOUT completed'
	# Every line ends in CRLF.
	[ "$(tr -cd '\r' <out.raw | wc -c)" = "$(wc -l <out.raw)" ] ||
	    atf_fail "lines without CR"
	grep -q 'end=logout' log.txt || atf_fail "log: $(cat log.txt)"
}

atf_test_case select_examine
select_examine_head()
{
	atf_set "descr" "SELECT moves new/ to cur/ with \\Recent; EXAMINE only shows it"
}
select_examine_body()
{
	setup
	printf 'a1 EXAMINE INBOX\r\na2 LOGOUT\r\n' >in
	imap
	has '* 2 EXISTS' '* 1 RECENT' '* OK [UNSEEN 1] first unseen' \
	    '* OK [UIDNEXT 3] predicted next UID' \
	    '* OK [PERMANENTFLAGS ()] read-only' \
	    'a1 OK [READ-ONLY] EXAMINE completed'
	[ -n "$(ls md/new)" ] || atf_fail "EXAMINE moved new/ to cur/"
	printf 'a1 SELECT INBOX\r\na2 FETCH 1:* (UID FLAGS)\r\na3 LOGOUT\r\n' >in
	imap
	has '* 1 RECENT' 'a1 OK [READ-WRITE] SELECT completed' \
	    '* 1 FETCH (UID 1 FLAGS (\Recent))' '* 2 FETCH (UID 2 FLAGS (\Seen))'
	[ -z "$(ls md/new)" ] || atf_fail "SELECT left new/ mail"
	# The next session: nothing is recent any more.
	imap
	has '* 1 FETCH (UID 1 FLAGS ())'
}

atf_test_case fetch_items
fetch_items_head()
{
	atf_set "descr" "FETCH: sizes, envelope, sections, partial, \\Seen"
}
fetch_items_body()
{
	setup
	printf '%s\r\n' 'a1 SELECT INBOX' \
	    'a2 FETCH 1 (RFC822.SIZE ENVELOPE)' \
	    'a3 FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT])' \
	    'a4 UID FETCH 2 (BODY[]<0.8>)' 'a5 FETCH 1 BODYSTRUCTURE' \
	    'a6 FETCH 3 FLAGS' 'a7 FETCH 1 (BODY[TEXT])' 'a8 LOGOUT' >in
	imap
	has '* 1 FETCH (RFC822.SIZE 102 ENVELOPE (NIL "hello" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) ((NIL NIL "bob" "example.org")) NIL NIL NIL "<1@x>"))' \
	    '* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {18}' 'Subject: hello' \
	    ' BODY[TEXT] {11}' 'body line' \
	    '* 2 FETCH (UID 2 BODY[]<0> {8}' \
	    '* 1 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1 NIL NIL NIL NIL))' \
	    'a6 BAD no such message sequence number' \
	    ' FLAGS (\Seen \Recent))'
	# The size is the file's with CRLF line ends.
	[ "$(sed 's/$/\r/' md/cur/1000.M1P1.test* | wc -c)" = 102 ] ||
	    atf_fail "RFC822.SIZE is not the wire size"
	ls md/cur | grep -q '^1000.M1P1.test:2,S$' || atf_fail "no \\Seen: $(ls md/cur)"
}

atf_test_case literals
literals_head()
{
	atf_set "descr" "synchronizing and non-synchronizing literals; a huge one"
}
literals_body()
{
	setup
	printf 'a1 SELECT {5}\r\nINBOX\r\na2 STATUS {4+}\r\nSent (MESSAGES)\r\na3 LIST "" {99999999}\r\na4 LOGOUT\r\n' >in
	imap
	has '+ Ready for literal data' 'a1 OK [READ-WRITE] SELECT completed' \
	    '* STATUS Sent (MESSAGES 0)' 'a2 OK STATUS completed' \
	    'a3 NO [TOOBIG] literal too large' 'a4 OK LOGOUT completed'
}

atf_test_case literal_nonsync_huge
literal_nonsync_huge_head()
{
	atf_set "descr" "a huge non-synchronizing literal ends the session"
}
literal_nonsync_huge_body()
{
	setup
	{
		printf 'a1 LIST "" {99999999+}\r\n'
		head -c 300 /dev/zero
		printf '\r\na2 NOOP\r\n'
	} >in
	imap
	has '* BYE [TOOBIG] literal too large'
	grep -q '^a2' out.txt && atf_fail "read a command out of a literal"
	grep -q 'end=literal-too-large' log.txt || atf_fail "log: $(cat log.txt)"
}

atf_test_case literal_stall
literal_stall_head()
{
	atf_set "descr" "a client that announces a literal and stops sending is cut at the timeout: BYE, end=timeout, nothing appended"
	atf_set "timeout" "60"
}
literal_stall_body()
{
	setup
	for cmd in 'a1 LIST "" {10}' 'a1 APPEND INBOX {1000}' \
	    'a1 APPEND INBOX {1000+}'; do
		: >log.txt
		# The announced octets never all come; the pipe stays open.
		{ printf '%s\r\nFrom: x\r\n' "$cmd"; sleep 4; } |
		    "$MIMAP" serve --preauth --maildir md --log stderr \
		    --no-resolve --timeout 1 >out.raw 2>log.txt
		tr -d '\r' <out.raw >out.txt
		grep -q '^\* BYE autologout' out.txt ||
		    atf_fail "$cmd: no BYE: $(cat out.txt)"
		grep -q 'end=timeout' log.txt ||
		    atf_fail "$cmd: log: $(cat log.txt)"
	done
	[ -z "$(ls md/tmp)" ] || atf_fail "left in tmp/: $(ls md/tmp)"
	[ "$(ls md/new md/cur | grep -c '^1')" = 2 ] ||
	    atf_fail "appended: $(ls md/new md/cur)"
}

atf_test_case list_status
list_status_head()
{
	atf_set "descr" "LIST ... RETURN (STATUS (...)) (RFC 5819): a STATUS after each selectable folder's LIST line, none for \\Noselect, BAD for an unknown item"
}
list_status_body()
{
	setup
	mkmd md/.Lists.yubin
	: >md/.Lists.yubin/maildirfolder
	[ -z "$IDS" ] || chown -R "$IDS" md
	printf '%s\r\n' 'a1 CAPABILITY' \
	    'a2 LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN))' \
	    'a3 LIST "" "%" RETURN (SPECIAL-USE STATUS (SIZE))' \
	    'a4 LIST "" "*" RETURN (STATUS (BOGUS))' 'a5 LOGOUT' >in
	imap
	grep -q '^\* CAPABILITY .* LIST-STATUS ' out.txt ||
	    atf_fail "$(head -3 out.txt)"
	has '* STATUS INBOX (MESSAGES 2 UNSEEN 1)' \
	    '* STATUS Sent (MESSAGES 0 UNSEEN 0)' \
	    '* STATUS Lists/yubin (MESSAGES 0 UNSEEN 0)' \
	    'a4 BAD RETURN (STATUS (items)): unknown STATUS item'
	# Each STATUS right after its folder's LIST; Lists is \Noselect
	# (no Maildir of its own): no STATUS for it.
	sed -n '/^a1 /,/^a2 /p' out.txt | grep -A1 '^\* LIST .* INBOX$' |
	    grep -q '^\* STATUS INBOX' || atf_fail "$(cat out.txt)"
	grep -q '^\* STATUS Lists (' out.txt && atf_fail "STATUS of \\Noselect"
	sed -n '/^a2 /,/^a3 /p' out.txt | grep -q '^\* STATUS INBOX (SIZE [0-9]*)$' ||
	    atf_fail "$(cat out.txt)"
	return 0
}

atf_test_case folders
folders_head()
{
	atf_set "descr" "LIST, CREATE, RENAME, DELETE, SUBSCRIBE, hostile names"
}
folders_body()
{
	setup
	printf '%s\r\n' 'a1 CREATE Lists/yubin' 'a2 LIST "" "*"' \
	    'a3 CREATE ../evil' 'a4 CREATE .hidden' 'a5 CREATE "a//b"' \
	    'a6 SUBSCRIBE Lists/yubin' 'a7 LSUB "" "*"' \
	    'a8 RENAME Lists/yubin Lists/other' 'a9 DELETE Lists' \
	    'b1 DELETE Lists/other' 'b2 LIST "" "%"' 'b3 DELETE INBOX' \
	    'b4 CREATE &ZeVnLIqe-' 'b5 LIST "" "&ZeVnLIqe-"' 'b6 LOGOUT' >in
	imap
	has 'a1 OK CREATE completed' '* LIST (\HasChildren) "/" Lists' \
	    '* LIST (\HasNoChildren) "/" Lists/yubin' \
	    '* LIST (\HasNoChildren \Sent) "/" Sent' \
	    '* LSUB (\HasNoChildren) "/" Lists/yubin' 'a8 OK RENAME completed' \
	    'a9 NO [HASCHILDREN] delete the subfolders first' \
	    'b1 OK DELETE completed' 'b3 NO [CANNOT] INBOX cannot be deleted' \
	    'b4 OK CREATE completed' '* LIST (\HasNoChildren) "/" &ZeVnLIqe-'
	for t in a3 a4 a5; do
		grep -q "^$t NO \[CANNOT\]" out.txt || atf_fail "$t: $(cat out.txt)"
	done
	[ ! -e evil ] && [ ! -e md/..evil ] || atf_fail "a name left the tree"
	[ -d "md/.$(printf '\346\227\245\346\234\254\350\252\236')" ] ||
	    atf_fail "UTF-8 name on disk: $(ls -a md)"
}

atf_test_case login_listen
login_listen_head()
{
	atf_set "descr" "imaplib logs in over --listen (root: privilege separation)"
}
login_listen_body()
{
	peer_require python3
	setup
	start_listen --passwd-file passwd --allow-plain-auth
	atf_check -o match:'^LOGIN OK' -o match:'^FETCH OK 2' \
	    -o match:'^BAD LOGIN NO' -o match:'^SERVER UID OK' \
	    "$(command -v python3)" - "$PORT" "$(id -u nobody 2>/dev/null)" <<'EOF'
import imaplib, os, sys, subprocess
port = int(sys.argv[1])
m = imaplib.IMAP4("127.0.0.1", port)
typ, _ = m.login("alice", "s3cret")
print("LOGIN", typ)
m.select("INBOX")
typ, data = m.fetch("1:*", "(UID RFC822)")
print("FETCH", typ, sum(1 for d in data if isinstance(d, tuple)))
if os.getuid() == 0:
    # The process that holds the connection is not root.
    out = subprocess.run(["ss", "-tnpH", "sport = :%d" % port],
        capture_output=True, text=True).stdout
    pids = [int(p.split("=")[1]) for p in out.replace(",", " ").split()
        if p.startswith("pid=")]
    uids = {int(open("/proc/%d/status" % p).read().split("Uid:")[1].split()[1])
        for p in pids}
    print("SERVER UID", "OK" if pids and 0 not in uids else uids)
else:
    print("SERVER UID OK")
m.logout()
m = imaplib.IMAP4("127.0.0.1", port)
try:
    m.login("alice", "wrong")
except imaplib.IMAP4.error:
    print("BAD LOGIN NO")
EOF
	kill "$(cat mimap.pid)"
	grep -q 'authentication failed for user=alice' listen.log ||
	    atf_fail "no fail2ban line: $(cat listen.log)"
}

atf_test_case logindisabled
logindisabled_head()
{
	atf_set "descr" "no password without TLS unless --allow-plain-auth"
}
logindisabled_body()
{
	setup
	printf 'a1 CAPABILITY\r\na2 LOGIN alice s3cret\r\na3 LOGOUT\r\n' >in
	"$MIMAP" serve --passwd-file passwd --log stderr --no-resolve \
	    --hostname imap.test <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
	grep -q '^\* CAPABILITY .* LOGINDISABLED' out.txt ||
	    atf_fail "no LOGINDISABLED: $(cat out.txt)"
	has 'a2 NO [PRIVACYREQUIRED] no login without TLS; use STARTTLS first'
}

atf_test_case cache_stale_tmp
cache_stale_tmp_head()
{
	atf_set "descr" "writing the message cache removes the temporary files killed sessions left over an hour ago, and no others"
}
cache_stale_tmp_body()
{
	setup
	# A killed session's temp of two hours ago, one of a save running
	# now, and files that only look alike.
	for f in yubin-cache.4242.tmp yubin-cache.4343.tmp \
	    yubin-cache.x1.tmp yubin-cache.4444.tmpx; do
		echo partial >"md/$f"
	done
	touch -d '2 hours ago' md/yubin-cache.4242.tmp md/yubin-cache.x1.tmp \
	    md/yubin-cache.4444.tmpx
	[ -z "$IDS" ] || chown -R "$IDS" md
	printf '%s\r\n' 'a1 SELECT INBOX' \
	    'a2 FETCH 1:* (ENVELOPE BODYSTRUCTURE)' 'a3 LOGOUT' >in
	imap
	has 'a2 OK FETCH completed'
	[ -f md/yubin-cache ] || atf_fail "no cache written: $(ls -a md)"
	[ ! -e md/yubin-cache.4242.tmp ] ||
	    atf_fail "the stale temp is still there"
	for f in yubin-cache.4343.tmp yubin-cache.x1.tmp \
	    yubin-cache.4444.tmpx; do
		[ -f "md/$f" ] || atf_fail "md/$f was removed"
	done
}

atf_init_test_cases()
{
	atf_add_test_case greeting_capability
	atf_add_test_case select_examine
	atf_add_test_case fetch_items
	atf_add_test_case literals
	atf_add_test_case literal_nonsync_huge
	atf_add_test_case literal_stall
	atf_add_test_case list_status
	atf_add_test_case folders
	atf_add_test_case login_listen
	atf_add_test_case logindisabled
	atf_add_test_case cache_stale_tmp
}
