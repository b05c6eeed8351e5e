# smtp_chain_test: the whole SMTP path on loopback.  msend (STARTTLS +
# AUTH, the test CA) submits to msmtpd --listen, which hands the message
# to mdeliver, which writes it into a Maildir; the delivered file must
# be the input byte for byte under the trace fields the hops prepend
# (Return-Path, Delivered-To, Received).

LC_ALL=C
export LC_ALL


chain_require()
{
	peer_require openssl
}

# chain_start [MSMTPD OPTIONS]: msmtpd on a free port delivering into
# ./md with mdeliver; alice/s3cret may authenticate.  PORT is set.
chain_start()
{
	chain_require
	make_certs certs
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::$(pwd)/md" >passwd
	mkdir -p md/tmp md/new md/cur
	give_maildir md
	PORT=$(free_port)
	PATH="$YUBIN_BUILDDIR:$PATH" "$(yubin_prog msmtpd)" \
	    --listen "127.0.0.1:$PORT" --tls-cert certs/server.pem \
	    --tls-key certs/server.key --passwd-file passwd \
	    --maildir "$(pwd)/md" --domain example.org --log stderr \
	    --no-resolve --auth-delay 0 --hostname mx.test "$@" \
	    >msmtpd.log 2>&1 &
	echo $! >msmtpd.pid
	wait_port "$PORT" || atf_fail "msmtpd did not start: $(cat msmtpd.log)"
}

chain_stop()
{
	stop_pidfile msmtpd.pid
}

# send FILE: submit it with STARTTLS and AUTH to bob@example.org.
send()
{
	atf_check -e ignore "$(yubin_prog msend)" --host localhost \
	    --port "$PORT" --tls-trust-file certs/ca.pem --user alice \
	    --passwordeval 'echo s3cret' --timeout 60 -i \
	    -f alice@example.org bob@example.org <"$1"
}

# delivered_is FILE: the one message in md/new is FILE under exactly
# one Return-Path, one Delivered-To and one Received field.
delivered_is()
{
	n=$(ls md/new | wc -l)
	[ "$n" -eq 1 ] || atf_fail "$n messages in md/new, expected 1"
	f=md/new/$(ls md/new)
	"$(command -v python3)" - "$f" "$1" <<'PY' || atf_fail "delivered message differs"
import sys
got = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
lines = got.split(b"\n")
seen = []
i = 0
while i < len(lines):
    l = lines[i]
    name = l.split(b":", 1)[0].lower()
    if name in (b"return-path", b"delivered-to", b"received") and \
            name not in seen:
        seen.append(name)
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
        continue
    break
rest = b"\n".join(lines[i:])
if sorted(seen) != [b"delivered-to", b"received", b"return-path"]:
    sys.exit("trace fields: %r" % seen)
if rest != want:
    for k, (a, b) in enumerate(zip(rest.split(b"\n"), want.split(b"\n"))):
        if a != b:
            sys.exit("first difference at line %d: %r != %r" % (k + 1, a[:80], b[:80]))
    sys.exit("lengths differ: %d != %d" % (len(rest), len(want)))
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

atf_test_case long_lines cleanup
long_lines_head()
{
	atf_set descr "lines over 1000 bytes arrive unchanged"
}
long_lines_body()
{
	chain_start
	{ head_fields long; echo; python3 -c '
for n in (999, 1000, 1001, 4000, 20000):
    print(("%d:" % n + "abcdefghij" * 3000)[:n])'; echo end; } >in
	send in
	delivered_is in
}
long_lines_cleanup() { chain_stop; }

atf_test_case eight_bit cleanup
eight_bit_head()
{
	atf_set descr "8-bit bytes and UTF-8 text (header and body) arrive unchanged"
}
eight_bit_body()
{
	chain_start
	{
		head_fields 8bit | sed 's/^Subject: .*/Subject: caf\xc3\xa9 \xe9\x83\xb5\xe4\xbe\xbf/'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf '\xe9\x83\xb5\xe4\xbe\xbf (y\xc5\xabbin)\n'
		printf 'latin-1 bytes: \xe9\xe8\xff\x80\x81\n'
		python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(128, 256)) + b"\n")'
		printf 'tab\there, trailing space \n'
	} >in
	send in
	delivered_is in
}
eight_bit_cleanup() { chain_stop; }

