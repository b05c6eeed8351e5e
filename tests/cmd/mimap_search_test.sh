# mimap_search_test: SEARCH (every RFC 3501 key, CHARSET, MODSEQ,
# ESEARCH's RETURN, SEARCHRES "$"), SORT and THREAD (RFC 5256), and the
# FETCH items BINARY (RFC 3516) and CHANGEDSINCE / VANISHED (RFC 7162)
# of `mimap serve', over a pipe with byte-exact answers, on a folder of
# crafted messages: RFC 2047 subjects, a multipart with base64 parts, a
# quoted-printable body, dates, flags and a keyword.  Then Python's
# imaplib drives search, sort and thread.

MIMAP=
setup()
{
	MIMAP=$(yubin_prog mimap)
	mkdir -p md/tmp md/new md/cur
	# 1: new/, an encoded subject ("Grüße aus Köln" in UTF-8, B).
	printf 'From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\nDate: Mon, 02 Mar 2026 10:00:00 +0000\nMessage-ID: <a@x>\n\nhello world\n' \
	    >md/new/1000.M1P1.test
	# 2: the reply, the same subject in ISO-8859-1 (Q), a Cc.
	printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nCc: Carol <carol@example.org>\nSubject: Re: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\nDate: Tue, 03 Mar 2026 09:00:00 +0100\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\nReferences: <a@x>\n\nthanks\n' \
	    >'md/cur/1001.M2P2.test:2,S'
	# 3: multipart, a base64 text part and a binary part with a NUL.
	printf 'From: carol@example.org\nTo: team@example.org\nSubject: [list] report\nDate: Sun, 01 Feb 2026 08:00:00 -0500\nMessage-ID: <c@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n\n--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nc2VjcmV0IGJhbmFuYSBiYWxsCg==\n--XX\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAw==\n--XX--\n' \
	    >'md/cur/1002.M3P3.test:2,FR'
	# 4: no Date, quoted-printable UTF-8 ("café olé"), \Deleted.
	printf 'From: Dave <dave@example.org>\nTo: carol@example.org\nSubject: Fwd: report\nMessage-ID: <d@x>\nReferences: <c@x>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 ol=C3=A9\n' \
	    >'md/cur/1003.M4P4.test:2,T'
	# 5: the keyword $Label1, references to messages not here.
	printf 'From: Eve <eve@example.org>\nTo: bob@example.org\nSubject: other\nDate: 05 Jan 2026 12:00:00 +0000\nMessage-ID: <e@x>\nReferences: <zz@x> <e0@x>\nX-Mood: calm\n\nlast one\n' \
	    >'md/cur/1004.M5P5.test:2,a'
	# 6: a reply by subject only; 7: a reply by In-Reply-To only.
	printf 'From: Frank <frank@example.org>\nTo: eve@example.org\nSubject: Re: other\nDate: Tue, 06 Jan 2026 12:00:00 +0000\nMessage-ID: <f@x>\n\nyes\n' \
	    >'md/cur/1005.M6P6.test:2,S'
	printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: hello again\nDate: Wed, 04 Mar 2026 09:00:00 +0000\nMessage-ID: <g@x>\nIn-Reply-To: <b@x>\n\nmore\n' \
	    >'md/cur/1006.M7P7.test:2,S'
	printf '0 $Label1\n' >md/dovecot-keywords
	# INTERNALDATE is the file's mtime.
	touch -d '2026-03-02 10:00:00Z' md/new/1000.M1P1.test
	touch -d '2026-03-03 08:00:00Z' md/cur/1001.*
	touch -d '2026-02-01 13:00:00Z' md/cur/1002.*
	touch -d '2026-02-02 13:00:00Z' md/cur/1003.*
	touch -d '2026-01-05 12:00:00Z' md/cur/1004.*
	touch -d '2026-01-06 12:00:00Z' md/cur/1005.*
	touch -d '2026-03-04 09:00:00Z' md/cur/1006.*
	if [ "$(id -u)" = 0 ]; then
		ids="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$ids" md
	fi
}

