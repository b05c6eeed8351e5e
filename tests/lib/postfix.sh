# postfix.sh: Postfix's smtp-sink and smtp-source (and, for bench/smtp.sh,
# the rest of Postfix) without installing Postfix: installing the package
# would start a system MTA.  Sourced by tests and benchmarks; also a
# script:
#
#   sh tests/lib/postfix.sh fetch DIR    download and unpack into DIR
#   sh tests/lib/postfix.sh where [DIR]  print SMTP_SINK and SMTP_SOURCE
#
# The copy: `apt-get download postfix` (Debian's own package for this
# system, so it matches its libc; works as root or not) unpacked with
# `dpkg-deb -x` into DIR/root.  The programs live in DIR/root/usr/sbin and
# need the libpostfix-*.so from DIR/root/usr/lib/postfix, which the
# binaries do not find by themselves (no RUNPATH): DIR/bin/smtp-sink and
# DIR/bin/smtp-source are two-line wrappers that set LD_LIBRARY_PATH.
# smtp-sink and smtp-source read no main.cf and need no Postfix user,
# queue or running master; run as root, smtp-sink insists on -u USER
# (it drops to USER after binding the port; its -d dump directory must be
# writable by USER; `-u root` is accepted); run by anyone else, -u fails
# (initgroups: Operation not permitted), so leave it out then).
#
# ./quickstart check fetches the copy into BUILDDIR/.deps/postfix once;
# tests never touch the network: without a copy they skip.

# postfix_default_dir: where the copy lives for this build directory
# ($YUBIN_POSTFIX_DIR wins).
postfix_default_dir()
{
	if [ -n "${YUBIN_POSTFIX_DIR:-}" ]; then
		echo "$YUBIN_POSTFIX_DIR"
	else
		echo "${YUBIN_BUILDDIR:-.}/.deps/postfix"
	fi
}