atf_test_case dot_lines cleanup
dot_lines_head()
{
	atf_set descr "lines starting with a dot, and a line of only a dot, survive"
}
dot_lines_body()
{
	chain_start
	{
		head_fields dots
		echo
		printf '.\n..\n...\n.leading\n..two\n. space\n\n.\n'
		printf 'middle\n.\r\nx\n.'
		echo
	} >in
	# A bare CR would be refused; keep to LF endings.
	tr -d '\r' <in >in2
	send in2
	delivered_is in2
}
dot_lines_cleanup() { chain_stop; }

atf_test_case attachment_10mb cleanup
attachment_10mb_head()
{
	atf_set descr "a 10 MB attachment arrives byte for byte"
}
attachment_10mb_body()
{
	chain_start
	{
		head_fields big
		printf 'Content-Type: multipart/mixed; boundary="b1"\n\n'
		printf -- '--b1\nContent-Type: text/plain\n\nsee attachment\n'
		printf -- '--b1\nContent-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 7700000 /dev/urandom | base64
		printf -- '--b1--\n'
	} >in
	[ "$(wc -c <in)" -gt 10000000 ] || atf_fail "test message too small"
	send in
	delivered_is in
}
attachment_10mb_cleanup() { chain_stop; }

atf_test_case several cleanup
several_head()
{
	atf_set descr "-t with To and Bcc through the chain: both get it, no Bcc field"
}
several_body()
{
	chain_start
	printf '%s\n' 'From: alice@example.org' 'To: bob@example.org' \
	    'Bcc: carol@example.org' 'Subject: -t' \
	    'Date: Sun, 22 Nov 2026 18:00:00 +0000' \
	    'Message-ID: <t@example.org>' '' 'hello' >in
	atf_check -e ignore "$(yubin_prog msend)" --host localhost \
	    --port "$PORT" --tls-trust-file certs/ca.pem --user alice \
	    --passwordeval 'echo s3cret' -t -i <in
	# One Maildir, so one file for both recipients; no Bcc field.
	atf_check -o inline:'1\n' sh -c 'ls md/new | wc -l'
	atf_check -s exit:1 grep -l '^Bcc:' md/new/*
	atf_check -o match:'^Delivered-To: bob@example.org' \
	    -o match:'^Delivered-To: carol@example.org' \
	    -o match:'^To: bob@example.org' cat md/new/*
}
several_cleanup() { chain_stop; }

atf_test_case direct_dns cleanup
direct_dns_head()
{
	atf_set descr "direct delivery through a test DNS zone whose MX is a loopback msmtpd"
}
direct_dns_body()
{
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	chain_start --domain probe.test
	mkdir dns
	dnsport=$(dns_start dns) || atf_fail "NSD did not start"
	{ head_fields direct; echo; echo 'sent straight to the MX'; } >in
	# probe.test MX 10 mx.test, and mx.test is 127.0.0.1: this host,
	# so a loop unless --route says that is meant.
	atf_check -e ignore "$(yubin_prog msend)" --direct \
	    --dns-server "127.0.0.1:$dnsport" --port "$PORT" --timeout 60 \
	    --route 'probe.test=[mx]' \
	    -i -f alice@example.org bob@probe.test <in
	delivered_is in
}
direct_dns_cleanup()
{
	chain_stop
	stop_pidfile dns/nsd.pid
}

atf_init_test_cases()
{
	atf_add_test_case long_lines
	atf_add_test_case eight_bit
	atf_add_test_case dot_lines
	atf_add_test_case attachment_10mb
	atf_add_test_case several
	atf_add_test_case direct_dns
}