# imap: one preauthenticated session on ./in (lines given as
# arguments, CRLF added), answers in out.txt without CRs.
imap()
{
	printf '%s\r\n' "$@" >in
	TZ=UTC "$MIMAP" serve --preauth --maildir md --log stderr \
	    --no-resolve --hostname imap.test <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
}

# has LINE...: each line is in out.txt.
has()
{
	for l in "$@"; do
		grep -aqxF -- "$l" out.txt || {
			echo "--- got"; cat out.txt; echo "--- log"; cat log.txt
			atf_fail "no line: $l"
		}
	done
}

atf_test_case search_keys
search_keys_head()
{
	atf_set "descr" "SEARCH: flags, dates, sizes, headers, text, NOT/OR"
}
search_keys_body()
{
	setup
	imap 'a1 SELECT INBOX' 'a2 SEARCH ALL' \
	    'a3 SEARCH ANSWERED' 'a4 SEARCH DELETED' 'a5 SEARCH FLAGGED' \
	    'a6 SEARCH SEEN' 'a7 SEARCH UNSEEN UNDELETED' 'a8 SEARCH DRAFT' \
	    'a9 SEARCH UNDRAFT UNANSWERED UNFLAGGED' \
	    'b1 SEARCH RECENT' 'b2 SEARCH NEW' 'b3 SEARCH OLD' \
	    'b4 SEARCH KEYWORD $Label1' 'b5 SEARCH KEYWORD $Nope' \
	    'b6 SEARCH UNKEYWORD $Label1 UNKEYWORD $Nope' \
	    'b7 SEARCH BEFORE 2-Feb-2026' 'b8 SEARCH ON 2-Feb-2026' \
	    'b9 SEARCH SINCE 2-Mar-2026' 'c1 SEARCH SENTBEFORE 2-Mar-2026' \
	    'c2 SEARCH SENTON "3-Mar-2026"' 'c3 SEARCH SENTSINCE 3-Mar-2026' \
	    'c4 SEARCH LARGER 300' 'c5 SEARCH SMALLER 150' \
	    'c6 SEARCH FROM BOB' 'c7 SEARCH TO carol@' 'c8 SEARCH CC carol' \
	    'c9 SEARCH BCC carol' 'd1 SEARCH SUBJECT "aus k"' \
	    'd2 SEARCH HEADER X-Mood CALM' 'd3 SEARCH HEADER Cc ""' \
	    'd4 SEARCH BODY banana' 'd5 SEARCH BODY report' \
	    'd6 SEARCH TEXT report' 'd7 SEARCH 2:4,7' 'd8 SEARCH UID 5:*' \
	    'd9 UID SEARCH 2:4 NOT DELETED' 'e1 SEARCH OR FROM alice CC carol' \
	    'e2 SEARCH NOT (OR TO bob TO team)' \
	    'e3 SEARCH OR (SEEN FROM frank) NOT OR SEEN DELETED' \
	    'e4 SEARCH NOT NOT NOT ALL' 'e5 SEARCH (OR 1 2) (OR 2 3)' \
	    'e6 SEARCH CHARSET UTF-8 SUBJECT {7}' 'grüße' \
	    'e7 SEARCH CHARSET utf-8 BODY {4}' 'olé' \
	    'e8 SEARCH CHARSET KOI8-R ALL' \
	    'e9 SEARCH CHARSET US-ASCII TEXT hello' \
	    'f1 SEARCH FOO' 'f2 SEARCH LARGER x' 'f3 SEARCH OR SEEN' \
	    'f4 SEARCH BEFORE 31-Feb-2026' 'f5 SEARCH' \
	    "f6 SEARCH $(for i in $(seq 40); do printf 'NOT '; done)ALL" \
	    'f7 LOGOUT'
	has 'e8 NO [BADCHARSET (UTF-8 US-ASCII)] unknown charset' \
	    '* SEARCH 1 7' \
	    'f1 BAD unknown search key' 'f2 BAD a search key needs a number' \
	    'f3 BAD OR needs two keys' 'f4 BAD a search key needs a date' \
	    'f5 BAD no search keys' 'f6 BAD search keys nested too deep' \
	    'f7 OK LOGOUT completed'
	# Each command's answer, in order.
	awk '/^\* SEARCH/ { r = $0; next }
	    /^[a-f][0-9] OK SEARCH/ { print $1, r }' out.txt >got.txt
	cat >want.txt <<'W'
a2 * SEARCH 1 2 3 4 5 6 7
a3 * SEARCH 3
a4 * SEARCH 4
a5 * SEARCH 3
a6 * SEARCH 2 6 7
a7 * SEARCH 1 3 5
a8 * SEARCH
a9 * SEARCH 1 2 4 5 6 7
b1 * SEARCH 1
b2 * SEARCH 1
b3 * SEARCH 2 3 4 5 6 7
b4 * SEARCH 5
b5 * SEARCH
b6 * SEARCH 1 2 3 4 6 7
b7 * SEARCH 3 5 6
b8 * SEARCH 4
b9 * SEARCH 1 2 7
c1 * SEARCH 3 5 6
c2 * SEARCH 2
c3 * SEARCH 2 7
c4 * SEARCH 3
c5 * SEARCH 6
c6 * SEARCH 2 7
c7 * SEARCH 4
c8 * SEARCH 2
c9 * SEARCH
d1 * SEARCH 1 2
d2 * SEARCH 5
d3 * SEARCH 2
d4 * SEARCH 3
d5 * SEARCH
d6 * SEARCH 3 4
d7 * SEARCH 2 3 4 7
d8 * SEARCH 5 6 7
e1 * SEARCH 1 2
e2 * SEARCH 2 4 6 7
e3 * SEARCH 1 3 5 6
e4 * SEARCH
e5 * SEARCH 2
e6 * SEARCH 1 2
e7 * SEARCH 4
e9 * SEARCH 1 7
W
	diff -u want.txt got.txt || atf_fail "SEARCH answers differ"
	grep -q '^d9 OK UID SEARCH completed' out.txt &&
	    grep -B1 '^d9 OK' out.txt | grep -qxF '* SEARCH 2 3' ||
	    atf_fail "UID SEARCH: $(cat out.txt)"
}

