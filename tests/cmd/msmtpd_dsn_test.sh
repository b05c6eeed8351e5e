# msmtpd_dsn_test: DSN (RFC 3461) through msmtpd --queue and the queue
# runner: msmtpd offers DSN only with --queue, checks RET, ENVID,
# NOTIFY and ORCPT (501 for a bad value, 555 where DSN is not offered)
# and queues them with the message; msend --flush passes them on to a
# server that offers DSN, and reports "relayed" to the sender for the
# recipients that asked (NOTIFY=SUCCESS) when the server does not.

LC_ALL=C
export LC_ALL

. "$YUBIN_SRCDIR/tests/lib/queue.sh"

# qfiles: the files in ./qd/q, one a line.
qfiles()
{
	ls qd/q | sed 's|^|qd/q/|'
}

flush()
{
	"$(yubin_prog msend)" --queue "$PWD/qd" --flush --host 127.0.0.1 \
	    --port "$SINK_PORT" --tls=off --timeout 10 "$@"
}

# msmtpd_in [OPTIONS]: msmtpd --inetd with ./in as the client's side;
# ./out.raw, ./log.
msmtpd_in()
{
	"$(yubin_prog msmtpd)" --inetd --log stderr --no-resolve \
	    --hostname mx.test --auth-delay 0 --passwd-file passwd \
	    --allow-plain-auth --domain mx.test --max-errors 50 "$@" \
	    <in >out.raw 2>log || atf_fail "msmtpd: $? $(cat log)"
	tr -d '\r' <out.raw >out
}

mkpasswd()
{
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	AUTH=$(printf '\0alice\0s3cret' | base64)
}

# relay_in MAILPARAMS RCPT...: ./in, one relayed message (AUTH first);
# each RCPT is the whole argument of RCPT TO:.
relay_in()
{
	mail=$1
	shift
	{
		printf 'EHLO client.test\r\nAUTH PLAIN %s\r\n' "$AUTH"
		printf 'MAIL FROM:<a@client.test>%s\r\n' "$mail"
		for r in "$@"; do
			printf 'RCPT TO:%s\r\n' "$r"
		done
		printf 'DATA\r\nSubject: dsn\r\nMessage-ID: <m1@client.test>\r\n\r\nhello\r\n.\r\nQUIT\r\n'
	} >in
}

atf_test_case offer
offer_head()
{
	atf_set "descr" "DSN is in the EHLO reply only with --queue; without it DSN parameters get 555, with it bad values get 501 (RFC 3461 §5.1) and good ones 250"
}
offer_body()
{
	mkpasswd
	mkqueue
	printf 'EHLO client.test\r\nMAIL FROM:<a@client.test> RET=HDRS\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<u@mx.test> NOTIFY=SUCCESS\r\nRCPT TO:<u@mx.test> ORCPT=rfc822;u@mx.test\r\nQUIT\r\n' >in
	msmtpd_in --command true \;
	! grep -q '^250.DSN' out || atf_fail "DSN offered: $(cat out)"
	[ "$(grep -c '^555 5.5.4 DSN parameters not supported' out)" = 3 ] ||
	    atf_fail "$(cat out)"

	long=$(printf '%0101d' 0)
	{
		printf 'EHLO client.test\r\nAUTH PLAIN %s\r\n' "$AUTH"
		for p in 'RET=FOO' 'RET=FULL RET=HDRS' 'ENVID=a+ZZ' \
		    'ENVID=a+0Db' 'ENVID=a=b' "ENVID=$long" 'FOO=1'; do
			printf 'MAIL FROM:<a@client.test> %s\r\n' "$p"
		done
		printf 'MAIL FROM:<a@client.test> RET=FULL ENVID=x+2By+20z\r\n'
		for p in 'NOTIFY=NEVER,SUCCESS' 'NOTIFY=BOGUS' \
		    'NOTIFY=SUCCESS,SUCCESS' 'ORCPT=rfc822' 'ORCPT=;a@b' \
		    'ORCPT=rfc822;a b' 'NOTIFY=NEVER NOTIFY=NEVER'; do
			printf 'RCPT TO:<x@far.test> %s\r\n' "$p"
		done
		printf 'RCPT TO:<x@far.test> NOTIFY=success,Delay ORCPT=rfc822;x+2B1@far.test\r\n'
		printf 'RCPT TO:<y@far.test> NOTIFY=NEVER\r\nRSET\r\nQUIT\r\n'
	} >in
	msmtpd_in --queue "$PWD/qd"
	grep -q '^250-DSN$' out || atf_fail "DSN not offered: $(cat out)"
	# After the greeting, EHLO and AUTH: one reply a command.
	grep '^[2-5][0-9][0-9] ' out | sed 1,3d >got
	cat >want <<'EOF'
501 5.5.4 Invalid parameter value
501 5.5.4 Too many or repeated parameters
501 5.5.4 Invalid parameter value
501 5.5.4 Syntax error in ENVID parameter
501 5.5.2 Syntax error in parameters or arguments
501 5.5.4 Invalid parameter value
555 5.5.4 MAIL FROM parameter not recognized
250 2.1.0 Sender <a@client.test> OK
501 5.5.4 Invalid parameter value
501 5.5.4 Invalid parameter value
501 5.5.4 Invalid parameter value
501 5.5.4 Invalid parameter value
501 5.5.4 Invalid parameter value
555 5.5.4 RCPT TO parameter not recognized
501 5.5.4 Too many or repeated parameters
250 2.1.5 Recipient <x@far.test> OK
250 2.1.5 Recipient <y@far.test> OK
250 2.0.0 OK
221 2.0.0 mx.test closing connection
EOF
	diff -u want got || atf_fail "replies differ"
}

