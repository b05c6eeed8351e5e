#!/bin/sh
# bench/pop3.sh: POP3 with a Maildir of N messages of about 4 KB (default
# 10,000), both sides, everything on 127.0.0.1 with free ports.
#
#   serve  Python's poplib (bench/pop3_client.py, the same script for
#          both) against `mpop serve --listen` and a private Dovecot
#          pop3: log in + LIST + UIDL, and log in + RETR of every message
#          (no DELE), each on a fresh Maildir (cold: no index yet) and
#          again on the same one (warm); file names with ",S=,W=" (as
#          mdeliver and Dovecot write them) and without.
#   fetch  every message from the private Dovecot into a fresh Maildir:
#          mpop fetch (--maildir, and --mda mdeliver), fetchmail keeping
#          the mail on the server and delivering through mdeliver or
#          procmail as its MDA, getmail6 with a Maildir destination.
#
# See bench/README for how to run it and how to read the table.  Everything
# lives in one temp dir, removed on exit; every server is stopped by its PID.

set -eu

prog=pop3.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

N=10000
ROUNDS=1
NAMES="sized plain"
SERVE_TOOLS="mpop-serve dovecot"
FETCH_TOOLS="mpop-fetch mpop-mda fetchmail-mdeliver fetchmail-procmail getmail"
TOOLS="$SERVE_TOOLS $FETCH_TOOLS"
BUILD=$here/../build
BASE=${TMPDIR:-/tmp}
PY=/usr/bin/python3
DOVECOT=$(command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot)
USER_=alice
PASS=secret

usage() {
	cat <<EOF
usage: $prog [-n N] [-r ROUNDS] [-s sized|plain|all] [-t TOOL,...]
       [-d DIR] [BUILDDIR]

  -n N         messages in the Maildir (default $N)
  -r ROUNDS    run every tool ROUNDS times, interleaved, each round
               starting with the next tool; report medians (default 1)
  -s NAMES     serve: file names with ",S=,W=" sizes (sized), without
               (plain), or both (all, the default)
  -t TOOLS     comma-separated subset of:
               serve: $SERVE_TOOLS
               fetch: $FETCH_TOOLS
               (or "serve", "fetch"); dovecot is always started, as the
               fetch tools' server
  -d DIR       make the temp dir (Maildirs, configs) under DIR (default
               \$TMPDIR or /tmp); must not be tmpfs
  BUILDDIR     where mpop and mdeliver are built (default ../build
               relative to this script)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; N=$2; shift ;;
	-r) [ $# -ge 2 ] || die "-r needs a number"; ROUNDS=$2; shift ;;
	-s) [ $# -ge 2 ] || die "-s needs sized, plain or all"
		case $2 in
		sized|plain) NAMES=$2 ;;
		all) NAMES="sized plain" ;;
		*) die "-s $2: expected sized, plain or all" ;;
		esac
		shift ;;
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

positive "$N" "$ROUNDS"
expanded=
for t in $TOOLS; do
	case $t in
	serve) expanded="$expanded $SERVE_TOOLS" ;;
	fetch) expanded="$expanded $FETCH_TOOLS" ;;
	*) expanded="$expanded $t" ;;
	esac
done
TOOLS=$expanded
for t in $TOOLS; do
	case " $SERVE_TOOLS $FETCH_TOOLS " in
	*" $t "*) ;;
	*) die "-t: unknown tool $t" ;;
	esac
done
[ -d "$BUILD" ] || die "$BUILD: no such build directory"
BUILD=$(cd "$BUILD" && pwd)
[ -d "$BASE" ] || die "$BASE: no such directory"
BASE=$(cd "$BASE" && pwd)
# The path goes into dovecot.conf, fetchmailrc, procmailrc, getmailrc.
case $BASE in
*[!A-Za-z0-9/._+-]*) die "-d $BASE: use a path without spaces or quotes" ;;
esac
[ -x "$PY" ] || die "$PY: not found (apt-get install python3)"
if [ ! -x "$DOVECOT" ] || [ ! -x /usr/lib/dovecot/pop3 ]; then
	die "dovecot: not installed (apt-get install dovecot-core dovecot-pop3d)"
