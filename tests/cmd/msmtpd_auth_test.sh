# msmtpd_auth_test: msmtpd --check-sender end to end.  NSD serves the
# test zone with what 127.0.0.1 may send (SPF), a DMARC record and a
# DKIM key record made at test time from the key msend signs with (no
# key is in the tree); msend signs and sends to msmtpd --listen, which
# delivers into a Maildir with one Authentication-Results field (RFC
# 8601) on top.  A forged field claiming our authserv-id is removed, a
# tampered body fails DKIM, and the policy options refuse.  mxlookup
# --dkim reads the same signed messages.

LC_ALL=C
export LC_ALL

. "$YUBIN_SRCDIR/tests/lib/dns.sh"
. "$YUBIN_SRCDIR/tests/lib/queue.sh"

MSMTPD=$(yubin_prog msmtpd)
MSEND=$(yubin_prog msend)

# zone [rsa]: an Ed25519 key (ed.pem), with rsa an RSA key (rsa.pem)
# too, and the records about them in test.extra; NSD started, DNSPORT
# set.
zone()
{
	dns_require
	peer_require certtool
	(umask 077
	certtool --generate-privkey --key-type ed25519 \
	    --outfile ed.pem 2>/dev/null) || atf_fail "certtool failed"
	pub=$(certtool --load-privkey ed.pem --pubkey-info --outder \
	    2>/dev/null | tail -c 32 | base64 -w0)
	[ ${#pub} = 44 ] || atf_fail "public key: $pub"
	cat >test.extra <<EOF
; msmtpd_auth_test: 127.0.0.1 may send for good.test, nobody for bad.test
good		TXT	"v=spf1 ip4:127.0.0.1 -all"
_dmarc.good	TXT	"v=DMARC1; p=reject"
sel._domainkey.good	TXT	"v=DKIM1; k=ed25519; p=$pub"
bad		TXT	"v=spf1 -all"
_dmarc.bad	TXT	"v=DMARC1; p=reject"
EOF
	if [ "${1:-}" = rsa ]; then
		# An RSA key too (rsa.pem, selector rsel): its record is
		# longer than one string of 255 octets, so it is cut in
		# several (RFC 6376 3.6.2.2: they are joined).
		(umask 077
		certtool --generate-privkey --key-type rsa --bits 2048 \
		    --outfile rsa.pem 2>/dev/null) || atf_fail "certtool failed"
		rpub=$(certtool --load-privkey rsa.pem --pubkey-info --outder \
		    2>/dev/null | base64 -w0)
		[ -n "$rpub" ] || atf_fail "RSA public key"
		printf 'rsel._domainkey.good\tTXT\t"v=DKIM1; k=rsa; p=%s"\n' \
		    "$(printf '%s' "$rpub" | sed 's/.\{200\}/&" "/g')" >>test.extra
	fi
	[ ! -f more.extra ] || cat more.extra >>test.extra
	DNSPORT=$(dns_start .) || atf_fail "could not start nsd"
}

mkmd()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
	give_maildir "$1"
}

# start ARGS...: msmtpd --listen --check-sender on a free port, PORT.
start()
{
	PORT=$(free_port)
	"$MSMTPD" --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --hostname mx.test --check-sender \
	    --dns-server "127.0.0.1:$DNSPORT" --dns-timeout 3 "$@" \
	    2>listen.log &
	echo $! >msmtpd.pid
	wait_port "$PORT" || atf_fail "msmtpd did not listen: $(cat listen.log)"
}

# message FROM: a message from FROM with two forged Authentication-Results
# of ours (one behind a comment, quoted, folded) and one of somebody
# else's.
message()
{
	printf 'Authentication-Results: mx.test; dkim=pass header.d=forged.test\n'
	printf 'Authentication-Results: (fake)\n "MX.TEST." 1;\n dkim=pass header.d=forged.test\n'
	printf 'Authentication-Results: elsewhere.test; spf=pass\n'
	printf 'From: Joe <%s>\n' "$1"
	printf 'To: u@mx.test\n'
	printf 'Subject: checked\n\n'
	printf 'Hello.\n'
}

# session: the SMTP session in ./in, pipelined, to PORT; the replies in
# ./out.txt.
session()
{
	python3 - "$PORT" in >out.txt <<'PY' || atf_fail "client failed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(open(sys.argv[2], "rb").read())
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
PY
}

# delivered: the one delivered file's header (unfolded), in ./hdr.
delivered()
{
	n=$(ls md/new | wc -l)
	[ "$n" = 1 ] || atf_fail "$n messages delivered: $(cat listen.log)"
	sed '/^$/q' md/new/* | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); \
	    printf "%s", $0; next } { if (NR > 1) print ""; printf "%s", $0 } \
	    END { print "" }' >hdr
}

atf_test_case pass cleanup
pass_head()
{
	atf_set "descr" "msend signs (RSA and Ed25519, one signature each) and sends from 127.0.0.1 for good.test: spf=pass dkim=pass dmarc=pass in one Authentication-Results at the top; the forged one of ours is removed, another's kept; the delivery command gets YUBIN_* variables"
}
pass_body()
{
	zone rsa
	mkmd md
	start --maildir "$PWD/md"
	message joe@good.test | "$MSEND" --host 127.0.0.1 --port "$PORT" \
	    --tls=off --timeout 10 --domain good.test -f joe@good.test \
	    --dkim-key rsa.pem --dkim-selector rsel --dkim-key ed.pem --dkim-selector sel \
	    --dkim-algorithm ed25519 u@mx.test 2>err ||
	    atf_fail "msend: $(cat err) $(cat listen.log)"
	delivered
	grep -c '^Authentication-Results: mx.test;' hdr >n || true
	[ "$(cat n)" = 1 ] || atf_fail "ours: $(cat hdr)"
	grep -q '^Authentication-Results: mx.test; spf=pass smtp.mailfrom=joe@good.test; spf=pass smtp.helo=good.test; dkim=pass header.d=good.test header.s=[rsel]* header.a=[a-z0-9-]*; dkim=pass header.d=good.test header.s=[rsel]* header.a=[a-z0-9-]*; dmarc=pass header.from=good.test; iprev=[a-z]* policy.iprev=127.0.0.1$' hdr ||
	    atf_fail "$(cat hdr)"
	grep -q 'dkim=pass header.d=good.test header.s=rsel header.a=rsa-sha256;' hdr ||
	    atf_fail "RSA: $(cat hdr)"
	grep -q 'dkim=pass header.d=good.test header.s=sel header.a=ed25519-sha256;' hdr ||
	    atf_fail "Ed25519: $(cat hdr)"
	grep -q 'forged.test' hdr && atf_fail "forged kept: $(cat hdr)"
	grep -q '^Authentication-Results: elsewhere.test; spf=pass$' hdr ||
	    atf_fail "another's removed: $(cat hdr)"
	# Ours is the first field of msmtpd's, folded: no line over 78.
	sed -n '/^Authentication-Results: mx.test/,/^[^ \t]/p' md/new/* |
	    awk 'length > 78 { bad = 1 } END { exit bad }' ||
	    atf_fail "long line: $(cat md/new/*)"
	sed -n 3p md/new/* | grep -q '^Authentication-Results: mx.test;' ||
	    atf_fail "not at the top: $(cat md/new/*)"
	stop_pidfile msmtpd.pid

	# The same through a --command: the environment.
	cat >deliver.sh <<EOF
#!/bin/sh
env >"$PWD/env.out"
cat >/dev/null
EOF
	chmod +x deliver.sh
	start --command "$PWD/deliver.sh"
	message joe@good.test | "$MSEND" --host 127.0.0.1 --port "$PORT" \
	    --tls=off --timeout 10 --domain bad.test -f joe@good.test \
	    --dkim-key ed.pem --dkim-selector sel --dkim-algorithm ed25519 \
	    u@mx.test 2>err ||
	    atf_fail "msend: $(cat err) $(cat listen.log)"
	for v in YUBIN_SPF=pass YUBIN_DKIM=pass YUBIN_DMARC=pass \
	    YUBIN_DMARC_DISPOSITION=none YUBIN_SPF_HELO=fail \
	    'YUBIN_AUTH_RESULTS=mx.test; spf=pass smtp.mailfrom=joe@good.test; spf=fail smtp.helo=bad.test; dkim=pass'; do
		grep -q "^$v" env.out || atf_fail "$v: $(grep YUBIN env.out)"
	done
}
pass_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case tampered cleanup
tampered_head()
{
	atf_set "descr" "a signed message whose body was changed on the way: dkim=fail with its reason, and so dmarc=fail with p=reject; --reject-dmarc refuses it with 550 5.7.1"
}
tampered_body()
{
	zone
	sink_start
	message joe@good.test | "$MSEND" --host 127.0.0.1 \
	    --port "$SINK_PORT" --tls=off --timeout 10 -f joe@other.test \
	    --dkim-key ed.pem --dkim-selector sel --dkim-algorithm ed25519 \
	    --dkim-domain good.test u@mx.test 2>err ||
	    atf_fail "msend: $(cat err)"
	sed 's/^Hello\./Hello, changed./' sink/msg.1 >tampered
	mkmd md
	start --maildir "$PWD/md"
	# The envelope sender's SPF is none: only DKIM could align.
	cat >send.py <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.test")
try:
    s.sendmail("joe@other.test", ["u@mx.test"], open(sys.argv[2], "rb").read())
    print("250")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
PY
	python3 send.py "$PORT" tampered >reply || atf_fail "smtplib failed"
	atf_check -o inline:"250\n" cat reply
	delivered
	grep -q '^Authentication-Results: mx.test; spf=none smtp.mailfrom=joe@other.test; spf=none smtp.helo=client.test; dkim=fail reason="body hash did not verify" header.d=good.test header.s=sel header.a=ed25519-sha256; dmarc=fail (p=reject dis=reject) reason="good.test: no aligned SPF or DKIM pass[^"]*" header.from=good.test;' hdr ||
	    atf_fail "$(cat hdr)"
	stop_pidfile msmtpd.pid
	# The untouched one passes; the tampered one is refused.
	rm -f md/new/*
	start --maildir "$PWD/md" --reject-dmarc
	python3 send.py "$PORT" sink/msg.1 >reply || atf_fail "smtplib failed"
	atf_check -o inline:"250\n" cat reply
	python3 send.py "$PORT" tampered >reply || atf_fail "smtplib failed"
	atf_check -o match:'^550 5\.7\.1 DMARC policy of good\.test says reject' cat reply
	n=$(ls md/new | wc -l)
	[ "$n" = 1 ] || atf_fail "$n delivered"
}
tampered_cleanup()
{
	stop_pidfile msmtpd.pid
	stop_pidfile sink.pid
	dns_stop .
}

atf_test_case peers_sign cleanup
peers_sign_head()
{
	atf_set "descr" "what peers nobody here wrote sign, msmtpd verifies: dkimpy with RSA (relaxed and simple) and Ed25519 pass; a tampered body, a tampered header, a revoked key and a missing key give fail and permerror with their reasons; OpenDKIM's opendkim-testmsg signs rsa-sha1, which RFC 8301 refuses"
}
peers_sign_body()
{
	peer_python python3-dkim dkim nacl
	peer_require opendkim-testmsg
	printf 'revoked._domainkey.good\tTXT\t"v=DKIM1; k=rsa; p="\n' \
	    >more.extra
	zone rsa
	mkmd md
	start --maildir "$PWD/md"
	cat >peers.py <<'PY'
import base64, smtplib, subprocess, sys
import dkim
from cryptography.hazmat.primitives import serialization

def msg(n):
    return ("From: Joe <joe@good.test>\r\nTo: u@mx.test\r\n"
            "Subject: case %s\r\nDate: Wed, 02 Dec 2026 11:00:00 +0000\r\n"
            "\r\nHello.\r\n" % n).encode()

rsa = open("rsa.pem", "rb").read()
k = serialization.load_pem_private_key(open("ed.pem", "rb").read(), None)
ed = base64.b64encode(k.private_bytes(serialization.Encoding.Raw,
    serialization.PrivateFormat.Raw, serialization.NoEncryption()))

def sign(n, sel, key, canon=b"relaxed", alg=b"rsa-sha256"):
    m = msg(n)
    return dkim.sign(m, sel, b"good.test", key, canonicalize=(canon, canon),
                     signature_algorithm=alg) + m

out = {
    "rsa-relaxed": sign("rsa-relaxed", b"rsel", rsa),
    "rsa-simple": sign("rsa-simple", b"rsel", rsa, b"simple"),
    "ed25519": sign("ed25519", b"sel", ed, alg=b"ed25519-sha256"),
    "revoked": sign("revoked", b"revoked", rsa),
    "missing": sign("missing", b"nosuch", rsa),
}
out["body"] = sign("body", b"rsel", rsa).replace(b"Hello", b"Jello")
out["header"] = sign("header", b"rsel", rsa).replace(b"case header",
                                                      b"case HEADER")
# certtool puts a text dump before the PEM: OpenDKIM wants the PEM alone.
r = serialization.load_pem_private_key(rsa, None)
open("rsa-od.pem", "wb").write(r.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
od = subprocess.run(["opendkim-testmsg", "-C", "-d", "good.test", "-k",
                     "rsa-od.pem", "-s", "rsel"],
                    input=msg("opendkim").replace(b"\r\n", b"\n"),
                    capture_output=True, check=True).stdout
out["opendkim"] = od.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("good.test")
for m in out.values():
    s.sendmail("joe@good.test", ["u@mx.test"], m)
s.quit()
PY
	"$PY" peers.py "$PORT" || atf_fail "peers.py failed"
	n=$(ls md/new | wc -l)
	[ "$n" = 8 ] || atf_fail "$n delivered: $(cat listen.log)"
	for want in \
	    'rsa-relaxed dkim=pass header.d=good.test header.s=rsel header.a=rsa-sha256' \
	    'rsa-simple dkim=pass header.d=good.test header.s=rsel header.a=rsa-sha256' \
	    'ed25519 dkim=pass header.d=good.test header.s=sel header.a=ed25519-sha256' \
	    'body dkim=fail reason="body hash did not verify"' \
	    'header dkim=fail reason="signature did not verify"' \
	    'revoked dkim=permerror reason="[^"]*revoked[^"]*" header.d=good.test header.s=revoked' \
	    'missing dkim=permerror reason="[^"]*no key[^"]*" header.d=good.test header.s=nosuch' \
	    'opendkim dkim=permerror reason="rsa-sha1 is refused (RFC 8301 section 3.1)" header.d=good.test header.s=rsel header.a=rsa-sha1'; do
		c=${want%% *}
		f=$(grep -il "^Subject: case $c\$" md/new/*) ||
		    atf_fail "no message for $c"
		sed '/^$/q' "$f" | tr -d '\n' | tr '\t' ' ' >hdr
		grep -q -- "; ${want#* }" hdr || atf_fail "$c: $(cat hdr)"
		# Ours are ASCII (RFC 5322 3.2.4).
		LC_ALL=C grep -q '[^ -~]' hdr && atf_fail "$c: 8-bit: $(cat hdr)"
	done
	:
}
peers_sign_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case session_cache cleanup
session_cache_head()
{
	atf_set "descr" "what the checks found is kept for the session: two signed messages over one connection, the DNS server gone after the first, and the second still has spf, dkim and dmarc pass (HELO's SPF, iprev, the key records of both signatures, the DMARC record); a new session asks again and gets temperror"
}
session_cache_body()
{
	zone rsa
	sink_start
	message joe@good.test | "$MSEND" --host 127.0.0.1 \
	    --port "$SINK_PORT" --tls=off --timeout 10 -f joe@good.test \
	    --dkim-key rsa.pem --dkim-selector rsel --dkim-key ed.pem \
	    --dkim-selector sel --dkim-algorithm ed25519 u@mx.test 2>err ||
	    atf_fail "msend: $(cat err)"
	mkmd md
	start --maildir "$PWD/md" --dns-timeout 1
	cat >send.py <<'PY'
import os, signal, smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("good.test")
m = open(sys.argv[2], "rb").read()
s.sendmail("joe@good.test", ["u@mx.test"], m)
if len(sys.argv) > 3:
    # The DNS server goes away.
    pid = int(open(sys.argv[3]).read())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
s.sendmail("joe@good.test", ["u@mx.test"], m)
s.quit()
PY
	python3 send.py "$PORT" sink/msg.1 nsd.pid || atf_fail "smtplib"
	n=0
	for f in md/new/*; do
		n=$((n + 1))
		sed '/^$/q' "$f" | tr -d '\n' | tr '\t' ' ' >hdr
		for w in 'spf=pass smtp.mailfrom=joe@good.test' \
		    'spf=pass smtp.helo=good.test' \
		    'dkim=pass header.d=good.test header.s=rsel' \
		    'dkim=pass header.d=good.test header.s=sel' \
		    'dmarc=pass header.from=good.test'; do
			grep -qF "$w" hdr || atf_fail "message $n: no $w: $(cat hdr)"
		done
	done
	[ "$n" = 2 ] || atf_fail "$n delivered"
	# A new session: nothing kept, the DNS is gone.
	rm -f md/new/*
	python3 send.py "$PORT" sink/msg.1 || atf_fail "smtplib"
	for f in md/new/*; do
		sed '/^$/q' "$f" | tr -d '\n' | tr '\t' ' ' >hdr
		grep -q 'spf=temperror .*dkim=temperror .*dmarc=temperror' hdr ||
		    atf_fail "new session: $(cat hdr)"
	done
}
session_cache_cleanup()
{
	stop_pidfile msmtpd.pid
	stop_pidfile sink.pid
	dns_stop .
}

atf_test_case spf_fail cleanup
spf_fail_head()
{
	atf_set "descr" "--reject-spf-fail: a sender whose domain's SPF is -all gets 550 5.7.23 at MAIL FROM, and so does a HELO name whose SPF is -all; without it the message is delivered and tagged spf=fail"
}
spf_fail_body()
{
	zone
	mkmd md
	start --maildir "$PWD/md" --reject-spf-fail
	printf 'EHLO client.test\r\nMAIL FROM:<joe@bad.test>\r\nMAIL FROM:<joe@good.test>\r\nQUIT\r\n' >in
	session
	atf_check -o match:'^550 5\.7\.23 SPF of bad\.test does not allow 127\.0\.0\.1' \
	    -o match:'^250 2\.1\.0 Sender <joe@good\.test> OK' -x "tr -d '\r' <out.txt"
	# The HELO name is an identity of its own (RFC 7208 2.3): a HELO
	# name whose SPF fails is refused even for a sender that passes.
	printf 'EHLO bad.test\r\nMAIL FROM:<joe@good.test>\r\nQUIT\r\n' >in
	session
	atf_check -o match:'^550 5\.7\.23 SPF of HELO name bad\.test does not allow 127\.0\.0\.1' \
	    -x "tr -d '\r' <out.txt"
	stop_pidfile msmtpd.pid
	start --maildir "$PWD/md"
	message joe@bad.test | "$MSEND" --host 127.0.0.1 --port "$PORT" \
	    --tls=off --timeout 10 --domain client.test -f joe@bad.test \
	    u@mx.test 2>err ||
	    atf_fail "msend: $(cat err) $(cat listen.log)"
	delivered
	grep -q '^Authentication-Results: mx.test; spf=fail smtp.mailfrom=joe@bad.test; spf=none smtp.helo=client.test; dkim=none; dmarc=fail (p=reject dis=reject) reason="[^"]*" header.from=bad.test;' hdr ||
	    atf_fail "$(cat hdr)"
}
spf_fail_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case null_sender cleanup
null_sender_head()
{
	atf_set "descr" "MAIL FROM:<> is checked with the HELO identity (RFC 7208 2.4): smtp.helo in the field; a quoted local part is quoted there too; more header fields than can be looked at (a forged one of ours could hide past them) get 554 5.6.0"
}
null_sender_body()
{
	zone
	mkmd md
	start --maildir "$PWD/md"
	printf 'EHLO good.test\r\nMAIL FROM:<>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nFrom: <MAILER-DAEMON@good.test>\r\nSubject: bounce\r\n\r\nx\r\n.\r\nQUIT\r\n' >in
	session
	grep -q '^250 2.0.0 Message accepted' out.txt || atf_fail "$(cat out.txt)"
	delivered
	grep -q '^Authentication-Results: mx.test; spf=pass smtp.helo=good.test; dkim=none; dmarc=pass header.from=good.test;' hdr ||
	    atf_fail "$(cat hdr)"
	# So many fields that not all could be looked at: refused.
	{
		printf 'EHLO good.test\r\nMAIL FROM:<>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n'
		printf 'Authentication-Results: mx.test; dkim=pass\r\n'
		awk 'BEGIN { for (i = 0; i < 4100; i++) print "X-F: " i "\r" }'
		printf 'From: j@good.test\r\n\r\nx\r\n.\r\nQUIT\r\n'
	} >in
	session
	grep -q '^554 5.6.0 Message refused: more than 4096 header fields' out.txt ||
	    atf_fail "$(cat out.txt)"
	stop_pidfile msmtpd.pid
	rm -f md/new/*
	# mdeliver takes no quoted sender: a command that keeps the message.
	printf '#!/bin/sh\ncat >"%s/md/new/msg"\n' "$PWD" >save.sh
	chmod +x save.sh
	start --command "$PWD/save.sh"
	printf 'EHLO c.test\r\nMAIL FROM:<"j o;e"@good.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nFrom: j@good.test\r\n\r\nx\r\n.\r\nQUIT\r\n' >in
	session
	delivered
	grep -q '^Authentication-Results: mx.test; spf=pass smtp.mailfrom="j o;e"@good.test; spf=none smtp.helo=c.test; dkim=none; dmarc=pass header.from=good.test;' hdr ||
	    atf_fail "$(cat hdr) $(cat out.txt)"
}
null_sender_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case temperror cleanup
temperror_head()
{
	atf_set "descr" "a DNS server that never answers: spf=temperror, delivered and tagged; with --defer-temperror 451 4.7.24 at MAIL FROM"
}
temperror_body()
{
	DNSPORT=$(dns_silent_start .)
	[ -n "$DNSPORT" ] || atf_fail "no silent DNS server"
	mkmd md
	start --maildir "$PWD/md" --dns-timeout 1
	printf 'EHLO client.test\r\nMAIL FROM:<joe@good.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nFrom: joe@good.test\r\n\r\nx\r\n.\r\nQUIT\r\n' >in
	session
	grep -q '^250 2.0.0 Message accepted' out.txt || atf_fail "$(cat out.txt)"
	delivered
	grep -q '^Authentication-Results: mx.test; spf=temperror reason="good.test TXT: no answer from [^"]*" smtp.mailfrom=joe@good.test; spf=temperror reason="client.test TXT: no answer from [^"]*" smtp.helo=client.test; dkim=none; dmarc=temperror reason="[^"]*" header.from=good.test; iprev=temperror policy.iprev=127.0.0.1$' hdr ||
	    atf_fail "$(cat hdr)"
	stop_pidfile msmtpd.pid
	start --maildir "$PWD/md" --dns-timeout 1 --defer-temperror
	session
	atf_check -o match:'^451 4\.7\.24 SPF of good\.test could not be checked now' \
	    -o not-match:'^250 2\.0\.0' -x "tr -d '\r' <out.txt"
}
temperror_cleanup()
{
	stop_pidfile msmtpd.pid
	stop_pidfile silent.pid
}

# yaml_zone FILE: tests/lib/spf_suite.py serves the zone of FILE (the
# suite's YAML form, python3-dnslib); DNSPORT set.
yaml_zone()
{
	peer_python python3-dnslib dnslib yaml
	"$PY" "$YUBIN_SRCDIR/tests/lib/spf_suite.py" --serve --suite "$1" \
	    --port-file dns.port &
	echo $! >dns.pid
	i=0
	while [ ! -s dns.port ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s dns.port ] || atf_fail "spf_suite.py --serve did not start"
	DNSPORT=$(cat dns.port)
}

atf_test_case iprev cleanup
iprev_head()
{
	atf_set "descr" "iprev (RFC 8601 2.7.3): 127.0.0.1 has a PTR name whose A record is 127.0.0.1 again: iprev=pass; a PTR name that does not lead back: iprev=fail"
}
iprev_body()
{
	cat >zone.yml <<'EOF'
description: msmtpd_auth_test iprev
tests: {}
zonedata:
  1.0.0.127.in-addr.arpa:
    - PTR: elsewhere.test
    - PTR: mx.good.test
  mx.good.test:
    - A: 127.0.0.1
  elsewhere.test:
    - A: 192.0.2.1
  good.test:
    - TXT: "v=spf1 a:mx.good.test -all"
EOF
	yaml_zone zone.yml
	mkmd md
	start --maildir "$PWD/md"
	printf 'EHLO client.test\r\nMAIL FROM:<joe@good.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nFrom: joe@good.test\r\n\r\nx\r\n.\r\nQUIT\r\n' >in
	session
	grep -q '^250 2.0.0 Message accepted' out.txt || atf_fail "$(cat out.txt)"
	delivered
	grep -q '^Authentication-Results: mx.test; spf=pass smtp.mailfrom=joe@good.test; spf=none smtp.helo=client.test; dkim=none; dmarc=none header.from=good.test; iprev=pass policy.iprev=127.0.0.1$' hdr ||
	    atf_fail "$(cat hdr)"
	stop_pidfile msmtpd.pid
	stop_pidfile dns.pid
	rm -f dns.port md/new/*
	sed -i '/PTR: mx.good.test/d' zone.yml
	yaml_zone zone.yml
	start --maildir "$PWD/md"
	session
	delivered
	grep -q '; iprev=fail policy.iprev=127.0.0.1$' hdr || atf_fail "$(cat hdr)"
}
iprev_cleanup()
{
	stop_pidfile msmtpd.pid
	stop_pidfile dns.pid
}

atf_test_case authenticated cleanup
authenticated_head()
{
	atf_set "descr" "an authenticated client sends our own users' mail: no SPF or iprev check, no policy refuses it (a bad.test sender passes --reject-spf-fail and --reject-dmarc), and the field says auth=pass smtp.auth=USER (RFC 8601 2.7.4), but only auth=pass on mail relayed out"
}
authenticated_body()
{
	zone
	mkmd md
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::$PWD/md" >passwd
	chmod 600 passwd
	printf '#!/bin/sh\ncat >"%s/relayed"\n' "$PWD" >relay.sh
	chmod +x relay.sh
	start --maildir "$PWD/md" --passwd-file passwd --allow-plain-auth \
	    --reject-spf-fail --reject-dmarc --domain mx.test \
	    --relay-command "$PWD/relay.sh"
	python3 - "$PORT" <<'PY' || atf_fail "smtplib: $(cat listen.log)"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.test")
s.login("alice", "s3cret")
m = b"From: joe@bad.test\r\nSubject: ours\r\n\r\nx\r\n"
assert s.sendmail("joe@bad.test", ["u@mx.test"], m) == {}
assert s.sendmail("joe@bad.test", ["x@elsewhere.test"], m) == {}
s.quit()
PY
	# Relayed: the user's name does not go out.
	grep -q '^	dmarc=fail .*; auth=pass$\|^	auth=pass$' relayed ||
	    atf_fail "relayed: $(cat relayed)"
	grep -q alice relayed && atf_fail "the name goes out: $(cat relayed)"
	delivered
	grep -q '^Authentication-Results: mx.test; dkim=none; dmarc=fail (p=reject dis=reject) reason="[^"]*" header.from=bad.test; auth=pass smtp.auth=alice$' hdr ||
	    atf_fail "$(cat hdr)"
}
authenticated_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case big cleanup
big_head()
{
	atf_set "descr" "--max-size 0: a 6 MB message signed by msend passes and arrives byte for byte, with our field added (the body moved up) and with a 6 KB forged field of ours removed (moved down); a header section over 1 MiB is refused with 554 5.6.0"
	atf_set "timeout" "120"
}
big_body()
{
	zone
	mkmd md
	start --maildir "$PWD/md" --max-size 0
	# 6 MB in lines of 100, an 8-bit line and a trailing blank line.
	awk 'BEGIN { for (i = 0; i < 60000; i++)
		printf "%06d %s\n", i, substr("abcdefghijklmnopqrstuvwxyz" \
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz" \
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 92)
		printf "caf\303\251\n\n" }' >body
	for forged in none big; do
		rm -f md/new/*
		{
			if [ $forged = big ]; then
				printf 'Authentication-Results: mx.test;\n'
				awk 'BEGIN { for (i = 0; i < 80; i++)
				    printf " dkim=pass header.d=forged%02d.test;" \
				    " reason=\"%s\"\n", i, "padding padding" \
				    " padding padding padding" }'
				printf ' dkim=pass\n'
			fi
			printf 'From: Joe <joe@good.test>\nTo: u@mx.test\n'
			printf 'Subject: big\n\n'
			cat body
		} >msg
		"$MSEND" --host 127.0.0.1 --port "$PORT" --tls=off \
		    --timeout 30 --domain good.test -f joe@good.test \
		    --dkim-key ed.pem --dkim-selector sel \
		    --dkim-algorithm ed25519 u@mx.test <msg 2>err ||
		    atf_fail "msend ($forged): $(cat err) $(cat listen.log)"
		delivered
		grep -q '^Authentication-Results: mx.test; spf=pass smtp.mailfrom=joe@good.test; spf=pass smtp.helo=good.test; dkim=pass header.d=good.test header.s=sel header.a=ed25519-sha256; dmarc=pass header.from=good.test;' hdr ||
		    atf_fail "$forged: $(cat hdr)"
		grep -q forged hdr && atf_fail "$forged: kept: $(cat hdr)"
		sed '1,/^$/d' md/new/* >got
		cmp -s got body || atf_fail "$forged: the body changed: $(cmp got body)"
		# Ours on top, then msmtpd's Received, then the message's.
		sed -n '3,5s/:.*//p' hdr | tr '\n' ' ' >n
		[ "$(cat n)" = "Authentication-Results Received DKIM-Signature " ] ||
		    atf_fail "$forged: fields: $(cat n)"
	done

	# A header section over 1 MiB: refused (the spool is not read
	# further for it).
	cat >send.py <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("good.test")
m = b"".join(b"X-Pad-%04d: %s\r\n" % (i, b"p" * 980) for i in range(1100))
m += b"From: joe@good.test\r\nSubject: huge header\r\n\r\nbody\r\n"
try:
    s.sendmail("joe@good.test", ["u@mx.test"], m)
    print("250")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
PY
	rm -f md/new/*
	python3 send.py "$PORT" >reply || atf_fail "smtplib failed"
	atf_check -o match:'^554 5\.6\.0 Message refused: header section over 1048576 octets' \
	    cat reply
	[ -z "$(ls md/new)" ] || atf_fail "delivered"
}
big_cleanup()
{
	stop_pidfile msmtpd.pid
	dns_stop .
}

atf_test_case queue cleanup
queue_head()
{
	atf_set "descr" "--check-sender with --queue (privsep as root): an authenticated user's 2 MB message signed by msend goes into the queue with our field on top and comes out of msend --flush byte for byte, its signature still passing"
	atf_set "timeout" "60"
}
queue_body()
{
	zone
	mkqueue
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::/nonexistent" >passwd
	chmod 600 passwd
	start --queue "$PWD/qd" --passwd-file passwd --allow-plain-auth \
	    --domain mx.test
	{
		printf 'From: Joe <joe@good.test>\nTo: x@elsewhere.test\n'
		printf 'Subject: queued\n\n'
		awk 'BEGIN { for (i = 0; i < 25000; i++)
		    printf "%05d the quick brown fox jumps over the lazy dog" \
		    " and on and on and on and on\n", i }'
	} >msg
	sed '1,/^$/d' msg >body
	printf 'account alice\nhost 127.0.0.1\nport %s\ntls off\n' "$PORT" \
	    >msend.conf
	printf 'auth plain\nuser alice\npassword s3cret\ntimeout 30\n' \
	    >>msend.conf
	printf 'from joe@good.test\ndomain good.test\nallow_plain_auth on\n' \
	    >>msend.conf
	chmod 600 msend.conf
	"$MSEND" -C msend.conf -a alice --dkim-key ed.pem \
	    --dkim-selector sel --dkim-algorithm ed25519 x@elsewhere.test \
	    <msg 2>err || atf_fail "msend: $(cat err) $(cat listen.log)"
	[ "$(ls qd/q | wc -l)" = 1 ] || atf_fail "queued: $(ls qd/q) $(cat listen.log)"
	sink_start
	"$MSEND" --queue "$PWD/qd" --flush --host 127.0.0.1 \
	    --port "$SINK_PORT" --tls=off --timeout 30 2>err ||
	    atf_fail "flush: $(cat err)"
	[ -f sink/msg.1 ] || atf_fail "not sent: $(cat err)"
	tr -d '\r' <sink/msg.1 >got
	sed -n 1p got | grep -q '^Authentication-Results: mx.test;' ||
	    atf_fail "not on top: $(sed '/^$/q' got)"
	sed '/^$/q' got | grep -q '^	auth=pass$' ||
	    atf_fail "auth: $(sed '/^$/q' got)"
	sed '1,/^$/d' got | cmp -s - body || atf_fail "the body changed"
	# What the sink got verifies (dkimpy, the key from the zone file).
	peer_python python3-dkim dkim nacl
	"$PY" - sink/msg.1 "$(sed -n 's/.*sel._domainkey.good.*p=\(.*\)"$/\1/p' test.extra)" <<'PY' ||
import sys
import dkim
rec = b"v=DKIM1; k=ed25519; p=" + sys.argv[2].encode()
m = open(sys.argv[1], "rb").read()
sys.exit(0 if dkim.verify(m, dnsfunc=lambda name, timeout=5: rec) else 1)
PY
	    atf_fail "dkimpy does not verify what came out of the queue"
}
queue_cleanup()
{
	stop_pidfile msmtpd.pid
	stop_pidfile sink.pid
	dns_stop .
}

atf_test_case mxlookup_dkim cleanup
mxlookup_dkim_head()
{
	atf_set "descr" "mxlookup --dkim verifies what msend signs (RSA and Ed25519, from a file and from stdin) with the zone's keys, and says why a tampered body fails, an unknown selector has no key, an unsigned message is none and an unreachable DNS server is temperror, each with its exit code"
	atf_set "timeout" "60"
}
mxlookup_dkim_body()
{
	zone rsa
	sink_start
	MX="$(yubin_prog mxlookup) --server 127.0.0.1:$DNSPORT --timeout 3"
	message joe@good.test | "$MSEND" --host 127.0.0.1 \
	    --port "$SINK_PORT" --tls=off --timeout 10 -f joe@good.test \
	    --dkim-key rsa.pem --dkim-selector rsel --dkim-key ed.pem \
	    --dkim-selector sel --dkim-algorithm ed25519 u@mx.test 2>err ||
	    atf_fail "msend: $(cat err)"
	atf_check -s exit:0 -o save:out -e empty $MX --dkim sink/msg.1
	atf_check -o inline:"d=good.test s=rsel a=rsa-sha256: pass\nd=good.test s=sel a=ed25519-sha256: pass\npass\n" \
	    sort out
	[ "$(sed -n 1p out)" = pass ] || atf_fail "first line: $(cat out)"
	atf_check -s exit:0 -o save:out2 -e empty $MX -v --dkim <sink/msg.1
	grep -q '^  key: 2048 bits$' out2 || atf_fail "-v: $(cat out2)"
	# The body changed on the way.
	sed 's/^Hello\./Hello, changed./' sink/msg.1 >tampered
	atf_check -s exit:1 -o save:out -e empty $MX --dkim tampered
	grep -qx 'fail' out || atf_fail "$(cat out)"
	grep -qx 'd=good.test s=sel a=ed25519-sha256: fail: body hash did not verify' out ||
	    atf_fail "$(cat out)"
	# A selector the zone does not have.
	sed 's/s=sel;/s=gone;/' sink/msg.1 >nokey
	atf_check -s exit:0 -o save:out -e empty $MX --dkim nokey
	grep -q '^d=good.test s=gone a=ed25519-sha256: permerror: no key for the signature (gone._domainkey.good.test: ' out ||
	    atf_fail "$(cat out)"
	# Not signed; no DNS server; no file.
	message joe@good.test >plain
	atf_check -s exit:4 -o inline:"none\nno DKIM-Signature field: the message is not signed\n" \
	    -e empty $MX --dkim plain
	atf_check -s exit:75 -o match:'^temperror$' -e empty \
	    "$(yubin_prog mxlookup)" --server 127.0.0.1:9 --timeout 1 \
	    --dkim sink/msg.1
	atf_check -s exit:66 -e match:'^mxlookup: nothing: No such file' \
	    $MX --dkim nothing
	atf_check -s exit:64 -e match:'^mxlookup: --dkim goes with' \
	    $MX --dkim --policy sink/msg.1
}
mxlookup_dkim_cleanup()
{
	stop_pidfile sink.pid
	dns_stop .
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "the policy options need --check-sender; --dns-server is checked"
}
usage_body()
{
	atf_check -s exit:64 -e match:'^msmtpd: .*only with --check-sender' \
	    "$MSMTPD" --inetd --reject-dmarc
	atf_check -s exit:64 -e match:'^msmtpd: --dns-server nowhere: ' \
	    "$MSMTPD" --inetd --check-sender --dns-server nowhere
}

atf_init_test_cases()
{
	atf_add_test_case pass
	atf_add_test_case tampered
	atf_add_test_case session_cache
	atf_add_test_case peers_sign
	atf_add_test_case spf_fail
	atf_add_test_case null_sender
	atf_add_test_case temperror
	atf_add_test_case iprev
	atf_add_test_case authenticated
	atf_add_test_case big
	atf_add_test_case queue
	atf_add_test_case mxlookup_dkim
	atf_add_test_case usage
}
