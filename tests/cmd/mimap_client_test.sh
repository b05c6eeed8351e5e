# mimap_client_test: the IMAP client (`mimap list', `fetch', `append',
# `idle') against a private Dovecot IMAP server on 127.0.0.1 (STARTTLS
# and imaps with a test CA, a passwd-file account alice / secret),
# started in the test's directory and stopped by its PID.

LC_ALL=C
export LC_ALL

# imapd_start: Dovecot's IMAP in ./dovecot (indexes in memory, so no
# MODSEQs: NOMODSEQ; IMAPD_INDEX= keeps them in the Maildir).  Sets
# PORT (STARTTLS), PORT_S (imaps), CA, MD (alice's Maildir), URL, and
# ./cli (mimap with the password and the CA).
imapd_start()
{
	BIN=$(command -v dovecot || echo /usr/sbin/dovecot)
	[ -x "$BIN" ] || atf_skip "dovecot is not installed"
	[ -x /usr/lib/dovecot/imap ] || atf_skip "dovecot-imapd is not installed"
	D=$PWD/dovecot
	rm -rf "$D"
	mkdir -p "$D/run" "$D/state" "$D/home" "$D/Maildir/new" \
	    "$D/Maildir/cur" "$D/Maildir/tmp"
	make_certs "$D/certs"
	CA=$D/certs/ca.pem
	MD=$D/Maildir
	PORT=$(free_port)
	PORT_S=$(free_port)
	uid=$(id -u)
	gid=$(id -g)
	if [ "$uid" = 0 ]; then
		uid=$(id -u nobody) || atf_skip "no user nobody"
		gid=$(id -g nobody)
		iuser=dovecot
		luser=dovenull
		id dovecot >/dev/null 2>&1 || atf_skip "no dovecot user"
		id dovenull >/dev/null 2>&1 || luser=dovecot
		d=$D
		while [ "$d" != / ]; do
			chmod o+x "$d" 2>/dev/null || :
			d=$(dirname "$d")
		done
	else
		iuser=$(id -un)
		luser=$iuser
	fi
	MAILUID=$uid
	MAILGID=$gid
	printf 'alice:{PLAIN}secret:%s:%s::%s::\n' "$uid" "$gid" "$D/home" \
	    >"$D/passwd"
	cat >"$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/state
instance_name = yubin-imap-test-$$-$PORT
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = $iuser
default_internal_group = $(id -gn "$iuser")
default_login_user = $luser
mail_location = maildir:$D/Maildir${IMAPD_INDEX-:INDEX=MEMORY}
mail_uid = $uid
mail_gid = $gid
mailbox_idle_check_interval = 1 secs
ssl = yes
ssl_cert = <$D/certs/server.pem
ssl_key = <$D/certs/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $PORT_S
    ssl = yes
  }
}
service anvil {
  chroot =
}
CONF
	[ "$(id -u)" = 0 ] && chown -R "$uid:$gid" "$D/home" "$D/Maildir"
	"$BIN" -c "$D/dovecot.conf" >"$D/start.out" 2>&1 ||
	    atf_fail "dovecot did not start: $(cat "$D/start.out" "$D/dovecot.log" 2>/dev/null)"
	i=0
	while [ ! -s "$D/run/master.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cp "$D/run/master.pid" "$PWD/dovecot.pid" 2>/dev/null ||
	    atf_fail "dovecot wrote no PID: $(cat "$D/dovecot.log")"
	wait_port "$PORT" && wait_port "$PORT_S" ||
	    atf_fail "dovecot does not listen: $(cat "$D/dovecot.log")"
	URL="imap://alice@127.0.0.1:$PORT"
	URLS="imaps://alice@127.0.0.1:$PORT_S"
	cat >cli <<EOF
#! /bin/sh
cmd=\$1
shift
exec "$(yubin_prog mimap)" "\$cmd" --passwordeval 'echo secret' \
    --tls-trust-file "$CA" "\$@"
EOF
	chmod +x cli
}

imapd_stop()
{
	stop_pidfile "$PWD/dovecot.pid"
}

# put N [FIRST] [FOLDER-DIR]: messages with a Message-ID each into
# alice's Maildir (new/), also kept in ./orig/ for comparison.
put()
{
	dir=${3:-$MD}
	mkdir -p orig "$dir/new" "$dir/cur" "$dir/tmp"
	i=${2:-1}
	end=$((i + $1))
	while [ $i -lt $end ]; do
		n=$(printf '%04d' $i)
		printf 'From: a@example.org\nTo: alice@example.org\nMessage-ID: <%s@test>\nSubject: %s\n\nbody %s\n' \
		    $n $n $n >orig/$n
		cp orig/$n "$dir/new/1700000000.M${i}P$$.test"
		i=$((i + 1))
	done
	[ "$(id -u)" = 0 ] && chown -R "$MAILUID:$MAILGID" "$MD"
	return 0
}

nmd()
{
	find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l | tr -d ' '
}

