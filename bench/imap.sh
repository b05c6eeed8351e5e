#!/bin/sh
# bench/imap.sh: IMAP servers side by side on 127.0.0.1: `mimap serve
# --listen' and a private Dovecot imap, a folder of N messages of about
# 4 KB (default 10,000, made by bench/pop3_gen.py with sized names), the
# same client for both (bench/imap_client.py, Python's imaplib).  Each
# round gives every server a fresh copy of the folder (cold: no UID list,
# no index) and runs the client twice on it (cold, then warm); rounds
# interleave the servers.  The table shows medians:
#
#   login_select     seconds from connect to SELECT done
#   rss_kb           KB resident in the processes born for one selected
#                    connection (pss_kb: proportional, shared pages divided)
#   uid_fetch_flags  UID FETCH 1:* (FLAGS), seconds
#   fetch_envelope   FETCH 1:* (ENVELOPE), seconds
#   search_from      SEARCH FROM, seconds (then repeated: search_from_2)
#   sort_date        SORT (DATE), seconds ("-": not offered)
#   fetch_body       FETCH 1:* BODY.PEEK[] read raw, MB/s (more is better)
#
# Then `mimap fetch', mbsync, getmail6 and fetchmail each fetch the
# folder from the Dovecot, and Dovecot's imaptest stresses each server
# (10 clients, $STRESS_SECS seconds, default 20, an empty folder):
# commands per second and the errors it saw.
#
# Run it as root (both servers then switch to the user nobody after the
# login, as in production) or as any user.  Everything lives in one temp
# dir, removed on exit; every server is stopped by its PID.

set -eu

prog=imap.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

N=10000
ROUNDS=1
BUILD=$here/../build
BASE=${TMPDIR:-/tmp}
PY=/usr/bin/python3
DOVECOT=$(command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot)
USER_=alice
PASS=secret

