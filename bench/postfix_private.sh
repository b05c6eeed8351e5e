# postfix_private.sh: a private Postfix for the benchmarks, sourced by
# bench/smtp.sh and bench/queue.sh.  Uses POSTFIX_ROOT (from
# tests/lib/postfix.sh's postfix_tools; empty: the installed Postfix).
# Start it with
#   env -i PATH=... LD_LIBRARY_PATH="$POSTFIX_LIBDIR" \
#       "$POSTFIX_ROOT/usr/lib/postfix/sbin/master" -c DIR/etc -s
# (master -s stays in the foreground: its PID is the one to stop).

# A private Postfix: own config and queue directories, the daemons from
# POSTFIX_ROOT (or the installed ones), smtpd on 127.0.0.1:PORT only,
# virtual(8) delivery of every *@bench.test into DIR/mail/Maildir as
# nobody.  master runs as root (it has to), the daemons as mail_owner.
# Needs root; the owner and setgid group are existing system accounts
# (daemon, mail), so nothing is added to the system.
pf_setup() {
	d=$1
	port=$2
	if [ -n "$POSTFIX_ROOT" ]; then
		pfr=$POSTFIX_ROOT
	else
		pfr=
	fi
	pflib=$pfr/usr/lib/postfix
	owner=daemon
	sgid=mail
	mkdir -p "$d/etc" "$d/queue/pid" "$d/data" "$d/mail"
	chmod 755 "$d"
	cat >"$d/etc/main.cf" <<EOF
# Private Postfix for the benchmarks: nothing of /etc/postfix is read.
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
daemon_directory = $pflib/sbin
command_directory = $pfr/usr/sbin
meta_directory = $d/etc
shlib_directory = $pflib
mail_owner = $owner
setgid_group = $sgid
default_privs = nobody
myhostname = bench.test
mydomain = bench.test
myorigin = bench.test
mydestination =
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $d/mail
virtual_mailbox_maps = static:Maildir/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $d/maillog
maillog_file_prefixes = $d
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
	LD_LIBRARY_PATH=$pflib
biff = no
smtputf8_enable = no
EOF
	cat >"$d/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	q=$d/queue
	for s in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		mkdir -p "$q/$s"
		chown "$owner" "$q/$s"
		chmod 700 "$q/$s"
	done
	mkdir -p "$q/maildrop" "$q/public"
	chown "$owner:$sgid" "$q/maildrop" "$q/public"
	chmod 730 "$q/maildrop"
	chmod 710 "$q/public"
	chown "$owner" "$d/data"
	chmod 700 "$d/data"
	chown nobody "$d/mail"
	mkdir -p "$d/mail/Maildir/tmp" "$d/mail/Maildir/new" \
	    "$d/mail/Maildir/cur"
	chown -R nobody "$d/mail/Maildir"
}
