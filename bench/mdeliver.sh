#!/bin/sh
# bench/mdeliver.sh: deliveries per second, one process per message as an
# MTA runs a delivery agent, for yubin's mdeliver beside maildrop, procmail
# and dovecot-lda, and the "floor" (bench/floor.c: only the durable write).
# See bench/README for how to run it and how to read the table.
#
# Everything it creates lives in one temp dir (removed on exit): the
# compiled floor and driver, the message, private configs and Maildirs.

set -eu

prog=mdeliver.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

N=2000
SIZES=all
ROUNDS=1
WARM=10
TOOLS="floor mdeliver maildrop procmail dovecot-lda"
MDELIVER=$here/../build/mdeliver
LDA=/usr/lib/dovecot/dovecot-lda
BASE=${TMPDIR:-/tmp}
PIPE=

usage() {
	cat <<EOF
usage: $prog [-n N] [-s 4k|1m|all] [-r ROUNDS] [-t TOOL,...] [-d DIR]
       [--pipe] [--mdeliver PATH] [--dovecot-lda PATH]

  -n N            deliveries per tool and size (default 2000)
  -s SIZE         message size: 4k, 1m or all (default all)
  -r ROUNDS       run every tool ROUNDS times, interleaved, each round
                  starting with the next tool; report medians (default 1)
  -t TOOLS        comma-separated subset of: $TOOLS
  -d DIR          make the temp dir (configs and Maildirs) under DIR
                  (default \$TMPDIR or /tmp); must not be tmpfs
  --pipe          feed each message through a pipe (as most MTAs do)
                  instead of a file on stdin
  --mdeliver PATH the mdeliver to measure (default ../build/mdeliver
                  relative to this script)
  --dovecot-lda PATH   (default /usr/lib/dovecot/dovecot-lda)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; N=$2; shift ;;
	-s) [ $# -ge 2 ] || die "-s needs 4k, 1m or all"; SIZES=$2; shift ;;
	-r) [ $# -ge 2 ] || die "-r needs a number"; ROUNDS=$2; shift ;;
	-t) [ $# -ge 2 ] || die "-t needs a tool list"
		TOOLS=$(echo "$2" | tr ',' ' '); shift ;;
	-d) [ $# -ge 2 ] || die "-d needs a directory"; BASE=$2; shift ;;
	--pipe) PIPE=-p ;;
	--mdeliver) [ $# -ge 2 ] || die "--mdeliver needs a path"
		MDELIVER=$2; shift ;;
	--mdeliver=*) MDELIVER=${1#*=} ;;
	--dovecot-lda) [ $# -ge 2 ] || die "--dovecot-lda needs a path"
		LDA=$2; shift ;;
	--dovecot-lda=*) LDA=${1#*=} ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 64 ;;
	esac
	shift
done

case $N in
''|*[!0-9]*) die "-n $N: not a positive number" ;;
esac
[ "$N" -ge 1 ] || die "-n $N: not a positive number"
case $ROUNDS in
''|*[!0-9]*) die "-r $ROUNDS: not a positive number" ;;
esac
[ "$ROUNDS" -ge 1 ] || die "-r $ROUNDS: not a positive number"
case $SIZES in
4k|1m) ;;
all) SIZES="4k 1m" ;;
*) die "-s $SIZES: expected 4k, 1m or all" ;;
esac
for t in $TOOLS; do
	case $t in
	floor|mdeliver|maildrop|procmail|dovecot-lda) ;;
	*) die "-t: unknown tool $t" ;;
	esac
