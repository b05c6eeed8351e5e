#!/bin/sh
# bench/smtp.sh: SMTP messages per second, both ways, on 127.0.0.1.
#
#   receive  Postfix's smtp-source (S parallel sessions, one connection
#            per message, 4 KB bodies; then "reuse": the same with each
#            session sending all its messages over one connection) against msmtpd delivering with
#            mdeliver into a Maildir, Python's aiosmtpd writing a Maildir
#            with fsync (bench/aiosmtpd_maildir.py), and a private Postfix
#            (virtual(8) delivery into a Maildir; root only).
#   send     one client process per message to Postfix's smtp-sink: msend,
#            msmtp, swaks, curl; smtp-source (one process, one connection
#            per message) as the floor.
#
# See bench/README for how to run it and how to read the table.  Postfix's
# tools come from an installed Postfix or from the copy tests/lib/postfix.sh
# unpacks into BUILDDIR/.deps/postfix (fetched on first use).  Everything
# else lives in one temp dir, removed on exit; every server is stopped by
# its PID.

set -eu

prog=smtp.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

SEND_N=1000
RECV_N=5000
SESSIONS=10
ROUNDS=1
WARM=20
MODES="receive reuse"
RECV_TOOLS="msmtpd aiosmtpd postfix"
SEND_TOOLS="msend msmtp swaks curl smtp-source"
TOOLS="$RECV_TOOLS $SEND_TOOLS"
BUILD=$here/../build
BASE=${TMPDIR:-/tmp}
PY=/usr/bin/python3
FROM=alice@example.org
RCPT=bob@bench.test

usage() {
	cat <<EOF
usage: $prog [-n N] [-m N] [-s SESSIONS] [-r ROUNDS] [-t TOOL,...]
       [-c single|reuse|both] [-d DIR] [BUILDDIR]

  -n N         send: messages per client (default $SEND_N)
  -m N         receive: messages per server (default $RECV_N)
  -s SESSIONS  receive: parallel smtp-source sessions (default $SESSIONS)
  -c MODE      receive: one connection per message (single), each
               session's messages over one connection (reuse), or both
               (default)
  -r ROUNDS    run every tool ROUNDS times, interleaved, each round
               starting with the next tool; report medians (default 1)
  -t TOOLS     comma-separated subset of:
               receive: $RECV_TOOLS
               send: $SEND_TOOLS
               (or "receive", "send")
  -d DIR       make the temp dir (Maildirs, configs) under DIR (default
               \$TMPDIR or /tmp); must not be tmpfs
  BUILDDIR     where msmtpd, mdeliver and msend are built (default
               ../build relative to this script)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; SEND_N=$2; shift ;;
	-m) [ $# -ge 2 ] || die "-m needs a number"; RECV_N=$2; shift ;;
	-c) [ $# -ge 2 ] || die "-c needs single, reuse or both"
		case $2 in
		single) MODES=receive ;;
		reuse) MODES=reuse ;;
		both) MODES="receive reuse" ;;
		*) die "-c $2: single, reuse or both" ;;
		esac
		shift ;;
	-s) [ $# -ge 2 ] || die "-s needs a number"; SESSIONS=$2; shift ;;
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

positive "$SEND_N" "$RECV_N" "$SESSIONS" "$ROUNDS"
expanded=
for t in $TOOLS; do
	case $t in
	receive) expanded="$expanded $RECV_TOOLS" ;;
	send) expanded="$expanded $SEND_TOOLS" ;;
	*) expanded="$expanded $t" ;;
	esac
done
TOOLS=$expanded
for t in $TOOLS; do
	case " $RECV_TOOLS $SEND_TOOLS " in
	*" $t "*) ;;
	*) die "-t: unknown tool $t" ;;
	esac
done
[ -d "$BUILD" ] || die "$BUILD: no such build directory"
BUILD=$(cd "$BUILD" && pwd)
[ -d "$BASE" ] || die "$BASE: no such directory"
BASE=$(cd "$BASE" && pwd)
case $BASE in
*[!A-Za-z0-9/._+-]*) die "-d $BASE: use a path without spaces or quotes" ;;
esac
command -v cc >/dev/null 2>&1 || die "cc: not found (apt-get install gcc)"

