#!/bin/sh
# bench/auth.sh: the cost of sender-domain authentication (issue 11).
#
#   sign     DKIM signing rate, messages per second, 4 KB messages,
#            RSA-2048 and Ed25519, side by side in one run:
#              msend           `msend --queue Q --batch SRC -t` from one
#                              process, enqueued without and with
#                              --dkim-key: the difference of the two
#                              times is the signing cost, the rate with
#                              signing what a sender sees
#              dkimpy          python3-dkim, dkim.sign() in a loop in one
#                              process, the messages read beforehand
#              opendkim-testmsg  one process per message, as it works
#                              (RSA only: it has no Ed25519 signing)
#
#   receive  msmtpd's receive rate with --check-sender off and on, 4 KB
#            messages signed once beforehand (RSA-2048, dkimpy), sent by
#            Postfix's smtp-source (-F: the same signed file each time)
#            in S parallel sessions, one connection per message and then
#            each session's messages over one connection ("reuse": SPF
#            and iprev are kept for the session); msmtpd delivers into a
#            Maildir (--maildir, fsync) either way.  With checking, every
#            message is looked up in a local NSD serving the sender's
#            zone (SPF, the DKIM key, DMARC p=reject, a PTR for
#            127.0.0.1): SPF of MAIL FROM and of HELO, iprev, the DKIM
#            key, DMARC; every delivered message must say dkim=pass
#            spf=pass dmarc=pass.
#            Then one big message (-b MB, signed by dkimpy), checking off
#            and on: the time it takes and msmtpd's peak memory (the
#            largest of its processes, GNU time's %M), beside dkimpy
#            verifying the same file (dkim.verify, the key given).
#
# See bench/README for how to run it and read the table.  Everything lives
# in one temp dir, removed on exit.

set -eu

prog=auth.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

N=2000
OD_N=300
RECV_N=2000
SESSIONS=10
DELAY=0
ROUNDS=1
MODES="sign receive"
TOOLS="msend dkimpy opendkim"
BUILD=$here/../build
BASE=${TMPDIR:-/tmp}
PY=/usr/bin/python3
SIZE=4096
BIG=50

usage() {
	cat <<EOF
usage: $prog [-c sign|receive|both] [-n N] [-o N] [-m N] [-s SESSIONS]
       [-r ROUNDS] [-t TOOL,...] [-d DIR] [BUILDDIR]

  -c MODE    signing rates, msmtpd's receive rate with and without
             --check-sender, or both (default)
  -n N       messages signed by msend and dkimpy (default $N)
  -o N       messages signed by opendkim-testmsg, one process each
             (default $OD_N)
  -m N       receive: messages per run (default $RECV_N)
  -s S       receive: parallel smtp-source sessions (default $SESSIONS)
  -b MB      receive: the big message's size in MB (default $BIG; 0: none)
  -l MS      receive: every DNS answer MS milliseconds late, as from a
             resolver across a network (tests/lib/dns_ad.py --delay; default 0:
             NSD on 127.0.0.1 answers at once)
  -r ROUNDS  run everything ROUNDS times, interleaved; report the best
             round of each (default 1)
  -t TOOLS   sign: comma-separated subset of: $TOOLS
  -d DIR     make the temp dir (queues, messages, Maildirs) under DIR
             (default \$TMPDIR or /tmp)
  BUILDDIR   where msend and msmtpd are built (default ../build relative
             to this script)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; N=$2; shift ;;
	-o) [ $# -ge 2 ] || die "-o needs a number"; OD_N=$2; shift ;;
	-m) [ $# -ge 2 ] || die "-m needs a number"; RECV_N=$2; shift ;;
	-s) [ $# -ge 2 ] || die "-s needs a number"; SESSIONS=$2; shift ;;
	-l) [ $# -ge 2 ] || die "-l needs milliseconds"; DELAY=$2; shift ;;
	-b) [ $# -ge 2 ] || die "-b needs megabytes"; BIG=$2; shift ;;
	-c) [ $# -ge 2 ] || die "-c needs sign, receive or both"
		case $2 in
		sign|receive) MODES=$2 ;;
		both) MODES="sign receive" ;;
		*) die "-c: sign, receive or both, not $2" ;;
		esac
		shift ;;
	-r) [ $# -ge 2 ] || die "-r needs a number"; ROUNDS=$2; shift ;;
	-t) [ $# -ge 2 ] || die "-t needs a tool list"
		TOOLS=$(echo "$2" | tr ',' ' '); shift ;;
	-d) [ $# -ge 2 ] || die "-d needs a directory"; BASE=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
[ $# -le 1 ] || { usage >&2; exit 64; }
[ $# -eq 0 ] || BUILD=$1

positive "$N" "$OD_N" "$RECV_N" "$SESSIONS" "$ROUNDS"
case $DELAY in
''|*[!0-9]*) die "-l $DELAY: milliseconds, 0 or more" ;;
esac
case $BIG in
''|*[!0-9]*) die "-b $BIG: megabytes, 0 or more" ;;
esac
for t in $TOOLS; do
	case $t in
	msend|dkimpy|opendkim) ;;
	*) die "-t: unknown tool $t" ;;
	esac