atf_test_case esearch_searchres
esearch_searchres_head()
{
	atf_set "descr" "ESEARCH RETURN, SEARCHRES \$, MODSEQ, IMAP4rev2"
}
esearch_searchres_body()
{
	setup
	imap 'a1 SELECT INBOX' \
	    'a2 SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN' \
	    'a3 UID SEARCH RETURN () SEEN' 'a4 SEARCH RETURN (COUNT) DRAFT' \
	    'a5 SEARCH RETURN (MIN) DRAFT' 'a6 SEARCH RETURN (SAVE) SEEN' \
	    'a7 SEARCH $' 'a8 FETCH $ (UID)' \
	    'a9 UID SEARCH RETURN (SAVE MAX) ALL' 'b1 UID FETCH $ (FLAGS)' \
	    'b2 SEARCH NOT UID $' 'b3 SEARCH RETURN (SAVE) FOO' \
	    'b4 SEARCH $' 'b5 SEARCH RETURN (BOGUS) ALL' \
	    'b6 SEARCH MODSEQ 1 SEEN' \
	    'b7 SEARCH RETURN (COUNT) MODSEQ "/flags/\\seen" all 1' \
	    'b8 SEARCH MODSEQ 99' 'b9 ENABLE IMAP4rev2' 'c1 SEARCH SEEN' \
	    'c2 UID SEARCH DRAFT' 'c3 LOGOUT'
	has '* ESEARCH (TAG "a2") MIN 1 MAX 5 COUNT 4 ALL 1,3:5' \
	    '* ESEARCH (TAG "a3") UID ALL 2,6:7' \
	    '* ESEARCH (TAG "a4") COUNT 0' '* ESEARCH (TAG "a5")' \
	    'a6 OK SEARCH completed' '* SEARCH 2 6 7' \
	    '* 2 FETCH (UID 2)' '* 6 FETCH (UID 6)' '* 7 FETCH (UID 7)' \
	    '* ESEARCH (TAG "a9") UID MAX 7' \
	    '* 7 FETCH (UID 7 FLAGS (\Seen))' 'b1 OK UID FETCH completed' \
	    '* SEARCH 1 2 3 4 5 6' 'b3 BAD unknown search key' \
	    'b5 BAD unknown RETURN option' '* SEARCH 2 6 7 (MODSEQ 1)' \
	    '* ESEARCH (TAG "b7") COUNT 7 MODSEQ 1' 'b8 OK SEARCH completed' \
	    '* ESEARCH (TAG "c1") ALL 2,6:7' '* ESEARCH (TAG "c2") UID'
	# SAVE alone answers nothing but OK; a failed SAVE empties "$".
	grep -B1 '^a6 OK' out.txt | grep -qx 'a5 OK SEARCH completed' ||
	    atf_fail "SAVE answered: $(cat out.txt)"
	grep -B1 '^b4 OK' out.txt | grep -qx '\* SEARCH' ||
	    atf_fail "\$ after a failed SAVE: $(cat out.txt)"
	grep -B1 '^b8 OK' out.txt | grep -qx '\* SEARCH' ||
	    atf_fail "MODSEQ 99: $(cat out.txt)"
}

