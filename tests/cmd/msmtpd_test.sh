# msmtpd_test: the SMTP server as inetd and clients run it.  Protocol
# cases feed msmtpd --inetd over a pipe and compare the replies byte for
# byte; the listener cases use Python's smtplib and swaks on 127.0.0.1.

MSMTPD=
setup()
{
	MSMTPD=$(yubin_prog msmtpd)
	# A delivery command that records what it got: argv, environment
	# and stdin, one set of files per run, and exits with the number
	# in ./exitcode (0 when missing).
	mkdir -p out
	cat >deliver.sh <<EOF
#!/bin/sh
n=\$\$
printf '%s\n' "\$@" >"$PWD/out/args.\$n"
env >"$PWD/out/env.\$n"
cat >"$PWD/out/msg.\$n"
[ -f "$PWD/exitcode" ] && exit \$(cat "$PWD/exitcode")
exit 0
EOF
	chmod +x deliver.sh
}

# inetd ARGS...: run a session with stdin from ./in, replies in ./out.txt.
inetd()
{
	"$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --auth-delay 0 "$@" <in >out.txt 2>log.txt
}

# expect: the replies must be exactly the printf format given.
expect()
{
	printf "$1" >expect.txt
	if ! cmp -s expect.txt out.txt; then
		echo "--- expected"; cat -A expect.txt
		echo "--- got"; cat -A out.txt
		echo "--- log"; cat log.txt
		atf_fail "replies differ"
	fi
}

# ndelivered: how many times the delivery command ran.
ndelivered()
{
	ls out | grep -c '^msg\.' || true
}

mkmd()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
	give_maildir "$1"
}

EHLO_REPLY='250-mx.test Hello client.test\r\n250-PIPELINING\r\n250-SIZE %s\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-BINARYMIME\r\n'
GREET='220 mx.test ESMTP msmtpd\r\n'

