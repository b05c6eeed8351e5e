# mimap_imaptest_test: Dovecot's imaptest (its scripted RFC 3501 tests,
# the `test=' directory) against `mimap serve --listen'.  imaptest is
# built from ../shared/imaptest by tests/lib/imaptest.sh (./quickstart
# check does it); without a copy these tests skip.
#
# Each script logs in, makes the mailbox "imaptest", fills it with
# APPEND from its .mbox and checks every answer.  A script passes when
# imaptest ran some of its commands and none failed; scripts whose
# capability the server does not announce run nothing (imaptest says
# "0/0") and are not counted as passing.  PASS below lists the scripts
# that pass now: one that stops passing fails the test.  The others are
# run and reported (stdout) by the case "others"; when one starts to
# pass, add it to PASS.
#
# Not passing: broken/ (a directory: search-intdate, which imaptest
# itself files as broken) assumes INTERNALDATE keeps the zone it was
# APPENDed with; ours is the file's mtime, compared in local time.
# 15 scripts run nothing (capabilities not offered: CATENATE, URLAUTH,
# NOTIFY, MULTIAPPEND, ...).
PASS="append append-binary atoms close copy esearch esearch-condstore expunge notify
expunge2 fetch fetch-binary-mime fetch-binary-mime-base64 fetch-binary-mime-qp
fetch-body fetch-body-message-rfc822 fetch-body-message-rfc822-mime
fetch-body-message-rfc822-x2 fetch-body-mime fetch-bodystructure fetch-envelope
id list listext logout move mutf7 nil pipeline search-addresses search-body
search-date search-flags search-header search-sets search-size select
sort-addresses sort-arrival sort-date sort-size sort-subject store subscribe
thread thread-orderedsubject thread-orderedsubject2 thread2 thread3 thread4
thread5 thread6 thread7 thread8 uidplus uidvalidity uidvalidity-rename"

IMAPTEST=
IMAPTEST_TESTS=
setup()
{
	. "$YUBIN_SRCDIR/tests/lib/imaptest.sh"
	imaptest_tools || atf_skip "$IMAPTEST_WHY"
	mkdir -p md/tmp md/new md/cur
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	ids=
	if [ "$(id -u)" = 0 ]; then
		ids="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$ids" md
	fi
	printf 'tester:%s:%s:%s/md\n' "$hash" "${ids:-:}" "$PWD" >passwd
	PORT=$(free_port)
	"$(yubin_prog mimap)" serve --listen "127.0.0.1:$PORT" \
	    --passwd-file passwd --allow-plain-auth --auth-delay 0 \
	    --max-per-address 50 --log stderr --no-resolve \
	    --hostname imap.test 2>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
}

# run SCRIPT: run one imaptest script; its output in SCRIPT.out.  Prints
# pass, skip (nothing run: a capability not announced) or fail.
run()
{
	timeout 30 "$IMAPTEST" host=127.0.0.1 port="$PORT" user=tester \
	    pass=s3cret test="$IMAPTEST_TESTS/$1" >"$1.out" 2>&1
	rc=$?
	# "base protocol: F/N individual commands failed", the same for
	# "extensions".
	awk -v rc=$rc '
	    /test groups: 0 failed/ { groups = 1 }
	    /individual commands failed/ {
		split($(NF - 3), a, "/"); failed += a[1]; ran += a[2] }
	    END {
		if (rc == 0 && groups && failed == 0 && ran == 0) print "skip"
		else if (rc == 0 && groups && failed == 0) print "pass"
		else print "fail" }' "$1.out"
}

atf_test_case pass cleanup
pass_head()
{
	atf_set "descr" "the imaptest scripts mimap serve passes keep passing"
	atf_set "timeout" 600
}
pass_body()
{
	setup
	bad=
	for t in $PASS; do
		r=$(run "$t")
		echo "$t: $r"
		if [ "$r" != pass ]; then
			echo "--- $t"
			cat "$t.out"
			bad="$bad $t"
		fi
	done
	[ -z "$bad" ] || atf_fail "imaptest scripts that no longer pass:$bad"
}
pass_cleanup() { stop_pidfile mimap.pid; }

atf_test_case others cleanup
others_head()
{
	atf_set "descr" "every other imaptest script, reported (pass, skip, fail)"
	atf_set "timeout" 1200
}
others_body()
{
	setup
	new=
	# PASS on one line: its names are split by newlines too.
	all=" $(echo $PASS) "
	for f in "$IMAPTEST_TESTS"/*; do
		t=${f##*/}
		case $t in *.mbox) continue ;; esac
		case $all in *" $t "*) continue ;; esac
		r=$(run "$t")
		echo "$t: $r"
		[ "$r" != pass ] || new="$new $t"
	done
	[ -z "$new" ] || echo "now passing, add to PASS:$new"
	# mimap serve survived every script.
	kill -0 "$(cat mimap.pid)" || atf_fail "mimap serve died: $(cat listen.log)"
}
others_cleanup() { stop_pidfile mimap.pid; }

atf_test_case stress cleanup
stress_head()
{
	atf_set "descr" "imaptest's random stress mode, 10 clients for 20 s:" \
	    "no error, mimap serve alive"
	atf_set "timeout" 300
}
stress_body()
{
	setup
	# Without test=, imaptest runs its default profile: 10 sessions
	# LOGIN, LIST, STATUS, SELECT, FETCH, STORE, EXPUNGE and APPEND
	# (from mbox=) at random on one folder, and checks every answer
	# against what it tracks (flags, EXISTS, EXPUNGE, \Recent).
	timeout 120 "$IMAPTEST" host=127.0.0.1 port="$PORT" user=tester \
	    pass=s3cret mbox="$IMAPTEST_TESTS/sort-subject.mbox" \
	    clients=10 secs=20 >stress.out 2>&1
	rc=$?
	# The totals: one count per command kind, added up.
	awk '/^Totals:/ { t = NR } t && NR == t + 4 {
		for (i = 1; i <= NF; i++) n += $i
		printf "%d commands in 20 s, %d/s\n", n, n / 20 }' stress.out
	if [ $rc != 0 ] || grep -q '^\(Error\|Panic\|Fatal\)' stress.out ||
	    ! grep -q '^Totals:' stress.out; then
		grep '^\(Error\|Panic\|Fatal\)' stress.out | sort | uniq -c |
		    sort -rn | head -20
		atf_fail "imaptest stress: rc $rc, errors (see stdout)"
	fi
	kill -0 "$(cat mimap.pid)" || atf_fail "mimap serve died: $(cat listen.log)"
}
stress_cleanup() { stop_pidfile mimap.pid; }

atf_init_test_cases()
{
	atf_add_test_case pass
	atf_add_test_case others
	atf_add_test_case stress
}