done
[ -d "$BASE" ] || die "$BASE: no such directory"
BASE=$(cd "$BASE" && pwd)
command -v openssl >/dev/null 2>&1 || die "openssl: not found"

has() {
	case " $TOOLS " in *" $1 "*) return 0 ;; esac
	return 1
}

mode() {
	case " $MODES " in *" $1 "*) return 0 ;; esac
	return 1
}

mode sign || TOOLS=

if has msend; then
	[ -x "$BUILD/msend" ] ||
	    die "$BUILD/msend: not built (make -C build msend)"
	BUILD=$(cd "$BUILD" && pwd)
fi
if has dkimpy && ! "$PY" -c 'import dkim, nacl' >/dev/null 2>&1; then
	note "skipping dkimpy: $PY has no dkim and nacl" \
	    "(apt-get install python3-dkim python3-nacl)"
	TOOLS=$(echo " $TOOLS " | sed 's/ dkimpy / /')
fi
if has opendkim && ! command -v opendkim-testmsg >/dev/null 2>&1; then
	note "skipping opendkim: no opendkim-testmsg (apt-get install" \
	    "opendkim-tools)"
	TOOLS=$(echo " $TOOLS " | sed 's/ opendkim / /')
fi

work=
cleanup() {
	if [ -n "$work" ] && [ -d "$work" ]; then
		for f in "$work"/recv-*/pid; do
			[ ! -f "$f" ] || kill "$(cat "$f")" 2>/dev/null || :
		done
		for f in "$work/dns/nsd.pid" "$work/dns/delay.pid"; do
			[ ! -f "$f" ] || kill "$(cat "$f")" 2>/dev/null || :
		done
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "$BASE/auth-bench.XXXXXX")
# Traversable by the queue's owner (nobody, when run as root).
chmod 711 "$work"

fstype=$(stat -f -c %T "$work" 2>/dev/null || echo unknown)
case $fstype in
tmpfs|ramfs)
	note "note: $work is on $fstype: msend's enqueue times leave out" \
	    "the disk, the signing cost (a difference) does not depend on it" ;;
esac

# rate COUNT T0 T1: COUNT / (T1 - T0), whole messages per second.
rate() {
	awk -v n="$1" -v a="$2" -v b="$3" \
	    'BEGIN { d = b - a; if (d <= 0) print "-"; else printf "%.0f\n", n / d }'
}

# The largest of the numbers on stdin ("-" when none): the best round,
# the one least disturbed by whatever else the machine was doing.
best() {
	sort -g | tail -1 | grep . || echo "-"
}

# The smallest ("-" when none).
least() {
	sort -g | head -1 | grep . || echo "-"
}

# ------------------------------------------------------------ the input

# The messages: realistic headers (Date and Message-ID too:
# opendkim-testmsg refuses a message without Date), a text body, LF line
# ends, exactly $SIZE octets each.
mkdir "$work/src"
"$PY" - "$work/src" "$N" "$SIZE" <<'EOF'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = ("the quick brown fox jumps over the lazy dog while a newsletter "
         "about deliverability explains sender authentication ").split()
