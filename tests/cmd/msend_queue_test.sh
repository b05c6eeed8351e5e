# msend_queue_test: `msend --queue DIR' and -odq put a message in the
# queue durably (common/queue), as it would have gone out; `msend
# --list' (-bp, mailq) says what waits.  A full disk or a failed write
# gives 75 and leaves nothing half-queued.

LC_ALL=C
export LC_ALL

. "$YUBIN_SRCDIR/tests/lib/queue.sh"

# qfile: the one queue file in ./qd/q (fails when there is not one).
qfile()
{
	set -- qd/q/*
	[ $# = 1 ] && [ -f "$1" ] || atf_fail "not one queue file: $*"
	echo "$1"
}

atf_test_case enqueue
enqueue_head()
{
	atf_set "descr" "--queue: envelope and message on disk, tmp/ empty, the headers msend adds, CRLF"
}
enqueue_body()
{
	M=$(yubin_prog msend)
	mkqueue
	printf 'Subject: hello\nTo: bob@example.net\n\nline one\n.dot line\n' >msg
	atf_check -s exit:0 -o empty -e empty "$M" --queue "$PWD/qd" \
	    -f alice@example.org -N failure,delay -R hdrs -V env-1 \
	    bob@example.net carol@example.com <msg
	f=$(qfile)
	[ -z "$(ls qd/tmp)" ] || atf_fail "left in tmp/: $(ls qd/tmp)"
	sed -n '1,/^$/p' "$f" >env
	grep -qx 'yubin-queue 1' env || atf_fail "$(cat env)"
	grep -qx 'from alice@example.org' env || atf_fail "$(cat env)"
	grep -qx 'envid env%2D1' env || atf_fail "$(cat env)"
	grep -qx 'ret hdrs' env || atf_fail "$(cat env)"
	grep -qx 'rcpt bob@example.net FD -' env || atf_fail "$(cat env)"
	grep -qx 'rcpt carol@example.com FD -' env || atf_fail "$(cat env)"
	id=$(sed -n 's/^id //p' env)
	[ "qd/q/$id" = "$f" ] || atf_fail "id $id, file $f"
	# The message: CRLF, not dot-stuffed, with Date, Message-ID and
	# From added; its size as the envelope says.
	sed '1,/^$/d' "$f" >body
	size=$(sed -n 's/^size 0*//p' env)
	[ "$(wc -c <body | tr -d ' ')" = "$size" ] ||
	    atf_fail "size $size, message $(wc -c <body)"
	grep -q "$(printf '^\\.dot line\r$')" body || atf_fail "$(cat -A body)"
	grep -q "$(printf '^Subject: hello\r$')" body || atf_fail "$(cat -A body)"
	for h in Date Message-ID From; do
		grep -q "^$h: " body || atf_fail "no $h: $(cat body)"
	done
	[ "$(wc -l <body | tr -d ' ')" = "$(grep -c "$(printf '\r')\$" body)" ] ||
	    atf_fail "not CRLF throughout"
	atf_check -s exit:0 -o save:list -e empty "$M" --queue qd --list
	grep -q "^$id  *$size  *[0-9]*s  <alice@example.org>" list ||
	    atf_fail "$(cat list)"
	grep -q '^    bob@example.net  waiting for its first try$' list ||
	    atf_fail "$(cat list)"
	grep -q '^-- 1 message, 2 recipients waiting$' list ||
	    atf_fail "$(cat list)"
}

atf_test_case odq_config
odq_config_head()
{
	atf_set "descr" "-odq with \"queue\" in msend.conf; -bp and the name mailq list it; -t takes Bcc out"
}
odq_config_body()
{
	M=$(yubin_prog msend)
	mkqueue
	printf 'account default\nqueue %s/qd\nfrom alice@example.org\n' \
	    "$PWD" >conf
	printf 'To: bob@example.net\nBcc: secret@example.com\nSubject: x\n\nhi\n' |
	    "$M" -C conf -odq -t || atf_fail "-odq -t: $?"
	f=$(qfile)
	grep -qx 'rcpt secret@example.com - -' "$f" || atf_fail "$(cat "$f")"
	grep -q '^Bcc' "$f" && atf_fail "Bcc kept: $(cat "$f")"
	atf_check -s exit:0 -o match:'secret@example.com  waiting' -e empty \
	    "$M" -C conf -bp
	ln -s "$M" mailq
	atf_check -s exit:0 -o match:'^-- 1 message, 2 recipients waiting$' \
	    -e empty ./mailq -C conf
	# No queue anywhere: a usage error, nothing sent.
	atf_check -s exit:64 -o empty -e match:'no queue' "$M" -C /dev/null \
	    -odq bob@example.net </dev/null
	atf_check -s exit:0 -o match:'no queue.*nothing waits' -e empty \
	    "$M" -C /dev/null --list
}

