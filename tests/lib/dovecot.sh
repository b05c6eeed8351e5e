# dovecot.sh: a private Dovecot POP3 server for the tests, on 127.0.0.1.
# Source it, then:
#   dovecot_start    configure and start it in ./dovecot (skips the
#                    test when Dovecot is not installed); sets
#                    DOVECOT_PORT (POP3 with STLS), DOVECOT_PORT_S (POP3S),
#                    DOVECOT_MAILDIR (the user's Maildir, made empty),
#                    DOVECOT_CA (the CA that signed its certificate) and
#                    the account alice / secret.
#   dovecot_stop     stop it by its PID.
# Everything (config, base_dir, state_dir, log, passwd-file, Maildir)
# lives in ./dovecot under the test's work directory.  Run as root, the
# master keeps root, its internal and login processes run as the
# packaged dovecot/dovenull users, and alice's mail as nobody; as any
# other user, everything runs as that user.

dovecot_start()
{
	DOVECOT_BIN=$(command -v dovecot || echo /usr/sbin/dovecot)
	[ -x "$DOVECOT_BIN" ] || atf_fail "dovecot is not installed (./quickstart check installs it)"
	[ -x /usr/lib/dovecot/pop3 ] || atf_fail "dovecot-pop3d is not installed (./quickstart check installs it)"
	D=$PWD/dovecot
	rm -rf "$D"
	mkdir -p "$D/run" "$D/state" "$D/home" "$D/Maildir/new" \
	    "$D/Maildir/cur" "$D/Maildir/tmp"
	make_certs "$D/certs"
	DOVECOT_CA=$D/certs/ca.pem
	DOVECOT_MAILDIR=$D/Maildir
	DOVECOT_PORT=$(free_port)
	DOVECOT_PORT_S=$(free_port)
	uid=$(id -u)
	gid=$(id -g)
	if [ "$uid" = 0 ]; then
		# Dovecot never touches mail as root: alice's mail belongs
		# to nobody (root can still fill and read the Maildir).
		uid=$(id -u nobody) || atf_skip "no user nobody"
		gid=$(id -g nobody)
		chown -R "$uid:$gid" "$D/home" "$D/Maildir"
		iuser=dovecot
		luser=dovenull
		id dovecot >/dev/null 2>&1 || atf_skip "no dovecot user"
		id dovenull >/dev/null 2>&1 || luser=dovecot
		# The unprivileged processes must reach base_dir.
		d=$D
		while [ "$d" != / ]; do
			chmod o+x "$d" 2>/dev/null || :
			d=$(dirname "$d")
		done
	else
		iuser=$(id -un)
		luser=$iuser
	fi
	printf 'alice:{PLAIN}secret:%s:%s::%s::\n' "$uid" "$gid" "$D/home" \
	    >"$D/passwd"
	cat >"$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/state
instance_name = yubin-test-$$-$DOVECOT_PORT
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
protocols = pop3
listen = 127.0.0.1
default_internal_user = $iuser
default_internal_group = $(id -gn "$iuser")
default_login_user = $luser
mail_location = maildir:$D/Maildir
mail_uid = $uid
mail_gid = $gid
ssl = yes
ssl_cert = <$D/certs/server.pem
ssl_key = <$D/certs/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DOVECOT_PORT_S
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service pop3-login {
  chroot =
}
CONF
	"$DOVECOT_BIN" -c "$D/dovecot.conf" >"$D/start.out" 2>&1 ||
	    atf_fail "dovecot did not start: $(cat "$D/start.out" "$D/dovecot.log" 2>/dev/null)"
	i=0
	while [ ! -s "$D/run/master.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cp "$D/run/master.pid" "$PWD/dovecot.pid" 2>/dev/null ||
	    atf_fail "dovecot wrote no PID: $(cat "$D/dovecot.log")"
	wait_port "$DOVECOT_PORT" && wait_port "$DOVECOT_PORT_S" ||
	    atf_fail "dovecot does not listen: $(cat "$D/dovecot.log")"
}

dovecot_stop()
{
	stop_pidfile "$PWD/dovecot.pid"
}