atf_test_case sort_thread
sort_thread_head()
{
	atf_set "descr" "SORT orders with base subjects; THREAD both algorithms"
}
sort_thread_body()
{
	setup
	imap 'a1 EXAMINE INBOX' 'a2 SORT (SUBJECT) UTF-8 ALL' \
	    'a3 SORT (REVERSE DATE) UTF-8 ALL' \
	    'a4 SORT (TO REVERSE ARRIVAL) UTF-8 ALL' \
	    'a5 SORT (CC SIZE) UTF-8 NOT DELETED' 'a6 SORT (FROM) UTF-8 ALL' \
	    'a7 UID SORT (SIZE) US-ASCII ALL' 'a8 SORT (ARRIVAL) UTF-8 SEEN' \
	    'b1 THREAD ORDEREDSUBJECT UTF-8 ALL' \
	    'b2 THREAD REFERENCES UTF-8 ALL' \
	    'b3 UID THREAD REFERENCES US-ASCII SEEN' \
	    'b4 THREAD REFERENCES UTF-8 DRAFT' 'b5 THREAD X UTF-8 ALL' \
	    'b6 SORT (REVERSE) UTF-8 ALL' 'b7 SORT (DATE) KOI8-R ALL' \
	    'b8 LOGOUT'
	has '* SORT 1 2 7 5 6 3 4' '* SORT 7 2 1 4 3 6 5' \
	    '* SORT 7 2 1 5 4 6 3' '* SORT 6 7 5 1 3 2' \
	    '* SORT 1 2 7 3 4 5 6' '* SORT 6 7 5 1 4 2 3' '* SORT 6 2 7' \
	    '* THREAD (5 6)(3 4)(1 2)(7)' '* THREAD (5 6)(3 4)(1 2 7)' \
	    '* THREAD (6)(2 7)' '* THREAD' 'a7 OK UID SORT completed' \
	    'b3 OK UID THREAD completed' \
	    'b5 BAD unknown threading algorithm' \
	    'b6 BAD REVERSE needs a criterion' \
	    'b7 NO [BADCHARSET (UTF-8 US-ASCII)] unknown charset'
	# Branches, and a dummy root (a parent that is not here).
	mkdir -p md/.T/tmp md/.T/new md/.T/cur
	n=0
	for h in 'Message-ID: <p@x>\nSubject: plan' \
	    'Message-ID: <q@x>\nReferences: <p@x>\nSubject: Re: plan' \
	    'Message-ID: <r@x>\nReferences: <p@x>\nSubject: Re: plan' \
	    'Message-ID: <s@x>\nReferences: <gone@x>\nSubject: alpha' \
	    'Message-ID: <u@x>\nReferences: <gone@x>\nSubject: beta'; do
		n=$((n + 1))
		printf "From: a@example.org\nDate: 0$n Jan 2026 10:00:00 +0000\n$h\n\nx\n" \
		    >"md/.T/cur/200$n.M${n}P1.test:2,S"
	done
	[ "$(id -u)" != 0 ] || chown -R "$(id -u nobody):$(id -g nobody)" md
	imap 'a1 EXAMINE T' 'a2 THREAD REFERENCES UTF-8 ALL' \
	    'a3 THREAD ORDEREDSUBJECT UTF-8 ALL' \
	    'a4 UID THREAD REFERENCES UTF-8 2:*' \
	    'a5 LOGOUT'
	has '* THREAD (1 (2)(3))((4)(5))' '* THREAD (1 (2)(3))(4)(5)' \
	    '* THREAD ((2)(3))((4)(5))' 'a4 OK UID THREAD completed'
}

