# imaptest.sh: Dovecot's imaptest (the IMAP conformance and stress
# tester) for tests/cmd/mimap_imaptest_test.sh and bench/.  Debian does
# not package it; its source (release-2.3, the last branch that builds
# against Debian 12's Dovecot 2.3) and a build script are in
# ../shared/imaptest beside the source tree (README.md there).  Sourced
# by tests; also a script:
#
#   sh tests/lib/imaptest.sh build DIR    build into DIR (bin/, tests/)
#   sh tests/lib/imaptest.sh where [DIR]  print IMAPTEST and IMAPTEST_TESTS
#
# The build needs Debian's dovecot-dev (its dovecot-config and headers,
# and libdovecot.so at run time: the binary has an rpath to
# /usr/lib/dovecot) and autoconf, automake, libtool, make, gcc; it takes
# a minute or two and is made in a temp dir beside DIR and renamed into
# place, so two builds at once, or one interrupted, never leave half a
# copy.  ./quickstart check builds it into BUILDDIR/.deps/imaptest once;
# tests never build it: without a copy they skip.

# imaptest_default_dir: where the copy lives for this build directory
# ($YUBIN_IMAPTEST_DIR wins).
imaptest_default_dir()
{
	if [ -n "${YUBIN_IMAPTEST_DIR:-}" ]; then
		echo "$YUBIN_IMAPTEST_DIR"
	else
		echo "${YUBIN_BUILDDIR:-.}/.deps/imaptest"
	fi
}

# imaptest_src: the directory with build.sh and the source tarball
# ($YUBIN_IMAPTEST_SRC wins; else ../shared/imaptest beside the source
# tree).
imaptest_src()
{
	if [ -n "${YUBIN_IMAPTEST_SRC:-}" ]; then
		echo "$YUBIN_IMAPTEST_SRC"
		return 0
	fi
	# shared/imaptest beside the source tree, or beside one of the
	# directories above it (a clone made one level deeper, as CI may
	# make it, still finds it).
	_it_d=$(cd "${YUBIN_SRCDIR:-.}" && pwd)
	_it_i=0
	while [ "$_it_i" -lt 4 ] && [ "$_it_d" != / ]; do
		if [ -f "$_it_d/../shared/imaptest/build.sh" ]; then
			echo "$_it_d/../shared/imaptest"
			return 0
		fi
		_it_d=$(dirname "$_it_d")
		_it_i=$((_it_i + 1))
	done
	echo "${YUBIN_SRCDIR:-.}/../shared/imaptest"
}

