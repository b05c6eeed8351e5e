#!/bin/sh
# bench/queue.sh: bulk delivery through a queue, on loopback.
#
# N messages of 4 KB, one recipient each, for 100 domains: 5 big ones
# share half of them, 95 small ones the other half.  Each domain's MX
# host is its own 127.0.1.x (an NSD zone, tests/lib/dns.sh); one sink
# listens on all 100 addresses (tests/lib/site_sink.py) and counts per
# site the connections at once, the messages per connection, and
# duplicates.  Every sender has the same limits: 20 connections in all,
# 3 per site, 100 messages per connection, no rate limit.
#
#   msend-queue  `msend --run' works the queue while `msend --queue
#                --batch' fills it from a directory of prepared messages
#   postfix      a private Postfix (bench/postfix_private.sh; root only)
#                relaying the same messages, injected over SMTP by
#                10 sessions, a transport map naming each domain's host
#   msend-each   one `msend --direct' per message (the first -e of them)
#
# The figure is messages per second from the first enqueue to the last
# message at the sink.  Then: enqueue alone (--batch from one process,
# and one `msend -odq' per message), and kill -9 of `msend --run' three
# times during a run, restarted at once: duplicates and losses.
#
# usage: bench/queue.sh [-n N] [-e N] [-t TOOL,...] [-d DIR] [BUILDDIR]

set -eu

prog=queue.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

N=10000
EACH=1000
TOOLS="msend-queue postfix msend-each enqueue kill9"
BUILD=$here/../build
BASE=${TMPDIR:-/tmp}
PY=/usr/bin/python3
FROM=alice@example.org

usage() {
	cat <<EOF
usage: $prog [-n N] [-e N] [-t TOOL,...] [-d DIR] [BUILDDIR]

  -n N      messages (default $N)
  -e N      msend-each: messages sent one msend each (default $EACH)
  -t TOOLS  comma-separated subset of: $TOOLS
  -d DIR    make the temp dir under DIR (default \$TMPDIR or /tmp); not
            tmpfs, or fsync costs nothing
  BUILDDIR  where msend is built (default ../build from this script)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; N=$2; shift ;;
	-e) [ $# -ge 2 ] || die "-e needs a number"; EACH=$2; shift ;;
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
positive "$N" "$EACH"
[ "$EACH" -le "$N" ] || EACH=$N
[ -x "$BUILD/msend" ] || die "$BUILD/msend: not built"
BUILD=$(cd "$BUILD" && pwd)
[ -d "$BASE" ] || die "$BASE: no such directory"
BASE=$(cd "$BASE" && pwd)

# tests/lib: free_port_both, stop_pidfile, NSD.
# shellcheck disable=SC2034 # read by the sourced files
YUBIN_SRCDIR=$src
YUBIN_BUILDDIR=$BUILD
# shellcheck source=tests/lib/common.sh
. "$src/tests/lib/common.sh"
# shellcheck source=tests/lib/dns.sh
. "$src/tests/lib/dns.sh"
[ -n "$(dns_nsd)" ] || die "nsd is not installed (./quickstart check)"

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
		[ -f "$work/dns/nsd.pid" ] && stop_pidfile "$work/dns/nsd.pid"
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "$BASE/queue-bench.XXXXXX")
chmod 711 "$work"
case $(stat -f -c %T "$work" 2>/dev/null || echo unknown) in
tmpfs|ramfs) note "WARNING: $work is on tmpfs: fsync costs nothing" ;;
esac

minus() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'
}

# stop PID: SIGTERM, up to 10 s, then SIGKILL.
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

# ------------------------------------------------------------ the setup

# The zone: d00.test .. d99.test, MX mx.dNN.test = 127.0.1.(NN+1).
mkdir "$work/dns"
awk 'BEGIN { for (i = 0; i < 100; i++) {
	printf "d%02d MX 10 mx.d%02d\n", i, i
	printf "mx.d%02d A 127.0.1.%d\n", i, i + 1 } }' >"$work/dns/test.extra"
DNSPORT=$(dns_start "$work/dns") || die "NSD did not start"