atf_test_case fetch_binary_changedsince
fetch_binary_changedsince_head()
{
	atf_set "descr" "FETCH BINARY (literal8), CHANGEDSINCE, VANISHED"
}
fetch_binary_changedsince_body()
{
	setup
	imap 'a0 ENABLE QRESYNC' 'a1 SELECT INBOX' \
	    'a2 FETCH 3 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.PEEK[1]'\
' BINARY.PEEK[2])' \
	    'a3 FETCH 4 (BINARY.PEEK[1]<0.4> BINARY.SIZE[1])' \
	    'a4 FETCH 3 (BINARY.PEEK[HEADER])' 'a5 FETCH 3 BINARY.PEEK[9]' \
	    'a6 FETCH 1:* (FLAGS) (CHANGEDSINCE 1)' 'a7 EXPUNGE' \
	    'a8 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)' \
	    'a9 FETCH 1 (FLAGS) (VANISHED)' \
	    'b1 FETCH 5:6 (UID) (CHANGEDSINCE 0)' 'b2 FETCH 1 BINARY[1]' \
	    'b3 LOGOUT'
	has '* 3 FETCH (BINARY.SIZE[1] 19 BINARY.SIZE[2] 4 BINARY[1] {19}' \
	    'secret banana ball' ' BINARY[2] ~{4}' \
	    'a4 BAD bad FETCH arguments' '* 3 FETCH (BINARY[9] NIL)' \
	    'a6 OK FETCH completed' '* VANISHED (EARLIER) 4' \
	    'a8 OK UID FETCH completed' 'a9 BAD bad FETCH arguments' \
	    '* 5 FETCH (UID 6 MODSEQ (1))' '* 6 FETCH (UID 7 MODSEQ (1))' \
	    '* 1 FETCH (BINARY[1] {13}' 'hello world' \
	    ' FLAGS (\Seen \Recent))'
	# The QP body decoded ("café olé"), and the NULs of the binary part.
	grep -aq '^\* 4 FETCH (BINARY\[1\]<0> {4}$' out.txt &&
	    grep -aq "^$(printf 'caf\303') BINARY.SIZE\[1\] 12)$" out.txt ||
	    atf_fail "BINARY of quoted-printable: $(cat out.txt)"
	grep -a -A1 -F ' BINARY[2] ~{4}' out.raw | tail -1 | od -An -tx1 |
	    grep -q '00 01 02 03 29 0d 0a' ||
	    atf_fail "literal8: $(od -c out.raw)"
	# Nothing changed since MODSEQ 1: no FETCH in a6.
	grep -a -B1 '^a6 OK' out.txt | grep -qx 'a5 OK FETCH completed' ||
	    atf_fail "CHANGEDSINCE: $(cat out.txt)"
	# An encoding nobody can undo: UNKNOWN-CTE (RFC 3516 §4.3).
	mkdir -p md/.B/tmp md/.B/new md/.B/cur
	printf 'Subject: uu\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n' \
	    >'md/.B/cur/3000.M1P1.test:2,S'
	[ "$(id -u)" != 0 ] || chown -R "$(id -u nobody):$(id -g nobody)" md
	imap 'a1 EXAMINE B' 'a2 FETCH 1 BINARY.PEEK[1]' \
	    'a3 FETCH 1 BINARY.SIZE[]' 'a4 LOGOUT'
	has 'a2 NO [UNKNOWN-CTE] a part has a transfer encoding this server cannot decode' \
	    '* 1 FETCH (BINARY.SIZE[] 67)'
}