# Postfix's smtp-source and smtp-sink drive every run.
# shellcheck disable=SC2034 # read by postfix.sh
YUBIN_BUILDDIR=$BUILD
# shellcheck source=tests/lib/postfix.sh
. "$here/../tests/lib/postfix.sh"
postfix_tools --fetch || die "$POSTFIX_WHY"

work=
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || :
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null || :
	done
	if [ -n "$work" ] && [ -d "$work" ]; then
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "$BASE/smtp-bench.XXXXXX")
# Traversable by the unprivileged users Postfix's daemons run as.
chmod 711 "$work"

fstype=$(stat -f -c %T "$work" 2>/dev/null || echo unknown)
case $fstype in
tmpfs|ramfs)
	note "WARNING: $work is on $fstype: fsync costs nothing there," \
	    "the receive figures say nothing about durability (use -d DIR)" ;;
esac

mkdir "$work/bin"
cc -O2 -o "$work/bin/driver" "$here/driver.c" ||
    die "cannot compile $here/driver.c"
chmod 755 "$work/bin" "$work/bin/driver"
uid=$(id -u)
me=$(id -un)

# stop PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
	kill "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || :
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# count DIR: regular files in DIR.
count() {
	find "$1" -type f 2>/dev/null | wc -l
}

# The message the send clients get on stdin: 4096 bytes, headers complete
# (Date, Message-ID), so no client needs to add anything.
msg=$work/msg
{
	printf '%s\n' "From: Alice <$FROM>" "To: Bob <$RCPT>" \
	    'Subject: SMTP benchmark message' \
	    'Date: Sun, 22 Nov 2026 19:00:00 +0100' \
	    'Message-ID: <bench-smtp@example.org>' 'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset=us-ascii' ''
} >"$msg"
hlen=$(wc -c <"$msg")
awk -v left="$((4096 - hlen))" 'BEGIN {
	srand(1)
	while (left > 0) {
		line = ""
		while (length(line) < 70)
			line = line sprintf("%c", 97 + int(rand() * 26))
		if (length(line) + 1 > left)
			line = substr(line, 1, left - 1)
		print line
		left -= length(line) + 1
	}
}' >>"$msg"
[ "$(wc -c <"$msg")" -eq 4096 ] || die "cannot make the message"
# The body: what every dump at smtp-sink must end with (plus one LF).
sed '1,/^$/d' "$msg" >"$work/body"
printf '\n' >>"$work/body"
cp "$work/body" "$work/body2"
printf '\n' >>"$work/body2"
chmod 644 "$msg"

# ---------------------------------------------------------------- receive

# pf_setup DIR PORT: a private Postfix (bench/postfix_private.sh).
# shellcheck source=bench/postfix_private.sh
. "$here/postfix_private.sh"

# server_start TOOL DIR PORT: the server on 127.0.0.1:PORT delivering into
# DIR/Maildir (MD is set to the Maildir); its PID is added to $pids.
server_start() {
	tool=$1
	d=$2
	port=$3
	MD=$d/Maildir
	mkdir -p "$d"
	case $tool in
	msmtpd)
		mkdir -p "$MD/tmp" "$MD/new" "$MD/cur"
		# As root, mdeliver writes as the Maildir's owner and refuses
		# root: the Maildir is nobody's, as a user's would be.
		if [ "$(id -u)" = 0 ]; then
			chmod 755 "$work" "$d"
			chown -R nobody: "$MD"
		fi
		# --max-clients above the sessions: a session that has sent
		# its 221 counts until msmtpd has reaped it, and smtp-source
		# reconnects at once (msmtpd now lets such a connection wait
		# in the listen queue for up to a second, so this is margin).
		"$BUILD/msmtpd" --listen "127.0.0.1:$port" --maildir "$MD" \
		    --hostname bench.test --log stderr --max-clients \
		    "$((SESSIONS * 4))" 2>"$d/log" &
		pid=$! ;;
	aiosmtpd)
		"$PY" "$here/aiosmtpd_maildir.py" --port "$port" \
		    --maildir "$MD" 2>"$d/log" &
		pid=$! ;;
	postfix)
		pf_setup "$d" "$port"
		MD=$d/mail/Maildir
		# master -s: stays in the foreground (no fork: the PID is
		# master's) and logs through postlogd to maillog_file.
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		    LD_LIBRARY_PATH="${POSTFIX_LIBDIR:-}" \
		    "${POSTFIX_ROOT:-}/usr/lib/postfix/sbin/master" \
		    -c "$d/etc" -s >"$d/log" 2>&1 &
		pid=$! ;;
	esac
	pids="$pids $pid"
	if ! wait_port "$port"; then
		note "$tool did not start: $(tail -n 3 "$d/log" \
		    "$d/maillog" 2>/dev/null)"
		stop "$pid"
		return 1
	fi
	SERVER_PID=$pid
}