atf_test_case session_basic
session_basic_head()
{
	atf_set descr "EHLO, MAIL, RCPT, DATA, QUIT: replies byte-exact, \
message byte-exact in a Maildir through mdeliver"
}
session_basic_body()
{
	setup
	mkmd md
	printf 'EHLO client.test\r\nMAIL FROM:<a@client.test> SIZE=60\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nSubject: t\r\n\r\n..leading dot\r\n..\r\nmid . line\r\n\t8bit \303\251\r\n\r\n.\r\nQUIT\r\n' >in
	inetd --maildir "$PWD/md"
	id=$(sed -n 's/.*id=\([0-9a-f]*\).*/\1/p' out.txt)
	expect "$GREET$(printf "$EHLO_REPLY" 67108864)\n250 HELP\r\n250 2.1.0 Sender <a@client.test> OK\r\n250 2.1.5 Recipient <u@mx.test> OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Message accepted for delivery id=$id\r\n221 2.0.0 mx.test closing connection\r\n"
	f=$(ls md/new/*) || atf_fail "nothing delivered"
	# Return-Path and Delivered-To (mdeliver), then our Received.
	sed -n 3,5p "$f" >recv
	atf_check -o match:"^Received: from client.test$" sed -n 1p recv
	atf_check -o match:"^	by mx.test \\(msmtpd\\) with ESMTP id $id$" \
	    sed -n 2p recv
	atf_check -o match:'^	for <u@mx.test>; [A-Z][a-z][a-z], [0-9]+ ' \
	    sed -n 3p recv
	sed 1,5d "$f" >body
	printf 'Subject: t\n\n.leading dot\n.\nmid . line\n\t8bit \303\251\n\n' >want
	atf_check cmp body want
	atf_check -o match:"from=<a@client.test> to=<u@mx.test> size=" \
	    -o match:'result="250 2.0.0' cat log.txt
}

atf_test_case session_errors
session_errors_head()
{
	atf_set descr "Out-of-order and malformed commands get the RFC 5321 \
codes; VRFY 252, HELP, NOOP, RSET, EXPN"
}
session_errors_body()
{
	setup
	long=$(printf '%0600d' 0)
	printf 'MAIL FROM:<a@b.test>\r\nFOO\r\nHELO\r\nHELO bad(name\r\nHELO my_host\r\nHELO client.test\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nMAIL FROM:<a@b.test> SIZE=10\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<a@b.test>\r\nDATA\r\nRCPT TO:<bad address>\r\nRCPT TO:<u@mx.test> NOTIFY=NEVER\r\nRSET\r\nDATA\r\nNOOP anything\r\nVRFY u\r\nEXPN list\r\nHELP\r\nNOOP %s\r\nRSET x\r\nQUIT\r\n' "$long" >in
	inetd --max-errors 50
	expect "${GREET}503 5.5.1 Send HELO or EHLO first\r\n500 5.5.1 Command unrecognized\r\n501 5.5.2 Syntax error in parameters or arguments\r\n501 5.5.2 Invalid domain name\r\n250 mx.test\r\n250 mx.test\r\n503 5.5.1 Need MAIL command\r\n503 5.5.1 Need MAIL command\r\n555 5.5.4 MAIL parameters need EHLO\r\n250 2.1.0 Sender <a@b.test> OK\r\n503 5.5.1 Nested MAIL command\r\n554 5.5.1 No valid recipients\r\n501 5.1.3 Bad recipient address syntax\r\n555 5.5.4 RCPT parameters need EHLO\r\n250 2.0.0 OK\r\n503 5.5.1 Need MAIL command\r\n250 2.0.0 OK\r\n252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n502 5.5.1 EXPN not implemented\r\n214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\r\n214 2.0.0 See RFC 5321\r\n500 5.5.6 Line too long\r\n501 5.5.2 Syntax error in parameters or arguments\r\n221 2.0.0 mx.test closing connection\r\n"
}

atf_test_case too_many_errors
too_many_errors_head()
{
	atf_set descr "After --max-errors errors: 421 4.7.0 and disconnect"
}
too_many_errors_body()
{
	setup
	printf 'FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n' >in
	inetd --max-errors 3
	expect "${GREET}500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n421 4.7.0 mx.test Too many errors, closing\r\n"
}

atf_test_case timeout
timeout_head()
{
	atf_set descr "An idle client gets 421 4.4.2 after --timeout"
}
timeout_body()
{
	setup
	# Stdin stays open (sleep holds the pipe) but says nothing.
	{ printf 'EHLO client.test\r\n'; sleep 3; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --timeout 1 >out.txt 2>log.txt
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	# The same in the middle of DATA (--data-timeout): nothing delivered.
	{ printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\npartial\r\n'; sleep 3; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --data-timeout 1 --command ./deliver.sh -- %T \; >out.txt 2>log.txt
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	[ "$(ndelivered)" = 0 ] || atf_fail "delivered after a timeout"
	# And in the middle of an AUTH exchange.
	hash=$(openssl passwd -6 -salt saltsalt s3cret) || atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	{ printf 'EHLO client.test\r\nAUTH LOGIN\r\n'; sleep 3; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --timeout 1 --passwd-file passwd --allow-plain-auth \
	    >out.txt 2>log.txt
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	atf_check -o match:'timeout in AUTH from' cat log.txt
}

atf_test_case size_limit
size_limit_head()
{
	atf_set descr "SIZE announced and enforced: 552 5.3.4 at MAIL and \
after DATA; nothing delivered"
}
size_limit_body()
{
	setup
	big=$(printf '%0200d' 0)
	printf 'EHLO client.test\r\nMAIL FROM:<a@b.test> SIZE=101\r\nMAIL FROM:<a@b.test> SIZE=100\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n%s\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n' "$big" >in
	inetd --max-size 100 --command ./deliver.sh %F -- %T \;
	id=$(sed -n 's/.*id=\([0-9a-f]*\).*/\1/p' out.txt)
	expect "$GREET$(printf "$EHLO_REPLY" 100)\n250 HELP\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.1.0 Sender <a@b.test> OK\r\n250 2.1.5 Recipient <u@mx.test> OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.1.0 Sender <a@b.test> OK\r\n250 2.1.5 Recipient <u@mx.test> OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Message accepted for delivery id=$id\r\n221 2.0.0 mx.test closing connection\r\n"
	[ "$(ndelivered)" = 1 ] || atf_fail "delivered $(ndelivered) times"
	# RFC 1870 §4: stuffed dots do not count: 20 lines "..ab" are 100
	# octets of message (120 on the wire); 101 are refused.
	rm -f out/*
	printf 'EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n' >in
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		printf '..ab\r\n' >>in
	done
	printf '.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n' >>in
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		printf '..ab\r\n' >>in
	done
	printf 'x\r\n.\r\nQUIT\r\n' >>in
	inetd --max-size 100 --command ./deliver.sh %F -- %T \;
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 14p out.txt
	atf_check -o match:'^552 5.3.4' sed -n 18p out.txt
	atf_check -o match:'size=100 .*result="250' -o match:'size=103 .*result="552' \
	    cat log.txt
}

atf_test_case max_recipients
max_recipients_head()
{
	atf_set descr "--max-recipients: 452 4.5.3 past the limit, the \
accepted ones get the message; %T one argument each"
}
max_recipients_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<f@b.test>\r\nRCPT TO:<a@mx.test>\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<c@mx.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' >in
	inetd --max-recipients 2 --command ./deliver.sh -f %F -- %T \;
	atf_check -o match:'^452 4.5.3 Too many recipients' sed -n 14p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 16p out.txt
	atf_check -o inline:"-f\nf@b.test\n--\na@mx.test\nb@mx.test\n" \
	    cat out/args.*
}

atf_test_case command_exit
command_exit_head()
{
	atf_set descr "Delivery command exit 0/75/other gives 250/451/554; \
its environment and argv; no shell"
}
command_exit_body()
{
	setup
	for code in 0 75 1 67; do
		rm -f out/*
		echo $code >exitcode
		printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nRCPT TO:<v@mx.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n' >in
		inetd --command ./deliver.sh "x %F;\$(touch pwned)" -- %T \;
		case $code in
		0) want='^250 2.0.0 Message accepted for delivery id=' ;;
		75) want='^451 4.3.0 Temporary delivery failure' ;;
		*) want='^554 5.3.0 Delivery failed' ;;
		esac
		atf_check -o match:"$want" sed -n 15p out.txt
	done
	[ ! -e pwned ] || atf_fail "a shell ran the command"
	atf_check -o inline:'x s@b.test;$(touch pwned)\n--\nu@mx.test\nv@mx.test\n' \
	    cat out/args.*
	atf_check -o match:'^SENDER=s@b.test$' -o match:'^RECIPIENT=u@mx.test$' \
	    -o match:'^HELO=client.test$' -o match:'^REMOTE_ADDR=$' \
	    -o not-match:'^AUTH_USER=' -o not-match:'^TLS_PROTOCOL=' \
	    cat out/env.*
	# Received header, then the message with LF endings.
	atf_check -o match:'^Received: from client.test$' head -1 out/msg.*
	atf_check -o inline:'hello\n' sed 1,2d out/msg.*
}

atf_test_case command_forms
command_forms_head()
{
	atf_set descr "--command as words up to ';', as one string split at \
white space, and as --command=STRING; options after it still work"
}
command_forms_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nRCPT TO:<v@mx.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n' >in
	inetd --command "./deliver.sh  -f %F -- %T" --max-recipients 1
	atf_check -o match:'^452 4.5.3' sed -n 13p out.txt
	atf_check -o inline:'-f\ns@b.test\n--\nu@mx.test\n' cat out/args.*
	rm -f out/*
	inetd --command="./deliver.sh -- %T" --max-recipients 1
	atf_check -o inline:'--\nu@mx.test\n' cat out/args.*
	rm -f out/*
	inetd --command ./deliver.sh a -- %T \; --max-recipients 1
	atf_check -o inline:'a\n--\nu@mx.test\n' cat out/args.*
}

atf_test_case user_drop
user_drop_head()
{
	atf_set descr "As root with --user: the session runs as that user, \
the delivery command still as root (the privileged parent starts it; \
mdeliver becomes each Maildir's owner); an unknown --user is refused"
	atf_set require.user root
}
user_drop_body()
{
	setup
	uid=$(id -u nobody) || atf_skip "no user nobody"
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n' >in
	# No TMPDIR the user can write: the parent makes the spool.
	chmod 700 .
	inetd --user nobody --command /bin/sh -c 'id -u >&2' x \;
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 14p out.txt
	atf_check -o match:"result=\"250 .* error=\"0\"" cat log.txt
	atf_check -s exit:77 -e match:'no such user' \
	    "$MSMTPD" --inetd --log stderr --user no-such-user-here
}

atf_test_case privsep_inetd
privsep_inetd_head()
{
	atf_set descr "As root under inetd (the connection on fd 0/1): no \
process that holds the connection is root, before and after AUTH; AUTH \
against a root-only passwd-file works (the parent checks it) and a wrong \
password waits --auth-delay; the delivery runs with the session's \
values; SIGTERM still gets 421"
	atf_set require.user root
}
privsep_inetd_body()
{
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	chmod 600 passwd
	PORT=$(free_port)
	# A small inetd: each connection to msmtpd as its fd 0 and 1.
	python3 "$YUBIN_SRCDIR/tests/lib/inetd.py" "$PORT" 0 msmtpd.log \
	    msmtpd.pid -- "$MSMTPD" --inetd --log stderr --no-resolve \
	    --hostname mx.test --auth-delay 1000 --passwd-file passwd \
	    --allow-plain-auth --command "$PWD/deliver.sh" %F -- %T \; \
	    >inetd.log 2>&1 &
	echo $! >inetd.pid
	wait_port "$PORT" || atf_fail "inetd did not listen"
	python3 - "$PORT" "$YUBIN_SRCDIR/tests/lib" <<'PY' || atf_fail "privsep"
import os, signal, smtplib, sys, time
sys.path.insert(0, sys.argv[2])
import sockuid
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
sockuid.check_not_root(port, s.sock)
s.ehlo("client.test")
t = time.monotonic()
try:
    s.user, s.password = "alice", "wrong"
    s.auth("PLAIN", s.auth_plain)
    raise SystemExit("wrong password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
assert time.monotonic() - t >= 0.9, "no delay after a wrong password"
s.user, s.password = "alice", "s3cret"
assert s.auth("PLAIN", s.auth_plain)[0] == 235
assert s.sendmail("a@client.test", ["u@mx.test", "v@mx.test"],
                  b"Subject: t\r\n\r\nhello\r\n") == {}
sockuid.check_not_root(port, s.sock)
s.quit()
# A second connection, stopped by SIGTERM (inetd or systemd going away).
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.test")
os.kill(int(open("msmtpd.pid").read()), signal.SIGTERM)
code, msg = s.getreply()
assert code == 421, (code, msg)
PY
	atf_check -o inline:'a@client.test\n--\nu@mx.test\nv@mx.test\n' \
	    cat out/args.*
	atf_check -o match:'^AUTH_USER=alice$' -o match:'^REMOTE_ADDR=127.0.0.1$' \
	    -o match:'^HELO=client.test$' -o match:'^SENDER=a@client.test$' \
	    -o match:'^RECIPIENT=u@mx.test$' cat out/env.*
	atf_check -o match:'with ESMTPA id' -o match:'^hello$' cat out/msg.*
	atf_check -o not-match:'s3cret' cat msmtpd.log
}
privsep_inetd_cleanup() { stop_pidfile inetd.pid; }

atf_test_case privsep_listen
privsep_listen_head()
{
	atf_set descr "As root with --listen: the per-connection process \
that holds the connection is not root, through STARTTLS and AUTH; the \
delivery still happens"
	atf_set require.user root
}
privsep_listen_body()
{
	setup
	make_certs certs
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::/nonexistent" >passwd
	chmod 600 passwd
	start_listen --tls-cert certs/server.pem --tls-key certs/server.key \
	    --passwd-file passwd --command ./deliver.sh -- %T \;
	python3 - "$PORT" "$YUBIN_SRCDIR/tests/lib" <<'PY' || atf_fail "privsep"
import smtplib, ssl, sys
sys.path.insert(0, sys.argv[2])
import sockuid
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="certs/ca.pem")
s = smtplib.SMTP("localhost", port, timeout=10)
sockuid.check_not_root(port, s.sock)
s.starttls(context=ctx)
s.ehlo("client.test")
s.login("alice", "s3cret")
sockuid.check_not_root(port, s.sock)
assert s.sendmail("a@client.test", ["u@mx.test"], b"tls\r\n") == {}
s.quit()
PY
	atf_check -o match:'^TLS_PROTOCOL=TLS1\.[23]$' -o match:'^AUTH_USER=alice$' \
	    cat out/env.*
	atf_check -o inline:'--\nu@mx.test\n' cat out/args.*
	stop_pidfile msmtpd.pid
}
privsep_listen_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case command_fds
command_fds_head()
{
	atf_set descr "The delivery command inherits no second copy of its \
stdin, stdout or stderr, not the client's socket, and no descriptor \
msmtpd itself inherited"
}
command_fds_body()
{
	setup
	cat >fds.py <<'PY'
import os, sys
me = {n: os.readlink("/proc/self/fd/%d" % n) for n in (0, 1, 2)}
leaks = []
for fd in os.listdir("/proc/self/fd"):
    fd = int(fd)
    try:
        t = os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        continue  # the directory listing itself
    if fd > 2 and t != "/dev/null" and (t in me.values() or
                                         t.startswith("socket:") or
                                         t.endswith("/inherited.txt")):
        leaks.append("%d->%s" % (fd, t))
with open("fds.out", "w") as f:
    f.write(" ".join(sorted(leaks)) + "\n")
sys.stdin.read()
PY
	[ -d /proc/self/fd ] || atf_skip "no /proc/self/fd"
	printf 'EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' >in
	: >inherited.txt
	inetd --command python3 "$PWD/fds.py" \; 7<inherited.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 14p out.txt
	atf_check -o inline:'\n' cat fds.out
	rm fds.out
	start_listen --command python3 "$PWD/fds.py" \;
	python3 - "$PORT" <<'PY' || atf_fail "smtplib client failed"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
assert s.sendmail("a@b.test", ["u@mx.test"], b"x\r\n") == {}
s.quit()
PY
	atf_check -o inline:'\n' cat fds.out
	stop_pidfile msmtpd.pid
}
command_fds_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case command_signal
command_signal_head()
{
	atf_set descr "A delivery command killed by a signal gives 451 4.3.0 \
(a crash is not the message's fault), its stderr and the signal logged; \
in the privileged parent and in one process"
}
command_signal_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n' >in
	set -- --command /bin/sh -c 'cat >/dev/null; echo crashing >&2; kill -SEGV $$' \;
	inetd "$@"
	atf_check -o match:'^451 4.3.0 Temporary delivery failure' \
	    sed -n 14p out.txt
	atf_check -o match:': /bin/sh: was killed by signal 11$' \
	    -o match:'result="451 4.3.0 .*" error="crashing"$' cat log.txt
	# Started as root, that was the privileged parent; now as one
	# process, as msmtpd runs when not started as root.
	[ "$(id -u)" = 0 ] || return 0
	command -v setpriv >/dev/null || atf_skip "no setpriv for one process"
	uid=$(id -u nobody) || atf_skip "no user nobody"
	# TMPDIR: kyua's is the work directory, which nobody cannot enter.
	TMPDIR=/tmp setpriv --reuid "$uid" --regid "$(id -g nobody)" \
	    --clear-groups "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    "$@" <in >out.txt 2>log.txt
	atf_check -o match:'^451 4.3.0 Temporary delivery failure' \
	    sed -n 14p out.txt
	atf_check -o match:': /bin/sh: was killed by signal 11$' \
	    -o match:'error="crashing"$' cat log.txt
}

atf_test_case command_timeout
command_timeout_head()
{
	atf_set descr "A delivery command over --command-timeout is killed: \
451"
}
command_timeout_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n' >in
	inetd --command-timeout 1 --command /bin/sleep 30 \;
	atf_check -o match:'^451 4.3.0' sed -n 14p out.txt
	atf_check -o match:'timed out' cat log.txt
}

# smuggle INPUT: the DATA body INPUT (printf format), then a real end and
# a second transaction; what was inside must never be a command.
smuggle()
{
	printf "EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n$1\r\n.\r\nQUIT\r\n" >in
}

atf_test_case smuggling
smuggling_head()
{
	atf_set descr "SMTP smuggling: \\n.\\n, \\r.\\n, \\n.\\r\\n, \\r.\\r and \
.\\n never end DATA; the message is refused whole (550 5.6.0)"
}
smuggling_body()
{
	setup
	inj='MAIL FROM:<evil@b.test>\r\nRCPT TO:<v@mx.test>\r\nDATA\r\nsmuggled'
	for end in '\n.\n' '\r.\n' '\n.\r\n' '\r.\r' '\r\n.\n' '\r\n.\r'; do
		rm -f out/*
		smuggle "one$end$inj"
		inetd --command ./deliver.sh -- %T \;
		expect "$GREET$(printf "$EHLO_REPLY" 67108864)\n250 HELP\r\n250 2.1.0 Sender <s@b.test> OK\r\n250 2.1.5 Recipient <u@mx.test> OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n550 5.6.0 Message refused: bare LF or CR in data, lines must end with CRLF\r\n221 2.0.0 mx.test closing connection\r\n"
		[ "$(ndelivered)" = 0 ] || atf_fail "delivered $(ndelivered) times"
	done
}

atf_test_case accept_bare_lf
accept_bare_lf_head()
{
	atf_set descr "--accept-bare-lf takes bare LF as a line end but \
still one message: \\n.\\n does not end it"
}
accept_bare_lf_body()
{
	setup
	smuggle 'one\n.\nMAIL FROM:<evil@b.test>\r\n..stuffed\n..lf\r\nlast'
	inetd --accept-bare-lf --command ./deliver.sh -- %T \;
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 14p out.txt
	[ "$(ndelivered)" = 1 ] || atf_fail "delivered $(ndelivered) times"
	atf_check -o inline:'one\n.\nMAIL FROM:<evil@b.test>\n.stuffed\n.lf\nlast\n' \
	    sed 1,3d out/msg.*
	# A bare CR is still refused.
	rm -f out/*
	smuggle 'one\r.\rtwo'
	inetd --accept-bare-lf --command ./deliver.sh -- %T \;
	atf_check -o match:'^550 5.6.0' sed -n 14p out.txt
}

atf_test_case long_lines
long_lines_head()
{
	atf_set descr "Lines of any length, NUL and 8-bit bytes pass through \
byte-exact (CRLF -> LF)"
}
long_lines_body()
{
	setup
	python3 - <<'PY'
import random
random.seed(7)
lines = [b"A" * 100000, bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b""),
         b"\x00nul", b"." * 9000, b"", b"end"]
body = b"\r\n".join(lines) + b"\r\n"
stuffed = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
open("in", "wb").write(b"EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n" + stuffed + b".\r\nQUIT\r\n")
open("want", "wb").write(b"\n".join(lines) + b"\n")
PY
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^250 2.0.0' sed -n 14p out.txt
	sed 1,3d out/msg.* >got
	atf_check cmp got want
}

atf_test_case bdat
bdat_head()
{
	atf_set descr "CHUNKING: BDAT chunks (pipelined, one with LAST), \
BINARYMIME only with BDAT, chunk data never read as commands"
}
bdat_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test> BODY=BINARYMIME\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nBDAT 7\r\nline\r\nQBDAT 11 LAST\r\nUIT\r\nx\r\n.\r\nBDAT 6 LAST\r\nNOOP\r\nQUIT\r\n' >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^503 5.5.1 BODY=BINARYMIME needs BDAT' \
	    sed -n 13p out.txt
	atf_check -o match:'^250 2.0.0 7 octets received' sed -n 14p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 15p out.txt
	atf_check -o match:'^503 5.5.1 Need MAIL command' sed -n 16p out.txt
	atf_check -o match:'^221 ' sed -n 17p out.txt
	atf_check -o inline:'line\nQUIT\nx\n.\n' sed 1,3d out/msg.*
	# Without BINARYMIME: CRLF split across chunks is one line end; a
	# bare LF gets the message refused.
	rm -f out/*
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nBDAT 4\r\nab\r\rBDAT 5 LAST\r\n\r\ncd\rMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nBDAT 5 LAST\r\nab\ncdQUIT\r\n' >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^250 2.0.0 4 octets received' sed -n 13p out.txt
	atf_check -o match:'^550 5.6.0' sed -n 14p out.txt
	atf_check -o match:'^550 5.6.0' sed -n 17p out.txt
	[ "$(ndelivered)" = 0 ] || atf_fail "delivered"
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nBDAT 3\r\nab\rBDAT 5 LAST\r\n\ncd\r\nQUIT\r\n' >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 14p out.txt
	atf_check -o inline:'ab\ncd\n' sed 1,3d out/msg.*
}

atf_test_case smtputf8
smtputf8_head()
{
	atf_set descr "SMTPUTF8 (RFC 6531): UTF-8 addresses only with the \
parameter (553 5.6.7), Received says UTF8SMTP"
}
smtputf8_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<j\303\266rg@b.test>\r\nMAIL FROM:<j\303\266rg@b.test> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<\303\274ser@mx.test>\r\nDATA\r\n\303\244\r\n.\r\nQUIT\r\n' >in
	inetd --command ./deliver.sh -f %F -- %T \;
	atf_check -o match:'^553 5.6.7 ' sed -n 11p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 15p out.txt
	printf -- '-f\nj\303\266rg@b.test\n--\n\303\274ser@mx.test\n' >want
	atf_check -o file:want cat out/args.*
	atf_check -o match:'with UTF8SMTP id' cat out/msg.*
}

atf_test_case relay_policy
relay_policy_head()
{
	atf_set descr "--domain: other recipients 554 5.7.1 without AUTH; \
Postmaster always local"
}
relay_policy_body()
{
	setup
	printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@elsewhere.test>\r\nRCPT TO:<u@MX.test>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' >in
	inetd --domain mx.test --command ./deliver.sh -- %T \;
	atf_check -o match:'^554 5.7.1 <u@elsewhere.test>: Relay access denied' \
	    sed -n 12p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 16p out.txt
	atf_check -o inline:'--\nu@mx.test\npostmaster@mx.test\n' cat out/args.*
}

atf_test_case relay_default_dot_line cleanup
relay_default_dot_line_head()
{
	atf_set descr "The default --relay-command (msend) relays a message \
with a line holding only '.' whole, not cut there"
}
relay_default_dot_line_body()
{
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret) || atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	mkdir -p sink cfg/yubin
	py=/usr/bin/python3
	[ -x $py ] || py=python3
	$py "$YUBIN_SRCDIR/tests/lib/smtp_sink.py" --port-file sink/port \
	    --dir sink --lifetime 30 >sink.out 2>&1 &
	echo $! >sink.pid
	i=0
	while [ ! -s sink/port ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ -s sink/port ] || atf_fail "the SMTP sink did not start"
	printf 'account default\nhost 127.0.0.1\nport %s\ntls off\n' \
	    "$(cat sink/port)" >cfg/yubin/msend.conf
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<x@far.test>\r\nDATA\r\nSubject: dot\r\n\r\nbefore\r\n..\r\nafter the dot line\r\n.\r\nQUIT\r\n' \
	    "$(printf '\0alice\0s3cret' | base64)" >in
	XDG_CONFIG_HOME=$PWD/cfg inetd --passwd-file passwd \
	    --allow-plain-auth --domain mx.test
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 16p out.txt
	tr -d '\r' <sink/msg.1 >relayed
	atf_check -o match:'^before$' -o match:'^\.$' \
	    -o match:'^after the dot line$' cat relayed
}
relay_default_dot_line_cleanup() { stop_pidfile sink.pid; }

atf_test_case auth_inetd
auth_inetd_head()
{
	atf_set descr "AUTH PLAIN/LOGIN against a passwd-file: 538 without \
TLS, 535 5.7.8 the same for bad user and bad password, relay after AUTH"
}
auth_inetd_body()
{
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret) || atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	plain=$(printf '\0alice\0s3cret' | base64)
	badpw=$(printf '\0alice\0wrong' | base64)
	nouser=$(printf '\0bob\0s3cret' | base64)
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$plain" >in
	inetd --passwd-file passwd
	atf_check -o match:'^538 5.7.11 Encryption required' sed -n 11p out.txt
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH LOGIN\r\n%s\r\n%s\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<x@far.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' \
	    "$badpw" "$nouser" "$(printf alice | base64)" \
	    "$(printf s3cret | base64)" >in
	inetd --passwd-file passwd --allow-plain-auth --domain mx.test \
	    --relay-command ./deliver.sh relay %F -- %T \;
	atf_check -o match:'^250-AUTH PLAIN LOGIN' sed -n 10p out.txt
	atf_check -o match:'^535 5.7.8 Authentication credentials invalid' \
	    sed -n 12p out.txt
	atf_check -o match:'^535 5.7.8 Authentication credentials invalid' \
	    sed -n 13p out.txt
	atf_check -o inline:'334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n' \
	    sed -n 14,16p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 20p out.txt
	atf_check -o inline:'relay\ns@b.test\n--\nx@far.test\n' cat out/args.*
	atf_check -o match:'^AUTH_USER=alice$' cat out/env.*
	atf_check -o match:'with ESMTPA id' cat out/msg.*
	atf_check -o not-match:'s3cret' cat log.txt
}

atf_test_case swaks_inetd
swaks_inetd_head()
{
	atf_set descr "swaks --pipe runs msmtpd --inetd as inetd would: \
pipelined transaction, AUTH LOGIN, delivered"
	}
swaks_inetd_body()
{
	peer_require swaks
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::/nonexistent" >passwd
	atf_check -o match:'<-  250 2.0.0 Message accepted' \
	    -o match:'<-  235 2.7.0' -o match:'<-  221 2.0.0' -e ignore \
	    swaks --pipe "$MSMTPD --inetd --log stderr --no-resolve \
--hostname mx.test --auth-delay 0 --passwd-file passwd --allow-plain-auth \
--command ./deliver.sh -- %T ;" --pipeline --auth LOGIN --auth-user alice \
	    --auth-password s3cret --from s@b.test --to u@mx.test \
	    --helo client.test --body 'via swaks'
	atf_check -o match:'^via swaks$' -o match:'with ESMTPA id' \
	    cat out/msg.*
}

# ---------------------------------------------------------------- listen

# start_listen ARGS...: msmtpd --listen on a free port; PORT is set.
start_listen()
{
	PORT=$(free_port)
	"$MSMTPD" --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --hostname mx.test --auth-delay 0 "$@" 2>listen.log &
	echo $! >msmtpd.pid
	wait_port "$PORT" || atf_fail "msmtpd did not listen: $(cat listen.log)"
}

atf_test_case listen_smtplib
listen_smtplib_head()
{
	atf_set descr "--listen with Python's smtplib: plain send into a \
Maildir, oversize refused, too many recipients, pipelining"
}
listen_smtplib_body()
{
	setup
	mkmd md
	start_listen --maildir "$PWD/md" --max-size 10000 --max-recipients 3
	python3 - "$PORT" <<'PY' || atf_fail "smtplib client failed"
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
code, msg = s.ehlo("client.test")
assert code == 250 and s.has_extn("pipelining") and s.has_extn("size"), msg
assert s.esmtp_features["size"] == "10000"
r = s.sendmail("a@client.test", ["u@mx.test"], b"Subject: hi\r\n\r\nbody\r\n.dot\r\n")
assert r == {}, r
try:
    s.sendmail("a@client.test", ["u@mx.test"], b"x" * 20000)
    raise SystemExit("oversize accepted")
except smtplib.SMTPSenderRefused as e:
    assert e.smtp_code == 552, e  # SIZE= at MAIL (RFC 1870)
r = s.sendmail("a@client.test", ["a@mx.test", "b@mx.test", "c@mx.test", "d@mx.test"], b"four\r\n")
assert list(r) == ["d@mx.test"] and r["d@mx.test"][0] == 452, r
s.quit()
PY
	atf_check -o inline:"2\n" -x "ls md/new | wc -l | tr -d ' '"
	atf_check -o match:'^\.dot$' -x 'cat md/new/*'
	atf_check -o match:'^Received: from client.test \(\[127\.0\.0\.1\]\)$' \
	    -x 'cat md/new/*'
	stop_pidfile msmtpd.pid
}
listen_smtplib_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case listen_pipelining
listen_pipelining_head()
{
	atf_set descr "RFC 2920: a pipelined group gets its replies in one \
write, and swaks --pipe delivers"
}
listen_pipelining_body()
{
	setup
	start_listen --command ./deliver.sh -- %T \;
	python3 - "$PORT" <<'PY' || atf_fail "pipelining client failed"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"EHLO client.test\r\n")
while not f.readline().startswith(b"250 "):
    pass
s.sendall(b"MAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nRCPT TO:<v@mx.test>\r\nDATA\r\n")
time.sleep(0.3)
# All four replies arrived together, in one segment.
data = s.recv(65536)
want = (b"250 2.1.0 Sender <a@b.test> OK\r\n250 2.1.5 Recipient <u@mx.test> OK\r\n"
        b"250 2.1.5 Recipient <v@mx.test> OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
assert data == want, data
s.sendall(b"hi\r\n.\r\nQUIT\r\n")
rest = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    rest += b
assert rest.startswith(b"250 2.0.0 Message accepted") and rest.endswith(b"221 2.0.0 mx.test closing connection\r\n"), rest
PY
	peer_require swaks
	atf_check -o match:'250 2.0.0 Message accepted' -e ignore \
	    swaks --pipeline --server 127.0.0.1 --port "$PORT" \
	    --from s@b.test --to w@mx.test --helo client.test \
	    --body "swaks body"
	atf_check -o match:'^swaks body' -x 'cat out/msg.*'
	stop_pidfile msmtpd.pid
}
listen_pipelining_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case listen_max_clients
listen_max_clients_head()
{
	atf_set descr "--max-clients: one more connection gets 421 4.7.0; \
SIGTERM stops listening and waits for sessions"
}
listen_max_clients_body()
{
	setup
	start_listen --max-clients 1 --grace 5
	python3 - "$PORT" <<'PY' || atf_fail "client failed"
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), 5)
assert a.makefile("rb").readline().startswith(b"220 ")
b = socket.create_connection(("127.0.0.1", port), 5)
line = b.makefile("rb").readline()
assert line.startswith(b"421 4.7.0 "), line
a.sendall(b"QUIT\r\n")
a.recv(100)
a.close()
# Once the first session's process is reaped, a place is free again.
for _ in range(50):
    time.sleep(0.1)
    c = socket.create_connection(("127.0.0.1", port), 5)
    line = c.makefile("rb").readline()
    if line.startswith(b"220 "):
        break
    c.close()
else:
    raise SystemExit("no place after the first session ended")
c.sendall(b"QUIT\r\n")
c.close()
# A connection that comes while the only place is taken waits in the
# listen queue: when that session ends within the second, it is served.
time.sleep(0.5)
a = socket.create_connection(("127.0.0.1", port), 5)
assert a.makefile("rb").readline().startswith(b"220 ")
b = socket.create_connection(("127.0.0.1", port), 5)
time.sleep(0.3)
a.sendall(b"QUIT\r\n")
a.recv(100)
a.close()
line = b.makefile("rb").readline()
assert line.startswith(b"220 "), line
b.sendall(b"QUIT\r\n")
PY
	# A session open across SIGTERM still finishes.
	python3 - "$PORT" "$(cat msmtpd.pid)" <<'PY' || atf_fail "shutdown failed"
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
time.sleep(0.3)
a = socket.create_connection(("127.0.0.1", port), 5)
f = a.makefile("rb")
assert f.readline().startswith(b"220 ")
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
try:
    socket.create_connection(("127.0.0.1", port), 1)
    raise SystemExit("still listening after SIGTERM")
except ConnectionRefusedError:
    pass
a.sendall(b"NOOP\r\n")
assert f.readline().startswith(b"250 "), "session cut short"
a.sendall(b"QUIT\r\n")
assert f.readline().startswith(b"221 ")
for _ in range(50):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.1)
else:
    raise SystemExit("msmtpd did not exit")
PY
}
listen_max_clients_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case session_log
session_log_head()
{
	atf_set descr "One log line per session, also without a message: \
peer, helo, tls, auth user, messages accepted, how it ended"
}
session_log_body()
{
	setup
	# QUIT after one accepted message.
	printf 'EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o inline:'1\n' grep -c 'session: ' log.txt
	atf_check -o match:'session: peer=\[stdin\] helo=client.test tls=no auth=- messages=1 end=quit$' \
	    cat log.txt
	# Dropped: no QUIT, no HELO, nothing accepted.
	printf 'NOOP\r\n' >in
	inetd
	atf_check -o match:'session: peer=\[stdin\] helo=- tls=no auth=- messages=0 end=dropped$' \
	    cat log.txt
	# Too many errors.
	printf 'HELO c.test\r\nFOO\r\nBAR\r\n' >in
	inetd --max-errors 2
	atf_check -o match:'session: .* helo=c.test .* messages=0 end=too-many-errors$' \
	    cat log.txt
	# Timeout.
	{ printf 'EHLO client.test\r\n'; sleep 2; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --timeout 1 >out.txt 2>log.txt
	atf_check -o match:'session: .* messages=0 end=timeout$' cat log.txt
	# Authenticated (the user, never the password).
	hash=$(openssl passwd -6 -salt saltsalt s3cret) || atf_fail "openssl cannot make a hash"
	echo "alice:$hash:::/nonexistent" >passwd
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nQUIT\r\n' \
	    "$(printf '\0alice\0s3cret' | base64)" >in
	inetd --passwd-file passwd --allow-plain-auth
	atf_check -o match:'session: .* auth=alice messages=0 end=quit$' \
	    cat log.txt
	atf_check -o not-match:'s3cret' cat log.txt
}

atf_test_case shutdown_inetd
shutdown_inetd_head()
{
	atf_set descr "SIGTERM (inetd or systemd stopping the service) ends \
a waiting session with 421 4.3.2, logged as end=shutdown"
}
shutdown_inetd_body()
{
	setup
	mkfifo in.fifo
	"$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    <in.fifo >out.txt 2>log.txt &
	pid=$!
	# Hold the fifo open: the session waits for its next command.
	exec 3>in.fifo
	printf 'EHLO client.test\r\n' >&3
	i=0
	while ! grep -q '^250 HELP' out.txt && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -TERM $pid
	wait $pid
	exec 3>&-
	atf_check -o inline:'421 4.3.2 mx.test Service shutting down\r\n' \
	    tail -1 out.txt
	atf_check -o match:'session: .* helo=client.test .* end=shutdown$' \
	    cat log.txt
}

atf_test_case listen_shutdown
listen_shutdown_head()
{
	atf_set descr "--listen: sessions still open when --grace ends get \
421 4.3.2 before the connection closes (also over TLS); one in DATA \
delivers nothing"
}
listen_shutdown_body()
{
	setup
	make_certs certs
	start_listen --grace 1 --command ./deliver.sh -- %T \; \
	    --tls-cert certs/server.pem --tls-key certs/server.key
	# The port is taken: exit 69 and why.
	atf_check -s exit:69 \
	    -e match:"^msmtpd: listen on 127.0.0.1:$PORT: Address already in use$" \
	    "$MSMTPD" --listen "127.0.0.1:$PORT" --log stderr
	# No spool directory: said at start, not as 451 to every message.
	atf_check -s exit:78 \
	    -e match:"^msmtpd: spool directory \(TMPDIR\): $PWD/none/msmtpd\.[A-Za-z0-9]*: No such file or directory$" \
	    env TMPDIR="$PWD/none" "$MSMTPD" --listen 127.0.0.1:0 --log stderr
	python3 - "$PORT" "$(cat msmtpd.pid)" <<'PY' || atf_fail "shutdown failed"
import os, signal, socket, ssl, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def session(tls=False):
    s = socket.create_connection(("127.0.0.1", port), 5)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    if tls:
        s.sendall(b"STARTTLS\r\n")
        assert f.readline().startswith(b"220 ")
        ctx = ssl.create_default_context(cafile="certs/ca.pem")
        s = ctx.wrap_socket(s, server_hostname="localhost")
        f = s.makefile("rb")
    s.sendall(b"EHLO client.test\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    return s, f
idle, fi = session()
intls, ft = session(tls=True)
indata, fd = session()
indata.sendall(b"MAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n")
for _ in range(3):
    fd.readline()
indata.sendall(b"Subject: cut\r\n\r\nhalf a message\r\n")
t0 = time.time()
os.kill(pid, signal.SIGTERM)
for s, f in ((idle, fi), (intls, ft), (indata, fd)):
    s.settimeout(5)
    line = f.readline()
    assert line == b"421 4.3.2 mx.test Service shutting down\r\n", line
    assert f.readline() == b"", "not closed after 421"
waited = time.time() - t0
assert 0.8 <= waited < 4, waited
for _ in range(50):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.1)
else:
    raise SystemExit("msmtpd did not exit")
PY
	[ "$(ndelivered)" = 0 ] || atf_fail "a cut message was delivered"
	atf_check -o inline:'3\n' grep -c 'session: .*end=shutdown$' listen.log
	atf_check -o match:'session: .* tls=TLS1.*end=shutdown$' cat listen.log
	atf_check -o match:'grace over: terminating 3 sessions' cat listen.log
}
listen_shutdown_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case starttls_auth
starttls_auth_head()
{
	atf_set descr "STARTTLS and AUTH with smtplib: AUTH only offered \
after TLS, ESMTPSA Received header, TLS_* in the environment"
}
starttls_auth_body()
{
	setup
	make_certs certs
	hash=$(openssl passwd -6 -salt saltsalt s3cret)
	echo "alice:$hash:::/nonexistent" >passwd
	start_listen --tls-cert certs/server.pem --tls-key certs/server.key \
	    --passwd-file passwd --domain mx.test \
	    --command ./deliver.sh -- %T \; --relay-command ./deliver.sh relay -- %T \;
	python3 - "$PORT" <<'PY' || atf_fail "smtplib client failed"
import smtplib, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="certs/ca.pem")
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.test")
assert s.has_extn("starttls") and not s.has_extn("auth")
try:
    s.login("alice", "s3cret")
    raise SystemExit("AUTH over plain text")
except smtplib.SMTPNotSupportedError:
    pass
s.starttls(context=ctx)
s.ehlo("client.test")
assert s.has_extn("auth") and not s.has_extn("starttls")
for mech in ("PLAIN", "LOGIN"):
    try:
        s.user, s.password = "alice", "wrong"
        s.auth(mech, getattr(s, "auth_" + mech.lower()))
        raise SystemExit("bad password accepted")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535
s.user, s.password = "alice", "s3cret"
code, _ = s.auth("LOGIN", s.auth_login)
assert code == 235
r = s.sendmail("a@client.test", ["far@away.test"], b"relayed\r\n")
assert r == {}
s.quit()
PY
	atf_check -o match:'^TLS_PROTOCOL=TLS1\.[23]$' -o match:'^TLS_CIPHER=.' \
	    -o match:'^AUTH_USER=alice$' cat out/env.*
	atf_check -o match:'with ESMTPSA id' -o match:'using TLS1' \
	    cat out/msg.*
	atf_check -o inline:'relay\n--\nfar@away.test\n' cat out/args.*
	atf_check -o match:'^REMOTE_ADDR=127.0.0.1$' cat out/env.*
	atf_check -o match:'session: peer=\[127\.0\.0\.1\] helo=client.test tls=TLS1\.[23]/[^ ]+ auth=alice messages=1 end=quit$' \
	    cat listen.log
	peer_require swaks
	rm -f out/*
	atf_check -o match:'235 2.7.0 Authentication successful' \
	    -o match:'250 2.0.0 Message accepted' -e ignore \
	    swaks --server 127.0.0.1 --port "$PORT" --tls \
	    --auth PLAIN --auth-user alice --auth-password s3cret \
	    --from s@b.test --to u@mx.test --helo client.test
	atf_check -o match:'with ESMTPSA id' cat out/msg.*
	atf_check -o match:'535 5.7.8' -e ignore -s not-exit:0 \
	    swaks --server 127.0.0.1 --port "$PORT" --tls \
	    --auth LOGIN --auth-user nobody --auth-password s3cret \
	    --from s@b.test --to u@mx.test --helo client.test
	stop_pidfile msmtpd.pid
}
starttls_auth_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case starttls_injection
starttls_injection_head()
{
	atf_set descr "RFC 3207 §4.2: commands sent with STARTTLS in one \
packet are dropped, not run after the handshake; no cert: 454"
}
starttls_injection_body()
{
	setup
	make_certs certs
	start_listen --tls-cert certs/server.pem --tls-key certs/server.key \
	    --command ./deliver.sh -- %T \;
	python3 - "$PORT" <<'PY' || atf_fail "injection test failed"
import socket, ssl, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), 10)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"EHLO client.test\r\n")
while not f.readline().startswith(b"250 "):
    pass
s.sendall(b"STARTTLS\r\nMAIL FROM:<evil@b.test>\r\nRCPT TO:<u@mx.test>\r\n")
assert f.readline().startswith(b"220 2.0.0"), "no 220"
ctx = ssl.create_default_context(cafile="certs/ca.pem")
t = ctx.wrap_socket(s, server_hostname="localhost")
tf = t.makefile("rb")
# Had MAIL been run it would be a transaction now: RCPT would be 250.
t.sendall(b"EHLO client.test\r\nRCPT TO:<u@mx.test>\r\nQUIT\r\n")
lines = []
while True:
    l = tf.readline()
    if not l:
        break
    lines.append(l)
assert lines[0].startswith(b"250-mx.test Hello"), lines
assert b"503 5.5.1 Need MAIL command\r\n" in lines, lines
PY
	stop_pidfile msmtpd.pid
	# Without a certificate STARTTLS is refused with 454.
	printf 'EHLO client.test\r\nSTARTTLS\r\nQUIT\r\n' >in
	inetd
	atf_check -o match:'^454 4.7.0 TLS not available' sed -n 11p out.txt
}
starttls_injection_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case tls_on_connect
tls_on_connect_head()
{
	atf_set descr "--tls-on-connect (port 465 style) with smtplib.SMTP_SSL"
}
tls_on_connect_body()
{
	setup
	make_certs certs
	start_listen --tls-cert certs/server.pem --tls-key certs/server.key \
	    --tls-on-connect --command ./deliver.sh -- %T \;
	python3 - "$PORT" <<'PY' || atf_fail "SMTP_SSL failed"
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile="certs/ca.pem")
s = smtplib.SMTP_SSL("localhost", int(sys.argv[1]), context=ctx, timeout=10)
s.ehlo("client.test")
assert not s.has_extn("starttls")
assert s.sendmail("a@b.test", ["u@mx.test"], b"tls\r\n") == {}
s.quit()
PY
	atf_check -o match:'with ESMTPS id' cat out/msg.*
	stop_pidfile msmtpd.pid
}
tls_on_connect_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case option_injection
option_injection_head()
{
	atf_set descr "no address becomes an option: '-' local parts get \
553, %T without '--' is refused at start, README's inetd line with \
the real mdeliver files nothing under a path a stranger names"
}
option_injection_body()
{
	setup
	mkmd home/u/Maildir
	give_maildir home
	# The README's line as it stood: %T with no "--" before it.
	atf_check -s exit:64 -e match:'%T must follow a word "--"' \
	    "$MSMTPD" --inetd --command mdeliver -f %F \
	    --maildir-template "$PWD/home/%u/Maildir" %T \;
	atf_check -s exit:64 -e match:'%T must follow' \
	    "$MSMTPD" --inetd --relay-command 'msend -i -f %F %T'
	# And as it stands now, attacked.
	printf 'EHLO client.test\r\nMAIL FROM:<-x@b.test>\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<--maildir-t=/tmp/evil/%%u@mx.test>\r\nRCPT TO:<"-V"@mx.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n' >in
	PATH="$(dirname "$(yubin_prog mdeliver)"):$PATH" \
	    inetd --command mdeliver -f %F \
	    --maildir-template "$PWD/home/%u/Maildir" -- %T \;
	atf_check -o match:'^553 5.1.7 Sender address may not start with "-"' \
	    sed -n 11p out.txt
	atf_check -o match:'^553 5.1.3 Recipient address may not start' \
	    sed -n 13p out.txt
	atf_check -o match:'^553 5.1.3 Recipient address may not start' \
	    sed -n 14p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 17p out.txt
	[ "$(ls home/u/Maildir/new | wc -l)" = 1 ] || atf_fail "not delivered"
	test ! -e /tmp/evil || atf_fail "/tmp/evil was made"
}

atf_test_case delivery_limits
delivery_limits_head()
{
	atf_set descr "what the default mdeliver cannot take is refused at \
RCPT (quoted local parts, more than it takes), and a message at the \
SIZE limit still fits with the Received header added"
}
delivery_limits_body()
{
	setup
	mkmd md
	give_maildir md
	atf_check -s exit:64 -e match:'mdeliver\) takes at most 512' \
	    "$MSMTPD" --inetd --max-recipients 513 --maildir "$PWD/md"
	# A message of exactly --max-size octets (RFC 1870 counts CRLF).
	python3 -c '
import sys
lines = [b"Subject: big", b""] + [b"y" * 998] * 100
msg = b"\r\n".join(lines) + b"\r\n"
w = sys.stdout.buffer.write
w(b"EHLO client.test\r\nMAIL FROM:<a@b.test> SIZE=%d\r\n" % len(msg))
w(b"RCPT TO:<\"a b\"@mx.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n")
w(msg + b".\r\nQUIT\r\n")
open("size", "w").write("%d" % len(msg))' >in
	PATH="$(dirname "$(yubin_prog mdeliver)"):$PATH" \
	    inetd --max-size "$(cat size)" --maildir "$PWD/md"
	atf_check -o match:'^553 5.1.3 <"a b"@mx.test>: Quoted local parts' \
	    sed -n 12p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 15p out.txt
	[ "$(ls md/new | wc -l)" = 1 ] || atf_fail "not delivered"
}

atf_test_case mail_loop
mail_loop_head()
{
	atf_set descr "100 Received fields from the client: 554 5.4.6 (RFC \
5321 §6.3), nothing delivered; 99 are fine; DATA and BDAT alike"
}
mail_loop_body()
{
	setup
	{ printf 'EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n'
	  looping_message 100 "\\r\\n"; printf '.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n'
	  looping_message 99 "\\r\\n"; printf '.\r\nQUIT\r\n'; } >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^554 5.4.6 Too many Received header fields' \
	    sed -n 14p out.txt
	atf_check -o match:'^250 2.0.0 Message accepted' sed -n 18p out.txt
	[ "$(ndelivered)" = 1 ] || atf_fail "delivered $(ndelivered) times"
	rm -f out/*
	looping_message 100 "\\r\\n" >msg
	{ printf 'EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@mx.test>\r\nBDAT %d LAST\r\n' "$(wc -c <msg)"
	  cat msg; printf 'QUIT\r\n'; } >in
	inetd --command ./deliver.sh -- %T \;
	atf_check -o match:'^554 5.4.6' sed -n 13p out.txt
	[ "$(ndelivered)" = 0 ] || atf_fail "a loop was delivered"
}

atf_test_case log_spoofing
log_spoofing_head()
{
	atf_set descr "addresses, user names and the delivery error are \
escaped in the log line: no forged fields"
}
log_spoofing_body()
{
	setup
	cat >fail.sh <<'EOF'
#!/bin/sh
cat >/dev/null
echo 'first line "quoted" result="250 ok"' >&2
echo 'second line' >&2
exit 75
EOF
	chmod +x fail.sh
	printf 'EHLO client.test\r\nMAIL FROM:<"x> auth=admin result=\\"250 ok\\" z=<"@x.org>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n' >in
	inetd --command ./fail.sh -- %T \;
	atf_check -o match:'^250 2.1.0' sed -n 11p out.txt
	atf_check -o match:'^451 4.3.0' sed -n 14p out.txt
	grep 'result=' log.txt >line || atf_fail "no transaction line"
	atf_check -o match:'from=<\\x22x\\x3e\\x20auth=admin\\x20result=' \
	    -o not-match:' auth=admin' -o match:'result="451 4.3.0' \
	    -o match:'error="first line \\x22quoted\\x22 result=\\x22250 ok\\x22 \| second line"' \
	    cat line
	[ "$(grep -o 'result="' line | wc -l)" = 1 ] || atf_fail "forged result"
}

atf_test_case slowloris
slowloris_head()
{
	atf_set descr "a client trickling a byte at a time is cut off: a \
command line must arrive within --timeout, data at --data-min-rate, a \
session within --max-session-time"
}
slowloris_body()
{
	setup
	# trickle: one byte every 0.3 s never trips the 1 s idle timeout.
	start=$(date +%s)
	{ printf 'EHLO client.test\r\n'; trickle "NOOP and on and on and on"; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --timeout 2 >out.txt 2>log.txt
	took=$(( $(date +%s) - start ))
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	[ "$took" -le 5 ] || atf_fail "the trickle held the session $took s"
	# In DATA: 180 s of data timeout would let it trickle for long;
	# --data-timeout 1 and --data-min-rate 10 cut it after ~1.3 s.
	start=$(date +%s)
	{ printf 'EHLO client.test\r\nMAIL FROM:<s@b.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n'
	  trickle "abcdefghijklmnopqrstuvwxyz"; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --data-timeout 1 --data-min-rate 10 \
	    --command ./deliver.sh -- %T \; >out.txt 2>log.txt
	took=$(( $(date +%s) - start ))
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	[ "$took" -le 5 ] || atf_fail "the trickle held DATA $took s"
	[ "$(ndelivered)" = 0 ] || atf_fail "delivered after a timeout"
	# A session of quick NOOPs still ends at --max-session-time.
	{ printf 'EHLO client.test\r\n'
	  i=0; while [ $i -lt 40 ]; do printf 'NOOP\r\n'; sleep 0.1; i=$((i + 1)); done; } |
	    "$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --max-session-time 2 >out.txt 2>log.txt
	atf_check -o match:'^421 4.4.2 mx.test Timeout exceeded' tail -1 out.txt
	n=$(grep -c '^250 2.0.0 OK' out.txt)
	[ "$n" -ge 10 ] && [ "$n" -le 30 ] || atf_fail "$n NOOPs answered"
}

atf_test_case listen_per_address
listen_per_address_head()
{
	atf_set descr "--listen: --max-per-address sessions from one address, \
the next gets 421 4.7.0 at once"
}
listen_per_address_body()
{
	setup
	start_listen --max-per-address 2 --max-clients 10
	python3 "$YUBIN_SRCDIR/tests/lib/per_address.py" "$PORT" '220 ' \
	    '421 4.7.0 mx.test Too many connections from your address' \
	    QUIT '221 ' || atf_fail "client failed"
	atf_check -o match:'127.0.0.1: connection refused: 2 sessions from it' \
	    cat listen.log
	stop_pidfile msmtpd.pid
}
listen_per_address_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case auth_backoff
auth_backoff_head()
{
	atf_set descr "password guessing: the delay doubles, 3 failures end \
a session with 421, and after 10 from one address --listen refuses it"
}
auth_backoff_body()
{
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret) || atf_fail "no openssl"
	echo "alice:$hash:::/nonexistent" >passwd
	bad=$(printf '\0alice\0wrong' | base64)
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nNOOP\r\n' \
	    "$bad" "$bad" "$bad" >in
	start=$(date +%s%N)
	"$MSMTPD" --inetd --log stderr --no-resolve --hostname mx.test \
	    --auth-delay 200 --passwd-file passwd --allow-plain-auth \
	    <in >out.txt 2>log.txt
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	# 200 + 400 + 800 ms.
	[ "$ms" -ge 1400 ] || atf_fail "the delays took $ms ms"
	atf_check -o inline:'535 5.7.8 Authentication credentials invalid\r\n535 5.7.8 Authentication credentials invalid\r\n535 5.7.8 Authentication credentials invalid\r\n421 4.7.0 mx.test Too many failed logins, closing\r\n' \
	    sed -n '12,$p' out.txt
	atf_check -o match:'\[\]: authentication failed for user=alice$' \
	    -o match:'end=auth-failures' cat log.txt
	start_listen --passwd-file passwd --allow-plain-auth
	guess_ban "$PORT" '220 ' \
	    "EHLO c\\r\\nAUTH PLAIN $bad\\r\\nAUTH PLAIN $bad\\r\\nAUTH PLAIN $bad\\r\\n" \
	    '535 5.7.8' 3 '421 4.7.0 mx.test Too many failed logins from your address'
	stop_pidfile msmtpd.pid
}
auth_backoff_cleanup() { stop_pidfile msmtpd.pid; }

atf_test_case usage
usage_head()
{
	atf_set descr "--help, --version, option errors exit 64"
}
usage_body()
{
	MSMTPD=$(yubin_prog msmtpd)
	atf_check -o match:'--inetd' "$MSMTPD" --help
	atf_check -o match:'msmtpd' "$MSMTPD" --version
	atf_check -s exit:64 -e match:'one of --inetd or --listen' "$MSMTPD"
	atf_check -s exit:64 -e match:'%T must be a word' \
	    "$MSMTPD" --inetd --command x a%T \;
	atf_check -s exit:64 -e match:'--max-size' \
	    "$MSMTPD" --inetd --max-size lots
}

atf_init_test_cases()
{
	atf_add_test_case session_basic
	atf_add_test_case session_errors
	atf_add_test_case too_many_errors
	atf_add_test_case timeout
	atf_add_test_case size_limit
	atf_add_test_case max_recipients
	atf_add_test_case option_injection
	atf_add_test_case delivery_limits
	atf_add_test_case mail_loop
	atf_add_test_case log_spoofing
	atf_add_test_case slowloris
	atf_add_test_case listen_per_address
	atf_add_test_case auth_backoff
	atf_add_test_case command_exit
	atf_add_test_case command_forms
	atf_add_test_case user_drop
	atf_add_test_case privsep_inetd
	atf_add_test_case privsep_listen
	atf_add_test_case command_timeout
	atf_add_test_case command_signal
	atf_add_test_case command_fds
	atf_add_test_case smuggling
	atf_add_test_case accept_bare_lf
	atf_add_test_case long_lines
	atf_add_test_case bdat
	atf_add_test_case smtputf8
	atf_add_test_case relay_policy
	atf_add_test_case auth_inetd
	atf_add_test_case relay_default_dot_line
	atf_add_test_case swaks_inetd
	atf_add_test_case listen_smtplib
	atf_add_test_case listen_pipelining
	atf_add_test_case listen_max_clients
	atf_add_test_case session_log
	atf_add_test_case shutdown_inetd
	atf_add_test_case listen_shutdown
	atf_add_test_case starttls_auth
	atf_add_test_case starttls_injection
	atf_add_test_case tls_on_connect
	atf_add_test_case usage
}