atf_test_case imaplib
imaplib_head()
{
	atf_set "descr" "Python's imaplib: search, uid search, sort, thread"
}
imaplib_body()
{
	peer_require python3
	setup
	atf_check -o inline:'SEARCH OK 2 6 7
CHARSET OK 1 2
UID OK 3 4
SORT OK 7 2 1 4 3 6 5
THREAD OK (5 6)(3 4)(1 2 7)
ORDERED OK (5 6)(3 4)(1 2)(7)
' "$(command -v python3)" - "$MIMAP" <<'EOF2'
import imaplib, sys
m = imaplib.IMAP4_stream("TZ=UTC '%s' serve --preauth --maildir md "
    "--log stderr --no-resolve --hostname imap.test 2>/dev/null" % sys.argv[1])
m.select("INBOX", readonly=True)
typ, d = m.search(None, "SEEN")
print("SEARCH", typ, d[0].decode())
m.literal = "grüße".encode()
typ, d = m.search("UTF-8", "SUBJECT")
print("CHARSET", typ, d[0].decode())
typ, d = m.uid("SEARCH", "OR", "FLAGGED", "DELETED")
print("UID", typ, d[0].decode())
typ, d = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
print("SORT", typ, d[0].decode())
typ, d = m.thread("REFERENCES", "UTF-8", "ALL")
print("THREAD", typ, d[0].decode())
typ, d = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
print("ORDERED", typ, d[0].decode())
m.logout()
EOF2
}

