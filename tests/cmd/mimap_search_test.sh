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
		grep -qxF -- "$l" out.txt || {
			echo "--- got"; cat out.txt; echo "--- log"; cat log.txt
			atf_fail "no line: $l"
		}
	done
}

atf_test_case search_keys
search_keys_head()
{
	atf_set "descr" "SEARCH: flags, dates, sizes, headers, text, sets, NOT/OR"
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
	    'e8 SEARCH CHARSET KOI8-R ALL' 'e9 SEARCH CHARSET US-ASCII TEXT hello' \
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
	# In order, for the keys whose answers repeat.
	awk '/^\* SEARCH/ { r = $0; next } /^[a-f][0-9] OK SEARCH/ { print $1, r }' \
	    out.txt >got.txt
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

atf_init_test_cases()
{
	atf_add_test_case search_keys
}
