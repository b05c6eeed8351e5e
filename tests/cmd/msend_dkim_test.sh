# msend_dkim_test: msend --dkim-key signs what it sends (RFC 6376, RFC
# 8463), and peers nobody here wrote verify it: dkimpy (python3-dkim),
# with the key records handed to it (no DNS), and OpenDKIM's
# opendkim-testmsg, which asks DNS: an NSD serving the records, reached
# through a resolv.conf of a private mount namespace.  RSA and Ed25519,
# relaxed and simple, LF and CRLF input, an 8-bit body, a long folded
# header, several signatures, the queue, msend.conf.  Keys are made by
# certtool at test time; none is in the tree.

LC_ALL=C
export LC_ALL

. "$YUBIN_SRCDIR/tests/lib/queue.sh"

# dkimpy is a test peer (tests/lib/common.sh, peer_python).
dkim_python()
{
	peer_python python3-dkim dkim nacl
}

# keys: rsa.pem (2048 bits) and ed.pem, mode 600, and their records'
# p= values in rsa.pub and ed.pub.
keys()
{
	peer_require certtool
	(umask 077
	certtool --generate-privkey --key-type rsa --bits 2048 \
	    --outfile rsa.pem 2>/dev/null &&
	certtool --generate-privkey --key-type ed25519 \
	    --outfile ed.pem 2>/dev/null) || atf_fail "certtool failed"
	# RSA: the SubjectPublicKeyInfo; Ed25519: the bare 32 octets at
	# the end of it (RFC 8463 §4.2).
	certtool --load-privkey rsa.pem --pubkey-info --outder 2>/dev/null |
	    base64 -w0 >rsa.pub
	certtool --load-privkey ed.pem --pubkey-info --outder 2>/dev/null |
	    tail -c 32 | base64 -w0 >ed.pub
	[ -s rsa.pub ] && [ "$(wc -c <ed.pub)" = 44 ] ||
	    atf_fail "public keys: $(cat rsa.pub ed.pub)"
}

# verify FILE SEL:TYPE:PUBFILE...: dkimpy checks every signature of
# FILE, with these records for the selectors; prints one word each.
verify()
{
	cat >verify.py <<'PY'
import sys
import dkim

msg = open(sys.argv[1], "rb").read()
recs = {}
for a in sys.argv[2:]:
    sel, k, f = a.split(":")
    recs[sel] = ("v=DKIM1; k=%s; p=%s" % (k, open(f).read().strip())).encode()

def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return recs.get(name.split(".")[0])

d = dkim.DKIM(msg)
head = msg.split(b"\r\n\r\n")[0]
n = sum(1 for l in head.split(b"\r\n") if l.lower().startswith(b"dkim-signature:"))
ok = n > 0
for i in range(n):
    try:
        r = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        sys.stderr.write("signature %d: %s\n" % (i, e))
        r = False
    print("pass" if r else "fail")
    ok = ok and r
sys.exit(0 if ok else 1)
PY
	"$PY" verify.py "$@"
}

# expect "WORDS " FILE SEL:TYPE:PUBFILE...: dkimpy says these words
# (each followed by a space) for FILE's signatures.
expect()
{
	_want=$1
	shift
	verify "$@" >out 2>verr
	_got=$(tr '\n' ' ' <out)
	[ "$_got" = "$_want" ] ||
	    atf_fail "dkimpy on $1: got '$_got', want '$_want' $(cat verr)"
}

# send ARGS...: msend to the sink, the message on stdin.
send()
{
	"$(yubin_prog msend)" --host 127.0.0.1 --port "$SINK_PORT" --tls=off \
	    --timeout 10 -f joe@example.org "$@"
}