fi

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
work=$(mktemp -d "$BASE/pop3-bench.XXXXXX")
# Traversable by the unprivileged users Dovecot's processes run as.
chmod 711 "$work"
d=$work
while [ "$d" != / ]; do
	[ -x "$d" ] || note "WARNING: $d is not searchable: Dovecot may fail"
	d=$(dirname "$d")
done

fstype=$(stat -f -c %T "$work" 2>/dev/null || echo unknown)
case $fstype in
tmpfs|ramfs)
	note "WARNING: $work is on $fstype: fsync costs nothing there," \
	    "the fetch figures say nothing about durability (use -d DIR)" ;;
esac

me=$(id -un)
uid=$(id -u)
# The mailbox owner.  Under root both servers switch to it after login
# (neither touches mail as root): nobody.  Otherwise the invoking user.
if [ "$uid" -eq 0 ]; then
	muid=$(id -u nobody) || die "running as root and no user nobody"
	mgid=$(id -g nobody)
	muser=nobody
	iuser=dovecot
	luser=dovenull
	id dovecot >/dev/null 2>&1 || die "no user dovecot (dovecot-core)"
	id dovenull >/dev/null 2>&1 || luser=dovecot
else
	muid=$uid
	mgid=$(id -g)
	muser=$me
	iuser=$me
	luser=$me
fi

# One password hash (SHA-512 crypt) for both servers.
# shellcheck disable=SC2016
hash=$(openssl passwd -6 -salt pop3bench "$PASS" 2>/dev/null) ||
    hash=$("$PY" -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], "$6$pop3bench"))' "$PASS") ||
    die "cannot hash a password (openssl or python3 crypt)"

# ------------------------------------------------------------ Maildirs

# Templates, made once: hard-linked copies of them are the mailboxes the
# servers serve, so every run starts from the same files with no index.
gen() {
	names=$1
	t=$work/tpl-$names
	note "making $N messages ($names names) in $t"
	"$PY" "$here/pop3_gen.py" --names "$names" "$t" "$N" >"$t.info" ||
	    die "pop3_gen.py failed"
	[ "$uid" -ne 0 ] || chown -R "$muid:$mgid" "$t"
}
case " $TOOLS " in
*" mpop-serve "*|*" dovecot "*) ;;
*) NAMES= ;; # fetch only
esac
for n in $NAMES; do
	gen "$n"
done
case " $NAMES " in
*" sized "*) ;;
*) gen sized ;; # the fetch runs serve sized names (mdeliver's)
esac
sync

# The account's home; its Maildir is replaced before each run.
SRV=$work/srv
mkdir -p "$SRV"
[ "$uid" -ne 0 ] || chown "$muid:$mgid" "$SRV"
MAILDIR=$SRV/Maildir

# fresh NAMES: a new copy of the template as the served Maildir.
fresh() {
	rm -rf -- "$MAILDIR"
	cp -al "$work/tpl-$1" "$MAILDIR"
	sync
}

# ------------------------------------------------------------ servers

mkdir -p "$work/mpop" "$work/dovecot/run" "$work/dovecot/state"
if [ "$uid" -eq 0 ]; then
	printf '%s:%s:%s:%s:%s\n' "$USER_" "$hash" "$muid" "$mgid" \
	    "$MAILDIR" >"$work/mpop/passwd"
else
	printf '%s:%s:::%s\n' "$USER_" "$hash" "$MAILDIR" \
	    >"$work/mpop/passwd"
fi
chmod 600 "$work/mpop/passwd"

MPOP_PORT=
if echo " $TOOLS " | grep -q ' mpop-serve '; then
	if [ -x "$BUILD/mpop" ]; then
		MPOP_PORT=$(free_port)
		"$BUILD/mpop" serve --listen "127.0.0.1:$MPOP_PORT" \
		    --passwd-file "$work/mpop/passwd" --allow-plain-auth \
		    --no-resolve --log stderr --max-clients 4 \
		    2>"$work/mpop/log" &
		pids="$pids $!"
		wait_port "$MPOP_PORT" ||
		    die "mpop serve did not start: $(tail -n 3 "$work/mpop/log")"
	else
		note "skipping mpop-serve: $BUILD/mpop not built"
		TOOLS=$(echo " $TOOLS " | sed 's/ mpop-serve / /')
	fi
