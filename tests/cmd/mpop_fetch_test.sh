# mpop_fetch_test: `mpop fetch' against a scriptable POP3 peer
# (tests/lib/pop3_peer.py: plain, STLS, pop3s, error injection), against
# Dovecot's POP3 server (tests/lib/dovecot.sh) and against `mpop serve'.

LC_ALL=C
export LC_ALL

pybin()
{
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else
		command -v python3; fi
}

# peer_start [OPTIONS]: the peer serving ./drop; URL is its address.
# ./fetch runs mpop fetch with the test password and ./state.
peer_start()
{
	mkdir -p drop
	rm -f peer.port
	"$(pybin)" "$YUBIN_SRCDIR/tests/lib/pop3_peer.py" --port-file \
	    peer.port --dir drop --log peer.log --lifetime 120 "$@" \
	    >peer.out 2>&1 &
	echo $! >peer.pid
	i=0
	while [ ! -s peer.port ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s peer.port ] || atf_fail "the POP3 peer did not start: $(cat peer.out)"
	PORT=$(cat peer.port)
	URL="pop3://alice@127.0.0.1:$PORT"
	cat >fetch <<EOF
#! /bin/sh
exec "$(yubin_prog mpop)" fetch --passwordeval 'echo secret' \
    --state "$PWD/state" --timeout 20 -q "\$@"
EOF
	chmod +x fetch
}

peer_stop()
{
	stop_pidfile peer.pid
}

# mkmsgs N [FIRST]: messages drop/u0001... with a Message-ID each.
mkmsgs()
{
	mkdir -p drop
	i=${2:-1}
	end=$((i + $1))
	while [ $i -lt $end ]; do
		n=$(printf '%04d' $i)
		printf 'From: a@example.org\nMessage-ID: <%s@test>\nSubject: %s\n\nbody %s\n' \
		    $n $n $n >drop/u$n
		i=$((i + 1))
	done
}

# nmd DIR: messages in the Maildir (new and cur).
nmd()
{
	find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l | tr -d ' '
}

# expect_n DIR N: the Maildir holds N messages.
expect_n()
{
	[ "$(nmd "$1")" = "$2" ] || atf_fail "$1 holds $(nmd "$1") messages, not $2"
}

# once DIR N: messages 1..N each exactly once in the Maildir.
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