# The message: a long folded Subject, 8-bit text, trailing white space
# and empty lines at the end (what canonicalization changes).
message()
{
	_e=${1:-\\n}
	printf "From: Joe Sixpack <joe@example.org>$_e"
	printf "To: Bob <bob@example.net>$_e"
	printf "Subject: a subject long enough that it had to be folded, as$_e"
	printf " mail clients do, onto a second line$_e\tand a third$_e"
	printf "MIME-Version: 1.0$_e"
	printf "Content-Type: text/plain; charset=utf-8$_e"
	printf "Content-Transfer-Encoding: 8bit$_e"
	printf "List-Id: <not.signed.example>$_e$_e"
	printf "Hello  Bob, \t$_e"
	printf "\346\227\245\346\234\254\350\252\236 text$_e"
	printf ".a line with a dot$_e$_e$_e"
}

atf_test_case rsa_ed25519 cleanup
rsa_ed25519_head()
{
	atf_set "descr" "an RSA and an Ed25519 signature on one message (relaxed/relaxed, LF input, 8-bit body, folded header): dkimpy verifies both; From oversigned, List-Id not signed"
}
rsa_ed25519_body()
{
	dkim_python
	keys
	sink_start
	message | send --dkim-key rsa.pem --dkim-selector r \
	    --dkim-key ed.pem --dkim-selector e --dkim-algorithm ed25519 \
	    bob@example.net 2>err || atf_fail "msend: $? $(cat err)"
	expect "pass pass " sink/msg.1 r:rsa:rsa.pub \
	    e:ed25519:ed.pub
	grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=r;' sink/msg.1 ||
	    atf_fail "$(cat sink/msg.1)"
	grep -q 'a=ed25519-sha256' sink/msg.1 || atf_fail "$(cat sink/msg.1)"
	tr -d '\r\n\t ' <sink/msg.1 >flat
	grep -q 'h=from:to:subject:mime-version:content-type:content-transfer-encoding:date:message-id:from;' flat ||
	    atf_fail "h=: $(cat sink/msg.1)"
	# No line of ours passes 78 characters.
	sed -n '1,/^DKIM-Signature: v=1; a=ed/p' sink/msg.1 | tr -d '\r' |
	    awk 'length > 78 { bad = 1 } END { exit bad }' ||
	    atf_fail "a long line: $(cat sink/msg.1)"
	# The records swapped: both fail.
	expect "fail fail " sink/msg.1 \
	    r:rsa:ed.pub e:ed25519:rsa.pub
	# A changed body fails, a changed List-Id does not.
	sed 's/Hello  Bob/Hello  Rob/' sink/msg.1 >body.changed
	expect "fail fail " body.changed \
	    r:rsa:rsa.pub e:ed25519:ed.pub
	sed 's/not\.signed/changed/' sink/msg.1 >list.changed
	expect "pass pass " list.changed r:rsa:rsa.pub \
	    e:ed25519:ed.pub
}
rsa_ed25519_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case list_unsubscribe cleanup
list_unsubscribe_head()
{
	atf_set "descr" "--list-unsubscribe: List-Unsubscribe with the https and mailto URIs and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058), replacing the message's own, both signed and oversigned (RFC 8058 4): dkimpy verifies, and fails a changed URI or an added field; without it List-* is not signed"
}
list_unsubscribe_body()
{
	dkim_python
	keys
	sink_start
	{
		printf 'From: News <joe@example.org>\nTo: bob@example.net\n'
		printf 'List-Unsubscribe: <https://old.example/u>\n'
		printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
		printf 'Subject: news\n\nthis week\n'
	} >msg
	send --dkim-key ed.pem --dkim-selector e \
	    --list-unsubscribe 'https://example.org/u/Zm9v?l=news' \
	    --list-unsubscribe 'mailto:unsub@example.org?subject=u-Zm9v' \
	    bob@example.net <msg 2>err || atf_fail "msend: $? $(cat err)"
	atf_check -o empty cat err
	expect "pass " sink/msg.1 e:ed25519:ed.pub
	tr -d '\r' <sink/msg.1 >got
	atf_check -o inline:"List-Unsubscribe: <https://example.org/u/Zm9v?l=news>, <mailto:unsub@example.org?subject=u-Zm9v>\n" \
	    grep '^List-Unsubscribe:' got
	atf_check -o inline:"List-Unsubscribe-Post: List-Unsubscribe=One-Click\n" \
	    grep '^List-Unsubscribe-Post:' got
	tr -d '\r\n\t ' <sink/msg.1 >flat
	grep -q 'h=from:to:subject:date:message-id:from:list-unsubscribe:list-unsubscribe:list-unsubscribe-post:list-unsubscribe-post;' flat ||
	    atf_fail "h=: $(cat sink/msg.1)"
	sed 's,u/Zm9v,u/QmFy,' sink/msg.1 >changed
	expect "fail " changed e:ed25519:ed.pub
	{ printf 'List-Unsubscribe: <https://evil.example/>\r\n'
	  cat sink/msg.1; } >added
	expect "fail " added e:ed25519:ed.pub
	# Without the option the message's own fields go as they are,
	# unsigned (a list may rewrite them).
	send --dkim-key ed.pem --dkim-selector e bob@example.net <msg \
	    2>err || atf_fail "msend: $? $(cat err)"
	grep -q '^List-Unsubscribe: <https://old.example/u>' sink/msg.2 ||
	    atf_fail "$(cat sink/msg.2)"
	tr -d '\r\n\t ' <sink/msg.2 >flat
	grep -q 'h=from:to:subject:date:message-id:from;' flat ||
	    atf_fail "h=: $(cat sink/msg.2)"
	# Without a key: sent, with a warning.
	send --list-unsubscribe https://example.org/u bob@example.net \
	    <msg 2>err || atf_fail "msend: $? $(cat err)"
	atf_check -o match:'^msend: warning: --list-unsubscribe without --dkim-key' \
	    cat err
	M=$(yubin_prog msend)
	atf_check -s exit:64 -o empty \
	    -e match:'^msend: --list-unsubscribe: one-click unsubscription needs an https: URI' \
	    "$M" --list-unsubscribe mailto:u@example.org bob@example.net \
	    </dev/null
	atf_check -s exit:64 -o empty \
	    -e match:'^msend: --list-unsubscribe http://example.org/u: not an https: or mailto: URI$' \
	    "$M" --list-unsubscribe http://example.org/u bob@example.net \
	    </dev/null
	atf_check -s exit:64 -o empty -e match:'one https: URI only' \
	    "$M" --list-unsubscribe https://a.example/ \
	    --list-unsubscribe https://b.example/ bob@example.net </dev/null
	atf_check -s exit:64 -o empty -e match:"holds a space, '<'" \
	    "$M" --list-unsubscribe 'https://a.example/>, <https://evil/' \
	    bob@example.net </dev/null
	atf_check -s exit:64 -o empty -e match:'too long' \
	    "$M" --list-unsubscribe "https://a.example/$(printf '%0990d' 0)" \
	    bob@example.net </dev/null
}
list_unsubscribe_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case simple_crlf cleanup
simple_crlf_head()
{
	atf_set "descr" "simple/simple and the other mixes, CRLF and LF input, an empty body, a body without its last line end: dkimpy verifies"
}
simple_crlf_body()
{
	dkim_python
	keys
	sink_start
	n=0
	for c in simple/simple relaxed/simple simple/relaxed relaxed/relaxed; do
		for eol in '\r\n' '\n'; do
			for k in rsa ed; do
				n=$((n + 1))
				message "$eol" | send --dkim-key $k.pem \
				    --dkim-selector s$k \
				    --dkim-canonicalization $c bob@example.net \
				    2>err || atf_fail "msend: $? $(cat err)"
				grep -q "c=$c;" sink/msg.$n ||
				    atf_fail "$c: $(cat sink/msg.$n)"
				verify sink/msg.$n srsa:rsa:rsa.pub \
				    sed:ed25519:ed.pub >out ||
				    atf_fail "$c $eol $k: $(cat out)"
			done
		done
	done
	for c in simple/simple relaxed/relaxed; do
		n=$((n + 1))
		printf 'From: joe@example.org\nSubject: empty\n' |
		    send --dkim-key rsa.pem --dkim-selector srsa \
		    --dkim-canonicalization $c bob@example.net ||
		    atf_fail "msend empty"
		verify sink/msg.$n srsa:rsa:rsa.pub >out ||
		    atf_fail "empty body $c: $(cat out)"
		n=$((n + 1))
		printf 'From: joe@example.org\n\nno line end' |
		    send --dkim-key ed.pem --dkim-selector sed \
		    --dkim-canonicalization $c bob@example.net ||
		    atf_fail "msend no eol"
		verify sink/msg.$n sed:ed25519:ed.pub >out ||
		    atf_fail "no last line end $c: $(cat out)"
	done
}
simple_crlf_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case queue cleanup
queue_head()
{
	atf_set "descr" "--queue and --batch sign at enqueue (the key read before msend becomes the queue's owner); --flush sends it as signed and dkimpy verifies; d= is the From: domain in A-labels"
}
queue_body()
{
	dkim_python
	keys
	mkqueue
	M=$(yubin_prog msend)
	message | "$M" --queue "$PWD/qd" -f joe@example.org \
	    --dkim-key "$PWD/ed.pem" --dkim-selector e bob@example.net \
	    2>err || atf_fail "enqueue: $? $(cat err)"
	set -- qd/q/*
	grep -q '^DKIM-Signature: v=1; a=ed25519-sha256' "$1" ||
	    atf_fail "not signed in the queue: $(cat "$1")"
	sink_start
	"$M" --queue "$PWD/qd" --flush --host 127.0.0.1 --port "$SINK_PORT" \
	    --tls=off --timeout 10 2>err || atf_fail "flush: $? $(cat err)"
	expect "pass " sink/msg.1 e:ed25519:ed.pub
	[ "$(grep -c '^DKIM-Signature' sink/msg.1)" = 1 ] ||
	    atf_fail "signed twice: $(cat sink/msg.1)"
	# --batch signs each message, for its own From: domain (IDNA).
	mkdir outbox
	message >outbox/1
	printf 'From: j@b\303\274cher.example\nTo: bob@example.net\n\nhi\n' \
	    >outbox/2
	"$M" --queue "$PWD/qd" --batch outbox -t -f joe@example.org \
	    --dkim-key "$PWD/rsa.pem" --dkim-selector r 2>err ||
	    atf_fail "batch: $? $(cat err)"
	"$M" --queue "$PWD/qd" --flush --host 127.0.0.1 --port "$SINK_PORT" \
	    --tls=off --timeout 10 2>err || atf_fail "flush: $? $(cat err)"
	for n in 2 3; do
		expect "pass " sink/msg.$n r:rsa:rsa.pub
	done
	cat sink/msg.2 sink/msg.3 | tr -d '\r\n\t ' >flat
	grep -q 'd=example.org;s=r;' flat && \
	    grep -q 'd=xn--bcher-kva.example;s=r;' flat ||
	    atf_fail "d=: $(cat sink/msg.2 sink/msg.3)"
}
queue_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case config cleanup
config_head()
{
	atf_set "descr" "-f picks the account (and so the key) of its domain; dkim_key, dkim_selector, dkim_domain, dkim_algorithm, dkim_canonicalization in msend.conf (two signatures: key rotation); the command line's replace them; --dkim-expire gives x="
}
config_body()
{
	dkim_python
	keys
	sink_start
	cat >msend.conf <<EOF
defaults
dkim_key $PWD/rsa.pem
dkim_selector old
account main
host 127.0.0.1
port $SINK_PORT
tls off
from joe@example.org
dkim_key $PWD/rsa.pem
dkim_selector old
dkim_domain Example.ORG
dkim_key $PWD/ed.pem
dkim_selector new
dkim_algorithm ed25519
dkim_canonicalization simple/simple
account default : main
EOF
	message | "$(yubin_prog msend)" -C msend.conf bob@example.net 2>err ||
	    atf_fail "msend: $? $(cat err)"
	expect "pass pass " sink/msg.1 old:rsa:rsa.pub \
	    new:ed25519:ed.pub
	grep -q 's=old;' sink/msg.1 && grep -q 's=new;' sink/msg.1 ||
	    atf_fail "$(cat sink/msg.1)"
	message | "$(yubin_prog msend)" -C msend.conf --dkim-key ed.pem \
	    --dkim-selector cl --dkim-domain mail.example.org \
	    --dkim-expire 2h bob@example.net 2>err ||
	    atf_fail "msend: $? $(cat err)"
	# x= is t= + 2 hours
	t=$(tr -d '\r\n\t ' <sink/msg.2 | sed -n 's/.*;t=\([0-9]*\);.*/\1/p')
	x=$(tr -d '\r\n\t ' <sink/msg.2 | sed -n 's/.*;x=\([0-9]*\);.*/\1/p')
	[ -n "$t" ] && [ -n "$x" ] && [ $((x - t)) = 7200 ] ||
	    atf_fail "t=$t x=$x"
	[ "$(grep -c '^DKIM-Signature' sink/msg.2)" = 1 ] ||
	    atf_fail "$(cat sink/msg.2)"
	tr -d '\r\n\t ' <sink/msg.2 | grep -q 'd=mail.example.org;s=cl;' ||
	    atf_fail "$(cat sink/msg.2)"
	expect "pass " sink/msg.2 cl:ed25519:ed.pub
	atf_check -s exit:64 -o empty -e match:'--dkim-expire 10: expected' \
	    "$(yubin_prog msend)" --dkim-key ed.pem --dkim-expire 10 \
	    bob@example.net </dev/null
	# A key per sending domain: -f picks the account whose from
	# matches (msmtp's rule; a pattern as msmtp 1.8.16's).
	cat >domains.conf <<EOF
defaults
host 127.0.0.1
port $SINK_PORT
tls off
account news
from *@News.Example.org
dkim_key $PWD/ed.pem
dkim_selector news
account shop
from shop@example.org
dkim_key $PWD/rsa.pem
dkim_selector shop
account plain
from joe@example.org
account default : plain
EOF
	for f in joe@news.example.org:news shop@example.org:shop \
	    joe@example.org: nobody@elsewhere.example:; do
		rm -f sink/msg.*
		printf 'From: <%s>\nSubject: s\n\nx\n' "${f%%:*}" |
		    "$(yubin_prog msend)" -C domains.conf -f "${f%%:*}" \
		    bob@example.net 2>err ||
		    atf_fail "msend -f ${f%%:*}: $? $(cat err)"
		sel=$(tr -d '\r\n\t ' <sink/msg.1 |
		    sed -n 's/.*DKIM-Signature:.*;s=\([a-z]*\);.*/\1/p')
		[ "$sel" = "${f#*:}" ] ||
		    atf_fail "-f ${f%%:*}: selector '$sel', want '${f#*:}'"
	done
	atf_check -s exit:64 -o empty \
	    -e match:'^msend: the account.s from \*@News.Example.org is a pattern' \
	    "$(yubin_prog msend)" -C domains.conf -a news bob@example.net \
	    </dev/null
	printf 'account x\ndkim_selector s\n' >bad.conf
	atf_check -s exit:78 -o empty \
	    -e match:'bad.conf:2: dkim_selector: comes after the dkim_key' \
	    "$(yubin_prog msend)" -C bad.conf -a x bob@example.net </dev/null
}
config_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case refused
refused_head()
{
	atf_set "descr" "a key others may read, no selector, the wrong algorithm, a key that is not one, a From without a domain: refused before anything is sent, the key's text never in a message"
}
refused_body()
{
	keys
	M=$(yubin_prog msend)
	cp rsa.pem open.pem
	chmod 644 open.pem
	atf_check -s exit:78 -o empty \
	    -e match:'^msend: --dkim-key open.pem: mode 0644 lets others read the private key' \
	    "$M" --host 127.0.0.1 --port 9 --dkim-key open.pem \
	    --dkim-selector s bob@example.net </dev/null
	atf_check -s exit:64 -o empty -e match:'no --dkim-selector' \
	    "$M" --host 127.0.0.1 --port 9 --dkim-key rsa.pem \
	    bob@example.net </dev/null
	atf_check -s exit:64 -o empty \
	    -e match:'--dkim-selector: give it after the --dkim-key' \
	    "$M" --dkim-selector s --dkim-key rsa.pem bob@example.net \
	    </dev/null
	atf_check -s exit:78 -o empty -e match:'an RSA key, not ed25519' \
	    "$M" --host 127.0.0.1 --port 9 --dkim-key rsa.pem \
	    --dkim-selector s --dkim-algorithm ed25519 bob@example.net \
	    </dev/null
	(umask 077; echo 'secret-looking text' >junk.pem)
	atf_check -s exit:78 -o empty -e match:'not a PEM private key' \
	    -e not-match:'secret-looking' "$M" --host 127.0.0.1 --port 9 \
	    --dkim-key junk.pem --dkim-selector s bob@example.net </dev/null
	atf_check -s exit:64 -o empty -e match:'expected rsa or ed25519' \
	    "$M" --dkim-key rsa.pem --dkim-algorithm dsa bob@example.net \
	    </dev/null
	# RFC 8301 §3.2: no RSA key under 1024 bits.
	(umask 077; certtool --generate-privkey --key-type rsa --bits 768 \
	    --outfile small.pem 2>/dev/null) || atf_fail "certtool"
	atf_check -s exit:78 -o empty -e match:'at least 1024' \
	    "$M" --host 127.0.0.1 --port 9 --dkim-key small.pem \
	    --dkim-selector s bob@example.net </dev/null
	printf 'From: undisclosed-sender:;\n\nx\n' >nodomain
	atf_check -s exit:65 -o empty -e match:'no domain to sign for' \
	    "$M" --host 127.0.0.1 --port 9 -f '<>' --dkim-key rsa.pem \
	    --dkim-selector s bob@example.net <nodomain
}