# once DIR N: N messages, each exactly once.
once()
{
	cat "$1"/new/* "$1"/cur/* 2>/dev/null | grep '^Message-ID:' |
	    sort | uniq -c >counts
	if [ "$(wc -l <counts | tr -d ' ')" != "$2" ] ||
	    grep -qv '^ *1 ' counts; then
		cat counts
		atf_fail "not every message exactly once"
	fi
}

atf_test_case list cleanup
list_head()
{
	atf_set "descr" "list: folders, special use, MESSAGES and UNSEEN over STARTTLS and imaps"
	atf_set "timeout" "60"
}
list_body()
{
	imapd_start
	put 3
	./cli list "$URL" >out 2>err || atf_fail "list: $? $(cat err)"
	printf 'INBOX\t3\t3\t-\nSent\t0\t0\t\\Sent\nTrash\t0\t0\t\\Trash\n' >exp
	diff -u exp out || atf_fail "list output"
	./cli list "$URLS" >out2 2>err || atf_fail "list imaps: $(cat err)"
	diff -u exp out2 || atf_fail "list over imaps"
	# A CA that did not sign the server's certificate: 69.
	atf_check -s exit:69 -e match:'TLS' "$(yubin_prog mimap)" list \
	    --passwordeval 'echo secret' --tls-trust-file \
	    "$D/certs/other.pem" "$URL"
	# Wrong password: 77.
	atf_check -s exit:77 -e match:'AUTHENTICATE' "$(yubin_prog mimap)" \
	    list --passwordeval 'echo wrong' --tls-trust-file "$CA" "$URL"
	# --tls=off: no STARTTLS (Dovecot takes a plain-text login from
	# 127.0.0.1, which it counts as secure).
	atf_check -o file:exp "$(yubin_prog mimap)" list \
	    --passwordeval 'echo secret' --tls=off "$URL"
}
list_cleanup()
{
	imapd_stop
}

atf_test_case fetch cleanup
fetch_head()
{
	atf_set "descr" "fetch into a Maildir byte-exact; a second run fetches nothing"
	atf_set "timeout" "60"
}
fetch_body()
{
	imapd_start
	put 5
	# A CRLF message and a bare CR inside stay byte-exact.
	printf 'From: b@example.org\nMessage-ID: <cr@test>\n\nx\ry\n' >orig/cr
	cp orig/cr "$MD/new/1700000001.Mcr.test"
	[ "$(id -u)" = 0 ] && chown -R "$MAILUID:$MAILGID" "$MD"
	./cli fetch "$URL" --maildir md --state st >out 2>err ||
	    atf_fail "fetch: $? $(cat err)"
	grep -q '6 messages fetched' out || atf_fail "summary: $(cat out)"
	[ "$(nmd md)" = 6 ] || atf_fail "md holds $(nmd md)"
	for f in orig/*; do
		found=
		for g in md/new/*; do
			cmp -s "$f" "$g" && found=1
		done
		[ -n "$found" ] || atf_fail "$f not byte-exact in md"
	done
	./cli fetch "$URL" --maildir md --state st >out 2>err ||
	    atf_fail "second fetch: $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "second: $(cat out)"
	[ "$(nmd md)" = 6 ] || atf_fail "md holds $(nmd md) after the second"
	# New mail: only it comes.
	put 2 10
	./cli fetch "$URL" --maildir md --state st -q 2>err ||
	    atf_fail "third fetch: $(cat err)"
	once md 8
	# --mark-seen: the server's copies get \Seen.
	./cli fetch "$URL" --maildir md2 --state st2 --mark-seen -q ||
	    atf_fail "mark-seen"
	./cli list "$URL" | grep -q "^INBOX	8	0	" ||
	    atf_fail "not marked seen: $(./cli list "$URL")"
	# --delete: the server is empty afterwards, the state pruned.
	./cli fetch "$URL" --maildir md3 --state st3 --delete >out ||
	    atf_fail "delete"
	grep -q '8 deleted' out || atf_fail "delete summary: $(cat out)"
	once md3 8
	./cli list "$URL" | grep -q "^INBOX	0	0	" || atf_fail "not deleted"
	[ "$(wc -l <st3 | tr -d ' ')" = 1 ] || atf_fail "state not pruned"
	# An MDA instead of a Maildir.
	put 2 20
	./cli fetch "$URL" --mda sh -c 'cat >>mbox' ';' --state st4 -q ||
	    atf_fail "mda"
	[ "$(grep -c '^Message-ID:' mbox)" = 2 ] || atf_fail "mda: $(cat mbox)"
}
fetch_cleanup()
{
	imapd_stop
}

atf_test_case uidvalidity cleanup
uidvalidity_head()
{
	atf_set "descr" "a changed UIDVALIDITY: matched by Message-ID and size, only new mail fetched"
	atf_set "timeout" "60"
}
uidvalidity_body()
{
	imapd_start
	put 4
	./cli fetch "$URL" --maildir md --state st -q || atf_fail "first"
	old=$(awk 'NR == 2 { print $3 }' st)
	imapd_stop
	sleep 1.1
	rm -f "$MD"/dovecot-uidlist "$MD"/dovecot.index*
	put 1 30
	imapd_start_again
	./cli fetch "$URL" --maildir md --state st >out 2>err ||
	    atf_fail "after the change: $(cat err)"
	new=$(awk 'NR == 2 { print $3 }' st)
	[ "$old" != "$new" ] || atf_fail "UIDVALIDITY did not change ($old)"
	grep -q "UIDVALIDITY changed from $old to $new: 4 of 5" err ||
	    atf_fail "not said: $(cat err)"
	grep -q '1 message fetched' out || atf_fail "fetched: $(cat out)"
	once md 5
	./cli fetch "$URL" --maildir md --state st >out 2>err
	grep -q '0 messages fetched' out || atf_fail "again: $(cat out)"
}
uidvalidity_cleanup()
{
	imapd_stop
}

# Restart the server on the same ports and Maildir.
imapd_start_again()
{
	"$BIN" -c "$D/dovecot.conf" >"$D/start.out" 2>&1 ||
	    atf_fail "dovecot did not restart: $(cat "$D/start.out")"
	i=0
	while [ ! -s "$D/run/master.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cp "$D/run/master.pid" "$PWD/dovecot.pid"
	wait_port "$PORT" || atf_fail "dovecot does not listen again"
}

atf_test_case crash cleanup
crash_head()
{
	atf_set "descr" "kill -9 in the middle of fetch, then again: nothing lost, nothing twice"
	atf_set "timeout" "300"
}
crash_body()
{
	imapd_start
	# Enough messages that a fetch (batches of 64, about 2000 a second)
	# is still going when the kill comes.
	put 1500
	round=0
	partial=0
	while [ $round -lt 40 ]; do
		round=$((round + 1))
		./cli fetch "$URL" --maildir md --state st -q 2>>err &
		pid=$!
		sleep "0.$((round % 5))$((round % 7 + 1))"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		n=$(nmd md)
		echo "round $round: $n"
		[ "$n" -gt 0 ] && [ "$n" -lt 1500 ] && partial=$((partial + 1))
		[ "$n" = 1500 ] && break
	done
	[ $partial -ge 2 ] || atf_fail "no kill landed in the middle of a run"
	./cli fetch "$URL" --maildir md --state st >out 2>>err ||
	    atf_fail "last run: $(cat err)"
	once md 1500
	# A run killed while a message was still in tmp/ (before its "P"
	# record) leaves that file there, as any Maildir writer does.
	ls md/tmp | wc -l | tr -d ' ' >tmpleft
}
crash_cleanup()
{
	imapd_stop
}

atf_test_case crash_delete cleanup
crash_delete_head()
{
	atf_set "descr" "kill -9 rounds with --delete: every message delivered once before the server loses it"
	atf_set "timeout" "300"
}
crash_delete_body()
{
	imapd_start
	put 200
	round=0
	while [ $round -lt 40 ]; do
		round=$((round + 1))
		./cli fetch "$URL" --maildir md --state st --delete -q \
		    2>>err &
		pid=$!
		sleep "0.$((round % 5 + 1))$((round % 7))"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ "$(nmd md)" = 200 ] && break
	done
	./cli fetch "$URL" --maildir md --state st --delete >out 2>>err ||
	    atf_fail "last run: $(cat err)"
	once md 200
	./cli list "$URL" | grep -q "^INBOX	0	0	" ||
	    atf_fail "the server still has: $(./cli list "$URL")"
}
crash_delete_cleanup()
{
	imapd_stop
}

atf_test_case folders cleanup
folders_head()
{
	atf_set "descr" "folders with spaces and non-ASCII names: list decodes, fetch takes several"
	atf_set "timeout" "60"
}
folders_body()
{
	imapd_start
	put 1
	# Dovecot's Maildir++ names on disk are modified UTF-7.
	put 2 10 "$MD/.A b"
	put 1 20 "$MD/.Caf&AOk-"
	./cli list "$URL" >out 2>err || atf_fail "list: $(cat err)"
	grep -q '^A b	2	2	-$' out || atf_fail "list: $(cat out)"
	grep -q '^Café	1	1	-$' out || atf_fail "list: $(cat out)"
	./cli fetch "$URL" --folder INBOX --folder 'A b' --folder 'Café' \
	    --maildir md --state st >out 2>err || atf_fail "fetch: $(cat err)"
	grep -q '4 messages fetched' out || atf_fail "fetch: $(cat out)"
	once md 4
	./cli fetch "$URL" --folder INBOX --folder 'A b' --folder 'Café' \
	    --maildir md --state st >out 2>err || atf_fail "again: $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "again: $(cat out)"
	atf_check -s exit:69 -e match:'NoSuch' ./cli fetch "$URL" \
	    --folder NoSuch --maildir md --state st
}
folders_cleanup()
{
	imapd_stop
}

atf_test_case all_folders cleanup
all_folders_head()
{
	atf_set "descr" "fetch --all-folders: each folder into the Maildir++ folder of its name"
	atf_set "timeout" "60"
}
all_folders_body()
{
	imapd_start
	put 1
	put 2 10 "$MD/.A b"
	put 1 20 "$MD/.Caf&AOk-"
	put 1 30 "$MD/.Lists.yubin"
	./cli fetch "$URL" --all-folders --maildir md --state st >out \
	    2>err || atf_fail "fetch: $(cat err)"
	grep -q '5 messages fetched' out || atf_fail "fetch: $(cat out)"
	[ "$(nmd md)" = 1 ] || atf_fail "INBOX: $(nmd md)"
	[ "$(nmd 'md/.A b')" = 2 ] || atf_fail "A b: $(ls -a md)"
	[ "$(nmd 'md/.Café')" = 1 ] || atf_fail "Café: $(ls -a md)"
	[ "$(nmd 'md/.Lists.yubin')" = 1 ] || atf_fail "Lists/yubin: $(ls -a md)"
	[ -f 'md/.A b/maildirfolder' ] || atf_fail "no maildirfolder marker"
	[ -d md/.Sent/new ] || atf_fail "Sent not made"
	./cli fetch "$URL" --all-folders --maildir md --state st >out \
	    2>err || atf_fail "again: $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "again: $(cat out)"
	# Pending records ("P", a crash between the record and the link):
	# one whose file is in its folder counts as delivered, one whose
	# file never got there is fetched again.
	f1=$(cd 'md/.A b/new' && grep -l '<0010@test>' *)
	f2=$(cd 'md/.A b/new' && grep -l '<0011@test>' *)
	rm "md/.A b/new/$f2"
	awk -v u1="${f1%%,*}" -v u2="${f2%%,*}" '
	    $1 == "F" && $2 == "A%20b" { $1 = "P";
		$0 = $0 " A%20b/" ($6 == "<0010@test>" ? u1 : u2) }
	    { print }' st >st.new
	mv st.new st
	[ "$(grep -c '^P A%20b' st)" = 2 ] || atf_fail "state: $(cat st)"
	./cli fetch "$URL" --all-folders --maildir md --state st >out \
	    2>err || atf_fail "pending: $(cat err)"
	grep -q '1 message fetched' out || atf_fail "pending: $(cat out)"
	once 'md/.A b' 2
	atf_check -s exit:64 -e match:'one or the other' ./cli fetch \
	    "$URL" --all-folders --folder INBOX --maildir md
}
all_folders_cleanup()
{
	imapd_stop
}

atf_test_case mda_failure cleanup
mda_failure_head()
{
	atf_set "descr" "an MDA that fails: exit code kept, the message fetched again next time"
	atf_set "timeout" "60"
}
mda_failure_body()
{
	imapd_start
	put 2
	atf_check -s exit:75 -e match:'exited with 75' ./cli fetch "$URL" \
	    --mda sh -c 'exit 75' ';' --state st -q
	atf_check -s exit:69 -e match:'exited with 1' ./cli fetch "$URL" \
	    --mda false ';' --state st -q
	./cli fetch "$URL" --mda sh -c 'cat >>mbox' ';' --state st -q ||
	    atf_fail "mda"
	[ "$(grep -c '^Message-ID:' mbox)" = 2 ] || atf_fail "mbox: $(cat mbox)"
}
mda_failure_cleanup()
{
	imapd_stop
}

atf_test_case append cleanup
append_head()
{
	atf_set "descr" "append a message with flags; fetch gives it back byte-exact"
	atf_set "timeout" "60"
}
append_body()
{
	imapd_start
	printf 'From: me@example.org\nMessage-ID: <sent@test>\nSubject: sent\n\nhello\n' >msg
	./cli append "$URL" --folder Sent --flags '\Seen $Label1' <msg ||
	    atf_fail "append"
	./cli list "$URL" | grep -q "^Sent	1	0	" ||
	    atf_fail "not in Sent: $(./cli list "$URL")"
	./cli fetch "$URL" --folder Sent --maildir md --state st -q ||
	    atf_fail "fetch Sent"
	cmp msg md/new/* || atf_fail "not byte-exact"
	atf_check -s exit:69 -e match:'APPEND' ./cli append "$URL" \
	    --folder NoSuch <msg
	atf_check -s exit:64 -e match:'folder' ./cli append "$URL" <msg
}
append_cleanup()
{
	imapd_stop
}

atf_test_case incremental cleanup
incremental_head()
{
	atf_set "descr" "CONDSTORE/QRESYNC: a second run over 500 messages lists only the new one"
	atf_set "timeout" "120"
}
incremental_body()
{
	# In-memory indexes: NOMODSEQ, a full listing each time.
	imapd_start
	put 3
	./cli fetch "$URL" --maildir md0 --state st0 -v >out 2>err ||
	    atf_fail "fetch: $? $(cat err)"
	grep -q 'NOMODSEQ' err || atf_fail "not NOMODSEQ: $(cat err)"
	grep -q '^M ' st0 && atf_fail "a point without MODSEQs"
	imapd_stop
	rm -rf orig md0
	IMAPD_INDEX= imapd_start
	put 500
	./cli fetch "$URL" --maildir md --state st -v >out 2>err ||
	    atf_fail "fetch: $? $(cat err)"
	grep -q 'INBOX: 500 UIDs listed (all)' err || atf_fail "first: $(cat err)"
	grep -q '^M INBOX ' st ||
	    atf_fail "no CONDSTORE point: $(tail -1 st | tr '\n' ' ') $(tr '\n' ' ' <err)"
	put 1 600
	./cli fetch "$URL" --maildir md --state st -v >out 2>err ||
	    atf_fail "second: $? $(cat err)"
	grep -q '1 message fetched' out || atf_fail "second: $(cat out)"
	grep -q 'INBOX: 1 UIDs listed (QRESYNC)' err ||
	    atf_fail "second listed more: $(cat err)"
	grep -q 'UID FETCH 501:\*' err || atf_fail "not from UIDNEXT: $(cat err)"
	grep -q 'UID FETCH 1:\*' err && atf_fail "a full listing: $(cat err)"
	once md 501
	# Nothing new: nothing listed at all.
	./cli fetch "$URL" --maildir md --state st -v >out 2>err ||
	    atf_fail "third: $? $(cat err)"
	grep -q 'nothing to list' err || atf_fail "third: $(cat err)"
	grep -q 'UID FETCH' err && atf_fail "third listed: $(cat err)"
	# An expunge comes back as VANISHED (EARLIER): the entry goes.
	rm "$MD"/cur/1700000000.M7P* "$MD"/new/1700000000.M7P* 2>/dev/null
	put 1 700
	./cli fetch "$URL" --maildir md --state st -v >out 2>err ||
	    atf_fail "fourth: $? $(cat err)"
	grep -q '1 message fetched' out || atf_fail "fourth: $(cat out)"
	grep -q '<0007@test>' st && atf_fail "the expunged one stays in st"
	once md 502
	# Without CONDSTORE (a state without a point): a full listing.
	grep -v '^M ' st >st2
	./cli fetch "$URL" --maildir md --state st2 -v >out 2>err ||
	    atf_fail "fifth: $? $(cat err)"
	grep -q 'INBOX: 501 UIDs listed (all)' err || atf_fail "fifth: $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "fifth: $(cat out)"
}
incremental_cleanup()
{
	imapd_stop
}

atf_test_case idle cleanup
idle_head()
{
	atf_set "descr" "idle: exit 0 when mail arrives, 75 on timeout"
	atf_set "timeout" "60"
}
idle_body()
{
	imapd_start
	put 1
	atf_check -s exit:75 -e match:'no new mail' ./cli idle "$URL" \
	    --timeout 2
	./cli idle "$URL" --timeout 30 2>err &
	pid=$!
	sleep 1.5
	put 1 50
	wait $pid
	rc=$?
	[ $rc = 0 ] || atf_fail "idle: $rc $(cat err)"
}
idle_cleanup()
{
	imapd_stop
}

atf_test_case serve cleanup
serve_head()
{
	atf_set "descr" "list and fetch against mimap serve --listen (STARTTLS, LOGIN)"
	atf_set "timeout" "60"
}
serve_body()
{
	M=$(yubin_prog mimap)
	mkdir -p smd/new smd/cur smd/tmp smd/.Sent/new smd/.Sent/cur \
	    smd/.Sent/tmp
	: >smd/.Sent/maildirfolder
	printf 'From: a@example.org\nMessage-ID: <s1@test>\n\none\n' \
	    >smd/new/1000.M1P1.test
	printf 'From: b@example.org\nMessage-ID: <s2@test>\n\ntwo\r\n' \
	    >'smd/cur/1001.M2P2.test:2,S'
	cp smd/new/1000.M1P1.test s1
	# Delivered with LF line ends, as every Maildir message here.
	tr -d '\r' <'smd/cur/1001.M2P2.test:2,S' >s2
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	ids=:
	if [ "$(id -u)" = 0 ]; then
		ids="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$ids" smd
	fi
	printf 'alice:%s:%s:%s/smd\n' "$hash" "$ids" "$PWD" >passwd
	make_certs certs
	PORT=$(free_port)
	"$M" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --auth-delay 0 --passwd-file passwd --tls-cert certs/server.pem \
	    --tls-key certs/server.key 2>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
	u="imap://alice@127.0.0.1:$PORT"
	"$M" list --passwordeval 'echo s3cret' --tls-trust-file certs/ca.pem \
	    "$u" >out 2>err || atf_fail "list: $? $(cat err)"
	grep -q '^INBOX	2	1	-$' out || atf_fail "list: $(cat out)"
	grep -q '^Sent	0	0	' out || atf_fail "list: $(cat out)"
	"$M" fetch --passwordeval 'echo s3cret' --tls-trust-file \
	    certs/ca.pem --maildir md --state st "$u" >out 2>err ||
	    atf_fail "fetch: $? $(cat err)"
	grep -q '2 messages fetched' out || atf_fail "fetch: $(cat out)"
	for f in s1 s2; do
		found=
		for g in md/new/*; do
			cmp -s "$f" "$g" && found=1
		done
		[ -n "$found" ] || atf_fail "$f not byte-exact"
	done
	"$M" fetch --passwordeval 'echo s3cret' --tls-trust-file \
	    certs/ca.pem --maildir md --state st "$u" >out 2>err ||
	    atf_fail "fetch again: $? $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "again: $(cat out)"
}
serve_cleanup()
{
	stop_pidfile mimap.pid
}

atf_test_case serve_incremental cleanup
serve_incremental_head()
{
	atf_set "descr" "against mimap serve: a second run over 500 messages lists only the new one"
	atf_set "timeout" "120"
}
serve_incremental_body()
{
	M=$(yubin_prog mimap)
	mkdir -p smd/new smd/cur smd/tmp
	i=1
	while [ $i -le 500 ]; do
		printf 'From: a@example.org\nMessage-ID: <%d@s>\n\nbody %d\n' \
		    $i $i >smd/new/1000.M${i}P1.test
		i=$((i + 1))
	done
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	ids=:
	if [ "$(id -u)" = 0 ]; then
		ids="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$ids" smd
	fi
	printf 'alice:%s:%s:%s/smd\n' "$hash" "$ids" "$PWD" >passwd
	make_certs certs
	PORT=$(free_port)
	"$M" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --auth-delay 0 --passwd-file passwd --tls-cert certs/server.pem \
	    --tls-key certs/server.key 2>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
	u="imap://alice@127.0.0.1:$PORT"
	set -- --passwordeval 'echo s3cret' --tls-trust-file certs/ca.pem \
	    --maildir md --state st -v "$u"
	"$M" fetch "$@" >out 2>err || atf_fail "fetch: $? $(cat err)"
	grep -q 'INBOX: 500 UIDs listed (all)' err || atf_fail "first: $(cat err)"
	grep -q '^M INBOX ' st || atf_fail "no point: $(grep HIGHEST err)"
	printf 'From: a@example.org\nMessage-ID: <new@s>\n\nnew\n' >new
	cp new smd/new/2000.M1P1.test
	[ "$ids" != : ] && chown "$ids" smd/new/2000.M1P1.test
	"$M" fetch "$@" >out 2>err || atf_fail "second: $? $(cat err)"
	grep -q '1 message fetched' out || atf_fail "second: $(cat out)"
	grep -Eq 'INBOX: 1 UIDs listed \((QRESYNC|CONDSTORE)\)' err ||
	    atf_fail "second listed more: $(cat err)"
	found=
	for g in md/new/*; do
		cmp -s new "$g" && found=1
	done
	[ -n "$found" ] || atf_fail "the new one not byte-exact"
	"$M" fetch "$@" >out 2>err || atf_fail "third: $? $(cat err)"
	grep -q 'nothing to list' err || atf_fail "third: $(cat err)"
}
serve_incremental_cleanup()
{
	stop_pidfile mimap.pid
}

# wait_files DIR N SECONDS: until DIR's new/ and cur/ hold N files.
wait_files()
{
	i=0
	while [ "$(nmd "$1")" != "$2" ] && [ $i -lt $(($3 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(nmd "$1")" = "$2" ]
}

# serve_start: mimap serve --listen on $PORT (set, or a free one) over
# ./smd for alice / s3cret.
serve_start()
{
	M=$(yubin_prog mimap)
	if [ ! -f passwd ]; then
		mkdir -p smd/new smd/cur smd/tmp
		hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
		    atf_fail "openssl cannot make a hash"
		ids=:
		if [ "$(id -u)" = 0 ]; then
			ids="$(id -u nobody):$(id -g nobody)" ||
			    atf_skip "running as root and there is no user nobody"
			chmod 755 .
			chown -R "$ids" smd
		fi
		printf 'alice:%s:%s:%s/smd\n' "$hash" "$ids" "$PWD" >passwd
		make_certs certs
		PORT=$(free_port)
	fi
	"$M" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --auth-delay 0 --passwd-file passwd --tls-cert certs/server.pem \
	    --tls-key certs/server.key 2>>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
}

# descendants PID: the PIDs of PID's children, theirs, and so on.
descendants()
{
	for k in $(ps -o pid= --ppid "$1"); do
		echo "$k"
		descendants "$k"
	done
}

# deliver N: message N into ./smd with mdeliver.
deliver()
{
	printf 'From: a@example.org\nMessage-ID: <d%s@test>\n\nbody %s\n' \
	    "$1" "$1" | "$(yubin_prog mdeliver)" -f a@example.org \
	    --maildir smd || atf_fail "mdeliver: $?"
}

atf_test_case idle_fetch cleanup
idle_fetch_head()
{
	atf_set "descr" "fetch --idle against mimap serve: mail lands within 2 s, a server restart is survived, SIGTERM ends it"
	atf_set "timeout" "90"
}
idle_fetch_body()
{
	serve_start
	deliver 1
	"$M" fetch --passwordeval 'echo s3cret' --tls-trust-file certs/ca.pem \
	    --maildir md --state st --idle -v \
	    "imap://alice@127.0.0.1:$PORT" >out 2>err &
	echo $! >fetch.pid
	wait_files md 1 10 || atf_fail "first pass: $(cat err)"
	sleep 0.5
	deliver 2
	wait_files md 2 2 || atf_fail "not within 2 s: $(cat err)"
	# The server goes away, its sessions too (each is a child of the
	# listener, a privilege-separated pair); mail comes meanwhile; it
	# comes back.
	kids=$(descendants "$(cat mimap.pid)")
	stop_pidfile mimap.pid
	[ -n "$kids" ] && kill -9 $kids 2>/dev/null
	deliver 3
	sleep 1
	serve_start
	wait_files md 3 15 || atf_fail "no reconnection: $(cat err)"
	grep -q "again in" err ||
	    atf_fail "no backoff said: $(grep -v '^mimap: [<>]' err)"
	deliver 4
	wait_files md 4 3 || atf_fail "after the reconnection: $(cat err)"
	pid=$(cat fetch.pid)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	rm -f fetch.pid
	[ $rc = 0 ] || atf_fail "SIGTERM: exit $rc $(cat err)"
	grep -q '4 messages fetched' out || atf_fail "summary: $(cat out)"
	grep -q '^P ' st && atf_fail "a pending entry left: $(cat st)"
	[ "$(grep -c '^F ' st)" = 4 ] || atf_fail "state: $(cat st)"
	once md 4
}
idle_fetch_cleanup()
{
	stop_pidfile fetch.pid
	stop_pidfile mimap.pid
}

atf_test_case idle_fetch_notify cleanup
idle_fetch_notify_head()
{
	atf_set "descr" "fetch --idle of two folders against mimap serve: NOTIFY brings mail for the other folder within 3 s (the STATUS poll would take 30 s)"
	atf_set "timeout" "60"
}
idle_fetch_notify_body()
{
	serve_start
	mkdir -p smd/.Sent/new smd/.Sent/cur smd/.Sent/tmp
	: >smd/.Sent/maildirfolder
	[ "$(id -u)" = 0 ] && chown -R "$ids" smd
	deliver 1
	"$M" fetch --passwordeval 'echo s3cret' --tls-trust-file certs/ca.pem \
	    --maildir md --state st --idle --folder INBOX --folder Sent -v \
	    "imap://alice@127.0.0.1:$PORT" >out 2>err &
	echo $! >fetch.pid
	wait_files md 1 10 || atf_fail "first pass: $(cat err)"
	sleep 0.5
	printf 'From: a@example.org\nMessage-ID: <sent1@test>\n\nsent\n' |
	    "$(yubin_prog mdeliver)" -f a@example.org --maildir smd/.Sent ||
	    atf_fail "mdeliver: $?"
	wait_files md 2 3 ||
	    atf_fail "Sent not within 3 s: $(grep -v '^mimap: <' err | tail)"
	deliver 2
	wait_files md 3 3 || atf_fail "INBOX not within 3 s: $(tail err)"
	grep -q 'NOTIFY on' err || atf_fail "no NOTIFY: $(grep NOTIFY err)"
	pid=$(cat fetch.pid)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	rm -f fetch.pid
	[ $rc = 0 ] || atf_fail "SIGTERM: exit $rc $(cat err)"
	once md 3
}
idle_fetch_notify_cleanup()
{
	stop_pidfile fetch.pid
	stop_pidfile mimap.pid
}

atf_test_case idle_fetch_dovecot cleanup
idle_fetch_dovecot_head()
{
	atf_set "descr" "fetch --idle against Dovecot, two folders (IDLE on INBOX, STATUS on the other)"
	atf_set "timeout" "90"
}
idle_fetch_dovecot_body()
{
	imapd_start
	put 1
	./cli fetch "$URL" --maildir md --state st --idle --poll 1 \
	    --folder INBOX --folder Sent -v >out 2>err &
	echo $! >fetch.pid
	wait_files md 1 10 || atf_fail "first pass: $(cat err)"
	sleep 0.5
	put 1 2
	wait_files md 2 3 || atf_fail "INBOX not within 3 s: $(cat err)"
	put 1 3 "$MD/.Sent"
	wait_files md 3 5 ||
	    atf_fail "Sent not within 5 s: $(grep -v '^mimap: <' err | tail -12)"
	pid=$(cat fetch.pid)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	rm -f fetch.pid
	[ $rc = 0 ] || atf_fail "SIGTERM: exit $rc $(cat err)"
	once md 3
	# Dovecot offers NOTIFY (RFC 5465): it was set for the wait (and
	# Sent came by the STATUS poll: Dovecot 2.3 takes NOTIFY SET but
	# tells nothing of other folders here).
	grep -q 'NOTIFY on' err || atf_fail "no NOTIFY: $(grep NOTIFY err)"
}
idle_fetch_dovecot_cleanup()
{
	stop_pidfile fetch.pid
	imapd_stop
}

atf_test_case batch_edges cleanup
batch_edges_head()
{
	atf_set "descr" "a batch of UID FETCH answers out of order, UID after the body, one message gone meanwhile; a body nobody asked for fails cleanly"
	atf_set "timeout" "60"
}
# ipeer_start [OPTIONS]: tests/lib/imap_peer.py serving ./peer (a
# message per file named by its UID); URL is its address.
ipeer_start()
{
	rm -f ipeer.port
	python3 "$YUBIN_SRCDIR/tests/lib/imap_peer.py" --port-file ipeer.port \
	    --dir peer --log ipeer.log "$@" >ipeer.out 2>&1 &
	echo $! >ipeer.pid
	i=0
	while [ ! -s ipeer.port ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s ipeer.port ] || atf_fail "imap_peer: $(cat ipeer.out)"
	URL="imap://alice@127.0.0.1:$(cat ipeer.port)"
}
batch_edges_body()
{
	M=$(yubin_prog mimap)
	mkdir peer
	for i in 1 2 3 4 5; do
		printf 'From: a@example.org\nMessage-ID: <m%s@test>\n\nbody %s\n' \
		    $i $i >peer/$i
	done
	ipeer_start --gone 3 --uid-last --reverse
	"$M" fetch --passwordeval 'echo x' --tls=off --maildir md --state st \
	    "$URL" >out 2>err || atf_fail "fetch: $? $(cat err)"
	grep -q '4 messages fetched' out || atf_fail "fetch: $(cat out)"
	[ "$(grep -c 'UID FETCH .*BODY.PEEK\[\])' ipeer.log)" = 1 ] ||
	    atf_fail "not one UID FETCH for the batch: $(cat ipeer.log)"
	# Each body in the file of its own UID, byte-exact.
	for i in 1 2 4 5; do
		f=$(grep -l "^Message-ID: <m$i@test>" md/new/*) ||
		    atf_fail "message $i missing"
		cmp -s "$f" peer/$i || atf_fail "message $i is not byte-exact"
		grep -q "^F INBOX 7 $i .*<m$i@test>" st ||
		    atf_fail "no state for $i: $(cat st)"
	done
	grep -q '<m3@test>' st && atf_fail "the gone message is in the state"
	"$M" fetch --passwordeval 'echo x' --tls=off --maildir md --state st \
	    "$URL" >out 2>err || atf_fail "again: $? $(cat err)"
	grep -q '0 messages fetched' out || atf_fail "again: $(cat out)"
	stop_pidfile ipeer.pid
	# Back again: fetched now, once.
	ipeer_start
	"$M" fetch --passwordeval 'echo x' --tls=off --maildir md --state st \
	    "$URL" >out 2>err || atf_fail "third: $? $(cat err)"
	grep -q '1 message fetched' out || atf_fail "third: $(cat out)"
	once md 5
	stop_pidfile ipeer.pid
	# A body for a UID that was not asked: a protocol error (76), and
	# nothing of the batch in the Maildir, nothing left in tmp/.
	printf 'Message-ID: <m6@test>\n\nsix\n' >peer/6
	ipeer_start --extra 2
	"$M" fetch --passwordeval 'echo x' --tls=off --maildir md --state st \
	    "$URL" >out 2>err
	rc=$?
	[ $rc = 76 ] || atf_fail "extra body: exit $rc, $(cat err)"
	grep -q 'more bodies than\|not asked for\|two bodies' err ||
	    atf_fail "extra body: $(cat err)"
	once md 5
	[ -z "$(ls md/tmp)" ] || atf_fail "left in tmp/: $(ls md/tmp)"
}
batch_edges_cleanup()
{
	stop_pidfile ipeer.pid
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "the command line: URLs, options, --help"
}
usage_body()
{
	M=$(yubin_prog mimap)
	atf_check -o match:'mimap fetch' "$M" --help
	for c in list fetch append idle; do
		atf_check -o match:"^usage: mimap $c" -e empty "$M" $c --help
		atf_check -s exit:64 -o empty -e match:'^mimap: ' "$M" $c \
		    --no-such-option
	done
	atf_check -o match:'--mark-seen' "$M" fetch --help
	atf_check -s exit:64 -e match:'not an imap' "$M" list pop3://x
	atf_check -s exit:64 -e match:'password in the URL' "$M" list \
	    imap://a:b@x
	atf_check -s exit:64 -e match:'one of --maildir' "$M" fetch imap://a@x
	atf_check -s exit:64 -e match:'contradict' "$M" list --tls=off \
	    imaps://a@x
	atf_check -s exit:64 -e match:'not an option of list' "$M" list \
	    --delete imap://a@x
	atf_check -s exit:75 -e match:'127.0.0.1' "$M" list \
	    --passwordeval 'echo x' "imap://a@127.0.0.1:$(free_port)"
}

atf_init_test_cases()
{
	atf_add_test_case list
	atf_add_test_case fetch
	atf_add_test_case incremental
	atf_add_test_case uidvalidity
	atf_add_test_case crash
	atf_add_test_case crash_delete
	atf_add_test_case batch_edges
	atf_add_test_case folders
	atf_add_test_case all_folders
	atf_add_test_case mda_failure
	atf_add_test_case append
	atf_add_test_case idle
	atf_add_test_case serve
	atf_add_test_case serve_incremental
	atf_add_test_case idle_fetch
	atf_add_test_case idle_fetch_notify
	atf_add_test_case idle_fetch_dovecot
	atf_add_test_case usage
}