fi

# A private Dovecot: its own config, base_dir and state_dir, POP3 only on
# 127.0.0.1:PORT, no TLS, USER/PASS allowed (loopback), the same
# passwd-file account and Maildir as mpop serve; otherwise Dovecot's
# defaults (mail_fsync = optimized, indexes in the Maildir).
D=$work/dovecot
DOVECOT_PORT=$(free_port)
printf '%s:{SHA512-CRYPT}%s:%s:%s::%s::\n' "$USER_" "$hash" "$muid" \
    "$mgid" "$SRV" >"$D/passwd"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
instance_name = yubin-bench-$$-$DOVECOT_PORT
log_path = $D/log
info_log_path = $D/log
protocols = pop3
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
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
}
service imap-login {
  chroot =
}
service anvil {
  chroot =
}
EOF
"$DOVECOT" -F -c "$D/dovecot.conf" >"$D/start.out" 2>&1 &
pids="$pids $!"
wait_port "$DOVECOT_PORT" ||
    die "dovecot did not start: $(tail -n 3 "$D/start.out" "$D/log")"

port_of() {
	case $1 in
	mpop-serve) echo "$MPOP_PORT" ;;
	dovecot) echo "$DOVECOT_PORT" ;;
	esac
}

results=$work/results
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
failed=

# session MODE SERVER: one timed poplib session; prints its seconds and
# the octets listed (list) or received (retr).  A warning from the client
# (RETR's bytes differ from STAT's total) is shown once per server.
warned=
session() {
	out=$("$PY" "$here/pop3_client.py" "$1" "$(port_of "$2")" "$USER_" \
	    "$PASS" "$N" 2>"$work/client.err") || {
		note "$2 $1: $(tail -n 2 "$work/client.err") $out"
		return 1
	}
	if [ -s "$work/client.err" ]; then
		case " $warned " in
		*" $2 "*) ;;
		*) note "$2 $1: $(tail -n 1 "$work/client.err")"
		   warned="$warned $2" ;;
		esac
	fi
	# $out: "SECONDS COUNT OCTETS", split on purpose.
	# shellcheck disable=SC2086
	set -- $out
	echo "$1 $3"
}

# ------------------------------------------------------------ serve

serve_tools=
for t in $SERVE_TOOLS; do
	case " $TOOLS " in
	*" $t "*) serve_tools="$serve_tools $t" ;;
	esac
done
if [ -n "$serve_tools" ]; then
	for names in $NAMES; do
		r=1
		while [ "$r" -le "$ROUNDS" ]; do
			# shellcheck disable=SC2086
			for t in $(rotate $((r - 1)) $serve_tools); do
				for phase in list retr; do
					fresh "$names"
					for w in cold warm; do
						if out=$(session "$phase" "$t"); then
							s=${out% *}
							echo "serve $t $names $phase-$w $s $r" \
							    >>"$results"
							# Every server, every run: the
							# same octets (CRLF sizes).
							echo "${out#* } $t $names $phase-$w" \
							    >>"$work/octets"
							note "$(printf 'round %d %-10s %s %-9s %8.3f s' \
							    "$r" "$t" "$names" "$phase-$w" "$s")"
						else
							failed="$failed $t/$names/$phase-$w"
						fi
					done
				done
			done
			r=$((r + 1))
		done
	done
fi

# ------------------------------------------------------------ fetch