for i in range(n):
    h = ("From: News <news@example.org>\n"
         "To: reader%d@example.net\n"
         "Subject: Newsletter %d: what is new this week\n"
         "Date: Wed, 02 Dec 2026 11:00:00 +0000\n"
         "Message-ID: <%d.bench@example.org>\n"
         "MIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=us-ascii\n\n" % (i, i, i))
    body, line, k = [], [], i
    while len(h) + sum(len(l) + 1 for l in body) < size - 80:
        line.append(words[k % len(words)])
        k += 7
        if len(" ".join(line)) > 66:
            body.append(" ".join(line))
            line = []
    text = h + "\n".join(body) + "\n"
    pad = size - len(text.encode())
    text = text[:-1] + "x" * pad + "\n" if pad > 0 else text
    with open(os.path.join(d, "m%06d" % i), "w") as f:
        f.write(text)
EOF
chmod 755 "$work/src"
chmod 644 "$work/src"/*
[ "$(wc -c <"$work/src/m000000")" -eq "$SIZE" ] ||
    die "the messages are not $SIZE octets"

# The keys: RSA-2048 and Ed25519, PEM (PKCS#8), mode 600.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$work/rsa.pem" 2>/dev/null || die "openssl: no RSA key"
openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null ||
    die "openssl: no Ed25519 key"
chmod 600 "$work/rsa.pem" "$work/ed.pem"
printf 'defaults\n' >"$work/msend.conf"

# ------------------------------------------------------------ the runs

# A queue owned by nobody when run as root (msend works a queue as its
# owner, never as root).
mkqueue() {
	rm -rf -- "$1"
	mkdir -m 700 "$1"
	if [ "$(id -u)" = 0 ]; then
		chown nobody: "$1"
	fi
}

# msend_run NAME [--dkim-key ...]: enqueue the N messages from one
# process; prints the seconds it took.
msend_run() {
	name=$1
	shift
	mkqueue "$work/q.$name"
	t0=$(now)
	"$BUILD/msend" -C "$work/msend.conf" --queue "$work/q.$name" \
	    --batch "$work/src" -t "$@" >"$work/msend.$name.err" 2>&1 ||
	    die "msend --batch ($name) failed: $(tail -3 "$work/msend.$name.err")"
	t1=$(now)
	if [ "$name" != plain ]; then
		s=$(grep -l '^DKIM-Signature:' "$work/q.$name/q"/* 2>/dev/null |
		    wc -l)
		[ "$s" -eq "$N" ] || die "msend ($name): $s of $N signed"
	fi
	rm -rf -- "$work/q.$name"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

run_msend() {
	tp=$(msend_run plain)
	tr=$(msend_run rsa --dkim-key "$work/rsa.pem" --dkim-selector r)
	te=$(msend_run ed --dkim-key "$work/ed.pem" --dkim-selector e)
	echo "$tp" >>"$work/t.msend.plain"
	echo "$tr" >>"$work/t.msend.rsa"
	echo "$te" >>"$work/t.msend.ed"
}

run_dkimpy() {
	"$PY" - "$work" <<'EOF' >>"$work/r.dkimpy.out"
import base64, os, sys, time
import dkim
from cryptography.hazmat.primitives import serialization
w = sys.argv[1]
src = os.path.join(w, "src")
msgs = [open(os.path.join(src, f), "rb").read().replace(b"\n", b"\r\n")
        for f in sorted(os.listdir(src))]
rsa = open(os.path.join(w, "rsa.pem"), "rb").read()
k = serialization.load_pem_private_key(
    open(os.path.join(w, "ed.pem"), "rb").read(), None)
ed = base64.b64encode(k.private_bytes(
    serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
    serialization.NoEncryption()))
for name, key, sel, alg in ((b"rsa", rsa, b"r", b"rsa-sha256"),
                            (b"ed", ed, b"e", b"ed25519-sha256")):
    t0 = time.monotonic()
    for m in msgs:
        s = dkim.sign(m, sel, b"example.org", key,
                      canonicalize=(b"relaxed", b"relaxed"),
                      signature_algorithm=alg)
    t = time.monotonic() - t0
    assert s.startswith(b"DKIM-Signature:")
    print("%s %.0f" % (name.decode(), len(msgs) / t))
EOF
	awk '$1 == "rsa" { print $2 }' "$work/r.dkimpy.out" |
	    tail -1 >>"$work/r.dkimpy.rsa"
	awk '$1 == "ed" { print $2 }' "$work/r.dkimpy.out" |
	    tail -1 >>"$work/r.dkimpy.ed"
}

run_opendkim() {
	i=0
	t0=$(now)
	for f in "$work/src"/*; do
		[ $i -lt "$OD_N" ] || break
		opendkim-testmsg -d example.org -k "$work/rsa.pem" -s r \
		    <"$f" >"$work/od.out" 2>"$work/od.err" ||
		    die "opendkim-testmsg failed: $(cat "$work/od.err")"
		i=$((i + 1))
	done
	t1=$(now)
	grep -q '^DKIM-Signature:' "$work/od.out" ||
	    die "opendkim-testmsg: no signature"
	rate "$i" "$t0" "$t1" >>"$work/r.opendkim.rsa"
	# What it signs with: its library's default algorithm.
	sed -n 's/.* a=\([a-z0-9-]*\);.*/\1/p' "$work/od.out" | head -1 \
	    >"$work/od.alg"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for t in $TOOLS; do
		note "round $r: $t"
		"run_$t"
	done
	r=$((r + 1))