done
[ "$WARM" -le "$N" ] || WARM=$N
case $MDELIVER in
/*) ;;
*) MDELIVER=$(pwd)/$MDELIVER ;;
esac
[ -d "$BASE" ] || die "$BASE: no such directory"
BASE=$(cd "$BASE" && pwd)
# The path goes into procmailrc, a maildrop filter and dovecot.conf.
case $BASE in
*[!A-Za-z0-9/._+-]*) die "-d $BASE: use a path without spaces or quotes" ;;
esac
command -v cc >/dev/null 2>&1 || die "cc: not found (apt-get install gcc)"

work=
cleanup() {
	if [ -n "$work" ] && [ -d "$work" ]; then
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "$BASE/mdeliver-bench.XXXXXX")
# Traversable by the unprivileged user dovecot-lda runs as under root.
chmod 711 "$work"

fstype=$(stat -f -c %T "$work" 2>/dev/null || echo unknown)
case $fstype in
tmpfs|ramfs)
	note "WARNING: $work is on $fstype: fsync costs nothing there," \
	    "the figures say nothing about durability (use -d DIR)" ;;
esac

mkdir "$work/bin"
cc -O2 -o "$work/bin/floor" "$here/floor.c" ||
    die "cannot compile $here/floor.c"
cc -O2 -o "$work/bin/driver" "$here/driver.c" ||
    die "cannot compile $here/driver.c"
chmod 755 "$work/bin" "$work/bin/floor" "$work/bin/driver"

me=$(id -un)
uid=$(id -u)
# dovecot-lda run as root insists on -d USER and a userdb lookup through a
# running auth server; run as any other user it takes USER and HOME from
# the environment.  So under root it runs as an unprivileged user.
lda_user=
lda_ugid=
if [ "$uid" -eq 0 ]; then
	lda_user=nobody
	if ! lda_ugid=$(id -u "$lda_user" 2>/dev/null):$(id -g "$lda_user" \
	    2>/dev/null); then
		lda_ugid=
	fi
fi

# gen_msg SIZE_IN_BYTES FILE: realistic headers, text body, exact size.
gen_msg() {
	size=$1
	out=$2
	cat >"$out" <<EOF
Received: from mail.example.org (mail.example.org [192.0.2.25])
	by mx.example.net (yubin msmtpd) with ESMTPS id 4Vb2kq0XyZz9sW
	for <bob@example.net>; Sun, 22 Nov 2026 18:00:02 +0000
Received: from [198.51.100.7] (client.example.org [198.51.100.7])
	by mail.example.org with ESMTPSA id 7Hq3Lm1PaBc;
	Sun, 22 Nov 2026 18:00:01 +0000
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;
	s=2026; h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5J
	CeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBi
	dXQgaXQgaXMgYXMgbG9uZyBhcyBvbmUgd291bGQgYmU=
Date: Sun, 22 Nov 2026 19:00:00 +0100
From: Alice Example <alice@example.org>
To: Bob Example <bob@example.net>
Subject: Benchmark message of $size bytes
Message-ID: <bench-$size@mail.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

EOF
	hlen=$(wc -c <"$out")
	[ "$size" -gt "$((hlen + 1))" ] || die "message size $size too small"
	awk -v left="$((size - hlen))" 'BEGIN {
		nw = split("the of and to in is that it for as with was on " \
		    "be by this are from at or an which have not mail " \
		    "message delivery queue server durable fsync link " \
		    "directory new tmp maildir header body sender", w, " ")
		srand(1)
		while (left > 0) {
			line = w[int(rand() * nw) + 1]
			while (length(line) < 66)
				line = line " " w[int(rand() * nw) + 1]
			if (length(line) + 1 > left)
				line = substr(line, 1, left - 1)
			print line
			left -= length(line) + 1
		}
	}' >>"$out"
	[ "$(wc -c <"$out")" -eq "$size" ] || die "gen_msg: wrong size"
}

# setup TOOL DIR: a fresh DIR/Maildir and a private config delivering into
# it; sets CMD (the tool's argv, one word per line), DRV_OPTS, RUN_USER.
setup() {
	tool=$1
	dir=$2
	md=$dir/Maildir
	mkdir -p "$md/tmp" "$md/new" "$md/cur"
	DRV_OPTS=
	RUN_USER=$me
	case $tool in
	floor)
		CMD="$work/bin/floor
$md" ;;
	mdeliver)
		# As root mdeliver writes as the Maildir's owner and refuses
		# root's: the Maildir is nobody's, as a user's would be.
		if [ "$uid" -eq 0 ]; then
			chmod 755 "$dir"
			chown -R nobody: "$md"
		fi
		CMD="$MDELIVER
--maildir
$md" ;;
	maildrop)
		# maildrop wants the filter file owned by the user, mode 0600.
		printf 'to "%s"\n' "$md" >"$dir/mailfilter"
		chmod 600 "$dir/mailfilter"
		CMD="$(command -v maildrop)
$dir/mailfilter" ;;
	procmail)
		# -m: only this rcfile, no /etc/procmailrc.  No recipe: the
		# message goes to DEFAULT, a Maildir (trailing /), no lock.
		cat >"$dir/procmailrc" <<EOF
MAILDIR=$dir
DEFAULT=$md/
VERBOSE=off
EOF
		CMD="$(command -v procmail)
-m
$dir/procmailrc" ;;
	dovecot-lda)
		cat >"$dir/dovecot.conf" <<EOF
# Private, minimal: no running dovecot, no userdb, no stats socket.
log_path = /dev/stderr
info_log_path = /dev/null
stats_writer_socket_path =
mail_location = maildir:$md
EOF
		CMD="$LDA
-c
$dir/dovecot.conf"
		if [ "$uid" -eq 0 ]; then
			chown -R "$lda_ugid" "$dir"
			DRV_OPTS="-u $lda_ugid"
			RUN_USER=$lda_user
		fi ;;
	esac
}

# deliver TOOL DIR: $count deliveries of $msg by TOOL into DIR/Maildir, one
# process each, through the driver; prints the seconds taken on stdout.
deliver() {
	setup "$1" "$2"
	old_ifs=$IFS
	IFS='
'
	set -f
	# One argument per line of $CMD, no globbing.
	# shellcheck disable=SC2086
	set -- $CMD
	set +f
	IFS=$old_ifs
	# $PIPE and $DRV_OPTS are empty or options: split on purpose.
	# shellcheck disable=SC2086
	(cd "$dir" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME="$dir" USER="$RUN_USER" LOGNAME="$RUN_USER" \
	    "$work/bin/driver" $PIPE $DRV_OPTS "$count" "$msg" "$@") \
	    2>"$dir/stderr"
}

# verify DIR COUNT MSG: COUNT files in new/+cur/, none left in tmp/, each
# at least the message's size, and the message intact at the end of the
# first and last file (tools may prepend trace headers, nothing else).
# Prints the bytes the tool added (or why the check failed).
verify() {
	md=$1/Maildir
	want=$2
	m=$3
	msize=$(wc -c <"$m")
	got=$(find "$md/new" "$md/cur" -type f | wc -l)
	if [ "$got" -ne "$want" ]; then
		echo "expected $want files in new/ and cur/, found $got"
		return 1
	fi
	left=$(find "$md/tmp" -type f | wc -l)
	if [ "$left" -ne 0 ]; then
		echo "$left files left in tmp/"
		return 1
	fi
	find "$md/new" "$md/cur" -type f -printf '%s\n' | sort -n >"$1/sizes"
	smin=$(sed -n 1p "$1/sizes")
	smax=$(sed -n '$p' "$1/sizes")
	if [ "$smin" -lt "$msize" ] || [ "$smax" -gt "$((msize + 4096))" ]
	then
		echo "file sizes $smin..$smax, message is $msize bytes"
		return 1
	fi
	find "$md/new" "$md/cur" -type f | sort | sed -n '1p;$p' >"$1/check"
	while IFS= read -r f; do
		if ! tail -c "$msize" "$f" | cmp -s - "$m"; then
			echo "$f: message not intact"
			return 1
		fi
	done <"$1/check"
	if [ "$smin" -eq "$smax" ]; then
		echo "$((smin - msize))"
	else
		echo "$((smin - msize))-$((smax - msize))"
	fi
}

# Which tools can run at all.
active=
for t in $TOOLS; do
	case $t in
	mdeliver)
		if [ ! -x "$MDELIVER" ]; then
			note "skipping mdeliver: $MDELIVER not built" \
			    "(give --mdeliver PATH)"
			continue
		fi ;;
	maildrop|procmail)
		if ! command -v "$t" >/dev/null 2>&1; then
			note "skipping $t: not installed (apt-get install $t)"
			continue
		fi ;;
	dovecot-lda)
		if [ ! -x "$LDA" ]; then
			note "skipping dovecot-lda: $LDA not installed" \
			    "(apt-get install dovecot-core)"
			continue
		fi
		if [ "$uid" -eq 0 ] && [ -z "$lda_ugid" ]; then
			note "skipping dovecot-lda: running as root and no" \
			    "user '$lda_user' to run it as"
			continue
		fi ;;
	esac
	active="$active $t"
done

results=$work/results
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
skipped=

for s in $SIZES; do
	case $s in
	4k) bytes=4096 ;;
	1m) bytes=1048576 ;;
	esac
	msg=$work/msg-$s
	gen_msg "$bytes" "$msg"
	chmod 644 "$msg"

	# One size at a time is kept on disk: N copies plus slack.
	need_kb=$((N * bytes * 11 / 10 / 1024 + 10240))
	free_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt "$need_kb" ]; then
		note "skipping size $s: needs ${need_kb} KB free in $work," \
		    "has ${free_kb} KB"
		continue
	fi

	# Warm-up: caches binaries and configs, and proves the tool works
	# before the long run; a tool that fails here is skipped.
	tools=
	for t in $active; do
		count=$WARM
		if deliver "$t" "$work/warm-$t-$s" >/dev/null &&
		    reason=$(verify "$work/warm-$t-$s" "$WARM" "$msg"); then
			tools="$tools $t"
		else
			[ -n "${reason:-}" ] ||
			    reason=$(tail -n 3 "$work/warm-$t-$s/stderr")
			note "skipping $t at $s: warm-up failed: $reason"
			skipped="$skipped $t/$s"
		fi
		reason=
		rm -rf -- "$work/warm-$t-$s"
	done

	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		# $tools: tool names, split on purpose.
		# shellcheck disable=SC2086
		for t in $(rotate $((r - 1)) $tools); do
			d=$work/run-$t-$s-$r
			count=$N
			sync
			if ! secs=$(deliver "$t" "$d"); then
				note "$t at $s: delivery failed:" \
				    "$(tail -n 3 "$d/stderr")"
				rm -rf -- "$d"
				continue
			fi
			if ! added=$(verify "$d" "$N" "$msg"); then
				note "$t at $s: verification failed: $added"
				rm -rf -- "$d"
				continue
			fi
			echo "$t $s $N $secs $added $r" >>"$results"
			note "$(printf 'round %d %-12s %-3s %6d in %8.3f s' \
			    "$r" "$t" "$s" "$N" "$secs")"
			rm -rf -- "$d"
		done
		r=$((r + 1))
	done
done

[ -s "$results" ] || die "no results"

# Table, per size and tool: the median of the seconds over the rounds,
# and the median over the rounds of time / floor's time in the same round
# (rounds interleave the tools, so each ratio compares runs made under
# similar conditions: steadier than a ratio of medians on a busy machine).
echo
printf '%-12s %-4s %6s %9s %9s %8s %7s\n' \
    tool size N seconds msgs/s 'x floor' '+bytes'
for s in $SIZES; do
	for t in $TOOLS; do
		awk -v t="$t" -v s="$s" '
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
		$2 == s && $1 == "floor" { fl[$6] = $4 }
		$2 == s && $1 == t {
			n++; sec[n] = $4; rnd[n] = $6; cnt = $3; add = $5
		}
		END {
			if (n == 0)
				exit
			m = 0
			for (i = 1; i <= n; i++)
				if (rnd[i] in fl)
					rat[++m] = sec[i] / fl[rnd[i]]
			r = m ? sprintf("%.2f", median(rat, m)) : "-"
			med = median(sec, n)
			printf "%-12s %-4s %6d %9.3f %9.1f %8s %7s\n",
			    t, s, cnt, med, cnt / med, r, "+" add
		}' "$results"
	done
done
echo
echo "$(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs," \
    "$fstype at $work, $ROUNDS round(s), stdin from" \
    "$([ -n "$PIPE" ] && echo pipe || echo file)"
echo "load average at start $load0, at end $(cut -d' ' -f1-3 \
    /proc/loadavg 2>/dev/null || echo '?') (the run itself adds about 1)"
echo "x floor: time / floor's time in the same round, median over" \
    "rounds (lower is better)."
echo "+bytes: header bytes the tool added to each message."
echo "Only floor and mdeliver fsync new/ after the link; maildrop," \
    "procmail and dovecot-lda"
echo "(default settings) do not: see bench/README."
[ -z "$skipped" ] || echo "skipped:$skipped"