atf_test_case queued
queued_head()
{
	atf_set "descr" "msmtpd --queue keeps RET, ENVID (decoded), each recipient's NOTIFY and ORCPT (as sent) in the queue envelope"
}
queued_body()
{
	mkpasswd
	mkqueue
	relay_in ' RET=HDRS ENVID=QQ+2Bid' \
	    '<x@far.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@far.test' \
	    '<y@far.test>' '<z@far.test> NOTIFY=NEVER'
	msmtpd_in --queue "$PWD/qd"
	grep -q '^250 2.0.0 Message accepted' out || atf_fail "$(cat out) $(cat log)"
	f=$(qfiles)
	[ "$(echo "$f" | wc -l)" = 1 ] || atf_fail "not one queue file: $f"
	sed '/^$/q' "$f" >env
	grep -q '^envid QQ+id$' env || atf_fail "$(cat env)"
	grep -q '^ret hdrs$' env || atf_fail "$(cat env)"
	grep -q '^rcpt x@far.test SF rfc822;orig+2Bx@far.test$' env ||
	    atf_fail "$(cat env)"
	grep -q '^rcpt y@far.test - $' env || grep -q '^rcpt y@far.test - -$' env ||
	    atf_fail "$(cat env)"
	grep -q '^rcpt z@far.test N ' env || atf_fail "$(cat env)"
}

atf_test_case relayed cleanup
relayed_head()
{
	atf_set "descr" "flushed to a server without DSN: no DSN parameters go out, and the sender gets one \"relayed\" report naming the recipient that asked (NOTIFY=SUCCESS), with its ORCPT and the ENVID; the journal says so (T, then B); nothing is owed after"
}
relayed_body()
{
	mkpasswd
	mkqueue
	relay_in ' RET=FULL ENVID=QQ+2Bid' \
	    '<x@far.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@far.test' \
	    '<y@far.test>' '<z@far.test> NOTIFY=NEVER'
	msmtpd_in --queue "$PWD/qd"
	grep -q '^250 2.0.0 Message accepted' out || atf_fail "$(cat out) $(cat log)"
	orig=$(qfiles)
	sink_start
	flush >fout 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c 'status=sent' err)" = 3 ] || atf_fail "$(cat err)"
	grep -q 'relayed report to <a@client.test> queued as' err ||
	    atf_fail "$(cat err)"
	tr -d '\r' <sink/env.1 >env1
	cat >want <<'EOF'