atf_test_case message_cache
message_cache_head()
{
	atf_set "descr" "The folder's cache (yubin-cache): cold and warm runs" \
	    "answer byte for byte alike; a corrupt, truncated or foreign" \
	    "cache, or one whose sizes no longer match, changes nothing"
}
# cache_run NAME: the commands the cache serves, answers in NAME.txt.
cache_run()
{
	imap 'a1 EXAMINE INBOX' \
	    'a2 FETCH 1:* (ENVELOPE BODY BODYSTRUCTURE RFC822.SIZE FLAGS)' \
	    'a3 UID FETCH 1:* (UID ENVELOPE)' \
	    'a4 SEARCH FROM bob' 'a5 SEARCH TO alice CC carol' \
	    'a6 SEARCH SUBJECT "grüße"' 'a7 SEARCH SUBJECT report' \
	    'a8 SEARCH HEADER Message-ID "<c@x>"' 'a9 SEARCH BCC x' \
	    'b1 SEARCH SENTSINCE 1-Mar-2026' 'b2 SEARCH SENTON 5-Jan-2026' \
	    'b3 SEARCH SENTBEFORE 1-Mar-2026 NOT FROM eve' \
	    'b4 SEARCH HEADER X-Mood calm' \
	    'b5 SEARCH OR FROM dave BODY banana' \
	    'b6 SORT (SUBJECT) UTF-8 ALL' 'b7 SORT (REVERSE DATE) UTF-8 ALL' \
	    'b8 SORT (TO CC FROM SIZE) UTF-8 ALL' \
	    'b9 THREAD ORDEREDSUBJECT UTF-8 ALL' \
	    'c1 THREAD REFERENCES UTF-8 ALL' 'c2 SORT (DATE) UTF-8 ALL' \
	    'c3 UID SORT (REVERSE SIZE) UTF-8 ALL' \
	    'c4 SORT (SUBJECT DATE) UTF-8 ALL' 'c5 LOGOUT'
	cp out.txt "$1.txt"
}
message_cache_body()
{
	setup
	cache_run cold
	test -s md/yubin-cache || atf_fail "no cache written"
	head -n 1 md/yubin-cache | grep -qx 'yubin-cache 2' ||
	    atf_fail "cache: $(head -c 100 md/yubin-cache)"
	grep -c '^R ' md/yubin-cache | grep -qx 7 ||
	    atf_fail "records: $(grep -c '^R ' md/yubin-cache)"
	cache_run warm
	diff cold.txt warm.txt || atf_fail "warm answers differ"
	# The warm run took its answers from the cache: a message file
	# changed in place with its size kept (Maildir never does that)
	# still answers from the cache.
	f=$(ls md/cur/1002.M3P3.*)
	sed 's/\[list\] report/[LIST] REPORT/' "$f" >x && cat x >"$f"
	cache_run same
	diff cold.txt same.txt || atf_fail "the cache was not used"
	# A size that no longer matches: that record is not used.
	printf 'x\n' >>"$f"
	rm md/yubin-cache
	cache_run fresh
	cache_run fresh2
	diff fresh.txt fresh2.txt || atf_fail "after a change in size"
	grep -q 'LIST\] REPORT' fresh2.txt || atf_fail "stale record used"
	# Corrupt, truncated, foreign-version and empty caches: ignored,
	# then rewritten whole.
	cp md/yubin-cache good
	for kind in corrupt truncated version empty dir; do
		rm -rf md/yubin-cache
		case $kind in
		corrupt) sed 's/^R \([0-9]*\)/R 1\1/' good >md/yubin-cache ;;
		truncated) head -c 700 good >md/yubin-cache ;;
		version) sed '1s/ 2$/ 1/' good >md/yubin-cache ;;
		empty) : >md/yubin-cache ;;
		dir) mkdir md/yubin-cache ;;
		esac
		[ "$(id -u)" != 0 ] || chown -R "$(id -u nobody)" md/yubin-cache
		cache_run "$kind"
		diff fresh.txt "$kind.txt" || atf_fail "with a $kind cache"
		[ "$kind" = dir ] && continue
		cmp -s md/yubin-cache good || atf_fail "$kind: not rewritten"
	done
	ls md | grep -q '^yubin-cache\.' &&
	    atf_fail "a temp file is left: $(ls md | tr '\n' ' ')"
	# Address searches (an addr-spec with comments inside) warm too.
	mkdir -p md/.A/tmp md/.A/new md/.A/cur
	printf 'From: <a (c)@ (c) b.org>\nSubject: s\n\nx\n' \
	    >'md/.A/cur/3000.M1P1.test:2,S'
	[ "$(id -u)" != 0 ] || chown -R "$(id -u nobody):$(id -g nobody)" md
	for run in cold warm; do
		imap 'a1 EXAMINE A' 'a2 SEARCH FROM a@b.org' \
		    'a3 SEARCH FROM zz' 'a4 LOGOUT'
		has '* SEARCH 1' '* SEARCH'
	done
	test -s md/.A/yubin-cache || atf_fail "no cache in A"
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case search_keys
	atf_add_test_case esearch_searchres
	atf_add_test_case sort_thread
	atf_add_test_case fetch_binary_changedsince
	atf_add_test_case imaplib
	atf_add_test_case message_cache
}