# opendkim_check FILE...: opendkim-testmsg verifies each FILE, asking
# DNS: in a mount and network namespace of its own (as root; else one of
# a user namespace too), NSD answers for example.org on 127.0.0.1:53
# with the records of rsa.pub and ed.pub (selectors r and e), and
# /etc/resolv.conf is bound to one that names it.  One line "FILE
# pass|fail" each into ./opendkim.out.
opendkim_check()
{
	peer_require opendkim-testmsg unshare ip
	nsd=$(for n in "${NSD:-}" /usr/sbin/nsd /usr/local/sbin/nsd; do
		[ -n "$n" ] && [ -x "$n" ] && { echo "$n"; break; }
	done)
	[ -n "$nsd" ] ||
	    atf_fail "nsd is not installed (./quickstart check installs it)"
	mkdir -p ns
	r=$(cat rsa.pub)
	# A TXT string is at most 255 octets (RFC 1035 3.3.14): two, joined
	# by the verifier (RFC 6376 3.6.2.2).
	r1=$(printf %s "$r" | cut -c1-200)
	r2=$(printf %s "$r" | cut -c201-)
	cat >ns/example.org.zone <<EOF
\$ORIGIN example.org.
\$TTL 3600
@		SOA	ns.example.org. hostmaster.example.org. 1 3600 600 86400 300
@		NS	ns.example.org.
ns		A	127.0.0.1
r._domainkey	TXT	"v=DKIM1; k=rsa; p=$r1" "$r2"
e._domainkey	TXT	"v=DKIM1; k=ed25519; p=$(cat ed.pub)"
EOF
	cat >ns/nsd.conf <<EOF
server:
	ip-address: 127.0.0.1
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$PWD/ns"
	pidfile: "$PWD/ns/nsd.pid.nsd"
	database: ""
	zonelistfile: "$PWD/ns/zone.list"
	xfrdfile: "$PWD/ns/xfrd.state"
	xfrdir: "$PWD/ns"
	logfile: "$PWD/ns/nsd.log"
	server-count: 1
	reuseport: no
remote-control:
	control-enable: no
zone:
	name: "example.org"
	zonefile: "example.org.zone"
EOF
	echo "nameserver 127.0.0.1" >ns/resolv.conf
	cat >ns/run.sh <<'EOF'
nsd=$1
shift
ip link set lo up || exit 1
mount --bind "$PWD/ns/resolv.conf" /etc/resolv.conf || exit 1
"$nsd" -d -c "$PWD/ns/nsd.conf" >"$PWD/ns/nsd.out" 2>&1 &
pid=$!
# NSD lives in this namespace only as long as we do.
trap 'kill $pid 2>/dev/null' EXIT INT TERM
i=0
while [ $i -lt 100 ] &&
    ! grep -q 'nsd started' "$PWD/ns/nsd.log" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
for f; do
	if opendkim-testmsg <"$f" 2>>"$PWD/opendkim.err"; then
		echo "$f pass"
	else
		echo "$f fail"
	fi
done >"$PWD/opendkim.out"
kill $pid
wait $pid 2>/dev/null
exit 0
EOF
	if [ "$(id -u)" = 0 ]; then
		unshare -m -n sh ns/run.sh "$nsd" "$@" >ns.out 2>&1
	else
		unshare -r -m -n sh ns/run.sh "$nsd" "$@" >ns.out 2>&1
	fi || atf_fail "no namespace for OpenDKIM's DNS:" \
	    "$(cat ns.out ns/nsd.out 2>/dev/null | tr '\n' ' ')"
}

