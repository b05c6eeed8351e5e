# imap_chain_test: the whole path on loopback, from a sender to an IMAP
# client.
#   msend (STARTTLS + AUTH) -> msmtpd --listen -> mdeliver -> Maildir
#   -> mimap serve --listen (STARTTLS + LOGIN from a passwd-file)
#   -> Python's imaplib (UID FETCH BODY.PEEK[])
#   -> and `mimap fetch' into a second Maildir, byte-identical to the first
# IMAP sends a message with CRLF line ends (RFC 3501 2.1 / RFC 5322), so
# what imaplib receives must be the file in the Maildir byte for byte
# with each LF made CRLF, its RFC822.SIZE must be its length, and the
# file must be the submitted message under the trace fields the SMTP
# hops prepend.

LC_ALL=C
export LC_ALL

chain_require()
{
	peer_require openssl python3
}

# chain_start: msmtpd and mimap serve on free ports over ./md; alice may
# submit (s3cret), bob may read md over IMAP (b0bpw).  SPORT, IPORT set.
chain_start()
{
	chain_require
	make_certs certs
	# The IMAP server becomes bob (DESIGN: never a Maildir as root).
	# Run as root, bob is "nobody": msmtpd's session runs as nobody
	# too; its deliveries run as root (privilege separation) and
	# mdeliver becomes the Maildir's owner, so bob can read the files.
	top=$(pwd)
	uid=$(id -u) gid=$(id -g) as=
	if [ "$uid" = 0 ]; then
		id nobody >/dev/null 2>&1 || atf_skip "no user nobody to become"
		top=$(mktemp -d /tmp/yubin-imapchain.XXXXXX)
		echo "$top" >top.path
		chmod 755 "$top"
		uid=$(id -u nobody) gid=$(id -g nobody) as="--user nobody"
	fi
	MD=$top/md
	mkdir -p "$MD/tmp" "$MD/new" "$MD/cur" "$top/spool"
	chown -R "$uid:$gid" "$MD" "$top/spool"
	ln -s "$MD" md
	echo "alice:$(openssl passwd -6 -salt saltsalt s3cret):::$MD" \
	    >smtp.passwd
	echo "bob:$(openssl passwd -6 -salt pepperpe b0bpw):$uid:$gid:$MD" \
	    >imap.passwd
	SPORT=$(free_port)
	# msmtpd spools under TMPDIR (as root its privileged parent does).
	TMPDIR=$top/spool PATH="$YUBIN_BUILDDIR:$PATH" "$(yubin_prog msmtpd)" \
	    --listen "127.0.0.1:$SPORT" --tls-cert certs/server.pem \
	    --tls-key certs/server.key --passwd-file smtp.passwd \
	    --maildir "$MD" --domain example.org --log stderr \
	    --no-resolve --auth-delay 0 --hostname mx.test $as \
	    >msmtpd.log 2>&1 &
	echo $! >msmtpd.pid
	wait_port "$SPORT" || atf_fail "msmtpd did not start: $(cat msmtpd.log)"
	IPORT=$(free_port)
	"$(yubin_prog mimap)" serve --listen "127.0.0.1:$IPORT" \
	    --tls-cert certs/server.pem --tls-key certs/server.key \
	    --passwd-file imap.passwd --log stderr --no-resolve \
	    --auth-delay 0 $as >mimap.log 2>&1 &
	echo $! >mimap.pid
	wait_port "$IPORT" || atf_fail "mimap serve did not start: $(cat mimap.log)"
}

chain_stop()
{
	stop_pidfile msmtpd.pid
	stop_pidfile mimap.pid
	if [ -f top.path ]; then
		rm -rf "$(cat top.path)"
	fi
}

# send FILE: submit it with STARTTLS and AUTH to bob@example.org.
send()
{
	atf_check -e ignore "$(yubin_prog msend)" --host localhost \
	    --port "$SPORT" --tls-trust-file certs/ca.pem --user alice \
	    --passwordeval 'echo s3cret' --timeout 60 -i \
	    -f alice@example.org bob@example.org <"$1"
}

# fetch: imaplib logs in after STARTTLS (the test CA), selects INBOX
# and saves each message's BODY.PEEK[] as got/UID, its RFC822.SIZE as
# got/UID.size.
fetch()
{
	rm -rf got
	mkdir got
	"$(command -v python3)" - "$IPORT" <<'PY' >fetch.log 2>&1 ||
import imaplib, re, ssl, sys
m = imaplib.IMAP4("localhost", int(sys.argv[1]))
if "LOGINDISABLED" not in m.capabilities:
    sys.exit("no LOGINDISABLED before STARTTLS: %r" % (m.capabilities,))
m.starttls(ssl_context=ssl.create_default_context(cafile="certs/ca.pem"))
m.login("bob", "b0bpw")
typ, data = m.select("INBOX")
if typ != "OK":
    sys.exit("SELECT: %r" % (data,))
n = int(data[0])
typ, data = m.uid("FETCH", "1:*", "(RFC822.SIZE BODY.PEEK[])")
if typ != "OK":
    sys.exit("UID FETCH: %r" % (data,))
got = 0
for item in data:
    if not isinstance(item, tuple):
        continue
    head, body = item
    uid = re.search(rb"UID (\d+)", head).group(1).decode()
    size = re.search(rb"RFC822\.SIZE (\d+)", head).group(1).decode()
    open("got/" + uid, "wb").write(body)
    open("got/" + uid + ".size", "w").write(size)
    got += 1
if got != n:
    sys.exit("%d messages fetched, EXISTS %d" % (got, n))
m.logout()
PY
	    atf_fail "imaplib: $(cat fetch.log)"
}