done

# ------------------------------------------------------------ the table

get() {
	if [ -f "$work/r.$1" ]; then best <"$work/r.$1"; else echo "-"; fi
}

# sign_table: the signing rates.
sign_table() {
# msend: the best time of each run; signing alone is the difference of
# the best times with and without --dkim-key.
if has msend; then
	tp=$(least <"$work/t.msend.plain")
	tr=$(least <"$work/t.msend.rsa")
	te=$(least <"$work/t.msend.ed")
	rate "$N" 0 "$tp" >"$work/r.msend.plain"
	rate "$N" 0 "$tr" >"$work/r.msend.rsa.all"
	rate "$N" 0 "$te" >"$work/r.msend.ed.all"
	rate "$N" "$tp" "$tr" >"$work/r.msend.rsa"
	rate "$N" "$tp" "$te" >"$work/r.msend.ed"
fi

echo
echo "DKIM signing, 4096-octet messages, msgs/s (best of $ROUNDS" \
    "round$( [ "$ROUNDS" -eq 1 ] || echo s))"
printf '%-34s %12s %12s\n' "" "RSA-2048" "Ed25519"
if has msend; then
	printf '%-34s %12s %12s\n' "msend, signing alone (n=$N)" \
	    "$(get msend.rsa)" "$(get msend.ed)"
	printf '%-34s %12s %12s\n' "msend --batch, enqueue + sign" \
	    "$(get msend.rsa.all)" "$(get msend.ed.all)"
	printf '%-34s %12s %12s\n' "msend --batch, enqueue, no signing" \
	    "$(get msend.plain)" "$(get msend.plain)"
fi
if has dkimpy; then
	printf '%-34s %12s %12s\n' "dkimpy, one process (n=$N)" \
	    "$(get dkimpy.rsa)" "$(get dkimpy.ed)"
fi
if has opendkim; then
	alg=$(cat "$work/od.alg" 2>/dev/null || echo "?")
	printf '%-34s %12s %12s\n' "opendkim-testmsg, 1 proc/msg (n=$OD_N)" \
	    "$(get opendkim.rsa)" "n/a"
	echo "(opendkim-testmsg signs $alg, its library's default, and has" \
	    "no Ed25519 signing)"
fi
echo "(msend signing alone: N / (time with --dkim-key - time without);" \
    "relaxed/relaxed but for opendkim-testmsg)"
}

if mode sign; then
	sign_table
fi

# ------------------------------------------------------------ receive