atf_test_case opendkim cleanup
opendkim_head()
{
	atf_set "descr" "OpenDKIM (opendkim-testmsg, keys from DNS) verifies what msend signs: RSA and Ed25519, relaxed and simple, LF and CRLF input, 8-bit body, folded header; a changed body fails"
}
opendkim_body()
{
	keys
	sink_start
	message | send --dkim-key rsa.pem --dkim-selector r bob@example.net ||
	    atf_fail "msend 1"
	message '\r\n' | send --dkim-key ed.pem --dkim-selector e \
	    --dkim-canonicalization simple/simple bob@example.net ||
	    atf_fail "msend 2"
	message '\r\n' | send --dkim-key rsa.pem --dkim-selector r \
	    --dkim-canonicalization simple/relaxed bob@example.net ||
	    atf_fail "msend 3"
	message | send --dkim-key ed.pem --dkim-selector e \
	    --dkim-canonicalization relaxed/simple bob@example.net ||
	    atf_fail "msend 4"
	sed 's/Hello  Bob/Hello  Rob/' sink/msg.1 >changed.1
	sed 's/Hello  Bob/Hello  Rob/' sink/msg.2 >changed.2
	opendkim_check sink/msg.1 sink/msg.2 sink/msg.3 sink/msg.4 \
	    changed.1 changed.2
	cat >want <<EOF
sink/msg.1 pass
sink/msg.2 pass
sink/msg.3 pass
sink/msg.4 pass
changed.1 fail
changed.2 fail
EOF
	cmp -s want opendkim.out || atf_fail "opendkim-testmsg:" \
	    "$(cat opendkim.out opendkim.err | tr '\n' ' ')"
}
opendkim_cleanup()
{
	stop_pidfile sink.pid
}

atf_init_test_cases()
{
	atf_add_test_case rsa_ed25519
	atf_add_test_case list_unsubscribe
	atf_add_test_case simple_crlf
	atf_add_test_case queue
	atf_add_test_case config
	atf_add_test_case refused
	atf_add_test_case opendkim
}