# source_run N SESSIONS PORT [-d]: smtp-source, one connection per
# message (with -d: each session keeps its connection).
source_run() {
	"$SMTP_SOURCE" ${4:-} -s "$2" -m "$1" -l 4096 -f "$FROM" \
	    -t "$RCPT" "127.0.0.1:$3" >/dev/null
}

# wait_count DIR N: until DIR holds N files (Postfix delivers after it
# answered 250); gives up after 120 s without progress.
wait_count() {
	last=-1
	stall=0
	while :; do
		c=$(count "$1")
		[ "$c" -lt "$2" ] || return 0
		if [ "$c" -eq "$last" ]; then
			stall=$((stall + 1))
			[ $stall -lt 1200 ] || return 1
		else
			stall=0
		fi
		last=$c
		sleep 0.1
	done
}

# verify_recv MD N: N messages in new/ (+cur/), none in tmp/, each with a
# distinct Message-Id (smtp-source numbers them), each with the 4096 body
# bytes.  Prints why not.
verify_recv() {
	got=$(($(count "$1/new") + $(count "$1/cur")))
	[ "$got" -eq "$2" ] || { echo "$got messages, not $2"; return 1; }
	left=$(count "$1/tmp")
	[ "$left" -eq 0 ] || { echo "$left files left in tmp/"; return 1; }
	ids=$(find "$1/new" "$1/cur" -type f -exec grep -h -m1 -i \
	    '^Message-Id:' {} + | sort -u | wc -l)
	[ "$ids" -eq "$2" ] || {
		echo "$ids distinct Message-Ids in $2 messages"
		return 1
	}
	small=$(find "$1/new" "$1/cur" -type f -size -4096c | wc -l)
	[ "$small" -eq 0 ] || { echo "$small messages too short"; return 1; }
}

# recv_round TOOL ROUND KIND (receive: a connection per message; reuse)
recv_round() {
	keep=
	[ "$3" = receive ] || keep=-d
	t=$1
	d=$work/$3-$t-$2
	port=$(free_port)
	server_start "$t" "$d" "$port" || return 1
	# Warm-up: proves the server works, then out of the way.
	if ! source_run "$WARM" 2 "$port" || ! wait_count "$MD/new" "$WARM"
	then
		note "$t: warm-up failed: $(tail -n 3 "$d/log")"
		stop "$SERVER_PID"
		return 1
	fi
	mkdir "$d/warm"
	find "$MD/new" -type f -exec mv -t "$d/warm/" {} +
	sync
	t0=$(now)
	if ! source_run "$RECV_N" "$SESSIONS" "$port" $keep; then
		note "$t: smtp-source failed"
		stop "$SERVER_PID"
		return 1
	fi
	t1=$(now)
	wait_count "$MD/new" "$RECV_N" || :
	t2=$(now)
	stop "$SERVER_PID"
	if ! why=$(verify_recv "$MD" "$RECV_N"); then
		note "$t: verification failed: $why"
		return 1
	fi
	secs=$(echo "$t0 $t2" | awk '{ printf "%.3f", $2 - $1 }')
	acked=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	echo "$3 $t $RECV_N $secs $2 $acked" >>"$results"
	note "$(printf 'round %d %-7s %-12s %6d in %8.3f s' "$2" "$3" "$t" \
	    "$RECV_N" "$secs")"
	rm -rf -- "$d"
}

# ------------------------------------------------------------------- send

# sink_start DIR: smtp-sink on a free port dumping into DIR/dump; PORT.
sink_start() {
	mkdir -p "$1/dump"
	PORT=$(free_port)
	# As root smtp-sink insists on -u (the dump dir is ours, so root);
	# as anyone else -u fails (initgroups).
	uopt=
	[ "$uid" -ne 0 ] || uopt="-u root"
	# shellcheck disable=SC2086 # $uopt: empty or two words
	"$SMTP_SINK" $uopt -d "$1/dump/%H%M%S." "127.0.0.1:$PORT" 256 \
	    >"$1/sink.log" 2>&1 &
	SINK_PID=$!
	pids="$pids $SINK_PID"
	wait_port "$PORT" || {
		note "smtp-sink did not start: $(cat "$1/sink.log")"
		return 1
	}
}