usage() {
	cat <<EOF
usage: $prog [-n N] [-r ROUNDS] [-d DIR] [BUILDDIR]

  -n N         messages in the folder (default $N)
  -r ROUNDS    rounds, interleaved; medians reported (default 1)
  -d DIR       make the temp dir under DIR (default \$TMPDIR or /tmp)
  BUILDDIR     where mimap is built (default ../build from this script)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; N=$2; shift ;;
	-r) [ $# -ge 2 ] || die "-r needs a number"; ROUNDS=$2; shift ;;
	-d) [ $# -ge 2 ] || die "-d needs a directory"; BASE=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
[ $# -le 1 ] || { usage >&2; exit 64; }
[ $# -eq 0 ] || BUILD=$1
BUILD=$(cd "$BUILD" && pwd) || die "no build directory"
[ -x "$BUILD/mimap" ] || die "$BUILD/mimap: not built"
[ -x "$DOVECOT" ] && [ -x /usr/lib/dovecot/imap ] ||
    die "dovecot imap: not installed (apt-get install dovecot-imapd)"
BASE=$(cd "$BASE" && pwd)

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

work=$(mktemp -d "$BASE/imap-bench.XXXXXX")
chmod 755 "$work"

uid=$(id -u)
if [ "$uid" -eq 0 ]; then
	muid=$(id -u nobody) || die "running as root and no user nobody"
	mgid=$(id -g nobody)
	iuser=dovecot
	luser=dovenull
	id dovecot >/dev/null 2>&1 || die "no user dovecot (dovecot-core)"
	id dovenull >/dev/null 2>&1 || luser=dovecot
else
	muid=$uid
	mgid=$(id -g)
	iuser=$(id -un)
	luser=$iuser
fi
hash=$(openssl passwd -6 -salt imapbench "$PASS") ||
    die "cannot hash a password (openssl)"

# The folder, made once; each run serves a hard-linked copy.
tpl=$work/tpl
note "making $N messages in $tpl"
"$PY" "$here/pop3_gen.py" --names sized "$tpl" "$N" >/dev/null ||
    die "pop3_gen.py failed"
[ "$uid" -ne 0 ] || chown -R "$muid:$mgid" "$tpl"
SRV=$work/srv
mkdir -p "$SRV"
[ "$uid" -ne 0 ] || chown "$muid:$mgid" "$SRV"
MAILDIR=$SRV/Maildir
fresh() {
	rm -rf -- "$MAILDIR"
	cp -al "$tpl" "$MAILDIR"
	sync
}

# mimap serve.
mkdir -p "$work/mimap"
if [ "$uid" -eq 0 ]; then
	printf '%s:%s:%s:%s:%s\n' "$USER_" "$hash" "$muid" "$mgid" \
	    "$MAILDIR" >"$work/mimap/passwd"
else
	printf '%s:%s:::%s\n' "$USER_" "$hash" "$MAILDIR" >"$work/mimap/passwd"
fi
chmod 600 "$work/mimap/passwd"
MIMAP_PORT=$(free_port)
"$BUILD/mimap" serve --listen "127.0.0.1:$MIMAP_PORT" \
    --passwd-file "$work/mimap/passwd" --allow-plain-auth --no-resolve \
    --log stderr --auth-delay 0 2>"$work/mimap/log" &
MIMAP_PID=$!
pids="$pids $MIMAP_PID"
wait_port "$MIMAP_PORT" || die "mimap did not start: $(tail -n 3 "$work/mimap/log")"

# A private Dovecot: its own config and directories, IMAP only, no TLS,
# the same account and Maildir; otherwise Dovecot's defaults (indexes in
# the Maildir, mail_fsync = optimized).
D=$work/dovecot
mkdir -p "$D/run" "$D/state"
DOVECOT_PORT=$(free_port)
printf '%s:{SHA512-CRYPT}%s:%s:%s::%s::\n' "$USER_" "$hash" "$muid" \
    "$mgid" "$SRV" >"$D/passwd"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
instance_name = yubin-imapbench-$$-$DOVECOT_PORT
log_path = $D/log
info_log_path = $D/log
protocols = imap
listen = 127.0.0.1
default_internal_user = $iuser
default_internal_group = $(id -gn "$iuser")
default_login_user = $luser
mail_location = maildir:~/Maildir
mail_uid = $muid
mail_gid = $mgid
first_valid_uid = 0
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = username_format=%u $D/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
}
service anvil {
  chroot =
}
EOF
"$DOVECOT" -F -c "$D/dovecot.conf" >"$D/start.out" 2>&1 &
DOVECOT_PID=$!
pids="$pids $DOVECOT_PID"
wait_port "$DOVECOT_PORT" ||
    die "dovecot did not start: $(tail -n 3 "$D/start.out" "$D/log")"

results=$work/results
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# run SERVER ROUND: a fresh folder, the client cold then warm.
run() {
	case $1 in
	mimap) port=$MIMAP_PORT master=$MIMAP_PID ;;
	dovecot) port=$DOVECOT_PORT master=$DOVECOT_PID ;;
	esac
	fresh
	for temp in cold warm; do
		if ! "$PY" "$here/imap_client.py" "$port" "$USER_" "$PASS" \
		    "$master" >"$work/out" 2>"$work/err"; then
			note "$1 $temp: $(tail -n 3 "$work/err")"
			return 1
		fi
		sed "s/^/$1 $temp $2 /" "$work/out" >>"$results"
	done
	note "round $2 $1 done"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then
		run mimap "$r" || :
		run dovecot "$r" || :
	else
		run dovecot "$r" || :
		run mimap "$r" || :
	fi
	r=$((r + 1))
done

me=$(id -un)
fetch_tool() {
	t=$1
	d=$work/fetch-$t
	rm -rf -- "$d"
	md=$d/Maildir
	mkdir -p "$d" "$md/tmp" "$md/new" "$md/cur"
	case $t in
	mbsync)
		cat >"$d/mbsyncrc" <<EOF
IMAPAccount bench
Host 127.0.0.1
Port $DOVECOT_PORT
User $USER_
Pass $PASS
SSLType None
AuthMechs LOGIN PLAIN

IMAPStore remote
Account bench

MaildirStore local
Path $d/
Inbox $md

Channel bench
Far :remote:INBOX
Near :local:INBOX
Sync Pull
Create Near
SyncState $d/
EOF
		;;
	getmail)
		mkdir -p "$d/getmail"
		gm_user=
		if [ "$uid" -eq 0 ]; then
			gm_user="user = nobody"
			chown -R "$muid:$mgid" "$md"
		fi
		cat >"$d/getmail/getmailrc" <<EOF