# recv_setup: NSD serving news.test (SPF for 127.0.0.1, the RSA key as
# selector r, DMARC p=reject) and a PTR for 127.0.0.1 that resolves
# back; the first message, From news.test, signed once by dkimpy, in
# $work/signed; smtp-source in SMTP_SOURCE.
recv_setup() {
	[ -x "$BUILD/msmtpd" ] ||
	    die "$BUILD/msmtpd: not built (make -C build msmtpd)"
	BUILD=$(cd "$BUILD" && pwd)
	"$PY" -c 'import dkim' >/dev/null 2>&1 ||
	    die "receive: $PY has no dkim (apt-get install python3-dkim)"
	# shellcheck disable=SC2034 # read by common.sh and postfix.sh
	YUBIN_BUILDDIR=$BUILD
	# shellcheck disable=SC2034
	YUBIN_SRCDIR=$(cd "$here/.." && pwd)
	atf_fail() { die "$*"; }
	atf_skip() { die "$*"; }
	# shellcheck source=tests/lib/common.sh
	. "$here/../tests/lib/common.sh"
	# shellcheck source=tests/lib/dns.sh
	. "$here/../tests/lib/dns.sh"
	# shellcheck source=tests/lib/postfix.sh
	. "$here/../tests/lib/postfix.sh"
	[ -n "$(dns_nsd)" ] || die "receive: no nsd (apt-get install nsd)"
	postfix_tools --fetch || die "$POSTFIX_WHY"
	mkdir "$work/dns"
	pub=$(openssl pkey -in "$work/rsa.pem" -pubout -outform DER \
	    2>/dev/null | base64 -w0)
	{
		printf 'news\tTXT\t"v=spf1 ip4:127.0.0.1 -all"\n'
		printf '_dmarc.news\tTXT\t"v=DMARC1; p=reject"\n'
		printf 'r._domainkey.news\tTXT\t"v=DKIM1; k=rsa; p=%s"\n' \
		    "$(printf '%s' "$pub" | sed 's/.\{200\}/&" "/g')"
	} >"$work/dns/test.extra"
	printf '1.0.0\t\tPTR\tmx.test.\n' >"$work/dns/rev.extra"
	DNSPORT=$(dns_start "$work/dns") || die "NSD did not start"
	if [ "$DELAY" -gt 0 ]; then
		# msmtpd asks the late proxy, which asks NSD.
		"$PY" "$here/../tests/lib/dns_ad.py" \
		    --upstream "127.0.0.1:$DNSPORT" --delay "$DELAY" \
		    --lifetime 86400 --port-file "$work/dns/delay.port" \
		    2>"$work/dns/delay.log" &
		echo $! >"$work/dns/delay.pid"
		i=0
		while [ ! -s "$work/dns/delay.port" ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -s "$work/dns/delay.port" ] ||
		    die "dns_ad.py did not start: $(cat "$work/dns/delay.log")"
		DNSPORT=$(cat "$work/dns/delay.port")
	fi
	sed 's/example\.org/news.test/g' "$work/src/m000000" >"$work/unsigned"
	"$PY" - "$work" <<'PY' || die "dkimpy could not sign"
import sys
import dkim
w = sys.argv[1]
m = open(w + "/unsigned", "rb").read().replace(b"\n", b"\r\n")
key = open(w + "/rsa.pem", "rb").read()
sig = dkim.sign(m, b"r", b"news.test", key,
                canonicalize=(b"relaxed", b"relaxed"))
open(w + "/signed", "wb").write((sig + m).replace(b"\r\n", b"\n"))
PY
}

# recv_dir DIR off|on: d=DIR with the Maildir MD in it, and msmtpd's
# checking options in check.
recv_dir() {
	d=$1
	MD=$d/Maildir
	mkdir -p "$MD/tmp" "$MD/new" "$MD/cur"
	# As root msmtpd delivers as the Maildir's owner, never as root.
	if [ "$(id -u)" = 0 ]; then
		chmod 755 "$d"
		chown -R nobody: "$MD"
	fi
	check=
	[ "$2" = off ] || check="--check-sender --dns-server 127.0.0.1:$DNSPORT"
}

