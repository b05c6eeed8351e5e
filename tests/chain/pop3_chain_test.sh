# pop3_chain_test: the whole path on loopback, both directions.
#   msend (STARTTLS + AUTH) -> msmtpd --listen -> mdeliver -> Maildir
#   -> mpop serve --listen (STLS + USER/PASS from a passwd-file)
#   -> mpop fetch -> a second Maildir
# The file that arrives in the second Maildir must be the file the first
# one holds, byte for byte, and that file the submitted message under
# the trace fields the SMTP hops prepend.

LC_ALL=C
export LC_ALL

chain_require()
{
	peer_require openssl
}

# chain_start: msmtpd and mpop serve on free ports over ./md; alice may
# submit (s3cret), bob may read md over POP3 (b0bpw).  SPORT, PPORT set.
chain_start()
{
	chain_require
	make_certs certs
	# The POP3 server becomes bob (DESIGN: never a Maildir as root).
	# Run as root, bob is "nobody": msmtpd's session runs as nobody
	# too; its deliveries run as root (privilege separation) and
	# mdeliver becomes the Maildir's owner, so bob can read the files.
	top=$(pwd)
	uid=$(id -u) gid=$(id -g) as=
	if [ "$uid" = 0 ]; then
		id nobody >/dev/null 2>&1 || atf_skip "no user nobody to become"
		top=$(mktemp -d /tmp/yubin-pop3chain.XXXXXX)
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
	    >pop.passwd
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
	PPORT=$(free_port)
	"$(yubin_prog mpop)" serve --listen "127.0.0.1:$PPORT" \
	    --tls-cert certs/server.pem --tls-key certs/server.key \
	    --passwd-file pop.passwd --log stderr --no-resolve \
	    --auth-delay 0 >mpop.log 2>&1 &
	echo $! >mpop.pid
	wait_port "$PPORT" || atf_fail "mpop serve did not start: $(cat mpop.log)"
}

chain_stop()
{
	stop_pidfile msmtpd.pid
	stop_pidfile mpop.pid
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

# fetch [OPTIONS]: mpop fetch (STLS, the test CA) into ./got.
fetch()
{
	mkdir -p got/tmp got/new got/cur
	atf_check -s exit:0 -o ignore -e ignore "$(yubin_prog mpop)" fetch \
	    --user bob --passwordeval 'echo b0bpw' \
	    --tls-trust-file certs/ca.pem --maildir got --state fetch.state \
	    "$@" "pop3://localhost:$PPORT/"
}

# same_as_submitted: every file in got/new is, byte for byte, one file
# of md (new/ or cur/), and that file is one of the submitted messages
# in*.eml under exactly one Return-Path, Delivered-To and Received.
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
server = {open(f, "rb").read() for f in glob.glob("md/new/*") + glob.glob("md/cur/*")}
sent = {open(f, "rb").read() for f in glob.glob("in*.eml")}
got = [open(f, "rb").read() for f in glob.glob("got/new/*")]
if len(got) != len(sent):
    sys.exit("%d fetched, %d sent" % (len(got), len(sent)))
for g in got:
    if g not in server:
        sys.exit("a fetched message is not byte-identical to the server's file")
    if strip_trace(g) not in sent:
        sys.exit("a fetched message is not the submitted one")
if len(set(got)) != len(got):
    sys.exit("a message was fetched twice")
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
	atf_set descr "long lines, 8-bit, UTF-8 and dot lines survive SMTP, the Maildir and POP3"
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
	# Nothing new on the server: a second fetch brings nothing twice.
	fetch
	same_as_submitted
}
round_trip_cleanup() { chain_stop; }

atf_test_case attachment_and_delete cleanup
attachment_and_delete_head()
{
	atf_set descr "a 5 MB message makes the whole trip; --delete empties the server"
}
attachment_and_delete_body()
{
	chain_start
	{
		head_fields big
		printf 'Content-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 3800000 /dev/urandom | base64 -w 76
	} >in1.eml
	send in1.eml
	fetch --delete
	[ "$(ls got/new | wc -l)" -eq 1 ] || atf_fail "not fetched"
	[ "$(cat md/new/* md/cur/* 2>/dev/null | wc -c)" -eq 0 ] ||
	    atf_fail "--delete left the message on the server"
	# What arrived is what was sent, under the SMTP trace fields.
	"$(command -v python3)" - <<'PY' || atf_fail "the big message differs"
import glob, sys
got = open(glob.glob("got/new/*")[0], "rb").read()
want = open("in1.eml", "rb").read()
sys.exit(0 if got.endswith(want) and len(got) - len(want) < 2000 else 1)
PY
}
attachment_and_delete_cleanup() { chain_stop; }

atf_init_test_cases()
{
	atf_add_test_case round_trip
	atf_add_test_case attachment_and_delete
}
