#!/bin/sh
# demo.sh: what `./quickstart demo' shows.  Everything happens in a
# temporary directory and on 127.0.0.1; nothing is left behind.
#   1. mdeliver delivers a message into a fresh Maildir, durably;
#   2. mxlookup asks a real DNS server (NSD, on a loopback port, serving a
#      test zone) where mail for a few domains goes;
#   3. the whole chain: msend (STARTTLS + AUTH, a test CA) submits to
#      msmtpd listening on a loopback port, which hands the message to
#      mdeliver, which writes it into a Maildir;
#   4. the last hops: mpop serve offers that Maildir over POP3 (STLS and
#      a password), mpop fetch pulls it into a second Maildir;
#   5. the same Maildir over IMAP: mimap serve, mimap list, mimap fetch
#      into a third Maildir, and mimap idle woken by a delivery;
#   6. the queue: a message for a server that is down waits, msend --list
#      says why, the server comes up (msmtpd), msend --flush sends it.
#   7. mxlookup --check-sender: does a sending domain meet the bulk-sender
#      requirements (SPF, DKIM, DMARC, alignment, reverse DNS)?
#   8. a message msend signs with that domain's DKIM key arrives at
#      msmtpd --check-sender: dkim=pass spf=pass dmarc=pass.
set -eu
: "${BUILDDIR:?BUILDDIR must name the build directory}"
YUBIN_BUILDDIR=$BUILDDIR
YUBIN_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
atf_skip() { echo "  (skipped: $*)"; return 1; }
atf_fail() { echo "demo: $*" >&2; exit 1; }
. "$YUBIN_SRCDIR/tests/lib/common.sh"
. "$YUBIN_SRCDIR/tests/lib/dns.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/yubin-demo.XXXXXX")
cleanup()
{
	dns_stop "$tmp" 2>/dev/null || :
	stop_pidfile "$tmp/msmtpd.pid" 2>/dev/null || :
	stop_pidfile "$tmp/mpop.pid" 2>/dev/null || :
	stop_pidfile "$tmp/mimap.pid" 2>/dev/null || :
	stop_pidfile "$tmp/idle.pid" 2>/dev/null || :
	stop_pidfile "$tmp/mx.pid" 2>/dev/null || :
	stop_pidfile "$tmp/auth.pid" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

# As root, mdeliver writes as each Maildir's owner, never as root: bob
# and carol are "nobody" here, named in a passwd-file, with home
# directories of their own where their Maildirs get created.
pw=
if [ "$(id -u)" = 0 ]; then
	ids="$(id -u nobody):$(id -g nobody)"
	printf 'bob:*:%s:\ncarol:*:%s:\n' "$ids" "$ids" >"$tmp/users"
	mkdir "$tmp/bob" "$tmp/carol"
	chown "$ids" "$tmp/bob" "$tmp/carol"
	chmod 755 "$tmp"
	pw="--passwd-file $tmp/users"
fi

step "1. mdeliver: a message on stdin into a new Maildir"
cat >"$tmp/message" <<'MSG'
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: =?UTF-8?Q?=E9=83=B5=E4=BE=BF?= (yubin) demo

Hello Bob,
this message went through mdeliver: written to tmp/, fsynced, linked
into new/, and the directory fsynced before mdeliver said "done".
MSG
printf '$ mdeliver --create -f alice@example.org %s--maildir-template %s/%%u/Maildir -- bob@example.net < message\n' "${pw:+$pw }" "$tmp"
# shellcheck disable=SC2086
"$BUILDDIR/mdeliver" --create -f alice@example.org $pw \
    --maildir-template "$tmp/%u/Maildir" -- bob@example.net <"$tmp/message"
echo "exit status $? (0: delivered durably)"
show ls "$tmp/bob/Maildir/new"
echo "--- the delivered file:"
cat "$tmp"/bob/Maildir/new/*

step "2. mxlookup: where does mail go? (NSD on 127.0.0.1 with a test zone)"
if [ -z "$(dns_nsd)" ]; then
	echo "  (nsd is not installed: apt-get install nsd)"
	exit 0
fi
port=$(dns_start "$tmp") || atf_fail "could not start NSD"
m="$BUILDDIR/mxlookup --server 127.0.0.1:$port"
for d in pref.test equal.test implicit.test nullmx.test nosuch.test; do
	printf '\n$ mxlookup %s\n' "$d"
	$m "$d" || echo "exit status $?"
done
printf '\n$ mxlookup --short equal.test   # for scripts; equal preferences shuffled\n'
$m --short equal.test
dns_stop "$tmp" || :

step "3. the chain: msend -> msmtpd -> mdeliver -> Maildir (STARTTLS + AUTH)"
make_certs "$tmp/certs"
hash=$(openssl passwd -6 s3cret)
mkdir -p "$tmp/alice"
echo "alice:$hash:::$tmp/alice/Maildir" >"$tmp/passwd"
port=$(free_port)
printf '$ msmtpd --listen 127.0.0.1:%s --domain example.net --tls-cert server.pem --tls-key server.key --passwd-file passwd --maildir-template ...\n' "$port"
# shellcheck disable=SC2086
PATH="$BUILDDIR:$PATH" "$BUILDDIR/msmtpd" --listen "127.0.0.1:$port" \
    --domain example.net --tls-cert "$tmp/certs/server.pem" \
    --tls-key "$tmp/certs/server.key" --passwd-file "$tmp/passwd" \
    --command mdeliver --create -f %F $pw \
    --maildir-template "$tmp/%u/Maildir" -- %T \; \
    --log stderr --no-resolve --hostname mx.test >"$tmp/msmtpd.log" 2>&1 &
echo $! >"$tmp/msmtpd.pid"
wait_port "$port" || atf_fail "msmtpd did not start: $(cat "$tmp/msmtpd.log")"
printf '$ msend --host localhost --port %s --tls-trust-file ca.pem --user alice --passwordeval "echo ..." -f alice@example.org carol@example.net < message\n' "$port"
"$BUILDDIR/msend" --host localhost --port "$port" \
    --tls-trust-file "$tmp/certs/ca.pem" --user alice \
    --passwordeval 'echo s3cret' -f alice@example.org carol@example.net \
    <"$tmp/message"
echo "exit status $? (0: msmtpd answered 250 after mdeliver stored it)"
echo "--- msmtpd's log:"
cat "$tmp/msmtpd.log"
echo "--- the delivered file:"
cat "$tmp"/carol/Maildir/new/*


step "4. and back out: Maildir -> mpop serve -> POP3 (STLS) -> mpop fetch -> Maildir"
echo "carol:$(openssl passwd -6 c4rol):$(id -u):$(id -g):$tmp/carol/Maildir" \
    >"$tmp/pop.passwd"
if [ "$(id -u)" = 0 ]; then
	# A POP3 server never opens a Maildir as root: carol is "nobody".
	chown -R nobody: "$tmp/carol"
	chmod 755 "$tmp"
	sed -i "s/:0:0:/:$(id -u nobody):$(id -g nobody):/" "$tmp/pop.passwd"
fi
pport=$(free_port)
printf '$ mpop serve --listen 127.0.0.1:%s --passwd-file pop.passwd --tls-cert server.pem --tls-key server.key\n' "$pport"
"$BUILDDIR/mpop" serve --listen "127.0.0.1:$pport" \
    --passwd-file "$tmp/pop.passwd" --tls-cert "$tmp/certs/server.pem" \
    --tls-key "$tmp/certs/server.key" --log stderr --no-resolve \
    >"$tmp/mpop.log" 2>&1 &
echo $! >"$tmp/mpop.pid"
wait_port "$pport" || atf_fail "mpop serve did not start: $(cat "$tmp/mpop.log")"
printf '$ mpop fetch --user carol --passwordeval "echo ..." --tls-trust-file ca.pem --maildir fetched pop3://localhost:%s/\n' "$pport"
"$BUILDDIR/mpop" fetch --user carol --passwordeval 'echo c4rol' \
    --tls-trust-file "$tmp/certs/ca.pem" --maildir "$tmp/fetched" \
    --state "$tmp/fetch.state" "pop3://localhost:$pport/"
echo "exit status $? (0: every message stored durably before it counted as fetched)"
echo "--- mpop serve's log:"
cat "$tmp/mpop.log"
echo "--- the fetched file is the served file, byte for byte:"
show ls "$tmp/fetched/new"
if cmp "$tmp"/fetched/new/* "$tmp"/carol/Maildir/cur/*; then
	echo "identical"
fi


step "5. IMAP: Maildir -> mimap serve (STARTTLS) -> mimap list, fetch, idle"
iport=$(free_port)
printf '$ mimap serve --listen 127.0.0.1:%s --passwd-file pop.passwd --tls-cert server.pem --tls-key server.key\n' "$iport"
"$BUILDDIR/mimap" serve --listen "127.0.0.1:$iport" \
    --passwd-file "$tmp/pop.passwd" --tls-cert "$tmp/certs/server.pem" \
    --tls-key "$tmp/certs/server.key" --log stderr --no-resolve \
    >"$tmp/mimap.log" 2>&1 &
echo $! >"$tmp/mimap.pid"
wait_port "$iport" || atf_fail "mimap serve did not start: $(cat "$tmp/mimap.log")"
url="imap://carol@localhost:$iport"
mi() { "$BUILDDIR/mimap" "$@" --passwordeval 'echo c4rol' \
    --tls-trust-file "$tmp/certs/ca.pem" "$url"; }
printf '$ mimap list --passwordeval "echo ..." --tls-trust-file ca.pem %s\n' "$url"
mi list
printf '$ mimap fetch --maildir imap-fetched ... %s\n' "$url"
mi fetch --maildir "$tmp/imap-fetched" --state "$tmp/imap.state"
if cmp "$tmp"/imap-fetched/new/* "$tmp"/carol/Maildir/cur/*; then
	echo "identical to the served file"
fi
printf '$ mimap idle --timeout 30 ... %s &   # waits for new mail\n' "$url"
mi idle --timeout 30 &
echo $! >"$tmp/idle.pid"
sleep 1
printf '$ mdeliver ... carol@example.net < message\n'
# shellcheck disable=SC2086
"$BUILDDIR/mdeliver" --create -f alice@example.org $pw \
    --maildir-template "$tmp/%u/Maildir" -- carol@example.net <"$tmp/message"
rc=0
wait "$(cat "$tmp/idle.pid")" || rc=$?
rm -f "$tmp/idle.pid"
echo "mimap idle: exit status $rc (0: new mail came, 75: timed out)"
printf '$ mimap fetch --maildir imap-fetched ... %s\n' "$url"
mi fetch --maildir "$tmp/imap-fetched" --state "$tmp/imap.state"
stop_pidfile "$tmp/mimap.pid"
echo "--- mimap serve's log:"
cat "$tmp/mimap.log"

step "6. the queue: msend --queue, the server down, msend --list, then --flush"
# The queue belongs to a user of its own; as root msend works it as that
# user ("nobody" here), never as root.
mkdir "$tmp/queue"
[ "$(id -u)" != 0 ] || chown "$(id -u nobody):$(id -g nobody)" "$tmp/queue"
mxport=$(free_port)
q="$BUILDDIR/msend --queue $tmp/queue"
printf '$ msend --queue queue -f alice@example.org carol@example.net < message
'
$q -f alice@example.org carol@example.net <"$tmp/message"
echo "exit status $? (0: the message is on disk in the queue)"
printf '$ msend --queue queue --flush --host localhost --port %s --tls=off   # nothing listens there
' "$mxport"
$q --flush --host localhost --port "$mxport" --tls=off 2>&1 || :
printf '$ msend --queue queue --list
'
$q --list
echo "--- the server comes up: msmtpd on port $mxport, delivering to carol's Maildir"
# shellcheck disable=SC2086
PATH="$BUILDDIR:$PATH" "$BUILDDIR/msmtpd" --listen "127.0.0.1:$mxport" \
    --command mdeliver --create -f %F $pw \
    --maildir-template "$tmp/%u/Maildir" -- %T \; \
    --log stderr --no-resolve --hostname mx.test >"$tmp/mx.log" 2>&1 &
echo $! >"$tmp/mx.pid"
wait_port "$mxport" || atf_fail "msmtpd did not start: $(cat "$tmp/mx.log")"
printf '$ msend --queue queue --flush --retry-now --host localhost --port %s --tls=off
' "$mxport"
$q --flush --retry-now --host localhost --port "$mxport" --tls=off 2>&1
printf '$ msend --queue queue --list
'
$q --list
echo "--- carol's Maildir:"
ls "$tmp"/carol/Maildir/new "$tmp"/carol/Maildir/cur
stop_pidfile "$tmp/mx.pid"

step "7. mxlookup --check-sender: would a sender's mail meet the bulk-sender rules?"
# The test zone gets news.test (everything right: SPF for 127.0.0.1, an
# Ed25519 DKIM key made now, DMARC p=none) and shop.test (SPF for another
# address only), and a reverse zone names 127.0.0.1 mx.test, which
# resolves back.
(umask 077; openssl genpkey -algorithm ed25519 -out "$tmp/news.key" 2>/dev/null)
ed=$(openssl pkey -in "$tmp/news.key" -pubout -outform DER 2>/dev/null |
    tail -c 32 | base64)
cat >"$tmp/test.extra" <<EOF
news		TXT	"v=spf1 ip4:127.0.0.1 -all"
s1._domainkey.news	TXT	"v=DKIM1; k=ed25519; p=$ed"
_dmarc.news	TXT	"v=DMARC1; p=none; rua=mailto:dmarc@news.test"
shop		TXT	"v=spf1 ip4:192.0.2.1 -all"
EOF
echo "1.0.0		PTR	mx.test." >"$tmp/rev.extra"
port=$(dns_start "$tmp") || atf_fail "could not start NSD"
m="$BUILDDIR/mxlookup --server 127.0.0.1:$port"
for d in news.test shop.test; do
	printf '\n$ mxlookup --check-sender --selector s1 --ip 127.0.0.1 %s\n' "$d"
	$m --check-sender --selector s1 --ip 127.0.0.1 "$d" ||
	    echo "exit status $? (65: a requirement is not met)"
done

step "8. a signed message arrives: msend signs (DKIM), msmtpd --check-sender verifies"
# news.test's key is the one published above; msmtpd asks the same NSD
# for SPF, the DKIM key, DMARC and the reverse name of 127.0.0.1.
cat >"$tmp/news" <<'MSG'
From: News <alice@news.test>
To: Carol <carol@example.net>
Subject: This week at news.test

Signed by msend with news.test's Ed25519 key; checked by msmtpd.
MSG
aport=$(free_port)
printf '$ msmtpd --listen 127.0.0.1:%s --check-sender --dns-server 127.0.0.1:%s --hostname mx.test --command mdeliver ...\n' "$aport" "$port"
# shellcheck disable=SC2086
PATH="$BUILDDIR:$PATH" "$BUILDDIR/msmtpd" --listen "127.0.0.1:$aport" \
    --check-sender --dns-server "127.0.0.1:$port" --hostname mx.test \
    --command mdeliver --create -f %F $pw \
    --maildir-template "$tmp/%u/Maildir" -- %T \; \
    --log stderr --no-resolve >"$tmp/auth.log" 2>&1 &
echo $! >"$tmp/auth.pid"
wait_port "$aport" || atf_fail "msmtpd did not start: $(cat "$tmp/auth.log")"
printf '$ msend --host localhost --port %s --tls=off --domain news.test --dkim-key news.key --dkim-selector s1 --dkim-algorithm ed25519 -f alice@news.test carol@example.net < news\n' "$aport"
"$BUILDDIR/msend" --host localhost --port "$aport" --tls=off \
    --domain news.test --dkim-key "$tmp/news.key" --dkim-selector s1 \
    --dkim-algorithm ed25519 -f alice@news.test carol@example.net \
    <"$tmp/news"
echo "exit status $? (0: checked, tagged and delivered)"
stop_pidfile "$tmp/auth.pid"
echo "--- msmtpd's log:"
cat "$tmp/auth.log"
echo "--- the delivered file's header:"
sed '/^$/q' "$(grep -l '^Subject: This week' "$tmp"/carol/Maildir/new/*)"
dns_stop "$tmp" || :

echo
echo "Next: ./quickstart check runs the test suite; man man/msend.1 man/mpop.1 man/mimap.1 man/msmtpd.8"