[retriever]
type = SimpleIMAPRetriever
server = 127.0.0.1
port = $DOVECOT_PORT
username = $USER_
password = $PASS
mailboxes = ("INBOX",)

[destination]
type = Maildir
path = $md/
$gm_user

[options]
read_all = true
delete = false
verbose = 0
message_log_syslog = false
EOF
		;;
	fetchmail)
		# As root, mdeliver writes as the Maildir's owner and
		# refuses root: the Maildir is nobody's.
		[ "$uid" -ne 0 ] || chown -R "$muid:$mgid" "$md"
		cat >"$d/fetchmailrc" <<EOF
set no syslog
poll 127.0.0.1 service $DOVECOT_PORT protocol imap auth password
  user "$USER_" there with password "$PASS" is "$me" here
  options keep fetchall no rewrite sslproto ''
  mda "$BUILD/mdeliver --maildir $md"
EOF
		chmod 600 "$d/fetchmailrc" ;;
	esac
	t0=$(now)
	case $t in
	mimap)
		env -i PATH=/usr/bin:/bin HOME="$d" "$BUILD/mimap" fetch \
		    --tls=off --maildir "$md" --state "$d/state" \
		    --passwordeval "echo $PASS" --quiet \
		    "imap://$USER_@127.0.0.1:$DOVECOT_PORT" ;;
	mbsync)
		env -i PATH=/usr/bin:/bin HOME="$d" mbsync -q -c "$d/mbsyncrc" \
		    bench ;;
	getmail)
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d" \
		    USER="$me" LOGNAME="$me" getmail --getmaildir \
		    "$d/getmail" --rcfile getmailrc --quiet ;;
	fetchmail)
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d" \
		    FETCHMAILHOME="$d" USER="$me" LOGNAME="$me" \
		    fetchmail -f "$d/fetchmailrc" --nosyslog --silent ;;
	esac >"$d/out" 2>&1 || { note "$t: $(tail -n 3 "$d/out")"; return 1; }
	t1=$(now)
	got=$(find "$md/new" "$md/cur" -type f | wc -l)
	if [ "$got" -ne "$N" ]; then
		note "$t: $got messages fetched, not $N"
		return 1
	fi
	echo "$t0 $t1" | awk -v t="$t" -v r="$2" \
	    '{ printf "fetch %s %s %.3f\n", t, r, $2 - $1 }' >>"$results"
	note "round $2 fetch $t done"
}
FETCH_TOOLS="mimap"
for t in mbsync getmail fetchmail; do
	if command -v "$t" >/dev/null 2>&1; then
		FETCH_TOOLS="$FETCH_TOOLS $t"
	else
		note "skipping $t: not installed (isync, getmail6, fetchmail)"
	fi
done
fresh
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for t in $FETCH_TOOLS; do
		fetch_tool "$t" "$r" || :
	done
	r=$((r + 1))
done

# ------------------------------------------------------------ stress
# Dovecot's imaptest in its default random mode (LOGIN, LIST, STATUS,
# SELECT, FETCH, STORE, EXPUNGE, APPEND at random, every answer checked
# against what it tracks) with 10 clients for STRESS_SECS on an empty
# folder, each server in turn, every round: commands per second and
# imaptest's error lines.  Skipped without a built imaptest
# (./quickstart check builds one; tests/lib/imaptest.sh).
STRESS_SECS=${STRESS_SECS:-20}
IMAPTEST=
eval "$(sh "$here/../tests/lib/imaptest.sh" where \
    "$BUILD/.deps/imaptest" 2>/dev/null)" || IMAPTEST=
