#!/bin/sh
# run-kyua.sh KYUA KYUAFILE BUILDROOT MISSING: `make check' body.
# Runs the suite, shows the failing tests' output, and ends with one line
# "N passed, N failed, N skipped" for CI.
kyua=$1
kyuafile=$2
buildroot=$3
missing=$4

if [ -n "$missing" ]; then
	echo "make check: cannot run, missing:$missing" >&2
	echo "make check: ./quickstart check installs them" >&2
	exit 1
fi
results="$(cd "$buildroot" && pwd)/results.db"
rm -f "$results" "$results-journal"
# Under --enable-sanitizers: ATF's own leak is suppressed, ours are not.
here=$(cd "$(dirname "$0")" && pwd)
LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
jobs=${YUBIN_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
"$kyua" -v parallelism="$jobs" test --kyuafile="$kyuafile" \
    --build-root="$buildroot" --results-file="$results"
rc=$?
if [ "$rc" -ne 0 ]; then
	"$kyua" report --results-file="$results" --verbose \
	    --results-filter=broken,failed
fi
summary=$("$kyua" report --results-file="$results" 2>/dev/null |
    sed -n 's/^Test cases: //p')
# "T total, S skipped, X expected failures, B broken, F failed"
set -- $(echo "$summary" | tr -cs '0-9' ' ')
total=${1:-0} skipped=${2:-0} xfail=${3:-0} broken=${4:-0} failed=${5:-0}
bad=$((broken + failed))
echo "$((total - skipped - bad)) passed, $bad failed, $skipped skipped"
exit "$rc"