MAIL FROM:<a@client.test>
RCPT TO:<x@far.test>
RCPT TO:<y@far.test>
RCPT TO:<z@far.test>
EOF
	sed 's/ SIZE=[0-9]*//' env1 | diff -u want - ||
	    atf_fail "DSN parameters went to a server without DSN"
	[ ! -e "$orig" ] || atf_fail "the original is still queued: $(cat "$orig")"
	rep=$(qfiles)
	[ "$(echo "$rep" | wc -l)" = 1 ] || atf_fail "not one report: $rep"
	grep -q '^from $' "$rep" || grep -q '^from -$' "$rep" ||
	    atf_fail "the report is not from <>: $(sed '/^$/q' "$rep")"
	grep -q '^rcpt a@client.test N ' "$rep" || atf_fail "$(sed '/^$/q' "$rep")"
	tr -d '\r' <"$rep" >report
	grep -q '^Content-Type: multipart/report; report-type=delivery-status' report ||
	    atf_fail "$(cat report)"
	grep -q '^Original-Envelope-Id: QQ+id$' report || atf_fail "$(cat report)"
	grep -q '^Original-Recipient: rfc822; orig+x@far.test$' report ||
	    atf_fail "$(cat report)"
	grep -q '^Final-Recipient: rfc822; *x@far.test$' report || atf_fail "$(cat report)"
	grep -q '^Action: relayed$' report || atf_fail "$(cat report)"
	grep -q '^Status: 2\.' report || atf_fail "$(cat report)"
	! grep -q 'Final-Recipient: rfc822; *[yz]@far.test' report ||
	    atf_fail "a recipient that did not ask: $(cat report)"
	# Success reports carry the header only (RFC 3461 §4.3: RET is
	# about failures).
	grep -q '^Subject: dsn$' report || atf_fail "$(cat report)"
	grep -q '^Content-Description: Message Headers$' report ||
	    atf_fail "$(cat report)"
	! grep -q '^hello$' report || atf_fail "the body: $(cat report)"
	# A second pass delivers the report (from <>) and owes nothing.
	flush >fout 2>err || atf_fail "flush 2: $? $(cat err)"
	grep -q 'MAIL FROM:<>' sink/env.2 || atf_fail "$(cat sink/env.*)"
	! grep -q 'report to <\|bounce to <' err ||
	    atf_fail "a report about a report: $(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