atf_test_case full_disk
full_disk_head()
{
	atf_set "descr" "a full disk (a 64 KB tmpfs) at enqueue: exit 75, nothing half-queued; a smaller message still goes in"
	atf_set "require.user" "root"
}
full_disk_body()
{
	M=$(yubin_prog msend)
	mkdir qd
	chmod 755 .
	mount -t tmpfs -o size=64k tmpfs qd 2>err ||
	    atf_skip "cannot mount a tmpfs here: $(head -n 1 err)"
	echo mounted >mounted
	chown "$(id -u nobody):$(id -g nobody)" qd
	head -c 200000 /dev/zero | tr '\0' 'x' | fold -w 70 >big
	printf 'Subject: big\n\n' | cat - big | "$M" --queue "$PWD/qd" \
	    -f a@example.org b@example.net >out 2>err
	rc=$?
	[ $rc = 75 ] || atf_fail "exit $rc: $(cat err)"
	grep -q 'No space left on device' err || atf_fail "$(cat err)"
	grep -q 'nothing queued' err || atf_fail "$(cat err)"
	[ -z "$(ls qd/tmp)$(ls qd/q)" ] || atf_fail "left: $(ls -R qd)"
	printf 'Subject: small\n\nok\n' | "$M" --queue "$PWD/qd" \
	    -f a@example.org b@example.net || atf_fail "small: $?"
	qfile >/dev/null
}
full_disk_cleanup()
{
	[ -f mounted ] && umount qd
	return 0
}

atf_test_case write_fails
write_fails_head()
{
	atf_set "descr" "a write that fails (file size limit) at enqueue: exit 75, nothing half-queued"
}
write_fails_body()
{
	M=$(yubin_prog msend)
	mkqueue
	head -c 100000 /dev/zero | tr '\0' 'x' | fold -w 70 >big
	printf 'Subject: big\n\n' | cat - big >msg
	(ulimit -f 20; exec "$M" --queue "$PWD/qd" -f a@example.org \
	    b@example.net <msg) >out 2>err
	rc=$?
	[ $rc = 75 ] || atf_fail "exit $rc: $(cat err)"
	grep -q 'nothing queued' err || atf_fail "$(cat err)"
	[ -z "$(ls qd/tmp)$(ls qd/q)" ] || atf_fail "left: $(ls -R qd)"
}

atf_test_case list_damaged
list_damaged_head()
{
	atf_set "descr" "--list shows a damaged queue file as unreadable (exit 65) and lists the others"
}
list_damaged_body()
{
	M=$(yubin_prog msend)
	mkqueue
	printf 'Subject: one\n\n1\n' | "$M" --queue qd -f a@example.org \
	    b@example.net || atf_fail "enqueue: $?"
	printf 'yubin-queue 1\nid 0BAD\n' >qd/q/0BAD
	atf_check -s exit:65 -o save:list -e empty "$M" --queue qd --list
	grep -q '^0BAD  *unreadable: .*cut short' list || atf_fail "$(cat list)"
	grep -q '^-- 1 message, 1 recipient waiting$' list ||
	    atf_fail "$(cat list)"
	rm -rf qd2
	atf_check -s exit:78 -o empty -e match:'qd2' "$M" --queue qd2 --list
}

# enqueue N: messages 1..N from alice for bob and carol.
enqueue()
{
	i=1
	while [ $i -le "$1" ]; do
		printf 'Subject: m%s\n\nbody %s\n.leading dot\n' $i $i |
		    "$M" --queue "$PWD/qd" -f alice@example.org \
		    bob@example.net carol@example.com ||
		    atf_fail "enqueue $i: $?"
		i=$((i + 1))
	done
}

# flush [OPTIONS]: msend --flush of ./qd to the sink.
flush()
{
	"$M" --queue "$PWD/qd" --flush --host 127.0.0.1 --port "$SINK_PORT" \
	    --tls=off --timeout 10 "$@"
}