fetch_tools=
for t in $FETCH_TOOLS; do
	case " $TOOLS " in
	*" $t "*) ;;
	*) continue ;;
	esac
	case $t in
	mpop-*)
		[ -x "$BUILD/mpop" ] || {
			note "skipping $t: $BUILD/mpop not built"; continue; } ;;
	esac
	case $t in
	*-mdeliver|mpop-mda)
		[ -x "$BUILD/mdeliver" ] || {
			note "skipping $t: $BUILD/mdeliver not built"; continue; } ;;
	esac
	case $t in
	fetchmail-*)
		command -v fetchmail >/dev/null 2>&1 || {
			note "skipping $t: apt-get install fetchmail"; continue; } ;;
	esac
	case $t in
	*-procmail)
		command -v procmail >/dev/null 2>&1 || {
			note "skipping $t: apt-get install procmail"; continue; } ;;
	getmail)
		command -v getmail >/dev/null 2>&1 || {
			note "skipping $t: apt-get install getmail6"; continue; } ;;
	esac
	fetch_tools="$fetch_tools $t"
done

# fetch TOOL DIR: TOOL pulls every message from Dovecot into DIR/Maildir,
# with fresh state under DIR; prints the seconds taken.
fetch() {
	t=$1
	d=$2
	md=$d/Maildir
	mkdir -p "$d" "$md/tmp" "$md/new" "$md/cur"
	url=pop3://$USER_@127.0.0.1:$DOVECOT_PORT
	# As root mdeliver writes as the Maildir's owner and refuses
	# root's: for it the Maildir is nobody's, as a user's would be.
	case $t in
	*-mdeliver|mpop-mda)
		if [ "$uid" -eq 0 ]; then
			chmod 755 "$d"
			chown -R nobody: "$md"
		fi ;;
	esac
	case $t in
	fetchmail-*)
		case $t in
		*-mdeliver) mda="$BUILD/mdeliver --maildir $md" ;;
		*-procmail)
			# -m: this rcfile only; DEFAULT with a trailing /:
			# Maildir delivery, no lock file.
			printf 'MAILDIR=%s\nDEFAULT=%s/\nVERBOSE=off\n' \
			    "$d" "$md" >"$d/procmailrc"
			mda="$(command -v procmail) -m $d/procmailrc" ;;
		esac
		cat >"$d/fetchmailrc" <<EOF
set no syslog
poll 127.0.0.1 service $DOVECOT_PORT protocol pop3 auth password
  user "$USER_" there with password "$PASS" is "$me" here
  options keep fetchall no rewrite sslproto ''
  mda "$mda"
EOF
		chmod 600 "$d/fetchmailrc" ;;
	getmail)
		mkdir -p "$d/getmail"
		# getmail refuses to deliver as root: it switches to "user".
		gm_user=
		if [ "$uid" -eq 0 ]; then
			gm_user="user = $muser"
			chown -R "$muid:$mgid" "$md"
		fi
		cat >"$d/getmail/getmailrc" <<EOF
[retriever]
type = SimplePOP3Retriever
server = 127.0.0.1
port = $DOVECOT_PORT
username = $USER_
password = $PASS

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
	esac
	t0=$(now)
	case $t in
	mpop-fetch)
		env -i PATH=/usr/bin:/bin HOME="$d" "$BUILD/mpop" fetch \
		    --tls=off --maildir "$md" --state "$d/state" \
		    --passwordeval "echo $PASS" --quiet "$url" ;;
	mpop-mda)
		env -i PATH=/usr/bin:/bin HOME="$d" "$BUILD/mpop" fetch \
		    --tls=off --mda "$BUILD/mdeliver --maildir $md" \
		    --state "$d/state" --passwordeval "echo $PASS" --quiet \
		    "$url" ;;
	fetchmail-*)
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d" \
		    FETCHMAILHOME="$d" USER="$me" LOGNAME="$me" \
		    fetchmail -f "$d/fetchmailrc" --idfile "$d/fetchids" \
		    --nosyslog --silent ;;
	getmail)
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d" \
		    USER="$me" LOGNAME="$me" getmail --getmaildir \
		    "$d/getmail" --rcfile getmailrc --quiet ;;
	esac >"$d/out" 2>&1 || return 1
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