# client_argv TOOL DIR: the client's argv, one word per line.
client_argv() {
	case $1 in
	msend)
		printf '%s\n' "$BUILD/msend" --host 127.0.0.1 --port "$PORT" \
		    --tls=off -i -f "$FROM" "$RCPT" ;;
	msmtp)
		# Its own config only (-C): no ~/.msmtprc, no /etc/msmtprc.
		cat >"$2/msmtprc" <<EOF
account default
host 127.0.0.1
port $PORT
auth off
tls off
from $FROM
EOF
		chmod 600 "$2/msmtprc"
		printf '%s\n' "$(command -v msmtp)" -C "$2/msmtprc" "$RCPT" ;;
	swaks)
		printf '%s\n' "$(command -v swaks)" --server "127.0.0.1:$PORT" \
		    --from "$FROM" --to "$RCPT" --data - ;;
	curl)
		printf '%s\n' "$(command -v curl)" -sS \
		    "smtp://127.0.0.1:$PORT/bench.test" --mail-from "$FROM" \
		    --mail-rcpt "$RCPT" -T - ;;
	esac
}

# verify_send DIR N: N dumps, the first and the last end with the body.
verify_send() {
	got=$(count "$1/dump")
	[ "$got" -eq "$2" ] || { echo "$got messages, not $2"; return 1; }
	[ "$3" = smtp-source ] && return 0
	# curl and swaks send one more CRLF before the final ".": an empty
	# line more at the end, which is accepted (it is how they work).
	blen=$(wc -c <"$work/body")
	for f in $(find "$1/dump" -type f | sort | sed -n '1p;$p'); do
		tail -c "$blen" "$f" | cmp -s - "$work/body" ||
		    tail -c "$((blen + 1))" "$f" | cmp -s - "$work/body2" ||
		    { echo "$f: message not intact"; return 1; }
	done
}