# recv_run off|on single|reuse ROUND: msmtpd (with --check-sender when
# on) takes RECV_N messages from smtp-source; the rate into r.recv.*.
recv_run() {
	recv_dir "$work/recv-$1-$2-$3" "$1"
	keep=
	[ "$2" = single ] || keep=-d
	port=$(free_port)
	# shellcheck disable=SC2086
	"$BUILD/msmtpd" --listen "127.0.0.1:$port" --maildir "$MD" \
	    --hostname mx.test --no-resolve --log stderr \
	    --max-clients "$((SESSIONS * 4))" $check 2>"$d/log" &
	echo $! >"$d/pid"
	wait_port "$port" || die "msmtpd did not start: $(tail -3 "$d/log")"
	t0=$(now)
	# shellcheck disable=SC2086
	"$SMTP_SOURCE" $keep -s "$SESSIONS" -m "$RECV_N" -F "$work/signed" \
	    -M news.test -f news@news.test -t bob@bench.test \
	    "127.0.0.1:$port" >/dev/null 2>"$d/source.err" ||
	    die "smtp-source: $(tail -3 "$d/source.err")"
	t1=$(now)
	stop_pidfile "$d/pid"
	got=$(find "$MD/new" -type f | wc -l)
	[ "$got" -eq "$RECV_N" ] ||
	    die "$1 $2: $got of $RECV_N delivered: $(tail -3 "$d/log")"
	if [ "$1" = on ]; then
		bad=$(find "$MD/new" -type f -exec awk '
		    /^Authentication-Results:/ { a = 1 }
		    a && /^$/ { exit }
		    a { s = s $0 }
		    END { if (s !~ /spf=pass smtp.mailfrom/ ||
			  s !~ /dkim=pass/ || s !~ /dmarc=pass/ ||
			  s !~ /iprev=pass/) print FILENAME }' {} \; | wc -l)
		[ "$bad" -eq 0 ] ||
		    die "on $2: $bad messages not all pass: $(tail -3 "$d/log")"
	fi
	rate "$RECV_N" "$t0" "$t1" >>"$work/r.recv.$1.$2"
	rm -rf -- "$d"
}

# big_setup: $work/big, BIG MB, signed by dkimpy (From news.test).
big_setup() {
	"$PY" - "$work" "$BIG" <<'PY' || die "dkimpy could not sign"
import sys
import dkim
w, mb = sys.argv[1], int(sys.argv[2])
m = open(w + "/unsigned", "rb").read()
head, _, body = m.partition(b"\n\n")
line = body.split(b"\n")[0][:76] + b"\n"
m = head + b"\n\n" + line * (mb * 1024 * 1024 // len(line))
m = m.replace(b"\n", b"\r\n")
key = open(w + "/rsa.pem", "rb").read()
sig = dkim.sign(m, b"r", b"news.test", key,
                canonicalize=(b"relaxed", b"relaxed"))
open(w + "/big", "wb").write((sig + m).replace(b"\r\n", b"\n"))
PY
}

# big_run off|on ROUND: the big message through msmtpd; the seconds
# and the peak memory (MB) into r.big.*.
big_run() {
	recv_dir "$work/big-$1-$2" "$1"
	port=$(free_port)
	# shellcheck disable=SC2086
	/usr/bin/time -f %M -o "$d/rss" "$BUILD/msmtpd" \
	    --listen "127.0.0.1:$port" --maildir "$MD" --hostname mx.test \
	    --no-resolve --log stderr --max-size "$(((BIG + 1) * 2097152))" \
	    $check 2>"$d/log" &
	tpid=$!
	wait_port "$port" || die "msmtpd did not start: $(tail -3 "$d/log")"
	t0=$(now)
	"$SMTP_SOURCE" -s 1 -m 1 -F "$work/big" -M news.test \
	    -f news@news.test -t bob@bench.test "127.0.0.1:$port" \
	    >/dev/null 2>"$d/source.err" ||
	    die "smtp-source: $(tail -3 "$d/source.err")"
	t1=$(now)
	pkill -TERM -P "$tpid" msmtpd || :
	wait "$tpid" || :
	[ "$(find "$MD/new" -type f | wc -l)" -eq 1 ] ||
	    die "big $1: not delivered: $(tail -3 "$d/log")"
	if [ "$1" = on ]; then
		sed '/^$/q' "$MD"/new/* | grep -q 'dkim=pass' ||
		    die "big on: no dkim=pass: $(sed '/^$/q' "$MD"/new/*)"
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' \
	    >>"$work/r.big.$1.s"
	awk '{ printf "%.0f\n", $1 / 1024 }' "$d/rss" >>"$work/r.big.$1.mb"
	rm -rf -- "$d"
}

# big_dkimpy ROUND: dkimpy verifying the big message, seconds and MB.
big_dkimpy() {
	pub=$(openssl pkey -in "$work/rsa.pem" -pubout -outform DER \
	    2>/dev/null | base64 -w0)
	t0=$(now)
	/usr/bin/time -f %M -o "$work/dkimpy.rss" "$PY" - "$work/big" \
	    "$pub" <<'PY' || die "dkimpy did not verify the big message"
import sys
import dkim
rec = b"v=DKIM1; k=rsa; p=" + sys.argv[2].encode()
m = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n")
sys.exit(0 if dkim.verify(m, dnsfunc=lambda name, timeout=5: rec) else 1)
PY
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' \
	    >>"$work/r.big.dkimpy.s"
	awk '{ printf "%.0f\n", $1 / 1024 }' "$work/dkimpy.rss" \
	    >>"$work/r.big.dkimpy.mb"
}

if mode receive; then
	recv_setup
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for kind in single reuse; do
			for c in off on; do
				note "round $r: receive, checking $c, $kind"
				recv_run "$c" "$kind" "$r"
			done
		done
		r=$((r + 1))
	done
	if [ "$BIG" -gt 0 ]; then
		[ -x /usr/bin/time ] || die "-b: no /usr/bin/time (apt-get" \
		    "install time), or -b 0"
		note "the big message: $BIG MB, signed by dkimpy"
		big_setup
		r=1
		while [ "$r" -le "$ROUNDS" ]; do
			for c in off on; do
				note "round $r: one $BIG MB message, checking $c"
				big_run "$c" "$r"
			done
			note "round $r: dkimpy verifies the $BIG MB message"
			big_dkimpy
			r=$((r + 1))
		done
	fi
	dns_stop "$work/dns" || :
	stop_pidfile "$work/dns/delay.pid"
	echo
	echo "msmtpd receiving, smtp-source -s $SESSIONS, $RECV_N signed" \
	    "4 KB messages into a Maildir, msgs/s (best of $ROUNDS)$(
	    [ "$DELAY" -eq 0 ] || echo ", DNS answers $DELAY ms late")"
	printf '%-34s %12s %12s\n' "" "per message" "reuse"
	printf '%-34s %12s %12s\n' "msmtpd, no checking" \
	    "$(get recv.off.single)" "$(get recv.off.reuse)"
	printf '%-34s %12s %12s\n' "msmtpd --check-sender" \
	    "$(get recv.on.single)" "$(get recv.on.reuse)"
	echo "(--check-sender: SPF of MAIL FROM and HELO, iprev, DKIM" \
	    "RSA-2048, DMARC, about 7 DNS queries a message;"
	echo " per message: a connection each, every check each time;" \
	    "reuse: one connection a session, SPF and iprev once a session)"
	if [ "$BIG" -gt 0 ]; then
		echo
		echo "one $BIG MB signed message (best of $ROUNDS)"
		printf '%-34s %12s %12s\n' "" "seconds" "peak MB"
		for t in off on dkimpy; do
			case $t in
			off) l="msmtpd, no checking" ;;
			on) l="msmtpd --check-sender" ;;
			dkimpy) l="dkimpy, dkim.verify" ;;
			esac
			printf '%-34s %12s %12s\n' "$l" \
			    "$(least <"$work/r.big.$t.s")" \
			    "$(least <"$work/r.big.$t.mb")"
		done
		echo "(msmtpd: smtp-source to delivered in the Maildir, the" \
		    "largest of its processes; dkimpy: the file read and verified)"
	fi
fi