atf_test_case plain cleanup
plain_head()
{
	atf_set descr "fetch without TLS into a Maildir; a second run fetches nothing"
}
plain_body()
{
	mkmsgs 3
	peer_start
	atf_check ./fetch --tls=off --maildir md "$URL"
	expect_n md 3
	once md 3
	for f in md/new/*; do
		n=$(sed -n 's/^Message-ID: <\(....\)@test>/\1/p' "$f")
		atf_check cmp drop/u$n "$f"
	done
	atf_check -o match:'^yubin-mpop-state 1$' -o match:'^F u0003$' cat state
	atf_check ./fetch --tls=off --maildir md "$URL"
	expect_n md 3
	# Kept on the server (no --delete), and the password was never
	# on the wire in the clear log.
	atf_check -o inline:'3\n' sh -c 'ls drop | wc -l | tr -d " "'
	atf_check -s exit:1 grep -q secret peer.log
	# Without -q: a summary line.
	atf_check -o match:"^pop3://127.0.0.1:$PORT: 0 messages fetched" \
	    "$(yubin_prog mpop)" fetch --passwordeval 'echo secret' \
	    --state state --tls=off --maildir md "$URL"
}
plain_cleanup() { peer_stop; }

atf_test_case byte_exact cleanup
byte_exact_head()
{
	atf_set descr "dot lines, CRLF, 8-bit, bare CR, long lines, no final newline"
}
byte_exact_body()
{
	mkdir drop
	{
		printf 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n'
		printf '.\r\n. \r\nafter a lone dot\r\n'
		printf 'caf\303\251 \377\200 8-bit\r\nbare\rCR\r\n'
		"$(pybin)" -c 'print("x" * 5000, end="\r\n")'
		printf 'no final newline'
	} >drop/a
	printf '.first line is a dot line\n' >drop/b
	printf '' >drop/c
	peer_start
	atf_check ./fetch --tls=off --maildir md "$URL"
	# On disk: LF line ends; a message always ends with one (POP3 has
	# no way to say it did not), and an empty one is an empty line.
	{ sed 's/\r$//' drop/a; echo; } >expect.a
	printf '.first line is a dot line\n' >expect.b
	printf '\n' >expect.c
	for m in a b c; do
		atf_check -o inline:"$m\n" sh -c \
		    "for f in md/new/*; do cmp -s expect.$m \$f && echo $m; done; true"
	done
	# The bare CR stayed a CR.
	atf_check -o match:'bare.CR' sh -c 'cat md/new/* | tr "\r" .'
}
byte_exact_cleanup() { peer_stop; }

atf_test_case stls cleanup
stls_head()
{
	atf_set descr "pop3:// upgrades with STLS and checks the certificate"
}
stls_body()
{
	make_certs certs
	mkmsgs 2
	peer_start --stls --cert certs/server.pem --key certs/server.key
	atf_check ./fetch --tls-trust-file certs/ca.pem --maildir md "$URL"
	expect_n md 2
	atf_check -o match:'^STLS$' -o match:'^TLS AUTH' -o match:'^TLS RETR 2' \
	    -o not-match:'^AUTH' cat peer.log
}
stls_cleanup() { peer_stop; }

atf_test_case pop3s cleanup
pop3s_head()
{
	atf_set descr "pop3s:// is TLS from the first byte, by name and by address"
}
pop3s_body()
{
	make_certs certs
	mkmsgs 2
	peer_start --tls-on-connect --cert certs/server.pem \
	    --key certs/server.key
	atf_check ./fetch --tls-trust-file certs/ca.pem --maildir md \
	    "pop3s://alice@localhost:$PORT"
	expect_n md 2
	rm -f state
	atf_check ./fetch --tls-trust-file certs/ca.pem --maildir md2 \
	    "pop3s://alice@127.0.0.1:$PORT"
	expect_n md2 2
	atf_check -s exit:64 -e match:'contradict' ./fetch --tls=off \
	    --maildir md "pop3s://alice@127.0.0.1:$PORT"
}
pop3s_cleanup() { peer_stop; }

atf_test_case wrong_ca cleanup
wrong_ca_head()
{
	atf_set descr "a certificate from another CA is refused before login"
}
wrong_ca_body()
{
	make_certs certs
	mkmsgs 1
	peer_start --stls --cert certs/server.pem --key certs/server.key
	atf_check -s exit:69 \
	    -e match:"^mpop: pop3://127.0.0.1:$PORT: TLS certificate not trusted" \
	    ./fetch --tls-trust-file certs/other.pem --maildir md "$URL"
	expect_n md 0
	atf_check -o not-match:'AUTH' -o not-match:'PASS' cat peer.log
	# The system store does not know the test CA either.
	atf_check -s exit:69 -e match:'not trusted' \
	    ./fetch --maildir md "$URL"
	atf_check -s exit:78 -e match:'tls-trust-file' \
	    ./fetch --tls-trust-file /nonexistent --maildir md "$URL"
}
wrong_ca_cleanup() { peer_stop; }

atf_test_case stls_missing cleanup
stls_missing_head()
{
	atf_set descr "no STLS offered: refused unless --tls=off"
}
stls_missing_body()
{
	mkmsgs 1
	peer_start
	atf_check -s exit:69 -e match:'does not offer STLS.*--tls=off' \
	    ./fetch --maildir md "$URL"
	atf_check -o not-match:'AUTH' -o not-match:'USER' cat peer.log
	expect_n md 0
	atf_check ./fetch --tls=off --maildir md "$URL"
	expect_n md 1
	atf_check -s exit:64 -e match:'starttls or off' \
	    ./fetch --tls=maybe --maildir md "$URL"
}
stls_missing_cleanup() { peer_stop; }

atf_test_case auth_refused cleanup
auth_refused_head()
{
	atf_set descr "a refused login exits 77 ([IN-USE]: 75); no secret in errors"
}
auth_refused_body()
{
	mkmsgs 1
	peer_start --password other
	atf_check -s exit:77 -e match:'authentication refused' \
	    -e not-match:secret ./fetch --tls=off --maildir md "$URL"
	expect_n md 0
	peer_stop
	peer_start --auth-fail '[IN-USE] maildrop locked'
	atf_check -s exit:75 -e match:'login refused for now.*IN-USE' \
	    ./fetch --tls=off --maildir md "$URL"
}
auth_refused_cleanup() { peer_stop; }

atf_test_case password_sources cleanup
password_sources_head()
{
	atf_set descr "password from ~/.netrc ($NETRC), refused while others \
can read it; a failing passwordeval is a config error"
}
password_sources_body()
{
	mkmsgs 1
	peer_start
	printf 'machine other login alice password wrong\nmachine 127.0.0.1 login alice password secret\n' >netrc
	# A netrc others can read is refused as a configuration error.
	chmod 644 netrc
	atf_check -s exit:78 \
	    -e match:"netrc: mode 0644 gives group or others access to passwords; chmod 600 $PWD/netrc\$" \
	    env NETRC="$PWD/netrc" "$(yubin_prog mpop)" fetch -q \
	    --state state --tls=off --maildir md "$URL" </dev/null
	chmod 600 netrc
	atf_check env NETRC="$PWD/netrc" "$(yubin_prog mpop)" fetch -q \
	    --state state --tls=off --maildir md "$URL" </dev/null
	expect_n md 1
	mkdir home
	printf 'default login alice password secret\n' >home/.netrc
	chmod 600 home/.netrc
	atf_check env HOME="$PWD/home" "$(yubin_prog mpop)" fetch -q \
	    --tls=off --maildir md3 --user alice "pop3://127.0.0.1:$PORT" \
	    </dev/null
	expect_n md3 1
	# The default state file is under $HOME.
	atf_check test -s "home/.local/state/yubin/mpop/alice@127.0.0.1:$PORT"
	atf_check -s exit:78 -e match:'passwordeval: the command exited with 3' \
	    "$(yubin_prog mpop)" fetch --passwordeval 'exit 3' --state st2 \
	    --tls=off --maildir md2 "$URL"
	atf_check -s exit:64 -e match:'password in the URL' \
	    "$(yubin_prog mpop)" fetch --maildir md2 \
	    "pop3://alice:secret@127.0.0.1:$PORT"
}
password_sources_cleanup() { peer_stop; }

atf_test_case dropped cleanup
dropped_head()
{
	atf_set descr "a connection dropped mid-RETR: 75, nothing partial, nothing twice"
}
dropped_body()
{
	mkmsgs 5
	peer_start --drop-retr 3
	atf_check -s exit:75 -e match:'RETR 3' \
	    ./fetch --tls=off --maildir md "$URL"
	# The two before were delivered; the third was not, not even part.
	expect_n md 2
	atf_check -o inline:'0\n' sh -c 'ls md/tmp | wc -l | tr -d " "'
	atf_check ./fetch --tls=off --delete --maildir md "$URL"
	once md 5
	atf_check -o inline:'0\n' sh -c 'ls drop | wc -l | tr -d " "'
}
dropped_cleanup() { peer_stop; }

atf_test_case err_dele cleanup
err_dele_head()
{
	atf_set descr "-ERR on DELE: the message stays, is not fetched again, is deleted later"
}
err_dele_body()
{
	mkmsgs 4
	peer_start --err-dele u0002
	atf_check -s exit:76 -e match:'DELE: -ERR' \
	    -e match:'u0002 stays on the server' \
	    ./fetch --tls=off --delete --maildir md "$URL"
	once md 4
	atf_check -o inline:'u0002\n' ls drop
	peer_stop
	peer_start
	atf_check ./fetch --tls=off --delete --maildir md "$URL"
	once md 4
	atf_check -o inline:'' ls drop
	# The next run prunes the state.
	atf_check ./fetch --tls=off --maildir md "$URL"
	atf_check -o inline:'yubin-mpop-state 1\n' cat state
}
err_dele_cleanup() { peer_stop; }

atf_test_case err_retr cleanup
err_retr_head()
{
	atf_set descr "-ERR on RETR of one message: the others are fetched"
}
err_retr_body()
{
	mkmsgs 4
	peer_start --err-retr u0002
	atf_check -s exit:76 -e match:'RETR 2: -ERR' \
	    ./fetch --tls=off --delete --maildir md "$URL"
	expect_n md 3
	atf_check -o inline:'u0002\n' ls drop
}
err_retr_cleanup() { peer_stop; }

atf_test_case no_uidl cleanup
no_uidl_head()
{
	atf_set descr "a server without UIDL is refused (69)"
}
no_uidl_body()
{
	mkmsgs 1
	peer_start --no-uidl
	atf_check -s exit:69 -e match:'does not support UIDL' \
	    ./fetch --tls=off --maildir md "$URL"
}
no_uidl_cleanup() { peer_stop; }

atf_test_case limit_all cleanup
limit_all_head()
{
	atf_set descr "--limit N per run; --all fetches again what was fetched"
}
limit_all_body()
{
	mkmsgs 5
	peer_start
	atf_check ./fetch --tls=off --limit 2 --maildir md "$URL"
	expect_n md 2
	once md 2
	atf_check ./fetch --tls=off --limit 2 --maildir md "$URL"
	once md 4
	atf_check ./fetch --tls=off --limit 2 --maildir md "$URL"
	once md 5
	atf_check ./fetch --tls=off --all --maildir md2 "$URL"
	once md2 5
	atf_check ./fetch --tls=off --all --limit 1 --maildir md3 "$URL"
	expect_n md3 1
	atf_check -s exit:64 -e ignore ./fetch --tls=off --limit 0 \
	    --maildir md3 "$URL"
}
limit_all_cleanup() { peer_stop; }

atf_test_case max_size cleanup
max_size_head()
{
	atf_set descr "a message over --max-size stays on the server, the rest come"
}
max_size_body()
{
	mkmsgs 2
	"$(pybin)" -c 'print("Subject: big\n\n" + "y" * 4000)' >drop/u0003
	peer_start
	atf_check -s exit:69 -e match:'u0003: .* larger than --max-size' \
	    ./fetch --tls=off --delete --max-size 1000 --maildir md "$URL"
	once md 2
	atf_check -o inline:'u0003\n' ls drop
}
max_size_cleanup() { peer_stop; }

# An MDA that records argv and stdin and exits with ./mda.rc (0).
mkmda()
{
	mkdir -p out
	cat >mda.sh <<EOF
#!/bin/sh
n=\$\$
cat >"$PWD/out/msg.\$n"
printf '%s\n' "\$@" >"$PWD/out/args.\$n"
if [ -f "$PWD/mda.fail" ] && grep -q "\$(cat "$PWD/mda.fail")" "$PWD/out/msg.\$n"; then
	rm -f "$PWD/out/msg.\$n"; exit \$(cat "$PWD/mda.rc")
fi
exit 0
EOF
	chmod +x mda.sh
}

atf_test_case mda cleanup
mda_head()
{
	atf_set descr "--mda: argv without a shell, %F from Return-Path, message on stdin"
}
mda_body()
{
	mkmda
	mkdir drop
	printf 'Return-Path: <bounce+x@example.org>\nSubject: a\n\nbody\r\n' \
	    >drop/a
	printf 'Subject: b; rm -rf /\n\nbody\n' >drop/b
	peer_start
	atf_check ./fetch --tls=off --mda ./mda.sh -f %F 'two words' \; "$URL"
	atf_check -o inline:'2\n' sh -c 'ls out/msg.* | wc -l | tr -d " "'
	atf_check -o inline:'-f\nbounce+x@example.org\ntwo words\n' \
	    cat $(grep -l '^Subject: a' out/msg.* | sed 's/msg/args/')
	atf_check -o inline:'-f\n\ntwo words\n' \
	    cat $(grep -l '^Subject: b' out/msg.* | sed 's/msg/args/')
	printf 'Return-Path: <bounce+x@example.org>\nSubject: a\n\nbody\n' \
	    >expect
	atf_check cmp expect $(grep -l '^Subject: a' out/msg.*)
	# One word with spaces is split; the URL may come first.
	rm -rf out state
	mkmda
	atf_check ./fetch --tls=off "$URL" --mda './mda.sh -f %F'
	atf_check -o inline:'2\n' sh -c 'ls out/msg.* | wc -l | tr -d " "'
	atf_check -s exit:64 -e match:'one of --maildir' ./fetch "$URL"
}
mda_cleanup() { peer_stop; }

atf_test_case mda_failures cleanup
mda_failures_head()
{
	atf_set descr "MDA exit 75, a missing MDA or one killed by a signal \
stops the run (75); another failure keeps that message"
}
mda_failures_body()
{
	mkmda
	mkmsgs 4
	peer_start
	echo 75 >mda.rc
	echo '<0002@test>' >mda.fail
	atf_check -s exit:75 -e match:'u0002: .*exited with 75' \
	    ./fetch --tls=off --delete --mda ./mda.sh \; "$URL"
	# 1 delivered and deleted; 2 not; 3 and 4 not tried.
	atf_check -o inline:'1\n' sh -c 'ls out/msg.* | wc -l | tr -d " "'
	atf_check -o inline:'u0002\nu0003\nu0004\n' ls drop
	echo 1 >mda.rc
	atf_check -s exit:69 -e match:'u0002: .*exited with 1.*stays' \
	    ./fetch --tls=off --delete --mda ./mda.sh \; "$URL"
	atf_check -o inline:'3\n' sh -c 'ls out/msg.* | wc -l | tr -d " "'
	atf_check -o inline:'u0002\n' ls drop
	rm mda.fail
	atf_check ./fetch --tls=off --delete --mda ./mda.sh \; "$URL"
	atf_check -o inline:'4\n' sh -c 'ls out/msg.* | wc -l | tr -d " "'
	atf_check -o inline:'' ls drop
	mkmsgs 1 5
	atf_check -s exit:75 -e match:'nonexistent' \
	    ./fetch --tls=off --mda ./nonexistent \; "$URL"
	atf_check -o inline:'u0005\n' ls drop
	# Killed by a signal: a crash is not the message's fault (75).
	atf_check -s exit:75 -e match:'u0005: /bin/sh was killed by signal 9' \
	    ./fetch --tls=off --delete --mda /bin/sh -c 'kill -9 $$' \; "$URL"
	atf_check -o inline:'u0005\n' ls drop
}
mda_failures_cleanup() { peer_stop; }

atf_test_case state_file cleanup
state_file_head()
{
	atf_set descr "a damaged state file is a clear error; a torn last line is not"
}
state_file_body()
{
	mkmsgs 2
	peer_start
	printf 'hello\n' >state
	atf_check -s exit:78 -e match:'damaged state file: line 1: not a mpop state file' \
	    ./fetch --tls=off --maildir md "$URL"
	printf 'yubin-mpop-state 1\nF u0001\nQ x\n' >state
	atf_check -s exit:78 -e match:'state: damaged state file: line 3' \
	    ./fetch --tls=off --maildir md "$URL"
	expect_n md 0
	# A record cut short by a crash is dropped.
	printf 'yubin-mpop-state 1\nF u0001\nF u00' >state
	atf_check ./fetch --tls=off --maildir md "$URL"
	expect_n md 1
	once md 1
	# A pending record whose message made it into cur/ counts as
	# fetched; one whose message did not is fetched again.
	rm -rf md state
	mkdir -p md/new md/cur md/tmp
	cp drop/u0001 md/cur/123.M1P1Q1.host,S=10:2,S
	echo x >md/tmp/124.M1P1Q2.host
	printf 'yubin-mpop-state 1\nP u0001 123.M1P1Q1.host\nP u0002 124.M1P1Q2.host\n' >state
	atf_check ./fetch --tls=off --maildir md "$URL"
	once md 2
	atf_check -o inline:'0\n' sh -c 'ls md/tmp | wc -l | tr -d " "'
	# Two runs at once on one account: the second waits for later.
	"$(pybin)" -c 'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2],"w").close(); time.sleep(5)' \
	    state.lock locked &
	while [ ! -f locked ]; do sleep 0.05; done
	atf_check -s exit:75 -e match:'in use by another mpop fetch' \
	    ./fetch --tls=off --maildir md "$URL"
	kill %1 2>/dev/null || :
}
state_file_cleanup() { peer_stop; }

atf_test_case crash cleanup
crash_head()
{
	atf_set descr "kill -9 at random moments, then a clean run: every message exactly once"
	atf_set timeout 120
}
crash_body()
{
	mkmsgs 80
	peer_start --delay 0.01
	round=0
	while [ $round -lt 8 ]; do
		del=
		[ $((round % 2)) = 1 ] && del=--delete
		./fetch --tls=off $del --maildir md "$URL" >/dev/null 2>&1 &
		pid=$!
		sleep "0.$(( (round * 37 + $$) % 30 + 1))"
		kill -9 $pid 2>/dev/null || :
		wait $pid 2>/dev/null || :
		# Never twice, at any moment.
		dups=$(cat md/new/* md/cur/* 2>/dev/null |
		    grep '^Message-ID:' | sort | uniq -d)
		[ -z "$dups" ] || atf_fail "round $round: delivered twice: $dups"
		round=$((round + 1))
	done
	atf_check ./fetch --tls=off --delete --maildir md "$URL"
	once md 80
	atf_check -o inline:'' ls drop
}
crash_cleanup() { peer_stop; }

atf_test_case usage
usage_body()
{
	M=$(yubin_prog mpop)
	atf_check -o match:'^usage: mpop fetch' "$M" fetch --help
	atf_check -s exit:64 -e match:usage "$M" fetch
	atf_check -s exit:64 -e match:'not a pop3:// or pop3s:// URL' \
	    "$M" fetch --maildir md imap://a@b
	atf_check -s exit:64 -e match:'no user name' \
	    "$M" fetch --maildir md pop3://127.0.0.1:1
	atf_check -s exit:64 -e match:'no path or query' \
	    "$M" fetch --maildir md pop3://a@127.0.0.1:1/INBOX
	atf_check -s exit:64 -e match:'unexpected argument' \
	    "$M" fetch --maildir md pop3://a@127.0.0.1:1 extra
}

atf_test_case connect_refused
connect_refused_body()
{
	port=$(free_port)
	atf_check -s exit:75 -e match:"^mpop: pop3://127.0.0.1:$port: UIDL: " \
	    "$(yubin_prog mpop)" fetch --passwordeval 'echo x' --state st \
	    --tls=off --maildir md "pop3://a@127.0.0.1:$port"
}

atf_test_case progress cleanup
progress_head()
{
	atf_set descr "a progress line on a terminal, none with -q or off a terminal"
}
progress_body()
{
	peer_require script
	mkmsgs 3
	peer_start
	M=$(yubin_prog mpop)
	script -qec "$M fetch --passwordeval 'echo secret' --state st1 \
	    --tls=off --maildir md $URL" /dev/null </dev/null >tty.out
	atf_check -o match:'3/3 messages' -o match:'3 messages fetched' \
	    cat tty.out
	script -qec "$M fetch -q --passwordeval 'echo secret' --state st2 \
	    --tls=off --maildir md2 $URL" /dev/null </dev/null >tty.out
	atf_check -o empty cat tty.out
	atf_check -o match:'3 messages fetched' -e empty "$M" fetch \
	    --passwordeval 'echo secret' --state st3 --tls=off --maildir md3 \
	    "$URL"
}
progress_cleanup() { peer_stop; }

# ---------------------------------------------------------------- Dovecot

atf_test_case dovecot cleanup
dovecot_head()
{
	atf_set descr "fetch from Dovecot's POP3 server with STLS, --delete, byte-exact"
	atf_set timeout 120
}
dovecot_body()
{
	. "$YUBIN_SRCDIR/tests/lib/dovecot.sh"
	dovecot_start
	i=1
	while [ $i -le 20 ]; do
		printf 'From: a@example.org\nMessage-ID: <%04d@test>\nSubject: %d\n\n.dot\n..dots\ncaf\303\251\n' \
		    $i $i >"$DOVECOT_MAILDIR/new/$i.M1P1Q$i.test"
		i=$((i + 1))
	done
	cp "$DOVECOT_MAILDIR/new/1.M1P1Q1.test" one
	atf_check "$(yubin_prog mpop)" fetch -q --passwordeval 'echo secret' \
	    --state state --tls-trust-file "$DOVECOT_CA" --maildir md \
	    "pop3://alice@127.0.0.1:$DOVECOT_PORT"
	once md 20
	atf_check -o inline:'1\n' sh -c \
	    'for f in md/new/*; do cmp -s one $f && echo; done | wc -l | tr -d " "'
	atf_check "$(yubin_prog mpop)" fetch -q --passwordeval 'echo secret' \
	    --state state --tls-trust-file "$DOVECOT_CA" --maildir md --delete \
	    "pop3s://alice@127.0.0.1:$DOVECOT_PORT_S"
	once md 20
	atf_check -o inline:'0\n' sh -c \
	    "find '$DOVECOT_MAILDIR/new' '$DOVECOT_MAILDIR/cur' -type f | wc -l | tr -d ' '"
	atf_check -s exit:77 -e match:'authentication refused' \
	    "$(yubin_prog mpop)" fetch -q --passwordeval 'echo wrong' \
	    --state state --tls-trust-file "$DOVECOT_CA" --maildir md \
	    "pop3://alice@127.0.0.1:$DOVECOT_PORT"
}
dovecot_cleanup()
{
	. "$YUBIN_SRCDIR/tests/lib/dovecot.sh"
	dovecot_stop
}

# ---------------------------------------------------------------- mpop serve

atf_test_case mpop_serve cleanup
mpop_serve_head()
{
	atf_set descr "fetch from mpop serve --listen with STLS and --delete, byte-exact"
}
mpop_serve_body()
{
	M=$(yubin_prog mpop)
	make_certs certs
	mkdir -p served/new served/cur served/tmp
	printf 'From: a\nSubject: one\n\n.dot\n..dots\ncaf\303\251\n' \
	    >served/new/1000.M1P1.test
	printf 'From: b\r\n\r\ncrlf\r\nno final newline' \
	    >'served/cur/1001.M2P2.test:2,S'
	printf 'From: a\nSubject: one\n\n.dot\n..dots\ncaf\303\251\n' >expect.1
	printf 'From: b\n\ncrlf\nno final newline\n' >expect.2
	hash=$(openssl passwd -6 -salt saltsalt secret) ||
	    atf_fail "openssl cannot make a hash"
	ids=:
	if [ "$(id -u)" = 0 ]; then
		ids="$(id -u nobody):$(id -g nobody)" ||
		    atf_skip "running as root and there is no user nobody"
		chmod 755 .
		chown -R "$ids" served
	fi
	printf 'alice:%s:%s:%s/served\n' "$hash" "$ids" "$PWD" >passwd
	PORT=$(free_port)
	"$M" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --auth-delay 0 --passwd-file passwd --tls-cert certs/server.pem \
	    --tls-key certs/server.key 2>serve.log &
	echo $! >serve.pid
	wait_port "$PORT" || atf_fail "mpop serve did not listen: $(cat serve.log)"
	atf_check "$M" fetch -q --passwordeval 'echo secret' --state state \
	    --tls-trust-file certs/ca.pem --maildir md \
	    "pop3://alice@127.0.0.1:$PORT"
	expect_n md 2
	for m in 1 2; do
		atf_check -o inline:"$m\n" sh -c \
		    "for f in md/new/*; do cmp -s expect.$m \$f && echo $m; done; true"
	done
	# UIDLs are stable: nothing new the second time; then --delete.
	atf_check "$M" fetch -q --passwordeval 'echo secret' --state state \
	    --tls-trust-file certs/ca.pem --maildir md --delete \
	    "pop3://alice@127.0.0.1:$PORT"
	expect_n md 2
	atf_check -o inline:'0\n' sh -c \
	    'find served/new served/cur -type f | wc -l | tr -d " "'
	atf_check -s exit:77 -e match:'authentication refused' \
	    "$M" fetch -q --passwordeval 'echo wrong' --state state \
	    --tls-trust-file certs/ca.pem --maildir md \
	    "pop3://alice@127.0.0.1:$PORT"
}
mpop_serve_cleanup()
{
	stop_pidfile serve.pid
}

atf_init_test_cases()
{
	atf_add_test_case plain
	atf_add_test_case byte_exact
	atf_add_test_case stls
	atf_add_test_case pop3s
	atf_add_test_case wrong_ca
	atf_add_test_case stls_missing
	atf_add_test_case auth_refused
	atf_add_test_case password_sources
	atf_add_test_case dropped
	atf_add_test_case err_dele
	atf_add_test_case err_retr
	atf_add_test_case no_uidl
	atf_add_test_case limit_all
	atf_add_test_case max_size
	atf_add_test_case mda
	atf_add_test_case mda_failures
	atf_add_test_case state_file
	atf_add_test_case crash
	atf_add_test_case progress
	atf_add_test_case usage
	atf_add_test_case connect_refused
	atf_add_test_case dovecot
	atf_add_test_case mpop_serve
}