# verify_fetch DIR: N files in new/+cur/, none in tmp/, N distinct
# Message-IDs (pop3_gen.py numbers them).
verify_fetch() {
	md=$1/Maildir
	got=$(find "$md/new" "$md/cur" -type f | wc -l)
	[ "$got" -eq "$N" ] || { echo "$got files, expected $N"; return 1; }
	left=$(find "$md/tmp" -type f | wc -l)
	[ "$left" -eq 0 ] || { echo "$left files left in tmp/"; return 1; }
	ids=$(find "$md/new" "$md/cur" -type f -exec grep -h -m1 -i \
	    '^Message-ID:' {} + | sort -u | wc -l)
	[ "$ids" -eq "$N" ] || { echo "$ids distinct Message-IDs"; return 1; }
}

if [ -n "$fetch_tools" ]; then
	# Dovecot serves the sized names; one full session first builds its
	# index and marks every message seen, so every tool finds the same
	# steady state.
	fresh sized
	session retr dovecot >/dev/null || die "dovecot: warm-up session failed"
	note "fetching $N messages from dovecot"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		# shellcheck disable=SC2086
		for t in $(rotate $((r - 1)) $fetch_tools); do
			dd=$work/fetch-$t-$r
			sync
			if ! s=$(fetch "$t" "$dd"); then
				note "$t: failed: $(tail -n 3 "$dd/out")"
				failed="$failed $t"
			elif ! why=$(verify_fetch "$dd"); then
				note "$t: verification failed: $why"
				failed="$failed $t"
			else
				echo "fetch $t sized fetch $s $r" >>"$results"
				note "$(printf 'round %d %-18s %8.3f s' "$r" "$t" "$s")"
			fi
			rm -rf -- "$dd"
		done
		r=$((r + 1))
	done
fi

[ -s "$results" ] || die "no results"
if [ -s "$work/octets" ] &&
    [ "$(cut -d' ' -f1 "$work/octets" | sort -u | wc -l)" -ne 1 ]; then
	note "the octets listed or received differ:"
	sort "$work/octets" | awk '$1 != p { print; p = $1 }' >&2
	failed="$failed octets"
fi

# Table: median seconds over the rounds, msgs/s, and the median over the
# rounds of yubin's time / the tool's time in the same round (mpop serve
# for serve, mpop fetch --maildir for fetch): below 1.00 yubin is faster.
table() {
	awk -v t="$1" -v nm="$2" -v ph="$3" -v ref="$4" -v n="$N" '
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
	$3 == nm && $4 == ph && $2 == ref { rs[$6] = $5 }
	$3 == nm && $4 == ph && $2 == t { k++; sec[k] = $5; rnd[k] = $6 }
	END {
		if (k == 0)
			exit
		m = 0
		for (i = 1; i <= k; i++)
			if ((rnd[i] in rs) && sec[i] > 0)
				rat[++m] = rs[rnd[i]] / sec[i]
		x = m ? sprintf("%.2f", median(rat, m)) : "-"
		med = median(sec, k)
		printf "%-20s %-5s %-9s %6d %9.3f %9.1f %7s\n", t, nm, ph, n,
		    med, (med > 0 ? n / med : 0), x
	}' "$results"
}

echo
printf '%-20s %-5s %-9s %6s %9s %9s %7s\n' tool names run N seconds \
    msgs/s 'x yubin'
for names in $NAMES; do
	for phase in list-cold list-warm retr-cold retr-warm; do
		for t in $serve_tools; do
			table "$t" "$names" "$phase" mpop-serve
		done
	done
done
for t in $fetch_tools; do
	table "$t" sized fetch mpop-fetch
done
echo
echo "$(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs, $fstype at" \
    "$work, $ROUNDS round(s), $(cut -d' ' -f2 "$work/tpl-sized.info")" \
    "bytes in $N messages"
echo "load average at start $load0, at end $(cut -d' ' -f1-3 \
    /proc/loadavg 2>/dev/null || echo '?')"
echo "serve: poplib, one session per run; cold = first session on a" \
    "fresh copy (no index), warm = the next one."
echo "x yubin: yubin's time / the tool's time in the same round" \
    "(mpop-serve, mpop-fetch), median over rounds: below 1.00 yubin" \
    "is faster."
[ -z "$failed" ] || echo "failed:$failed"