# same_as_submitted: each fetched message is, with LF made CRLF, one
# file of md (cur/ after the SELECT), its RFC822.SIZE its length, and
# that file is one of the submitted messages in*.eml under exactly one
# Return-Path, Delivered-To and Received.
same_as_submitted()
{
	"$(command -v python3)" - <<'PY' || atf_fail "fetched messages differ"
import glob, sys
def strip_trace(b):
    lines = b.split(b"\n")
    seen = []
    i = 0
    while i < len(lines):
        name = lines[i].split(b":", 1)[0].lower()
        if name in (b"return-path", b"delivered-to", b"received") and \
                name not in seen:
            seen.append(name)
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        break
    if sorted(seen) != [b"delivered-to", b"received", b"return-path"]:
        sys.exit("trace fields: %r" % seen)
    return b"\n".join(lines[i:])
files = [open(f, "rb").read() for f in glob.glob("md/new/*") + glob.glob("md/cur/*")]
if glob.glob("md/new/*"):
    sys.exit("SELECT left mail in new/")
server = {f.replace(b"\n", b"\r\n"): f for f in files}
sent = {open(f, "rb").read() for f in glob.glob("in*.eml")}
got = [f for f in glob.glob("got/*") if not f.endswith(".size")]
if len(got) != len(sent):
    sys.exit("%d fetched, %d sent" % (len(got), len(sent)))
seen = set()
for f in got:
    g = open(f, "rb").read()
    if int(open(f + ".size").read()) != len(g):
        sys.exit("%s: RFC822.SIZE %s, %d octets sent" %
                 (f, open(f + ".size").read(), len(g)))
    if g not in server:
        sys.exit("%s is not the server's file with CRLF line ends" % f)
    if strip_trace(server[g]) not in sent:
        sys.exit("%s is not the submitted message" % f)
    seen.add(g)
if len(seen) != len(got):
    sys.exit("a message was fetched twice")
PY
}

# mimap_fetch: `mimap fetch' pulls bob's INBOX into ./md2; each file
# there is byte-identical to one in the first Maildir, and the other way
# round (the client turns the CRLF of the wire back into LF).
mimap_fetch()
{
	"$(yubin_prog mimap)" fetch --tls-trust-file certs/ca.pem \
	    --passwordeval 'echo b0bpw' --maildir md2 --state mimap.state \
	    "imap://bob@localhost:$IPORT" >mfetch.out 2>mfetch.err ||
	    atf_fail "mimap fetch: $? $(cat mfetch.err)"
	"$(command -v python3)" - <<'PY' || atf_fail "md2 differs from md"
import glob, sys
def files(d):
    return sorted(open(f, "rb").read()
                  for f in glob.glob(d + "/new/*") + glob.glob(d + "/cur/*"))
a, b = files("md"), files("md2")
if not a:
    sys.exit("md is empty")
if a != b:
    sys.exit("md holds %d files, md2 %d; not byte-identical" % (len(a), len(b)))
PY
}

head_fields()
{
	printf '%s\n' 'From: Alice <alice@example.org>' \
	    'To: Bob <bob@example.org>' \
	    "Subject: $1" \
	    'Date: Sun, 22 Nov 2026 18:00:00 +0000' \
	    "Message-ID: <$1@example.org>" \
	    'MIME-Version: 1.0'
}

atf_test_case round_trip cleanup
round_trip_head()
{
	atf_set descr "long lines, 8-bit, UTF-8 and dot lines survive SMTP, the Maildir and IMAP"
}
round_trip_body()
{
	chain_start
	{ head_fields plain; echo; echo 'Hello Bob.'; } >in1.eml
	{ head_fields long; echo; python3 -c '
for n in (998, 999, 1000, 1001, 5000):
    print(("%d:" % n + "abcdefghij" * 600)[:n])'; echo end; } >in2.eml
	{
		head_fields utf8 | sed 's/^Subject: .*/Subject: caf\xc3\xa9 \xe9\x83\xb5\xe4\xbe\xbf/'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf '\xe9\x83\xb5\xe4\xbe\xbf and raw bytes \xe9\xff\x80\n'
	} >in3.eml
	{
		head_fields dots; echo
		printf '.\n..\n...\n.leading dot\n. space\nend.\n'
		printf 'last line\n'
	} >in4.eml
	for f in in1.eml in2.eml in3.eml in4.eml; do send $f; done
	[ "$(ls md/new | wc -l)" -eq 4 ] || atf_fail "msmtpd delivered $(ls md/new | wc -l) of 4"
	fetch
	same_as_submitted
	# A second session (the messages now in cur/) gets the same bytes.
	fetch
	same_as_submitted
}
round_trip_cleanup() { chain_stop; }

atf_test_case attachment cleanup
attachment_head()
{
	atf_set descr "a 5 MB message makes the whole trip to an IMAP client"
}
attachment_body()
{
	chain_start
	{
		head_fields big
		printf 'Content-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 3800000 /dev/urandom | base64 -w 76
	} >in1.eml
	send in1.eml
	fetch
	same_as_submitted
	mimap_fetch
}
attachment_cleanup() { chain_stop; }

atf_init_test_cases()
{
	atf_add_test_case round_trip
	atf_add_test_case attachment
}
