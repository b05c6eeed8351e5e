# secrets_test: the programs that hold a password (msend, mpop fetch and
# serve, msmtpd) dump no core and, on Linux, are not dumpable: RLIMIT_CORE
# is 0 soft and hard in /proc/PID/limits, and run as another user their
# /proc/PID files belong to root (the kernel's sign of PR_SET_DUMPABLE 0,
# which also keeps the user's other processes from ptrace(2)).  Each
# program is caught while it waits: on stdin (a FIFO), or in passwordeval.

# catch NAME CMD...: start CMD with stdin from a FIFO held open, wait
# until its core limit is 0 0 (what the shell gave it was not), check
# the owner of its /proc files, stop it by PID.
catch()
{
	name=$1
	shift
	rm -f in.fifo
	mkfifo in.fifo
	"$@" <in.fifo >out.txt 2>err.txt &
	pid=$!
	exec 3>in.fifo
	i=0
	until grep -q '^Max core file size *0 *0 ' "/proc/$pid/limits" \
	    2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			exec 3>&-
			cat "/proc/$pid/limits" 2>/dev/null
			cat err.txt
			atf_fail "$name: core size limit not 0 0"
		fi
		sleep 0.1
	done
	if [ -n "$AS" ]; then
		# Running as nobody: dumpable files would be nobody's.
		uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
		owner=$(stat -c %u "/proc/$pid/status")
		if [ "$uid" != "$(id -u nobody)" ] || [ "$owner" != 0 ]; then
			kill "$pid"
			exec 3>&-
			atf_fail "$name: runs as $uid, /proc owned by $owner"
		fi
	fi
	kill "$pid"
	exec 3>&-
	wait "$pid" 2>/dev/null
	return 0
}

setup()
{
	[ -r /proc/self/limits ] || atf_skip "no /proc/PID/limits"
	# The programs must lower a limit that is not 0 already.
	ulimit -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)"
	[ "$(ulimit -H -c)" != 0 ] || atf_skip "core dumps are off already"
	AS=
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	    id nobody >/dev/null 2>&1; then
		AS="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) \
--clear-groups"
		chmod 755 .
	fi
}

atf_test_case msend
msend_head()
{
	atf_set descr "msend, reading the message it will send"
}
msend_body()
{
	setup
	catch msend $AS "$(yubin_prog msend)" --host 127.0.0.1 \
	    -i bob@example.org
}

atf_test_case mpop_fetch
mpop_fetch_head()
{
	atf_set descr "mpop fetch, while passwordeval runs"
}
mpop_fetch_body()
{
	setup
	mkdir md
	[ -z "$AS" ] || chown nobody md
	catch "mpop fetch" $AS "$(yubin_prog mpop)" fetch --maildir md \
	    --passwordeval 'sleep 30; echo pw' pop3://u@127.0.0.1:1
}

atf_test_case mpop_serve
mpop_serve_head()
{
	atf_set descr "mpop serve, waiting for USER"
}
mpop_serve_body()
{
	setup
	printf 'u:x:::md\n' >passwd
	catch "mpop serve" $AS "$(yubin_prog mpop)" serve --passwd-file passwd \
	    --allow-plain-auth --log stderr
}

atf_test_case msmtpd
msmtpd_head()
{
	atf_set descr "msmtpd --inetd, waiting for EHLO"
}
msmtpd_body()
{
	setup
	catch msmtpd $AS "$(yubin_prog msmtpd)" --inetd --log stderr \
	    --no-resolve --hostname mx.test --command /bin/true
}

atf_init_test_cases()
{
	atf_add_test_case msend
	atf_add_test_case mpop_fetch
	atf_add_test_case mpop_serve
	atf_add_test_case msmtpd
}