# send_run TOOL DIR N: prints seconds.
send_run() {
	if [ "$1" = smtp-source ]; then
		t0=$(now)
		"$SMTP_SOURCE" -s 1 -m "$3" -l 4096 -f "$FROM" -t "$RCPT" \
		    "127.0.0.1:$PORT" >/dev/null 2>"$2/stderr" || return 1
		t1=$(now)
		echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
		return 0
	fi
	old_ifs=$IFS
	IFS='
'
	set -f
	# shellcheck disable=SC2046
	set -- "$1" "$2" "$3" $(client_argv "$1" "$2")
	set +f
	IFS=$old_ifs
	_d=$2
	_n=$3
	shift 3
	(cd "$_d" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$_d" \
	    USER="$me" LOGNAME="$me" "$work/bin/driver" "$_n" "$msg" "$@") \
	    2>"$_d/stderr"
}

# send_round TOOL ROUND
send_round() {
	t=$1
	d=$work/send-$t-$2
	mkdir -p "$d"
	sink_start "$d" || return 1
	if ! send_run "$t" "$d" 5 >/dev/null || ! why=$(verify_send "$d" 5 "$t")
	then
		note "$t: warm-up failed: ${why:-$(tail -n 3 "$d/stderr")}"
		stop "$SINK_PID"
		return 1
	fi
	rm -f "$d/dump"/*
	if ! secs=$(send_run "$t" "$d" "$SEND_N"); then
		note "$t: sending failed: $(tail -n 3 "$d/stderr")"
		stop "$SINK_PID"
		return 1
	fi
	stop "$SINK_PID"
	if ! why=$(verify_send "$d" "$SEND_N" "$t"); then
		note "$t: verification failed: $why"
		return 1
	fi
	echo "send $t $SEND_N $secs $2 -" >>"$results"
	note "$(printf 'round %d send    %-12s %6d in %8.3f s' "$2" "$t" \
	    "$SEND_N" "$secs")"
	rm -rf -- "$d"
}

# Which tools can run at all.
recv=
send=
for t in $TOOLS; do
	case $t in
	msmtpd)
		if [ ! -x "$BUILD/msmtpd" ] || [ ! -x "$BUILD/mdeliver" ]; then
			note "skipping msmtpd: not built in $BUILD"
			continue
		fi ;;
	aiosmtpd)
		if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
			note "skipping aiosmtpd: not installed" \
			    "(apt-get install python3-aiosmtpd)"
			continue
		fi ;;
	postfix)
		if [ "$uid" -ne 0 ]; then
			note "skipping postfix: its master must run as root"
			continue
		fi
		if ! id daemon >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1 ||
		    ! getent group mail >/dev/null 2>&1; then
			note "skipping postfix: needs the users daemon and" \
			    "nobody and the group mail"
			continue
		fi
		if [ ! -x "${POSTFIX_ROOT:-}/usr/lib/postfix/sbin/master" ]
		then
			note "skipping postfix: no master in" \
			    "${POSTFIX_ROOT:-/}usr/lib/postfix/sbin"
			continue
		fi ;;
	msend)
		if [ ! -x "$BUILD/msend" ]; then
			note "skipping msend: not built in $BUILD"
			continue
		fi ;;
	msmtp|swaks|curl)
		if ! command -v "$t" >/dev/null 2>&1; then
			note "skipping $t: not installed (apt-get install $t)"
			continue
		fi ;;
	esac
	case " $RECV_TOOLS " in
	*" $t "*) recv="$recv $t" ;;
	*) send="$send $t" ;;
	esac
done
[ -n "$recv$send" ] || die "nothing to run"

results=$work/results
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

r=1
while [ "$r" -le "$ROUNDS" ]; do
	# shellcheck disable=SC2086
	for kind in $MODES; do
		# shellcheck disable=SC2086
		for t in $(rotate $((r - 1)) $recv); do
			recv_round "$t" "$r" "$kind" || :
		done
	done
	# shellcheck disable=SC2086
	for t in $(rotate $((r - 1)) $send); do
		send_round "$t" "$r" || :
	done
	r=$((r + 1))
done

[ -s "$results" ] || die "no results"

# Table: per tool the median of the seconds over the rounds; "x yubin":
# the median over the rounds of yubin's time / the tool's time in the same
# round (rounds interleave the tools): above 1 the tool is faster.
echo
printf '%-8s %-12s %6s %9s %9s %8s\n' run tool N seconds msgs/s 'x yubin'
for kind in receive reuse send; do
	case $kind in
	receive|reuse) list=$RECV_TOOLS ref=msmtpd ;;
	send) list=$SEND_TOOLS ref=msend ;;
	esac
	for t in $list; do
		awk -v k="$kind" -v t="$t" -v ref="$ref" '
		function median(a, n,    i, j, v) {
			for (i = 2; i <= n; i++) {
				v = a[i]
				for (j = i - 1; j >= 1 && a[j] > v; j--)
					a[j + 1] = a[j]
				a[j + 1] = v
			}
			if (n % 2)
				return a[(n + 1) / 2]
			return (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 == k && $2 == ref { y[$5] = $4 }
		$1 == k && $2 == t { n++; sec[n] = $4; rnd[n] = $5; cnt = $3 }
		END {
			if (n == 0)
				exit
			m = 0
			for (i = 1; i <= n; i++)
				if (rnd[i] in y)
					rat[++m] = y[rnd[i]] / sec[i]
			r = m ? sprintf("%.2f", median(rat, m)) : "-"
			med = median(sec, n)
			printf "%-8s %-12s %6d %9.3f %9.1f %8s\n",
			    k, t, cnt, med, cnt / med, r
		}' "$results"
	done
done
echo
echo "$(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs," \
    "$fstype at $work, $ROUNDS round(s)"
echo "load average at start $load0, at end $(cut -d' ' -f1-3 \
    /proc/loadavg 2>/dev/null || echo '?')"
echo "receive: smtp-source -s $SESSIONS -l 4096, one connection per" \
    "message; seconds until the last message is in new/"
echo "reuse: the same with smtp-source -d, each session's messages over" \
    "one connection"
echo "send: one client process per message to smtp-sink (smtp-source:" \
    "one process,"
echo "one connection per message); x yubin: yubin's time / the tool's" \
    "(below 1: yubin is faster)"
if awk '($1 == "receive" || $1 == "reuse") && $2 == "postfix" { found = 1 }
    END { exit !found }' "$results"; then
	echo "postfix answers 250 once queued: its seconds include the" \
	    "queue draining into the Maildir"
fi