atf_test_case flush_sink cleanup
flush_sink_head()
{
	atf_set "descr" "--flush: three messages over one session (RSET between), byte-exact at the sink, the queue empty after"
}
flush_sink_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue 3
	n=0
	for f in qd/q/*; do
		n=$((n + 1))
		sed '1,/^$/d' "$f" >"sent.$n"
	done
	sink_start
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c '^EHLO' sink/log)" = 1 ] ||
	    atf_fail "not one session: $(cat sink/log)"
	[ "$(grep -c '^RSET' sink/log)" = 2 ] || atf_fail "$(cat sink/log)"
	[ "$(grep -c 'status=sent' err)" = 6 ] || atf_fail "$(cat err)"
	grep -q "to=<bob@example.net>, site=smarthost 127.0.0.1:$SINK_PORT, relay=127.0.0.1\[127.0.0.1\], delay=[0-9]*s, tries=1, dsn=2.0.0, status=sent (250 " err ||
	    atf_fail "log line: $(cat err)"
	for n in 1 2 3; do
		found=
		for s in sent.*; do
			cmp -s "sink/msg.$n" "$s" && found=1
		done
		[ -n "$found" ] || atf_fail "msg.$n is not what was queued"
	done
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	atf_check -o match:'the queue is empty' "$M" --queue qd --list
}
flush_sink_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case greylist cleanup
greylist_head()
{
	atf_set "descr" "a site that answers 451 then 250 (greylisting): deferred with the reply kept and a next try, then delivered"
}
greylist_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue 1
	sink_start --greylist 1
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c 'status=deferred (451 4.7.1 greylisted' err)" = 2 ] ||
	    atf_fail "$(cat err)"
	"$M" --queue qd --list >list
	grep -q '^    bob@example.net  deferred, 1 try, next in [45]m$' list ||
	    atf_fail "$(cat list)"
	grep -q '127.0.0.1\[127.0.0.1\]: 451 4.7.1 greylisted' list ||
	    atf_fail "$(cat list)"
	# Not due yet: a plain flush leaves it alone.
	flush >out 2>err || atf_fail "flush 2: $?"
	[ "$(grep -c 'status=' err)" = 0 ] || atf_fail "retried early: $(cat err)"
	flush --retry-now >out 2>err || atf_fail "flush 3: $? $(cat err)"
	[ "$(grep -c 'tries=2, dsn=2.0.0, status=sent' err)" = 2 ] ||
	    atf_fail "$(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
greylist_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case site_down cleanup
site_down_head()
{
	atf_set "descr" "a site that is down: the message waits and --list says why; it goes out when the site is back"
}
site_down_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue 2
	SINK_PORT=$(free_port)
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c 'status=deferred' err)" = 4 ] || atf_fail "$(cat err)"
	"$M" --queue qd --list >list
	grep -q "127.0.0.1 port $SINK_PORT: .*refused" list ||
	    atf_fail "no reason: $(cat list)"
	grep -q '^-- 2 messages, 4 recipients waiting$' list ||
	    atf_fail "$(cat list)"
	sink_start --port "$SINK_PORT"
	flush --retry-now >out 2>err || atf_fail "flush 2: $? $(cat err)"
	[ "$(grep -c 'status=sent' err)" = 4 ] || atf_fail "$(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
site_down_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case bounce cleanup
bounce_head()
{
	atf_set "descr" "a 5xx fails the recipient for good; the others are sent; one RFC 3464 bounce from <> to the sender, with the original; a message from <> gets none"
}
bounce_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue 1
	sink_start --reply 'carol@example.com=550 5.1.1 no such user'
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	grep -q 'to=<carol@example.com>.*dsn=5.1.1, status=bounced (550 5.1.1 no such user)' err ||
	    atf_fail "$(cat err)"
	grep -q 'bounce to <alice@example.org> queued as' err ||
	    atf_fail "no bounce: $(cat err)"
	"$M" --queue qd --list >list
	grep -q '^[0-9A-F]*  *[0-9]*  *[0-9]*s  <>  msend bounce for ' list ||
	    atf_fail "$(cat list)"
	grep -q '^-- 1 message, 1 recipient waiting$' list ||
	    atf_fail "the original is still there: $(cat list)"
	# The next flush sends it.
	flush >out 2>err || atf_fail "flush 2: $? $(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	n=$(grep -l 'MAIL FROM:<>' sink/env.* | sed 's/.*env\.//')
	[ -n "$n" ] || atf_fail "no message from <>: $(cat sink/env.*)"
	grep -q 'RCPT TO:<alice@example.org>' "sink/env.$n" ||
	    atf_fail "$(cat "sink/env.$n")"
	tr -d '\r' <"sink/msg.$n" >dsn
	for l in 'Content-Type: multipart/report; report-type=delivery-status;' \
	    'Auto-Submitted: auto-replied' 'Action: failed' 'Status: 5.1.1' \
	    'Final-Recipient: rfc822; carol@example.com' \
	    'Diagnostic-Code: smtp; 550 5.1.1 no such user' \
	    'Subject: m1'; do
		grep -q "^$l" dsn || atf_fail "no \"$l\": $(cat dsn)"
	done
	grep -q '^Final-Recipient: rfc822; bob@example.net' dsn &&
	    atf_fail "bob was delivered: $(cat dsn)"
	# A 5xx bounces at once, while another recipient still waits.
	stop_pidfile sink.pid
	sink_start --reply 'carol@example.com=550 5.1.1 no such user' \
	    --reply 'dave@example.com=451 4.3.0 later'
	printf 'Subject: two ways\n\nx\n' | "$M" --queue "$PWD/qd" \
	    -f alice@example.org carol@example.com dave@example.com ||
	    atf_fail "enqueue"
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	grep -q 'bounce to <alice@example.org> queued' err ||
	    atf_fail "no bounce while dave waits: $(cat err)"
	"$M" --queue qd --list >list
	grep -q '^    carol@example.com  failed, bounce queued$' list ||
	    atf_fail "$(cat list)"
	grep -q '^    dave@example.com  deferred' list || atf_fail "$(cat list)"
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	grep -q 'bounce to' err && atf_fail "bounced twice: $(cat err)"
	rm -f qd/q/*
	# From <>: failed, no bounce, gone.
	printf 'Subject: from nobody\n\nx\n' | "$M" --queue "$PWD/qd" -f '<>' \
	    carol@example.com || atf_fail "enqueue"
	flush >out 2>err || atf_fail "flush 3: $? $(cat err)"
	grep -q 'no bounce for a bounce' err || atf_fail "$(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
bounce_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case delay_expire cleanup
delay_expire_head()
{
	atf_set "descr" "a recipient still deferred after queue_delay_warn gets one delay notice; after queue_max_age it fails with 5.4.7 and a bounce"
	atf_set "timeout" "60"
}
delay_expire_body()
{
	M=$(yubin_prog msend)
	mkqueue
	sink_start --reply 'bob@example.net=451 4.7.1 not now'
	conf queue_delay_warn 1s queue_max_age 4s
	printf 'Subject: late\n\nx\n' | "$M" -C conf -odq -f alice@example.org \
	    bob@example.net || atf_fail "enqueue"
	"$M" -C conf --flush >out 2>err || atf_fail "flush: $(cat err)"
	grep -q 'status=deferred (451 4.7.1 not now)' err || atf_fail "$(cat err)"
	sleep 2
	"$M" -C conf --flush --retry-now >out 2>err || atf_fail "$(cat err)"
	grep -q 'delay notice to <alice@example.org> queued' err ||
	    atf_fail "no delay notice: $(cat err)"
	"$M" -C conf --flush --retry-now >out 2>err || atf_fail "$(cat err)"
	grep -q 'delay notice' err && atf_fail "a second notice: $(cat err)"
	grep -q 'status=sent' err || atf_fail "the notice not sent: $(cat err)"
	grep -l '^Action: delayed' sink/msg.* >/dev/null ||
	    atf_fail "no delayed report at the sink"
	grep -l 'Will-Retry-Until: ' sink/msg.* >/dev/null ||
	    atf_fail "no Will-Retry-Until"
	sleep 3
	"$M" -C conf --flush >out 2>err || atf_fail "$(cat err)"
	grep -q 'to=<bob@example.net>.*dsn=5.4.7, status=expired (gave up after [0-9]*s in the queue; the last reply: 451 4.7.1 not now)' err ||
	    atf_fail "not expired: $(cat err)"
	grep -q 'bounce to <alice@example.org> queued' err ||
	    atf_fail "no bounce: $(cat err)"
}
delay_expire_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case msmtpd_queue cleanup
msmtpd_queue_head()
{
	atf_set "descr" "msmtpd --queue accepts relayed mail while the destination is down (250 once queued); msend --flush sends it when it is back"
}
msmtpd_queue_body()
{
	M=$(yubin_prog msend)
	mkqueue
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<x@far.test>\r\nRCPT TO:<y@far.test>\r\nDATA\r\nSubject: relayed\r\n\r\nhello\r\n..dot\r\n.\r\nQUIT\r\n' \
	    "$(printf '\0alice\0s3cret' | base64)" >in
	"$(yubin_prog msmtpd)" --inetd --log stderr --no-resolve \
	    --hostname mx.test --auth-delay 0 --passwd-file passwd \
	    --allow-plain-auth --domain mx.test --queue "$PWD/qd" \
	    <in >out.raw 2>log || atf_fail "msmtpd: $? $(cat log)"
	grep -q '^250 2.0.0 Message accepted' out.raw ||
	    atf_fail "$(cat out.raw) $(cat log)"
	grep -q 'queued as' log || atf_fail "$(cat log)"
	f=$(qfile)
	grep -q '^origin msmtpd%20\[\]%20helo=client.test%20auth=alice$' "$f" ||
	    grep -q '^origin msmtpd.*auth=alice$' "$f" || atf_fail "$(cat "$f")"
	[ "$(id -u)" != 0 ] || [ "$(stat -c %U "$f")" = nobody ] ||
	    atf_fail "the queue file is not the queue's owner's"
	sed '1,/^$/d' "$f" >queued
	grep -q "$(printf '^Received: from client.test')" queued ||
	    atf_fail "no Received: $(cat queued)"
	grep -q "$(printf '^\\.dot\r$')" queued || atf_fail "$(cat -A queued)"
	# The destination is down: it waits.
	SINK_PORT=$(free_port)
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	[ "$(grep -c 'status=deferred' err)" = 2 ] || atf_fail "$(cat err)"
	sink_start --port "$SINK_PORT"
	flush --retry-now >out 2>err || atf_fail "flush 2: $? $(cat err)"
	[ "$(grep -c 'status=sent' err)" = 2 ] || atf_fail "$(cat err)"
	cmp -s sink/msg.1 queued || atf_fail "not byte-exact at the sink"
	grep -q 'MAIL FROM:<a@client.test>' sink/env.1 || atf_fail "$(cat sink/env.1)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	# --queue with --relay-command, or a queue root owns: refused.
	atf_check -s exit:64 -e match:'one or the other' \
	    "$(yubin_prog msmtpd)" --inetd --queue qd --relay-command true \; </dev/null
}
msmtpd_queue_cleanup()
{
	stop_pidfile sink.pid
}

# conf KEY VALUE...: ./conf, an msend.conf with the queue ./qd, the sink
# as smarthost, and these settings.
conf()
{
	{
		printf 'defaults\nqueue %s/qd\nhost 127.0.0.1\nport %s\n' \
		    "$PWD" "$SINK_PORT"
		printf 'tls off\ntimeout 10\n'
		while [ $# -ge 2 ]; do
			printf '%s %s\n' "$1" "$2"
			shift 2
		done
	} >conf
}

# enqueue_one N: message N for rN@example.net.
enqueue_many()
{
	i=1
	while [ $i -le "$1" ]; do
		printf 'Subject: n%s\n\nbody %s\n' $i $i |
		    "$M" --queue "$PWD/qd" -f alice@example.org \
		    "r$i@example.net" || atf_fail "enqueue $i: $?"
		i=$((i + 1))
	done
}

# delivered_once N: the sink has messages n1..nN, each exactly once.
delivered_once()
{
	cat sink/msg.* 2>/dev/null | tr -d '\r' | grep '^Subject: n' |
	    sort | uniq -c >counts
	[ "$(wc -l <counts | tr -d ' ')" = "$1" ] ||
	    atf_fail "$(wc -l <counts) of $1 delivered"
	! grep -qv '^ *1 ' counts || atf_fail "twice: $(grep -v '^ *1 ' counts)"
}

atf_test_case limits cleanup
limits_head()
{
	atf_set "descr" "per-site connections and rate are never exceeded (a threaded sink records each connection and message); sessions carry several messages"
	atf_set "timeout" "120"
}
limits_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue_many 24
	sink_start --threads --data-delay 0.1
	conf site_connections 2 site_rate 8/s site_messages_per_connection 5
	"$M" -C conf --flush >out 2>err || atf_fail "flush: $? $(cat err)"
	delivered_once 24
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	# At most 2 connections at any time; about 5 messages each.
	awk '$1 == "open" { n++; if (n > max) max = n }
	    $1 == "close" { n-- } END { print max + 0 }' sink/conns >max
	[ "$(cat max)" -le 2 ] ||
	    atf_fail "$(cat max) connections at once: $(tr '\n' ' ' <sink/conns)"
	[ "$(cat max)" = 2 ] || atf_fail "never 2 connections: $(cat sink/conns)"
	[ "$(grep -c '^open' sink/conns)" -ge 5 ] ||
	    atf_fail "not 5 messages a connection: $(grep -c '^open' sink/conns) connections"
	# The rate: no second holds more than 8 messages (with a little
	# slack for the edges of a second: 10).
	awk '$1 == "msg" { t[NR] = $2; n = NR } END {
		bad = 0
		for (i in t) { c = 0
			for (j in t) if (t[j] >= t[i] && t[j] < t[i] + 1) c++
			if (c > 10) bad = c }
		print bad }' sink/conns >burst
	[ "$(cat burst)" = 0 ] || atf_fail "$(cat burst) messages in one second"
	first=$(awk '$1 == "msg" { print $2; exit }' sink/conns)
	last=$(awk '$1 == "msg" { t = $2 } END { print t }' sink/conns)
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b - a >= 2.0) }' ||
	    atf_fail "24 messages at 8/s took under 2 s ($first .. $last)"
}
limits_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case back_pressure cleanup
back_pressure_head()
{
	atf_set "descr" "a site that answers 421 is slowed down by itself (one connection, half the rate) and its messages wait"
}
back_pressure_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue 2
	sink_start --mail-reply '421 4.7.0 too many messages, slow down'
	flush >out 2>err || atf_fail "flush: $? $(cat err)"
	grep -q 'site smarthost 127.0.0.1:[0-9]*: 421 (server busy); one connection and 5.00 messages/s for 10 minutes' err ||
	    atf_fail "no slowing down: $(cat err)"
	grep -q 'status=deferred (.*421 4.7.0 too many messages' err ||
	    atf_fail "$(cat err)"
	[ "$(ls qd/q | wc -l)" = 2 ] || atf_fail "$(ls qd/q)"
}
back_pressure_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case run_daemon cleanup
run_daemon_head()
{
	atf_set "descr" "--run: a message queued while it runs goes out within 2 s (inotify, and with --poll); SIGTERM ends it with 0"
	atf_set "timeout" "60"
}
run_daemon_body()
{
	M=$(yubin_prog msend)
	mkqueue
	sink_start --threads
	conf
	for mode in inotify poll; do
		rm -f sink/msg.*
		if [ $mode = poll ]; then
			"$M" -C conf --run --poll 1 2>run.log &
		else
			"$M" -C conf --run 2>run.log &
		fi
		echo $! >run.pid
		sleep 1
		printf 'Subject: n1\n\nx\n' | "$M" -C conf -odq \
		    -f alice@example.org r1@example.net || atf_fail "queue"
		i=0
		while ! ls sink/msg.* >/dev/null 2>&1 && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ $i -lt 30 ] || atf_fail "$mode: not within 3 s: $(cat run.log)"
		grep -q "started ($( [ $mode = poll ] && echo polling || echo inotify))" run.log ||
		    atf_fail "$(cat run.log)"
		kill -TERM "$(cat run.pid)"
		rc=0
		wait "$(cat run.pid)" || rc=$?
		rm -f run.pid
		[ $rc = 0 ] ||
		    atf_fail "$mode: SIGTERM: exit $rc: $(tr '\n' ' ' <run.log)"
		grep -q 'stopped: 1 sent' run.log || atf_fail "$(cat run.log)"
	done
}
run_daemon_cleanup()
{
	stop_pidfile run.pid
	stop_pidfile sink.pid
}

atf_test_case stop_midway cleanup
stop_midway_head()
{
	atf_set "descr" "SIGTERM while a connection is sending: --run lets it finish, and the message it sent is off the queue when --run exits 0"
	atf_set "timeout" "60"
}
stop_midway_body()
{
	M=$(yubin_prog msend)
	mkqueue
	sink_start --threads --data-delay 2
	conf
	"$M" -C conf --run 2>run.log &
	echo $! >run.pid
	sleep 1
	printf 'Subject: n1\n\nx\n' | "$M" -C conf -odq \
	    -f alice@example.org r1@example.net || atf_fail "queue"
	# The connection is open and in its DATA (2 s) when the stop comes.
	i=0
	while ! grep -q '^open' sink/conns 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 50 ] || atf_fail "no connection: $(cat run.log)"
	sleep 0.5
	kill -TERM "$(cat run.pid)"
	rc=0
	wait "$(cat run.pid)" || rc=$?
	rm -f run.pid
	[ $rc = 0 ] || atf_fail "exit $rc: $(tr '\n' ' ' <run.log)"
	grep -q 'stopping; 1 connection to finish' run.log ||
	    atf_fail "$(cat run.log)"
	grep -q 'stopped: 1 sent' run.log || atf_fail "$(cat run.log)"
	ls sink/msg.* >/dev/null 2>&1 || atf_fail "not sent"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q) $(cat run.log)"
}
stop_midway_cleanup()
{
	stop_pidfile run.pid
	stop_pidfile sink.pid
}

atf_test_case kill9 cleanup
kill9_head()
{
	atf_set "descr" "kill -9 of msend --run (and its connections) at random moments, then a restart: every message delivered, none twice beyond one per connection in flight at each kill"
	atf_set "timeout" "240"
}
kill9_body()
{
	M=$(yubin_prog msend)
	mkqueue
	enqueue_many 60
	sink_start --threads --lifetime 200 --data-delay 0.05
	conf site_connections 3 site_rate 20/s site_messages_per_connection 4
	kills=0
	round=0
	while [ -n "$(ls qd/q)" ] && [ $round -lt 40 ]; do
		round=$((round + 1))
		# Its own process group: kill -9 takes the workers too.
		setsid "$M" -C conf --run 2>>run.log &
		pid=$!
		sleep "0.$(( (round * 37) % 9 + 1))"
		kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid"
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
	done
	"$M" -C conf --flush --retry-now >out 2>err ||
	    atf_fail "last flush: $(cat err)"
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	cat sink/msg.* | tr -d '\r' | grep '^Subject: n' | sort | uniq -c >counts
	[ "$(wc -l <counts | tr -d ' ')" = 60 ] ||
	    atf_fail "$(wc -l <counts) of 60 delivered"
	dups=$(awk '$1 > 1 { d += $1 - 1 } END { print d + 0 }' counts)
	echo "$kills kills, $dups duplicates"
	[ $kills -ge 3 ] || atf_fail "only $kills kills landed before the end"
	[ "$dups" -le $((kills * 3)) ] ||
	    atf_fail "$dups duplicates for $kills kills of 3 connections"
}
kill9_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case direct_sites cleanup
direct_sites_head()
{
	atf_set "descr" "--direct: domains with the same MX hosts are one site (one connection, one transaction); a null MX and a domain that does not exist fail at once"
	atf_set "timeout" "60"
}
direct_sites_body()
{
	M=$(yubin_prog msend)
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	mkdir dns
	dnsport=$(dns_start dns) || atf_fail "NSD did not start"
	mkqueue
	printf 'Subject: sites\n\nx\n' | "$M" --queue "$PWD/qd" \
	    -f alice@example.org a@share1.test b@share2.test c@probe.test \
	    d@nullmx.test e@nosuchdomain.test || atf_fail "enqueue"
	sink_start
	"$M" --queue "$PWD/qd" --flush --direct --port "$SINK_PORT" \
	    --dns-server "127.0.0.1:$dnsport" --timeout 10 \
	    --route 'share1.test=[mx]' --route 'share2.test=[mx]' \
	    --route 'probe.test=[mx]' >out 2>err ||
	    atf_fail "flush: $? $(cat err)"
	[ "$(grep -c '^EHLO' sink/log)" = 1 ] ||
	    atf_fail "not one connection: $(cat sink/log)"
	for r in a@share1.test b@share2.test c@probe.test; do
		grep -q "RCPT TO:<$r>" sink/env.1 ||
		    atf_fail "$r not in the one transaction: $(cat sink/env.1)"
	done
	grep -q "site=mx mx.test:$SINK_PORT" err || atf_fail "$(cat err)"
	grep -q 'to=<d@nullmx.test>.*dsn=5.1.10, status=bounced' err ||
	    atf_fail "null MX: $(cat err)"
	grep -q 'to=<e@nosuchdomain.test>.*dsn=5.1.2, status=bounced' err ||
	    atf_fail "no such domain: $(cat err)"
}
direct_sites_cleanup()
{
	stop_pidfile sink.pid
	[ -d dns ] && stop_pidfile dns/nsd.pid
	return 0
}

atf_test_case tls_policies cleanup
tls_policies_head()
{
	atf_set "descr" "direct delivery from the queue: DANE (TLSA trusted only with the resolver's AD bit: a match delivers, a mismatch defers, no AD means opportunistic) and MTA-STS enforce (a named MX with a verified certificate delivers; an MX the policy does not name, or no STARTTLS, defers)"
	atf_set "timeout" "120"
}
tls_policies_body()
{
	M=$(yubin_prog msend)
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	mkqueue
	make_certs certs mxs.test mta-sts.sts1.test mta-sts.sts2.test
	SINK_PORT=$(free_port)
	mkdir dns sts
	tlsa=$(dns_tlsa certs/server.pem) || atf_fail "no TLSA"
	{
		echo "dane1		MX	10 mx.test."
		echo "_$SINK_PORT._tcp.mx	TLSA	$tlsa"
		echo "mxs		A	127.0.0.1"
		echo "sts1		MX	10 mxs.test."
		echo "_mta-sts.sts1	TXT	\"v=STSv1; id=1;\""
		echo "sts2		MX	10 mxs.test."
		echo "_mta-sts.sts2	TXT	\"v=STSv1; id=7;\""
	} >dns/test.extra
	nsd=$(dns_start dns) || atf_fail "NSD did not start"
	ad=$(dns_ad_start dns ad "$nsd") || atf_fail "no AD proxy"
	# The policy host of sts1.test (sts2.test's cannot be reached).
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mxs.test\r\nmax_age: 86400\r\n' \
	    >sts/policy.txt
	python3 "$YUBIN_SRCDIR/tests/lib/mtasts_https.py" certs/server.pem \
	    certs/server.key sts >sts.out 2>&1 &
	echo $! >sts.pid
	i=0
	while [ ! -s sts/port ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s sts/port ] || atf_fail "the policy server did not start"
	[ "$(id -u)" != 0 ] || chmod -R a+rX certs
	# run DNSPORT DOMAIN...: queue one message for each domain, flush.
	run()
	{
		p=$1
		shift
		for dom in "$@"; do
			printf 'Subject: to %s\n\nx\n' "$dom" | "$M" --queue \
			    "$PWD/qd" -f alice@example.org "u@$dom" ||
			    atf_fail "enqueue"
		done
		"$M" --queue "$PWD/qd" --flush --retry-now --direct \
		    --port "$SINK_PORT" --dns-server "127.0.0.1:$p" \
		    --timeout 10 --tls-trust-file "$PWD/certs/ca.pem" \
		    --mta-sts-trust-file "$PWD/certs/ca.pem" \
		    --mta-sts-connect-to "mta-sts.sts1.test:443:127.0.0.1:$(cat sts/port)" \
		    --route 'dane1.test=[mx]' --route 'sts1.test=[mx]' \
		    --route 'sts2.test=[mx]' >out 2>err ||
		    atf_fail "flush: $? $(cat err)"
	}
	# DANE, the right certificate: delivered, with TLS.
	sink_start --port "$SINK_PORT" --starttls --cert certs/server.pem \
	    --key certs/server.key
	run "$ad" dane1.test
	grep -q 'mx.test: TLS by dane (TLSA records)' err || atf_fail "$(cat err)"
	grep -q 'to=<u@dane1.test>.*status=sent' err || atf_fail "$(cat err)"
	grep -q '^TLS ' sink/log || atf_fail "not over TLS: $(cat sink/log)"
	stop_pidfile sink.pid
	# Another certificate: deferred, the reason said.
	sink_start --port "$SINK_PORT" --starttls --cert certs/other.pem \
	    --key certs/other.key
	run "$ad" dane1.test
	grep -q 'to=<u@dane1.test>.*status=deferred.*TLSA' err ||
	    atf_fail "mismatch: $(cat err)"
	# No AD bit (NSD itself): the records are not trusted, and
	# opportunistic TLS takes the same certificate.
	"$M" --queue "$PWD/qd" --flush --retry-now --direct \
	    --port "$SINK_PORT" --dns-server "127.0.0.1:$nsd" --timeout 10 \
	    --no-mta-sts --route 'dane1.test=[mx]' >out 2>err ||
	    atf_fail "flush: $? $(cat err)"
	grep -q 'TLS by dane' err && atf_fail "DANE without AD: $(cat err)"
	grep -q 'to=<u@dane1.test>.*status=sent' err || atf_fail "$(cat err)"
	stop_pidfile sink.pid
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
	# MTA-STS enforce, mxs.test named, its certificate valid: sent.
	sink_start --port "$SINK_PORT" --starttls --cert certs/server.pem \
	    --key certs/server.key
	run "$ad" sts1.test
	grep -q 'sts1.test: MTA-STS: .*enforce' err || atf_fail "$(cat err)"
	grep -q 'mxs.test: TLS by mta-sts' err || atf_fail "$(cat err)"
	grep -q 'to=<u@sts1.test>.*status=sent' err || atf_fail "$(cat err)"
	grep -q 'GET /.well-known/mta-sts.txt mta-sts.sts1.test' sts/requests.log ||
	    atf_fail "no policy fetch: $(cat sts/requests.log)"
	stop_pidfile sink.pid
	# No STARTTLS offered: TLS is required, so it waits.
	sink_start --port "$SINK_PORT"
	run "$ad" sts1.test
	grep -q 'to=<u@sts1.test>.*status=deferred' err ||
	    atf_fail "no TLS, still sent: $(cat err)"
	[ "$(grep -c '^MAIL' sink/log)" = 0 ] || atf_fail "$(cat sink/log)"
	# A policy that names another MX: not tried at all.
	printf 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n' \
	    >sts/policy.txt
	sed -i 's/id=1;/id=2;/' dns/test.extra
	rm -rf qd/mta-sts
	run "$ad" sts1.test
	grep -q 'not an MX host the MTA-STS policy of sts1.test names' err ||
	    atf_fail "$(cat err)"
	# sts2.test's policy cannot be fetched and none is cached: plain
	# opportunistic delivery (RFC 8461 §5).
	stop_pidfile sink.pid
	sink_start --port "$SINK_PORT"
	"$M" --queue "$PWD/qd" --flush --direct --port "$SINK_PORT" \
	    --dns-server "127.0.0.1:$ad" --timeout 10 \
	    --mta-sts-trust-file "$PWD/certs/ca.pem" \
	    --route 'sts2.test=[mx]' >/dev/null 2>err </dev/null || :
	printf 'Subject: to sts2\n\nx\n' | "$M" --queue "$PWD/qd" \
	    -f alice@example.org u@sts2.test || atf_fail "enqueue"
	"$M" --queue "$PWD/qd" --flush --direct --port "$SINK_PORT" \
	    --dns-server "127.0.0.1:$ad" --timeout 5 \
	    --mta-sts-trust-file "$PWD/certs/ca.pem" \
	    --route 'sts2.test=[mx]' >out 2>err || atf_fail "$(cat err)"
	grep -q 'to=<u@sts2.test>.*status=sent' err || atf_fail "$(cat err)"
}
tls_policies_cleanup()
{
	stop_pidfile sink.pid
	stop_pidfile sts.pid
	[ -d dns ] && { dns_ad_stop dns ad; stop_pidfile dns/nsd.pid; }
	return 0
}

atf_test_case postfix_sink cleanup
postfix_sink_head()
{
	atf_set "descr" "enqueue + flush to Postfix's smtp-sink: each message byte-exact at its dump (dot lines, 8-bit), BODY=8BITMIME, one session"
	atf_set "timeout" "60"
}
postfix_sink_body()
{
	. "$YUBIN_SRCDIR/tests/lib/postfix.sh"
	M=$(yubin_prog msend)
	mkqueue
	for i in 1 2 3; do
		printf 'Subject: pf%s\n\n.dot\n..two\n.\ncaf\303\251 %s\n\nlast line\n' \
		    "$i" "$i" | "$M" --queue "$PWD/qd" -i -f alice@example.org \
		    "bob$i@example.org" || atf_fail "enqueue $i"
	done
	for f in qd/q/*; do
		n=$(sed -n 's/^rcpt bob\([0-9]\)@.*/\1/p' "$f")
		sed '1,/^$/d' "$f" | tr -d '\r' >"sent.$n"
	done
	pfsink_start
	"$M" --queue "$PWD/qd" --flush --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off --timeout 10 >out 2>err || atf_fail "flush: $(cat err)"
	[ "$(grep -c 'status=sent' err)" = 3 ] || atf_fail "$(cat err)"
	set -- dump/*
	[ $# = 3 ] || atf_fail "$# messages at smtp-sink: $*"
	for d in dump/*; do
		grep -q '^X-Mail-Args: <alice@example.org> .*BODY=8BITMIME' "$d" ||
		    atf_fail "$(head -5 "$d")"
		n=$(sed -n 's/^X-Rcpt-Args: <bob\([0-9]\)@.*/\1/p' "$d")
		pf_msg_is "$d" "sent.$n"
	done
	[ -z "$(ls qd/q)" ] || atf_fail "left in the queue: $(ls qd/q)"
}
postfix_sink_cleanup()
{
	stop_pidfile pfsink.pid
}

atf_init_test_cases()
{
	atf_add_test_case enqueue
	atf_add_test_case odq_config
	atf_add_test_case full_disk
	atf_add_test_case write_fails
	atf_add_test_case list_damaged
	atf_add_test_case flush_sink
	atf_add_test_case postfix_sink
	atf_add_test_case greylist
	atf_add_test_case site_down
	atf_add_test_case bounce
	atf_add_test_case delay_expire
	atf_add_test_case msmtpd_queue
	atf_add_test_case direct_sites
	atf_add_test_case tls_policies
	atf_add_test_case limits
	atf_add_test_case back_pressure
	atf_add_test_case run_daemon
	atf_add_test_case stop_midway
	atf_add_test_case kill9
}