# The messages: src/mNNNNNN, 4096 bytes each.
mkdir "$work/src"
awk -v n="$N" -v from="$FROM" -v dir="$work/src" 'BEGIN {
	srand(1)
	body = ""
	while (length(body) < 3700) {
		line = ""
		while (length(line) < 70)
			line = line sprintf("%c", 97 + int(rand() * 26))
		body = body line "\n"
	}
	for (i = 0; i < n; i++) {
		d = i % 2 == 0 ? int(i / 2) % 5 : 5 + int(i / 2) % 95
		h = sprintf("From: Alice <%s>\nTo: <r%d@d%02d.test>\n" \
		    "Subject: queue benchmark %d\n" \
		    "Date: Wed, 2 Dec 2026 10:00:00 +0000\n" \
		    "Message-ID: <qbench.%d@example.org>\n" \
		    "MIME-Version: 1.0\n" \
		    "Content-Type: text/plain; charset=us-ascii\n\n", \
		    from, i, d, i, i)
		f = sprintf("%s/m%06d", dir, i)
		printf "%s%s", h, substr(body, 1, 4096 - length(h)) >f
		close(f)
	}
}'
chmod -R a+rX "$work/src"

# sink_start: a fresh site_sink on 127.0.1.1-100: SINK_PORT, SINK_DIR.
sink_n=0
sink_start() {
	sink_n=$((sink_n + 1))
	SINK_DIR=$work/sink$sink_n
	mkdir "$SINK_DIR"
	"$PY" "$src/tests/lib/site_sink.py" --addrs 127.0.1.1-100 \
	    --port-file "$SINK_DIR/port" --dir "$SINK_DIR" \
	    >"$SINK_DIR/out" 2>&1 &
	SINK_PID=$!
	pids="$pids $SINK_PID"
	i=0
	while [ ! -s "$SINK_DIR/port" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$SINK_DIR/port" ] || die "the sink did not start"
	SINK_PORT=$(cat "$SINK_DIR/port")
}

# sink_wait N SECONDS: until the sink has N messages; 1 on timeout.
sink_wait() {
	end=$(($(date +%s) + $2))
	while [ "$(cat "$SINK_DIR/count" 2>/dev/null || echo 0)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# sink_stop: its figures into $SINK_DIR/stats.
sink_stop() {
	stop "$SINK_PID"
	[ -s "$SINK_DIR/stats" ] || die "no figures from the sink"
}

# stat EXPR: a figure from the sink's stats (a Python expression on s).
stat() {
	"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
sites = s["sites"].values()
print(eval(sys.argv[2]))' "$SINK_DIR/stats" "$1"
}

# A queue owned by nobody when run as root (msend works a queue as its
# owner, never as root).
mkqueue() {
	mkdir "$1"
	if [ "$(id -u)" = 0 ]; then
		chown nobody: "$1"
	fi
}

# msend's settings: the limits every sender gets.
conf() {
	cat >"$work/msend.conf" <<EOF
defaults
timeout 30
queue_connections 20
site_connections 3
site_messages_per_connection 100
site_rate off
EOF
}
conf
chmod 644 "$work/msend.conf"

runner() {
	setsid "$BUILD/msend" -C "$work/msend.conf" --queue "$1" --run \
	    --direct --port "$SINK_PORT" --dns-server "127.0.0.1:$DNSPORT" \
	    --route '*.test=[mx]' 2>>"$2" &
	RUNNER=$!
	pids="$pids $RUNNER"
}

results=$work/results
: >"$results"
row() {
	printf '%-34s %9s %8s %10s %9s %6s\n' "$@" >>"$results"
}

# A row from the sink: TOOL SECONDS.
sink_row() {
	row "$1" "$(awk -v n="$N2" -v t="$2" 'BEGIN { printf "%.0f", n / t }')" \
	    "$(printf '%.1f' "$2")" "$(stat 'max(x["max_conns"] for x in sites)')" \
	    "$(stat '"%.1f" % (s["messages"] / max(1, s["connections"]))')" \
	    "$(stat 's["duplicates"]')"
}

# ------------------------------------------------------------ the runs

run_msend_queue() {
	N2=$N
	sink_start
	mkqueue "$work/q1"
	runner "$work/q1" "$work/q1.log"
	t0=$(now)
	"$BUILD/msend" -C "$work/msend.conf" --queue "$work/q1" \
	    --batch "$work/src" -t -f "$FROM" ||
	    die "msend --batch failed"
	t1=$(now)
	sink_wait "$N" 600 || die "msend-queue: $(cat "$SINK_DIR/count") of $N"
	stop "$RUNNER"
	sink_stop
	t2=$(stat 's["last"]')
	sink_row "msend --run (queue)" "$(minus "$t2" "$t0")"
	ENQ_CONC=$(awk -v n="$N" -v t="$(minus "$t1" "$t0")" \
	    'BEGIN { printf "%.0f", n / t }')
}

run_postfix() {
	if [ "$(id -u)" != 0 ]; then
		note "skipping postfix: its master must run as root"
		return 0
	fi
	# shellcheck disable=SC2034 # read by postfix.sh
	. "$src/tests/lib/postfix.sh"
	postfix_tools --fetch || { note "skipping postfix: $POSTFIX_WHY"; return 0; }
	[ -x "${POSTFIX_ROOT:-}/usr/lib/postfix/sbin/master" ] ||
	    { note "skipping postfix: no master"; return 0; }
	# shellcheck source=bench/postfix_private.sh
	. "$here/postfix_private.sh"
	N2=$N
	sink_start
	pfport=$(free_port)
	pf_setup "$work/pf" "$pfport"
	awk -v p="$SINK_PORT" 'BEGIN { for (i = 0; i < 100; i++)
		printf "d%02d.test smtp:[127.0.1.%d]:%d\n", i, i + 1, p }' \
	    >"$work/pf/etc/transport"
	cat >>"$work/pf/etc/main.cf" <<EOF
# bench/queue.sh: relay every dNN.test to its sink, with msend's limits.
transport_maps = texthash:$work/pf/etc/transport
default_destination_concurrency_limit = 3
smtp_destination_concurrency_limit = 3
initial_destination_concurrency = 3
smtp_connection_cache_on_demand = yes
smtp_connection_reuse_count_limit = 100
default_destination_rate_delay = 0
smtp_tls_security_level = none
EOF
	sed -i 's/^smtp      unix  - - n - - smtp$/smtp      unix  - - n - 20 smtp/' \
	    "$work/pf/etc/master.cf"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    LD_LIBRARY_PATH="${POSTFIX_LIBDIR:-}" \
	    "${POSTFIX_ROOT:-}/usr/lib/postfix/sbin/master" \
	    -c "$work/pf/etc" -s >"$work/pf/log" 2>&1 &
	pfpid=$!
	pids="$pids $pfpid"
	wait_port "$pfport" || die "postfix did not start: $(tail -n 5 "$work/pf/maillog" 2>/dev/null)"
	t0=$(now)
	"$PY" - "$pfport" "$work/src" <<'EOF' || die "injecting into postfix failed"
import os, re, smtplib, sys, threading
port, d = int(sys.argv[1]), sys.argv[2]
files = sorted(os.listdir(d))
def run(part):
    s = smtplib.SMTP("127.0.0.1", port)
    for f in part:
        data = open(os.path.join(d, f), "rb").read()
        to = re.search(rb"(?m)^To: <([^>]*)>", data).group(1).decode()
        s.sendmail("alice@example.org", [to], data)
    s.quit()
ts = [threading.Thread(target=run, args=(files[i::10],)) for i in range(10)]
for t in ts: t.start()
for t in ts: t.join()
EOF
	t1=$(now)
	sink_wait "$N" 900 || die "postfix: $(cat "$SINK_DIR/count") of $N"
	stop "$pfpid"
	sink_stop
	t2=$(stat 's["last"]')
	sink_row "postfix" "$(minus "$t2" "$t0")"
	PF_INJ=$(awk -v n="$N" -v t="$(minus "$t1" "$t0")" \
	    'BEGIN { printf "%.0f", n / t }')
}

run_msend_each() {
	N2=$EACH
	sink_start
	t0=$(now)
	find "$work/src" -type f | sort | head -n "$EACH" | while read -r f; do
		"$BUILD/msend" --direct --port "$SINK_PORT" \
		    --dns-server "127.0.0.1:$DNSPORT" --route '*.test=[mx]' \
		    -t -f "$FROM" <"$f" || echo "msend: $f: exit $?" >&2
	done
	sink_wait "$EACH" 60 || die "msend-each: $(cat "$SINK_DIR/count") of $EACH"
	sink_stop
	t2=$(stat 's["last"]')
	sink_row "one msend --direct per message" "$(minus "$t2" "$t0")"
}

run_enqueue() {
	mkqueue "$work/q2"
	t0=$(now)
	"$BUILD/msend" -C "$work/msend.conf" --queue "$work/q2" \
	    --batch "$work/src" -t -f "$FROM" || die "--batch failed"
	t1=$(now)
	ENQ_BATCH=$(awk -v n="$N" -v t="$(minus "$t1" "$t0")" \
	    'BEGIN { printf "%.0f", n / t }')
	mkqueue "$work/q3"
	t0=$(now)
	find "$work/src" -type f | sort | head -n "$EACH" | while read -r f; do
		"$BUILD/msend" -C "$work/msend.conf" --queue "$work/q3" -odq \
		    -t -f "$FROM" <"$f" || die "-odq failed"
	done
	t1=$(now)
	ENQ_EACH=$(awk -v n="$EACH" -v t="$(minus "$t1" "$t0")" \
	    'BEGIN { printf "%.0f", n / t }')
	rm -rf "$work/q2" "$work/q3"
}

run_kill9() {
	N2=$N
	sink_start
	mkqueue "$work/q4"
	"$BUILD/msend" -C "$work/msend.conf" --queue "$work/q4" \
	    --batch "$work/src" -t -f "$FROM" || die "--batch failed"
	kills=0
	runner "$work/q4" "$work/q4.log"
	for k in 1 2 3; do
		sink_wait "$((N * k / 4))" 600 || die "kill9: stalled"
		# The whole process group: the runner and its workers.
		kill -9 "-$RUNNER" 2>/dev/null || :
		wait "$RUNNER" 2>/dev/null || :
		kills=$((kills + 1))
		runner "$work/q4" "$work/q4.log"
	done
	# Until the queue is empty (a recipient deferred by a kill would
	# wait for its next try: then it stops after 120 s and says so).
	end=$(($(date +%s) + 120))
	while [ -n "$(ls "$work/q4/q")" ] && [ "$(date +%s)" -lt "$end" ]; do
		sleep 0.2
	done
	stop "$RUNNER"
	sink_stop
	KILL_DUPS=$(stat 's["duplicates"]')
	KILL_LOST=$(stat "$N - (s['messages'] - s['duplicates'])")
	KILL_LEFT=$(find "$work/q4/q" -type f | wc -l)
	KILLS=$kills
}

note "$N messages for 100 domains, work dir $work"
for t in $TOOLS; do
	case $t in
	msend-queue) run_msend_queue ;;
	postfix) run_postfix ;;
	msend-each) run_msend_each ;;
	enqueue) run_enqueue ;;
	kill9) run_kill9 ;;
	*) die "-t: unknown tool $t" ;;
	esac
done

echo "bench/queue.sh: $N messages of 4 KB for 100 domains (5 take half), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "limits: 20 connections, 3 per site, 100 messages per connection, no rate"
printf '%-34s %9s %8s %10s %9s %6s\n' "sender" "msgs/s" "seconds" \
    "max/site" "msgs/conn" "dups"
cat "$results"
[ -z "${ENQ_CONC:-}" ] ||
    echo "enqueue with --batch while msend --run delivers: $ENQ_CONC msgs/s"
[ -z "${ENQ_BATCH:-}" ] ||
    echo "enqueue alone: --batch $ENQ_BATCH msgs/s; one msend -odq per message $ENQ_EACH msgs/s"
[ -z "${PF_INJ:-}" ] ||
    echo "postfix: SMTP injection (10 sessions) $PF_INJ msgs/s"
[ -z "${KILLS:-}" ] ||
    echo "kill -9 of msend --run, $KILLS times: $KILL_DUPS duplicates, $KILL_LOST lost, $KILL_LEFT left queued"