# imaptest_build DIR: build imaptest into DIR (nothing to do if DIR
# already holds a working copy).  On failure returns 1 with the reason
# in IMAPTEST_WHY.
imaptest_build()
{
	_it_dest=$1
	IMAPTEST_WHY=
	if [ -x "$_it_dest/bin/imaptest" ] && [ -d "$_it_dest/tests" ]; then
		return 0
	fi
	_it_src=$(imaptest_src)
	if [ ! -x "$_it_src/build.sh" ]; then
		IMAPTEST_WHY="no imaptest source: $_it_src/build.sh missing \
(set YUBIN_IMAPTEST_SRC)"
		return 1
	fi
	if [ ! -r /usr/lib/dovecot/dovecot-config ]; then
		IMAPTEST_WHY="no /usr/lib/dovecot/dovecot-config: \
apt-get install dovecot-dev"
		return 1
	fi
	for _it_p in autoreconf libtoolize make gcc python3; do
		command -v "$_it_p" >/dev/null 2>&1 || {
			IMAPTEST_WHY="$_it_p missing: apt-get install \
dovecot-dev libtool autoconf automake make gcc"
			return 1
		}
	done
	case $_it_dest in
	/*) ;;
	*) _it_dest=$(pwd)/$_it_dest ;;
	esac
	_it_parent=$(dirname "$_it_dest")
	mkdir -p "$_it_parent" || {
		IMAPTEST_WHY="cannot create $_it_parent"
		return 1
	}
	_it_tmp=$(mktemp -d "$_it_parent/.imaptest.XXXXXX") || {
		IMAPTEST_WHY="cannot make a temp dir in $_it_parent"
		return 1
	}
	chmod 755 "$_it_tmp"
	if ! OUT_DIR="$_it_tmp" BUILD_DIR="$_it_tmp/build" \
	    JOBS="${JOBS:-2}" "$_it_src/build.sh" >"$_it_tmp/build.log" 2>&1
	then
		IMAPTEST_WHY="imaptest build failed: $(tail -n 3 \
		    "$_it_tmp/build.log" | tr '\n' ' ')"
		rm -rf -- "$_it_tmp"
		return 1
	fi
	rm -rf -- "$_it_tmp/build"
	# Someone else may have finished first: then theirs stays.
	if ! mv -T -- "$_it_tmp" "$_it_dest" 2>/dev/null; then
		rm -rf -- "$_it_tmp"
		if [ ! -x "$_it_dest/bin/imaptest" ]; then
			IMAPTEST_WHY="cannot move the copy to $_it_dest"
			return 1
		fi
	fi
	return 0
}

# imaptest_tools [--build] [DIR]: find imaptest.  Sets IMAPTEST (the
# program) and IMAPTEST_TESTS (its scripted tests' directory).  Order:
# an installed imaptest with $IMAPTEST_TESTS set, then the copy in DIR
# (default imaptest_default_dir), built first with --build.  Returns 1
# with the reason in IMAPTEST_WHY when there is none.
imaptest_tools()
{
	_it_build=
	if [ "${1:-}" = --build ]; then
		_it_build=1
		shift
	fi
	_it_dir=${1:-$(imaptest_default_dir)}
	IMAPTEST_WHY=
	if [ -n "${IMAPTEST_TESTS:-}" ] && [ -d "$IMAPTEST_TESTS" ] &&
	    command -v imaptest >/dev/null 2>&1; then
		IMAPTEST=$(command -v imaptest)
		return 0
	fi
	IMAPTEST=
	IMAPTEST_TESTS=
	if [ -n "$_it_build" ] && ! imaptest_build "$_it_dir"; then
		return 1
	fi
	if [ -x "$_it_dir/bin/imaptest" ] && [ -d "$_it_dir/tests" ]; then
		_it_dir=$(cd "$_it_dir" && pwd)
		if ! "$_it_dir/bin/imaptest" --help >/dev/null 2>&1; then
			IMAPTEST_WHY="$_it_dir/bin/imaptest does not run \
(libdovecot.so: apt-get install dovecot-dev)"
			return 1
		fi
		IMAPTEST=$_it_dir/bin/imaptest
		# shellcheck disable=SC2034 # for the caller
		IMAPTEST_TESTS=$_it_dir/tests
		return 0
	fi
	IMAPTEST_WHY="no imaptest copy in $_it_dir (./quickstart check \
builds one; or run: sh tests/lib/imaptest.sh build $_it_dir)"
	return 1
}

case ${0##*/} in
imaptest.sh)
	set -eu
	: "${YUBIN_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
	case ${1:-} in
	build)
		[ $# -eq 2 ] || {
			echo "usage: imaptest.sh build DIR" >&2
			exit 64
		}
		if ! imaptest_build "$2"; then
			echo "imaptest.sh: $IMAPTEST_WHY" >&2
			exit 69
		fi
		echo "imaptest.sh: imaptest in $2/bin ($(head -n 1 \
		    "$2/VERSION"))" >&2 ;;
	where)
		[ $# -le 2 ] || {
			echo "usage: imaptest.sh where [DIR]" >&2
			exit 64
		}
		if ! imaptest_tools ${2:+"$2"}; then
			echo "imaptest.sh: $IMAPTEST_WHY" >&2
			exit 69
		fi
		echo "IMAPTEST=$IMAPTEST"
		echo "IMAPTEST_TESTS=$IMAPTEST_TESTS" ;;
	*)
		echo "usage: imaptest.sh build DIR | where [DIR]" >&2
		exit 64 ;;
	esac
	;;
esac
