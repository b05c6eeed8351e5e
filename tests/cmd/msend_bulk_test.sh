# msend_bulk_test: many messages through the queue.  `msend --queue DIR
# --batch SOURCE' queues every message of a directory, a Maildir or an
# mbox from one process; a queue holding mail for a hundred domains (an
# NSD zone whose MX hosts are 127.0.1.x, one sink listening on all of
# them) is delivered to each with the per-site limits kept.

LC_ALL=C
export LC_ALL

. "$YUBIN_SRCDIR/tests/lib/queue.sh"

# nqueued: how many messages wait in ./qd.
nqueued()
{
	ls qd/q | wc -l | tr -d ' '
}

# stat EXPR: a figure from sink/stats (a Python expression over s).
stat()
{
	python3 -c 'import json, sys
s = json.load(open("sink/stats"))
print(eval(sys.argv[1]))' "$1"
}

atf_test_case batch_dir
batch_dir_head()
{
	atf_set "descr" "--batch DIR queues each file of a directory (sorted, dot files skipped) with its own recipients (-t) or the command line's; a file that cannot be queued is named, the others are queued, the exit code says so"
}
batch_dir_body()
{
	M=$(yubin_prog msend)
	mkqueue
	mkdir src
	i=1
	while [ $i -le 30 ]; do
		printf 'To: r%s@example.net\nSubject: n%s\n\nbody %s\n.\nmore\n' \
		    $i $i $i >src/m$(printf %03d $i)
		i=$((i + 1))
	done
	printf 'Subject: hidden\n\nx\n' >src/.hidden
	"$M" --queue "$PWD/qd" --batch src -f alice@example.org -t \
	    >out 2>err || atf_fail "exit $?: $(cat err)"
	[ ! -s err ] || atf_fail "said something: $(cat err)"
	[ "$(nqueued)" = 30 ] || atf_fail "$(nqueued) queued"
	"$M" --list --queue "$PWD/qd" >list || atf_fail "list"
	grep -q '^-- 30 messages, 30 recipients waiting' list ||
	    atf_fail "$(tail -n 3 list)"
	for i in 1 17 30; do
		grep -q "^    r$i@example.net  waiting" list ||
		    atf_fail "r$i: $(cat list)"
	done
	# A "." line is text in a file (the whole file is the message).
	grep -l 'Subject: n17' qd/q/* >f17 || atf_fail "n17 not queued"
	grep -q '^more' "$(cat f17)" || atf_fail "cut at the dot line"

	# The command line's recipients for every file; one file without
	# a header/body separator is still a message, one unreadable is
	# named.
	rm -rf qd src2
	mkqueue
	mkdir src2
	printf 'Subject: a\n\nA\n' >src2/a
	printf 'Subject: b\n\nB\n' >src2/b
	printf 'Subject: c\n\nbad\rline\n' >src2/c
	"$M" --queue "$PWD/qd" --batch src2 -f alice@example.org \
	    x@example.net y@example.com >out 2>err
	rc=$?
	[ $rc = 65 ] || atf_fail "exit $rc: $(cat err)"
	grep -q "^msend: src2/c: .*(not queued)$" err || atf_fail "$(cat err)"
	grep -q "^msend: src2: 2 messages queued, 1 not$" err ||
	    atf_fail "$(cat err)"
	[ "$(nqueued)" = 2 ] || atf_fail "$(nqueued) queued"
	[ "$(grep -l '^rcpt x@example.net' qd/q/* | wc -l)" = 2 ] ||
	    atf_fail "x@ not on both"
	[ "$(grep -l '^rcpt y@example.com' qd/q/* | wc -l)" = 2 ] ||
	    atf_fail "y@ not on both"

	# No recipients at all: a usage error before anything is read.
	"$M" --queue "$PWD/qd" --batch src2 -f alice@example.org >out 2>err
	[ $? = 64 ] || atf_fail "no recipients: $(cat err)"
	# A source that is not there.
	"$M" --queue "$PWD/qd" --batch nosuch -t >out 2>err
	[ $? = 66 ] || atf_fail "missing source: $? $(cat err)"
	grep -q "^msend: nosuch: No such file or directory" err ||
	    atf_fail "$(cat err)"
}

atf_test_case batch_mbox cleanup
batch_mbox_head()
{
	atf_set "descr" "--batch MBOX (and - for stdin) splits at From lines, undoes mboxrd quoting and the separating empty line; the messages go out byte-exact"
}
batch_mbox_body()
{
	M=$(yubin_prog msend)
	mkqueue
	# Three messages; the second's body has quoted From lines and ends
	# in an empty line of its own; the third has CRLF line ends.
	printf 'From alice@example.org Mon Jan  5 10:00:00 2026\n' >mbox
	printf 'From: alice@example.org\nTo: one@example.net\n' >>mbox
	printf 'Subject: one\nMessage-ID: <one@example.org>\n' >>mbox
	printf 'Date: Mon, 5 Jan 2026 10:00:00 +0000\n\nfirst\n\n' >>mbox
	printf 'From alice@example.org Mon Jan  5 10:00:01 2026\n' >>mbox
	printf 'From: alice@example.org\nTo: two@example.net\n' >>mbox
	printf 'Subject: two\nMessage-ID: <two@example.org>\n' >>mbox
	printf 'Date: Mon, 5 Jan 2026 10:00:01 +0000\n\n' >>mbox
	printf '>From the start\n>>From quoted\nFrom, not at the start\n' >>mbox
	printf '.\n\n\n' >>mbox
	printf 'From alice@example.org Mon Jan  5 10:00:02 2026\r\n' >>mbox
	printf 'From: alice@example.org\r\nTo: three@example.net\r\n' >>mbox
	printf 'Subject: three\r\nMessage-ID: <three@example.org>\r\n' >>mbox
	printf 'Date: Mon, 5 Jan 2026 10:00:02 +0000\r\n\r\nthird\r\n' >>mbox
	"$M" --queue "$PWD/qd" --batch - -f alice@example.org -t -v \
	    <mbox >out 2>err || atf_fail "exit $?: $(cat err)"
	grep -q '^msend: standard input: message 2 (line 11): queued as ' err ||
	    atf_fail "$(cat err)"
	grep -q '^msend: standard input: 3 messages queued, 0 not$' err ||
	    atf_fail "$(cat err)"
	[ "$(nqueued)" = 3 ] || atf_fail "$(nqueued) queued"

	site_sink_start 127.0.0.1 --keep
	"$M" --queue "$PWD/qd" --flush --host 127.0.0.1 --port "$SINK_PORT" \
	    --tls off --timeout 10 >out 2>err || atf_fail "flush: $(cat err)"
	site_sink_stats
	[ "$(stat 's["messages"]')" = 3 ] || atf_fail "$(cat sink/stats)"
	for n in 1 2 3; do
		case $(grep '^Subject:' sink/msg.$n | tr -d '\r') in
		*one) printf 'first\r\n' >want ;;
		*two) printf 'From the start\r\n>From quoted\r\nFrom, not at the start\r\n.\r\n\r\n' >want ;;
		*three) printf 'third\r\n' >want ;;
		*) atf_fail "msg.$n: $(cat sink/msg.$n)" ;;
		esac
		sed '1,/^\r$/d' sink/msg.$n >got
		cmp -s want got || atf_fail "msg.$n body: $(od -c got)"
	done
	# Not an mbox.
	printf 'Subject: x\n\ny\n' >notmbox
	"$M" --queue "$PWD/qd" --batch notmbox -t >out 2>err
	[ $? = 74 ] || atf_fail "not an mbox: $? $(cat err)"
	grep -q 'notmbox: line 1: not an mbox' err || atf_fail "$(cat err)"
}

batch_mbox_cleanup()
{
	stop_pidfile sink.pid
}

atf_test_case batch_maildir
batch_maildir_head()
{
	atf_set "descr" "--batch MAILDIR takes new/ then cur/, nothing of tmp/"
}
batch_maildir_body()
{
	M=$(yubin_prog msend)
	mkqueue
	mkdir -p md/new md/cur md/tmp
	printf 'To: n@example.net\nSubject: new\n\nx\n' >md/new/1.a.host
	printf 'To: c@example.net\nSubject: cur\n\nx\n' >md/cur/2.b.host:2,S
	printf 'To: t@example.net\nSubject: tmp\n\nx\n' >md/tmp/3.c.host
	"$M" --queue "$PWD/qd" --batch md -f alice@example.org -t >out 2>err ||
	    atf_fail "exit $?: $(cat err)"
	[ "$(nqueued)" = 2 ] || atf_fail "$(nqueued) queued"
	grep -q '^rcpt n@example.net' qd/q/* || atf_fail "new/ not queued"
	grep -q '^rcpt c@example.net' qd/q/* || atf_fail "cur/ not queued"
	! grep -q '^rcpt t@example.net' qd/q/* || atf_fail "tmp/ queued"
}

atf_test_case batch_stops
batch_stops_head()
{
	atf_set "descr" "--batch: when the queue itself fails (a write limit), the batch stops there with 75; what was queued before is whole, nothing is half-queued"
}
batch_stops_body()
{
	M=$(yubin_prog msend)
	mkqueue
	mkdir src
	printf 'To: a@example.net\nSubject: small\n\nx\n' >src/1
	head -c 100000 /dev/zero | tr '\0' 'x' | fold -w 70 >big
	printf 'To: b@example.net\nSubject: big\n\n' | cat - big >src/2
	printf 'To: c@example.net\nSubject: small\n\nx\n' >src/3
	(ulimit -f 20; exec "$M" --queue "$PWD/qd" --batch src \
	    -f alice@example.org -t) >out 2>err
	rc=$?
	[ $rc = 75 ] || atf_fail "exit $rc: $(cat err)"
	grep -q '^msend: src/2: .*(not queued, nor what follows it: exit 75)' \
	    err || atf_fail "$(cat err)"
	grep -q '1 message queued, 1 not (stopped there)' err ||
	    atf_fail "$(cat err)"
	[ "$(nqueued)" = 1 ] || atf_fail "$(nqueued) queued"
	grep -q '^rcpt a@example.net' qd/q/* || atf_fail "the first is not whole"
	[ -z "$(ls qd/tmp)" ] || atf_fail "left in tmp: $(ls qd/tmp)"
}

atf_test_case hundred_domains cleanup
hundred_domains_head()
{
	atf_set "descr" "500 messages for 100 domains (NSD: each domain's MX on its own 127.0.1.x, one sink on all of them) are all delivered once, sessions reused, and no site ever sees more connections, messages per connection or messages in a second than the policy allows"
	atf_set "timeout" "300"
}
hundred_domains_body()
{
	M=$(yubin_prog msend)
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	mkdir dns
	awk 'BEGIN { for (i = 0; i < 100; i++) {
		printf "d%02d MX 10 mx.d%02d\n", i, i
		printf "mx.d%02d A 127.0.1.%d\n", i, i + 1 } }' >dns/test.extra
	dnsport=$(dns_start dns) || atf_fail "NSD did not start"
	mkqueue
	# Half the messages for 4 big domains, half spread over 96.
	mkdir src
	awk 'BEGIN { for (i = 0; i < 500; i++) {
		d = i % 2 == 0 ? int(i / 2) % 4 : 4 + int(i / 2) % 96
		f = sprintf("src/m%03d", i)
		printf "To: r%d@d%02d.test\nSubject: n%d\n\nbody %d\n", \
		    i, d, i, i >f
		close(f) } }'
	"$M" --queue "$PWD/qd" --batch src -f alice@example.org -t \
	    >out 2>err || atf_fail "enqueue: $? $(cat err)"
	[ "$(nqueued)" = 500 ] || atf_fail "$(nqueued) queued"
	site_sink_start 127.0.1.1-100
	printf 'defaults\nqueue %s/qd\ntimeout 10\n' "$PWD" >conf
	printf 'queue_connections 10\nsite_connections 2\n' >>conf
	printf 'site_rate 25/s\nsite_messages_per_connection 20\n' >>conf
	"$M" -C conf --flush --direct --port "$SINK_PORT" \
	    --dns-server "127.0.0.1:$dnsport" --route '*.test=[mx]' \
	    >out 2>err || atf_fail "flush: $? $(tail -n 5 err)"
	site_sink_stats
	[ "$(nqueued)" = 0 ] || atf_fail "$(nqueued) left: $(tail -n 5 err)"
	[ "$(stat 's["messages"]')" = 500 ] || atf_fail "$(cat sink/stats)"
	[ "$(stat 's["duplicates"]')" = 0 ] || atf_fail "duplicates"
	[ "$(stat 'len(s["sites"])')" = 100 ] || atf_fail "not 100 sites"
	[ "$(stat 's["max_conns"] <= 10')" = True ] ||
	    atf_fail "$(stat 's["max_conns"]') connections at once"
	[ "$(stat 'max(x["max_conns"] for x in s["sites"].values()) <= 2')" = True ] ||
	    atf_fail "more than 2 connections to a site: $(cat sink/stats)"
	[ "$(stat 'max(x["max_per_conn"] for x in s["sites"].values()) <= 20')" = True ] ||
	    atf_fail "more than 20 messages a connection: $(cat sink/stats)"
	# 25/s, with a little slack for the edges of a second.
	[ "$(stat 'max(x["max_per_sec"] for x in s["sites"].values()) <= 28')" = True ] ||
	    atf_fail "a site got more than 25 a second: $(cat sink/stats)"
	# Sessions reused: a big site's 62 messages in a few connections.
	[ "$(stat 's["sites"]["127.0.1.1"]["conns"] <= 6')" = True ] ||
	    atf_fail "sessions not reused: $(stat 's["sites"]["127.0.1.1"]')"
	[ "$(stat 's["sites"]["127.0.1.1"]["messages"]')" = 63 ] ||
	    atf_fail "$(stat 's["sites"]["127.0.1.1"]')"
}
hundred_domains_cleanup()
{
	stop_pidfile sink.pid
	stop_pidfile dns/nsd.pid
}

atf_init_test_cases()
{
	atf_add_test_case batch_dir
	atf_add_test_case batch_mbox
	atf_add_test_case batch_maildir
	atf_add_test_case batch_stops
	atf_add_test_case hundred_domains
}