relayed_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case journal_relayed cleanup
journal_relayed_head()
{
	atf_set "descr" "the journal records a relayed recipient (R ... T) and its report once queued (B); a crash before B is journaled sends the report again, never not at all"
}
journal_relayed_body()
{
	mkpasswd
	mkqueue
	relay_in ' ENVID=j1' '<x@far.test> NOTIFY=SUCCESS'
	msmtpd_in --queue "$PWD/qd"
	orig=$(qfiles)
	cp "$orig" orig.copy
	sink_start
	flush >fout 2>err || atf_fail "flush: $? $(cat err)"
	[ ! -e "$orig" ] || atf_fail "still queued: $(cat "$orig")"
	[ "$(qfiles | wc -l)" = 1 ] || atf_fail "$(qfiles)"
	# As if the runner had died after the delivery, before the report:
	# the journal has "R 0 T", no "B 0".
	rm -f qd/q/*
	{
		cat orig.copy
		printf 'R 0 T 1 0 250 2.0.0 127.0.0.1[127.0.0.1] 250%%202.0.0%%20Ok\n'
	} >"$orig"
	[ "$(id -u)" != 0 ] || chown nobody "$orig"
	"$(yubin_prog msend)" --queue qd --list >list 2>&1 || atf_fail "$(cat list)"
	grep -q '^    x@far.test  sent, "relayed" report to send$' list ||
	    atf_fail "list: $(cat list)"
	flush >fout 2>err || atf_fail "flush 2: $? $(cat err)"
	grep -q 'relayed report to <a@client.test> queued as' err ||
	    atf_fail "$(cat err)"
	[ ! -e "$orig" ] || atf_fail "still queued: $(cat "$orig")"
	! grep -q 'status=sent' err || atf_fail "sent again: $(cat err)"
}
journal_relayed_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case passed_on cleanup
passed_on_head()
{
	atf_set "descr" "flushed to a server that offers DSN: RET, ENVID, NOTIFY and ORCPT go on as received (RFC 3461 §5.2.1), and no report is made here"
}
passed_on_body()
{
	mkpasswd
	mkqueue
	relay_in ' RET=HDRS ENVID=QQ+2Bid' \
	    '<x@far.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@far.test' \
	    '<y@far.test>' '<z@far.test> NOTIFY=NEVER' \
	    '<w@far.test> ORCPT=rfc822;W@far.test'
	msmtpd_in --queue "$PWD/qd"
	grep -q '^250 2.0.0 Message accepted' out || atf_fail "$(cat out) $(cat log)"
	sink_start --dsn
	flush >fout 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c 'status=sent' err)" = 4 ] || atf_fail "$(cat err)"
	tr -d '\r' <sink/env.1 | sed 's/SIZE=[0-9]* //' >env1
	cat >want <<'EOF'
MAIL FROM:<a@client.test> RET=HDRS ENVID=QQ+2Bid
RCPT TO:<x@far.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@far.test
RCPT TO:<y@far.test>
RCPT TO:<z@far.test> NOTIFY=NEVER ORCPT=rfc822;z@far.test
RCPT TO:<w@far.test> ORCPT=rfc822;W@far.test
EOF
	diff -u want env1 || atf_fail "not passed on as received"
	! grep -q 'report to <\|bounce to <' err || atf_fail "a report: $(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
passed_on_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case notify_failure cleanup
notify_failure_head()
{
	atf_set "descr" "5xx from a server without DSN: a bounce only for the recipients whose NOTIFY has FAILURE or who gave none (RFC 3461 §5.2.2 (c)-(f)); NEVER and SUCCESS alone get none"
}
notify_failure_body()
{
	mkpasswd
	mkqueue
	relay_in ' ENVID=f1' '<n@far.test> NOTIFY=NEVER' \
	    '<s@far.test> NOTIFY=SUCCESS' '<f@far.test> NOTIFY=FAILURE' \
	    '<d@far.test>'
	msmtpd_in --queue "$PWD/qd"
	grep -q '^250 2.0.0 Message accepted' out || atf_fail "$(cat out) $(cat log)"
	sink_start --reply 'n@far.test=550 5.1.1 no' \
	    --reply 's@far.test=550 5.1.1 no' \
	    --reply 'f@far.test=550 5.1.1 no' --reply 'd@far.test=550 5.1.1 no'
	flush >fout 2>err || atf_fail "flush: $? $(cat err)"
	grep -q 'bounce to <a@client.test> queued as' err || atf_fail "$(cat err)"
	rep=$(qfiles)
	[ "$(echo "$rep" | wc -l)" = 1 ] || atf_fail "not one report: $rep"
	tr -d '\r' <"$rep" >report
	grep '^Final-Recipient:' report | sort >got
	printf 'Final-Recipient: rfc822; d@far.test\nFinal-Recipient: rfc822; f@far.test\n' >want
	diff -u want got || atf_fail "$(cat report)"
	grep -q '^Original-Envelope-Id: f1$' report || atf_fail "$(cat report)"
}
notify_failure_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case delivered
delivered_head()
{
	atf_set "descr" "with --queue, a local delivery (in-process mdeliver engine, or a --command) queues a \"delivered\" report for the recipients with NOTIFY=SUCCESS (RFC 3461 §5.2.3), none for the others, none for <>"
}
delivered_body()
{
	mkpasswd
	mkqueue
	mkdir -p md/tmp md/new md/cur
	give_maildir md
	{
		printf 'EHLO client.test\r\nMAIL FROM:<a@client.test> RET=FULL ENVID=d1\r\n'
		printf 'RCPT TO:<u@mx.test> NOTIFY=SUCCESS ORCPT=rfc822;U+2B1@mx.test\r\n'
		printf 'RCPT TO:<v@mx.test> NOTIFY=FAILURE\r\nRCPT TO:<w@mx.test>\r\n'
		printf 'DATA\r\nSubject: local\r\n\r\nhello\r\n.\r\n'
		printf 'MAIL FROM:<> ENVID=d2\r\nRCPT TO:<u@mx.test> NOTIFY=SUCCESS\r\n'
		printf 'DATA\r\nSubject: from nobody\r\n\r\nhello\r\n.\r\nQUIT\r\n'
	} >in
	msmtpd_in --queue "$PWD/qd" --maildir "$PWD/md"
	[ "$(grep -c '^250 2.0.0 Message accepted' out)" = 2 ] ||
	    atf_fail "$(cat out) $(cat log)"
	[ "$(ls md/new | wc -l)" = 2 ] || atf_fail "not delivered: $(cat log)"
	grep -q 'delivered report to <a@client.test> queued as' log ||
	    atf_fail "$(cat log)"
	rep=$(qfiles)
	[ "$(echo "$rep" | wc -l)" = 1 ] || atf_fail "not one report: $rep"
	grep -q '^from -$' "$rep" || atf_fail "$(sed '/^$/q' "$rep")"
	grep -q '^rcpt a@client.test N ' "$rep" || atf_fail "$(sed '/^$/q' "$rep")"
	tr -d '\r' <"$rep" >report
	grep '^Final-Recipient:' report >got
	echo 'Final-Recipient: rfc822; u@mx.test' >want
	diff -u want got || atf_fail "$(cat report)"
	grep -q '^Action: delivered$' report || atf_fail "$(cat report)"
	grep -q '^Original-Recipient: rfc822; U+1@mx.test$' report ||
	    atf_fail "$(cat report)"
	grep -q '^Original-Envelope-Id: d1$' report || atf_fail "$(cat report)"
	grep -q '^Reporting-MTA: dns; mx.test$' report || atf_fail "$(cat report)"
	grep -q '^Subject: local$' report || atf_fail "$(cat report)"
	! grep -q '^hello$' report || atf_fail "the body: $(cat report)"

	# The same through a delivery command.
	rm -f qd/q/*
	msmtpd_in --queue "$PWD/qd" --command true \;
	[ "$(grep -c '^250 2.0.0 Message accepted' out)" = 2 ] ||
	    atf_fail "$(cat out) $(cat log)"
	[ "$(qfiles | wc -l)" = 1 ] || atf_fail "$(qfiles) $(cat log)"
	grep -q '^Action: delivered' "$(qfiles)" || atf_fail "$(cat "$(qfiles)")"
}

atf_test_case one_process cleanup
one_process_head()
{
	atf_set "descr" "msmtpd as one process (not started as root, no privilege separation): a relayed message is queued with its DSN parameters, a local one delivered with its delivered report"
}
one_process_body()
{
	mkpasswd
	# Started as root msmtpd always separates; run it as nobody, in a
	# directory nobody can enter (kyua's work directory is not).
	run=
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || atf_skip "no setpriv"
		uid=$(id -u nobody) || atf_skip "no user nobody"
		run="setpriv --reuid $uid --regid $(id -g nobody) --clear-groups"
	fi
	d=$(mktemp -d /tmp/msmtpd_dsn.XXXXXX) || atf_fail "mktemp"
	echo "$d" >tmpdir
	chmod 755 "$d"
	mkdir "$d/qd" "$d/md" "$d/md/tmp" "$d/md/new" "$d/md/cur"
	cp passwd "$d/passwd"
	chmod 644 "$d/passwd"
	[ -z "$run" ] || chown -R nobody "$d/qd" "$d/md"
	{
		printf 'EHLO client.test\r\nAUTH PLAIN %s\r\n' "$AUTH"
		printf 'MAIL FROM:<a@client.test> RET=HDRS ENVID=R1\r\n'
		printf 'RCPT TO:<x@far.test> NOTIFY=SUCCESS ORCPT=rfc822;X@far.test\r\n'
		printf 'DATA\r\nSubject: relayed\r\n\r\nhello\r\n.\r\n'
		printf 'MAIL FROM:<a@client.test> ENVID=L1\r\n'
		printf 'RCPT TO:<u@mx.test> NOTIFY=SUCCESS,FAILURE\r\n'
		printf 'DATA\r\nSubject: local\r\n\r\nhello\r\n.\r\nQUIT\r\n'
	} >in
	TMPDIR=/tmp $run "$(yubin_prog msmtpd)" --inetd --log stderr \
	    --no-resolve --hostname mx.test --auth-delay 0 \
	    --passwd-file "$d/passwd" --allow-plain-auth --domain mx.test \
	    --queue "$d/qd" --maildir "$d/md" <in >out.raw 2>log ||
	    atf_fail "msmtpd: $? $(cat log)"
	tr -d '\r' <out.raw >out
	[ "$(grep -c '^250 2.0.0 Message accepted' out)" = 2 ] ||
	    atf_fail "$(cat out) $(cat log)"
	[ "$(ls "$d/md/new" | wc -l)" = 1 ] || atf_fail "$(cat log)"
	[ "$(ls "$d/qd/q" | wc -l)" = 2 ] || atf_fail "$(ls "$d/qd/q") $(cat log)"
	msg=$(grep -l '^envid R1$' "$d"/qd/q/*) || atf_fail "$(cat log)"
	grep -q '^ret hdrs$' "$msg" || atf_fail "$(cat "$msg")"
	grep -q '^rcpt x@far.test S rfc822;X@far.test$' "$msg" ||
	    atf_fail "$(cat "$msg")"
	rep=$(grep -l '^Action: delivered' "$d"/qd/q/*) || atf_fail "$(cat log)"
	grep -q '^Original-Envelope-Id: L1' "$rep" || atf_fail "$(cat "$rep")"
	grep -q '^Final-Recipient: rfc822; u@mx.test' "$rep" ||
	    atf_fail "$(cat "$rep")"
}
one_process_cleanup()
{
	[ -s tmpdir ] && rm -rf "$(cat tmpdir)"
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case offer
	atf_add_test_case queued
	atf_add_test_case relayed
	atf_add_test_case journal_relayed
	atf_add_test_case passed_on
	atf_add_test_case notify_failure
	atf_add_test_case delivered
	atf_add_test_case one_process
}