stress() {
	case $1 in
	mimap) port=$MIMAP_PORT ;;
	dovecot) port=$DOVECOT_PORT ;;
	esac
	rm -rf -- "$MAILDIR"
	mkdir -p "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
	[ "$uid" -ne 0 ] || chown -R "$muid:$mgid" "$MAILDIR"
	out=$work/stress-$1
	"$IMAPTEST" host=127.0.0.1 port="$port" user="$USER_" pass="$PASS" \
	    mbox="$IMAPTEST_TESTS/sort-subject.mbox" clients=10 \
	    secs="$STRESS_SECS" >"$out" 2>&1 || :
	# The totals: one count per command kind, added up.
	awk -v s="$1" -v r="$2" -v secs="$STRESS_SECS" '
	/^Totals:/ { t = NR }
	t && NR == t + 4 { for (i = 1; i <= NF; i++) n += $i }
	/^(Error|Panic|Fatal)/ { e++ }
	END { printf "stress %s %d %.1f %d\n", s, r, n / secs, e }' \
	    "$out" >>"$results"
	note "round $2 stress $1 done"
}
if [ -n "$IMAPTEST" ] && [ -x "$IMAPTEST" ]; then
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		stress mimap "$r"
		stress dovecot "$r"
		r=$((r + 1))
	done
else
	note "skipping the imaptest stress: no imaptest built" \
	    "(sh tests/lib/imaptest.sh build $BUILD/.deps/imaptest)"
fi

echo
printf '%-16s %-5s %12s %12s\n' op run mimap dovecot
for op in login_select rss_kb pss_kb uid_fetch_flags fetch_envelope search_from \
    search_from_2 sort_date fetch_body; do
	for temp in cold warm; do
		line=$(printf '%-16s %-5s' "$op" "$temp")
		for srv in mimap dovecot; do
			v=$(awk -v s="$srv" -v t="$temp" -v o="$op" '
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
			$1 == s && $2 == t && $4 == o && $5 != "-" {
				n++; a[n] = $5
			}
			END {
				if (n == 0) { print "-"; exit }
				print median(a, n)
			}' "$results")
			line="$line $(printf '%12s' "$v")"
		done
		echo "$line"
	done
done
echo
echo "$(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs, N=$N," \
    "$ROUNDS round(s), $(id -un)"
echo "load average at start $load0, at end $(cut -d' ' -f1-3 \
    /proc/loadavg 2>/dev/null || echo '?')"
echo "seconds but rss_kb (KB) and fetch_body (MB/s); \"-\": not offered"
echo
printf '%-10s %10s %10s\n' fetch seconds msgs/s
for t in $FETCH_TOOLS; do
	awk -v t="$t" -v n="$N" '
	function median(a, k,    i, j, v) {
		for (i = 2; i <= k; i++) {
			v = a[i]
			for (j = i - 1; j >= 1 && a[j] > v; j--)
				a[j + 1] = a[j]
			a[j + 1] = v
		}
		if (k % 2)
			return a[(k + 1) / 2]
		return (a[k / 2] + a[k / 2 + 1]) / 2
	}
	$1 == "fetch" && $2 == t { k++; a[k] = $4 }
	END {
		if (k == 0) { printf "%-10s %10s %10s\n", t, "-", "-"; exit }
		m = median(a, k)
		printf "%-10s %10.3f %10.1f\n", t, m, n / m
	}' "$results"
done
echo "fetch: every message from the private Dovecot into a fresh Maildir"
echo
printf '%-10s %12s %8s\n' stress commands/s errors
for srv in mimap dovecot; do
	awk -v s="$srv" '
	function median(a, k,    i, j, v) {
		for (i = 2; i <= k; i++) {
			v = a[i]
			for (j = i - 1; j >= 1 && a[j] > v; j--)
				a[j + 1] = a[j]
			a[j + 1] = v
		}
		if (k % 2)
			return a[(k + 1) / 2]
		return (a[k / 2] + a[k / 2 + 1]) / 2
	}
	$1 == "stress" && $2 == s { k++; a[k] = $4; e += $5 }
	END {
		if (k == 0) { printf "%-10s %12s %8s\n", s, "-", "-"; exit }
		printf "%-10s %12.1f %8d\n", s, median(a, k), e
	}' "$results"
done
echo "stress: imaptest, 10 clients, ${STRESS_SECS:-20} s, an empty folder"