# postfix_fetch DIR: download Debian's postfix package and unpack it into
# DIR (nothing to do if DIR already holds a working copy).  The copy is
# made in a temp dir beside DIR and renamed into place, so two fetches at
# once, or one interrupted, never leave a half copy.  On failure returns
# 1 with the reason in POSTFIX_WHY.
postfix_fetch()
{
	_pf_dest=$1
	POSTFIX_WHY=
	if [ -x "$_pf_dest/bin/smtp-sink" ] &&
	    [ -x "$_pf_dest/bin/smtp-source" ]; then
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1 ||
	    ! command -v dpkg-deb >/dev/null 2>&1; then
		POSTFIX_WHY="no apt-get/dpkg-deb to fetch Postfix with"
		return 1
	fi
	case $_pf_dest in
	/*) ;;
	*) _pf_dest=$(pwd)/$_pf_dest ;;
	esac
	_pf_parent=$(dirname "$_pf_dest")
	mkdir -p "$_pf_parent" || {
		POSTFIX_WHY="cannot create $_pf_parent"
		return 1
	}
	_pf_tmp=$(mktemp -d "$_pf_parent/.postfix.XXXXXX") || {
		POSTFIX_WHY="cannot make a temp dir in $_pf_parent"
		return 1
	}
	# Readable by the users smtp-sink drops to (-u) and by _apt.
	chmod 755 "$_pf_tmp"
	if ! (cd "$_pf_tmp" && timeout 120 apt-get download -q postfix) \
	    >"$_pf_tmp/fetch.log" 2>&1; then
		POSTFIX_WHY="apt-get download postfix failed: $(grep -v \
		    '^W:' "$_pf_tmp/fetch.log" | tail -n 1)"
		rm -rf -- "$_pf_tmp"
		return 1
	fi
	for _pf_deb in "$_pf_tmp"/postfix_*.deb; do :; done
	if [ ! -f "$_pf_deb" ] ||
	    ! dpkg-deb -x "$_pf_deb" "$_pf_tmp/root" >>"$_pf_tmp/fetch.log" 2>&1
	then
		POSTFIX_WHY="cannot unpack the postfix package"
		rm -rf -- "$_pf_tmp"
		return 1
	fi
	basename "$_pf_deb" >"$_pf_tmp/package"
	rm -f -- "$_pf_deb"
	mkdir "$_pf_tmp/bin"
	for _pf_p in smtp-sink smtp-source; do
		cat >"$_pf_tmp/bin/$_pf_p" <<EOF
#! /bin/sh
# $_pf_p from $(cat "$_pf_tmp/package"), unpacked by tests/lib/postfix.sh
lib="$_pf_dest/root/usr/lib/postfix"
LD_LIBRARY_PATH="\$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "$_pf_dest/root/usr/sbin/$_pf_p" "\$@"
EOF
		chmod 755 "$_pf_tmp/bin/$_pf_p"
	done
	# Does it run here?  Without arguments smtp-source prints its usage;
	# a missing library shows instead.
	if ! LD_LIBRARY_PATH="$_pf_tmp/root/usr/lib/postfix" \
	    "$_pf_tmp/root/usr/sbin/smtp-source" 2>&1 | grep -q usage; then
		POSTFIX_WHY="the unpacked smtp-source does not run: $(\
		    LD_LIBRARY_PATH="$_pf_tmp/root/usr/lib/postfix" \
		    "$_pf_tmp/root/usr/sbin/smtp-source" 2>&1 | head -n 1)"
		rm -rf -- "$_pf_tmp"
		return 1
	fi
	# Someone else may have finished first: then theirs stays.
	if ! mv -T -- "$_pf_tmp" "$_pf_dest" 2>/dev/null; then
		rm -rf -- "$_pf_tmp"
		if [ ! -x "$_pf_dest/bin/smtp-sink" ]; then
			POSTFIX_WHY="cannot move the copy to $_pf_dest"
			return 1
		fi
	fi
	return 0
}

# postfix_tools [--fetch] [DIR]: find smtp-sink and smtp-source.  Sets
# SMTP_SINK and SMTP_SOURCE (programs to exec, no environment needed),
# POSTFIX_ROOT (the unpacked package's root, empty for an installed
# Postfix) and POSTFIX_LIBDIR (the directory for LD_LIBRARY_PATH when
# running anything else from POSTFIX_ROOT, else empty).  Order: an
# installed Postfix (PATH, then /usr/sbin), then the copy in DIR (default
# postfix_default_dir), fetched first with --fetch.  Returns 1 with the
# reason in POSTFIX_WHY when there is neither.
postfix_tools()
{
	_pf_fetch=
	if [ "${1:-}" = --fetch ]; then
		_pf_fetch=1
		shift
	fi
	_pf_dir=${1:-$(postfix_default_dir)}
	SMTP_SINK=
	SMTP_SOURCE=
	POSTFIX_ROOT=
	POSTFIX_LIBDIR=
	POSTFIX_WHY=
	for _pf_d in $(echo "$PATH" | tr ':' ' ') /usr/sbin; do
		if [ -x "$_pf_d/smtp-sink" ] && [ -x "$_pf_d/smtp-source" ]
		then
			SMTP_SINK=$_pf_d/smtp-sink
			SMTP_SOURCE=$_pf_d/smtp-source
			return 0
		fi
	done
	if [ -n "$_pf_fetch" ] && ! postfix_fetch "$_pf_dir"; then
		return 1
	fi
	if [ -x "$_pf_dir/bin/smtp-sink" ] &&
	    [ -x "$_pf_dir/bin/smtp-source" ]; then
		_pf_dir=$(cd "$_pf_dir" && pwd)
		SMTP_SINK=$_pf_dir/bin/smtp-sink
		SMTP_SOURCE=$_pf_dir/bin/smtp-source
		# shellcheck disable=SC2034 # for the caller
		POSTFIX_ROOT=$_pf_dir/root
		# shellcheck disable=SC2034 # for the caller
		POSTFIX_LIBDIR=$_pf_dir/root/usr/lib/postfix
		return 0
	fi
	POSTFIX_WHY="Postfix's smtp-sink is not installed and there is no\
 copy in $_pf_dir (./quickstart check fetches one; or run:\
 sh tests/lib/postfix.sh fetch $_pf_dir)"
	return 1
}

# ------------------------------------------------------------ for tests
# Postfix's smtp-sink: installed, or the copy tests/lib/postfix.sh unpacks
# from Debian's package into the build dir (./quickstart check fetches it;
# a build dir without one, as make distcheck's, fetches it here).
# pfsink_start [OPTIONS]: smtp-sink on a free port dumping each message
# into ./dump; PF_PORT is its port.
pfsink_start()
{
	postfix_tools --fetch || atf_fail "$POSTFIX_WHY"
	PF_PORT=$(free_port)
	rm -rf dump
	mkdir dump
	# As root smtp-sink demands -u (the dump dir is ours, so root); as
	# anyone else -u fails (initgroups).
	[ "$(id -u)" -ne 0 ] || set -- -u root "$@"
	"$SMTP_SINK" -d "dump/%M." "$@" "127.0.0.1:$PF_PORT" 10 \
	    >pfsink.log 2>&1 &
	echo $! >pfsink.pid
	wait_port "$PF_PORT" ||
	    atf_fail "smtp-sink did not start: $(cat pfsink.log)"
}

# pf_msg_is DUMPFILE MSGFILE: the dump is smtp-sink's X- fields and its
# Received, then the message as received with CRLF turned into LF, then
# one more LF (its end-of-data line).  Compares the message byte for byte.
pf_msg_is()
{
	python3 - "$1" "$2" <<'PY' || atf_fail "the message at smtp-sink differs"
import sys
got = open(sys.argv[1], "rb").read().split(b"\n")
i = 0
while got[i].startswith(b"X-"):
    i += 1
if got[i].startswith(b"Received:"):
    i += 1
    while got[i][:1] in (b" ", b"\t"):
        i += 1
rest = b"\n".join(got[i:])
want = open(sys.argv[2], "rb").read() + b"\n"
if rest != want:
    sys.stderr.write("got %r\nwant %r\n" % (rest[:300], want[:300]))
    sys.exit(1)
PY
}

# pf_one_dump: the only file in ./dump (fails if there are more or none).
pf_one_dump()
{
	set -- dump/*
	[ $# -eq 1 ] && [ -f "$1" ] ||
	    atf_fail "expected one message at smtp-sink, found: $*"
	echo "$1"
}



case ${0##*/} in
postfix.sh)
	set -eu
	case ${1:-} in
	fetch)
		[ $# -eq 2 ] || {
			echo "usage: postfix.sh fetch DIR" >&2
			exit 64
		}
		if ! postfix_fetch "$2"; then
			echo "postfix.sh: $POSTFIX_WHY" >&2
			exit 69
		fi
		echo "postfix.sh: smtp-sink and smtp-source in $2/bin" \
		    "($(cat "$2/package"))" >&2 ;;
	where)
		[ $# -le 2 ] || {
			echo "usage: postfix.sh where [DIR]" >&2
			exit 64
		}
		if ! postfix_tools ${2:+"$2"}; then
			echo "postfix.sh: $POSTFIX_WHY" >&2
			exit 69
		fi
		echo "SMTP_SINK=$SMTP_SINK"
		echo "SMTP_SOURCE=$SMTP_SOURCE" ;;
	*)
		echo "usage: postfix.sh fetch DIR | where [DIR]" >&2
		exit 64 ;;
	esac
	;;
esac
