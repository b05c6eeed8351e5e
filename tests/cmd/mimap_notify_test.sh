# mimap_notify_test: NOTIFY (RFC 5465) in `mimap serve'.  Sessions run
# `mimap serve --preauth' under Python (pipes, no network, as in
# mimap_write_test); mdeliver delivers into INBOX and a folder while the
# client idles, a second session creates and renames folders.  As root
# the Maildir belongs to nobody (the server serves it as its owner).

MIMAP=
setup()
{
	MIMAP=$(yubin_prog mimap)
	mkmd md
	mkmd md/.Work
	: >md/.Work/maildirfolder
	printf 'From: a@example.org\nSubject: one\n\nbody one\n' \
	    >md/new/1000.M1P1.test
	printf 'From: c@example.org\nSubject: two\n\nsecond\n' \
	    >'md/.Work/cur/1001.M2P2.test:2,S'
	give_maildir md
}

mkmd()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
}

pylib()
{
	cat >imapd.py <<'EOF'
import os, select, subprocess, sys, time

MIMAP = os.environ["MIMAP"]

class Session:
    def __init__(self, extra=()):
        self.p = subprocess.Popen([MIMAP, "serve", "--preauth", "--maildir",
            "md", "--log", "stderr", "--no-resolve", "--hostname",
            "imap.test"] + list(extra), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open("log.txt", "ab"))
        self.buf = b""
        self.n = 0
        self.line(5)

    def send(self, s):
        self.p.stdin.write(s.encode() + b"\r\n")
        self.p.stdin.flush()

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            d = os.read(self.p.stdout.fileno(), 65536)
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        l = l.decode()
        print("S:", l, file=sys.stderr)
        return l

    def cmd(self, s, timeout=10):
        self.n += 1
        tag = "t%d" % self.n
        print("C:", tag, s, file=sys.stderr)
        self.send(tag + " " + s)
        out = []
        while True:
            l = self.line(timeout)
            if l is None:
                raise SystemExit("no answer to " + s + ": " + repr(out))
            out.append(l)
            if l.startswith(tag + " "):
                return out

    def wait_for(self, pred, timeout):
        t0 = time.monotonic()
        while True:
            l = self.line(max(0, timeout - (time.monotonic() - t0)))
            if l is None:
                return None, time.monotonic() - t0
            if pred(l):
                return l, time.monotonic() - t0

    def inotify_fds(self):
        """The server's inotify descriptors now; None without /proc."""
        d = "/proc/%d/fd" % self.p.pid
        if not os.path.isdir(d):
            return None
        n = 0
        for f in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, f)) == "anon_inode:inotify":
                    n += 1
            except OSError:
                pass
        return n

def expect(lines, want):
    if want not in lines:
        raise SystemExit("no %r in %r" % (want, lines))

def deliver(folder=None):
    argv = [os.environ["MDELIVER"], "--maildir", "md"]
    if folder:
        argv += ["--folder", folder]
    subprocess.run(argv, input=b"From: x@example.org\nSubject: new\n\nhi\n",
        check=True)
EOF
}

atf_test_case capability
capability_head()
{
	atf_set "descr" "NOTIFY is advertised after login"
}
capability_body()
{
	setup
	printf 'a1 CAPABILITY\r\na2 LOGOUT\r\n' >in
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test <in >out.raw 2>log.txt
	grep -q '^\* CAPABILITY .* NOTIFY' out.raw ||
	    atf_fail "no NOTIFY: $(cat out.raw)"
}

atf_test_case idle_all_folders
idle_all_folders_head()
{
	atf_set "descr" "NOTIFY + IDLE: EXISTS for INBOX, STATUS for a folder, LIST for CREATE/RENAME, NOTIFY NONE stops it"
}
idle_all_folders_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" \
	    MDELIVER="$(yubin_prog mdeliver)" python3 - <<'EOF'
import sys, time
sys.path.insert(0, ".")
import imapd
from imapd import expect, deliver
a = imapd.Session()
b = imapd.Session()
a.cmd("SELECT INBOX")
out = a.cmd("NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge "
    "FlagChange)) "
    "(PERSONAL (MessageNew MessageExpunge MailboxName))")
expect(out, "t2 OK NOTIFY completed")
a.send("i1 IDLE")
assert a.line(5) == "+ idling"
time.sleep(0.3)
deliver()
l, t = a.wait_for(lambda l: l == "* 2 EXISTS", 5)
if l is None or t > 1.0:
    raise SystemExit("no EXISTS within 1 s: %r %.2f" % (l, t))
l, t = a.wait_for(lambda l: "FETCH" in l, 5)
if l != "* 2 FETCH (UID 2 FLAGS (\\Recent))":
    raise SystemExit("MessageNew fetch-att: %r" % l)
deliver("Work")
l, t = a.wait_for(lambda l: l.startswith("* STATUS Work "), 5)
if l is None or t > 1.0:
    raise SystemExit("no STATUS within 1 s: %r %.2f" % (l, t))
if "MESSAGES 2" not in l or "UIDNEXT" not in l or "UIDVALIDITY" not in l:
    raise SystemExit("STATUS: %r" % l)
b.cmd("CREATE Projects")
l, t = a.wait_for(lambda l: l.startswith("* LIST"), 5)
if l != '* LIST () "/" Projects' or t > 1.0:
    raise SystemExit("CREATE: %r %.2f" % (l, t))
b.cmd("RENAME Projects Done")
l, t = a.wait_for(lambda l: l.startswith("* LIST"), 5)
if l != '* LIST () "/" Done ("OLDNAME" (Projects))' or t > 1.0:
    raise SystemExit("RENAME: %r %.2f" % (l, t))
# The renamed folder is watched under its new name.
deliver("Done")
l, t = a.wait_for(lambda l: l.startswith("* STATUS"), 5)
if l is None or not l.startswith("* STATUS Done (MESSAGES 1 ") or t > 1.0:
    raise SystemExit("renamed folder: %r %.2f" % (l, t))
b.cmd("DELETE Done")
l, t = a.wait_for(lambda l: l.startswith("* LIST"), 5)
if l != '* LIST (\\NonExistent) "/" Done' or t > 1.0:
    raise SystemExit("DELETE: %r %.2f" % (l, t))
a.send("DONE")
l, t = a.wait_for(lambda l: l.startswith("i1 "), 5)
if l != "i1 OK IDLE terminated":
    raise SystemExit("DONE: %r" % l)
# At a command boundary too.
deliver("Work")
out = a.cmd("NOOP")
if not any(x.startswith("* STATUS Work (MESSAGES 3 ") for x in out):
    raise SystemExit("NOOP: %r" % out)
# NOTIFY NONE: nothing more of the other folders.
expect(a.cmd("NOTIFY NONE"), "t4 OK NOTIFY completed")
a.send("i2 IDLE")
assert a.line(5) == "+ idling"
deliver("Work")
b.cmd("CREATE Later")
l, t = a.wait_for(lambda l: True, 1.5)
if l is not None:
    raise SystemExit("after NOTIFY NONE: %r" % l)
a.send("DONE")
l, t = a.wait_for(lambda l: l.startswith("i2 "), 5)
print("ALL OK")
EOF
}

atf_test_case between_commands
between_commands_head()
{
	atf_set "descr" "NOTIFY news come while the client is quiet between commands, without IDLE"
}
between_commands_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" \
	    MDELIVER="$(yubin_prog mdeliver)" python3 - <<'EOF'
import sys, time
sys.path.insert(0, ".")
import imapd
from imapd import expect, deliver
a = imapd.Session()
a.cmd("SELECT INBOX")
expect(a.cmd("NOTIFY SET (SELECTED (MessageNew (UID) MessageExpunge)) "
    "(PERSONAL (MessageNew MessageExpunge))"), "t2 OK NOTIFY completed")
time.sleep(0.3)
deliver("Work")
l, t = a.wait_for(lambda l: True, 5)
if l is None or not l.startswith("* STATUS Work (MESSAGES 2 ") or t > 1.0:
    raise SystemExit("no STATUS between commands: %r %.2f" % (l, t))
deliver()
l, t = a.wait_for(lambda l: True, 5)
if l != "* 2 EXISTS" or t > 1.0:
    raise SystemExit("no EXISTS between commands: %r %.2f" % (l, t))
l, t = a.wait_for(lambda l: "FETCH" in l, 5)
if l != "* 2 FETCH (UID 2)":
    raise SystemExit("no FETCH between commands: %r" % l)
# Commands still work, and the news stop with NOTIFY NONE.
expect(a.cmd("NOOP"), "t3 OK NOOP completed")
expect(a.cmd("NOTIFY NONE"), "t4 OK NOTIFY completed")
deliver("Work")
l, t = a.wait_for(lambda l: True, 1.5)
if l is not None:
    raise SystemExit("after NOTIFY NONE: %r" % l)
print("ALL OK")
EOF
}

atf_test_case idle_poll
idle_poll_head()
{
	atf_set "descr" "--idle-poll 1: no inotify; IDLE reports new mail and another session's flag change, NOTIFY another folder's new mail, within seconds"
}
idle_poll_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" \
	    MDELIVER="$(yubin_prog mdeliver)" python3 - <<'EOF'
import sys, time
sys.path.insert(0, ".")
import imapd
from imapd import expect, deliver

def no_inotify(s, when):
    n = s.inotify_fds()
    if n:
        raise SystemExit("%d inotify descriptors %s" % (n, when))

def within(s, pred, secs, what):
    l, t = s.wait_for(pred, secs + 3)
    if l is None or t > secs:
        raise SystemExit("%s: not within %d s: %r %.2f" % (what, secs, l, t))
    return l

# The control: without --idle-poll an IDLE has its inotify watch.
c = imapd.Session()
c.cmd("SELECT INBOX")
c.send("c1 IDLE")
assert c.line(5) == "+ idling"
if c.inotify_fds() == 0:
    raise SystemExit("control: no inotify descriptor in IDLE")
c.send("DONE")
c.wait_for(lambda l: l.startswith("c1 "), 5)

a = imapd.Session(["--idle-poll", "1"])
b = imapd.Session(["--idle-poll", "1"])
a.cmd("SELECT INBOX")
a.send("i1 IDLE")
assert a.line(5) == "+ idling"
no_inotify(a, "in IDLE")
deliver()
within(a, lambda l: l == "* 2 EXISTS", 3, "new mail in IDLE")
# Another session's flag change.
b.cmd("SELECT INBOX")
expect(b.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)"), "t2 OK STORE completed")
l = within(a, lambda l: l.startswith("* 1 FETCH"), 3, "flag change in IDLE")
if "\\Flagged" not in l:
    raise SystemExit("flag change: %r" % l)
a.send("DONE")
l, t = a.wait_for(lambda l: l.startswith("i1 "), 5)
if l != "i1 OK IDLE terminated":
    raise SystemExit("DONE: %r" % l)
# NOTIFY: new mail in another folder, in IDLE and between commands.
expect(a.cmd("NOTIFY SET (SELECTED (MessageNew MessageExpunge)) "
    "(PERSONAL (MessageNew MessageExpunge))"), "t2 OK NOTIFY completed")
a.send("i2 IDLE")
assert a.line(5) == "+ idling"
no_inotify(a, "with NOTIFY in IDLE")
deliver("Work")
l = within(a, lambda l: l.startswith("* STATUS Work "), 3, "NOTIFY in IDLE")
if "MESSAGES 2 " not in l:
    raise SystemExit("STATUS: %r" % l)
a.send("DONE")
l, t = a.wait_for(lambda l: l.startswith("i2 "), 5)
if l != "i2 OK IDLE terminated":
    raise SystemExit("DONE: %r" % l)
time.sleep(0.3)
deliver("Work")
l = within(a, lambda l: l.startswith("* STATUS Work "), 3,
    "NOTIFY between commands")
if "MESSAGES 3 " not in l:
    raise SystemExit("STATUS: %r" % l)
no_inotify(a, "with NOTIFY between commands")
print("ALL OK")
EOF
}

atf_test_case idle_poll_bounds
idle_poll_bounds_head()
{
	atf_set "descr" "--idle-poll takes 0 to 1740 seconds, and --help tells"
}
idle_poll_bounds_body()
{
	setup
	for v in 1741 x -1; do
		msg="mimap: --idle-poll $v: not a number in [0, 1740]"
		atf_check -s exit:64 -e inline:"$msg\n" \
		    "$MIMAP" serve --preauth --maildir md --idle-poll "$v"
	done
	atf_check -o match:'--idle-poll S' "$MIMAP" serve --help
	printf 'a1 LOGOUT\r\n' >in
	atf_check -o match:'a1 OK' -e ignore "$MIMAP" serve --preauth \
	    --maildir md --log stderr --idle-poll 0 <in
}

atf_test_case subscriptions
subscriptions_head()
{
	atf_set "descr" "SubscriptionChange: LIST (\\Subscribed) and LIST () from another session's SUBSCRIBE/UNSUBSCRIBE"
}
subscriptions_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" \
	    MDELIVER="$(yubin_prog mdeliver)" python3 - <<'EOF'
import sys
sys.path.insert(0, ".")
import imapd
from imapd import expect
a = imapd.Session()
b = imapd.Session()
expect(a.cmd("NOTIFY SET (PERSONAL (SubscriptionChange))"),
    "t1 OK NOTIFY completed")
a.send("i1 IDLE")
assert a.line(5) == "+ idling"
b.cmd("SUBSCRIBE Work")
l, t = a.wait_for(lambda l: True, 5)
if l != '* LIST (\\Subscribed) "/" Work' or t > 1.0:
    raise SystemExit("SUBSCRIBE: %r %.2f" % (l, t))
b.cmd("UNSUBSCRIBE Work")
l, t = a.wait_for(lambda l: True, 5)
if l != '* LIST () "/" Work' or t > 1.0:
    raise SystemExit("UNSUBSCRIBE: %r %.2f" % (l, t))
# INBOX sorts first in the lists, "Archive" before it in bytes.
b.cmd("SUBSCRIBE INBOX")
l, t = a.wait_for(lambda l: True, 5)
if l != '* LIST (\\Subscribed) "/" INBOX':
    raise SystemExit("SUBSCRIBE INBOX: %r" % l)
b.cmd("SUBSCRIBE Archive")
l, t = a.wait_for(lambda l: True, 5)
if l != '* LIST (\\Subscribed) "/" Archive':
    raise SystemExit("SUBSCRIBE Archive: %r" % l)
l, t = a.wait_for(lambda l: True, 1)
if l is not None:
    raise SystemExit("after SUBSCRIBE Archive: %r" % l)
a.send("DONE")
l, t = a.wait_for(lambda l: l.startswith("i1 "), 5)
print("ALL OK")
EOF
}

atf_test_case set_status
set_status_head()
{
	atf_set "descr" "NOTIFY SET STATUS sends the folders' STATUS at once; FlagChange adds UNSEEN"
}
set_status_body()
{
	setup
	printf '%s\r\n' 'a1 SELECT INBOX' \
	    'a2 NOTIFY SET STATUS (SELECTED (MessageNew (UID FLAGS) MessageExpunge)) (SUBTREE Work (MessageNew MessageExpunge FlagChange))' \
	    'a3 LOGOUT' >in
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
	grep -qx '\* STATUS Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY [0-9]* UNSEEN 0 HIGHESTMODSEQ [0-9]*)' \
	    out.txt || atf_fail "no STATUS: $(cat out.txt)"
	grep -qx 'a2 OK NOTIFY completed' out.txt || atf_fail "$(cat out.txt)"
	grep -q '^\* STATUS INBOX' out.txt && atf_fail "selected: $(cat out.txt)"
	return 0
}

atf_test_case narrowest_filter
narrowest_filter_head()
{
	atf_set "descr" "a folder named by several filters takes the narrowest one's events"
}
narrowest_filter_body()
{
	setup
	printf '%s\r\n' \
	    'a1 NOTIFY SET STATUS (PERSONAL (MessageNew MessageExpunge)) (MAILBOXES Work NONE)' \
	    'a2 NOTIFY SET STATUS (PERSONAL NONE) (INBOXES (MessageNew MessageExpunge))' \
	    'a3 LOGOUT' >in
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
	[ "$(grep -c '^\* STATUS INBOX (MESSAGES 1 UIDNEXT 2 ' out.txt)" = 2 ] ||
	    atf_fail "INBOX: $(cat out.txt)"
	grep -q '^\* STATUS Work' out.txt && atf_fail "Work: $(cat out.txt)"
	return 0
}

atf_test_case bad_events
bad_events_head()
{
	atf_set "descr" "NOTIFY refuses bad syntax (BAD) and unsupported events (NO [BADEVENT])"
}
bad_events_body()
{
	setup
	printf '%s\r\n' 'a1 NOTIFY SET (PERSONAL (AnnotationChange))' \
	    'a2 NOTIFY SET (SELECTED (MessageNew))' \
	    'a3 NOTIFY SET (SELECTED (FlagChange))' \
	    'a13 NOTIFY SET (PERSONAL (MessageNew))' \
	    'a4 NOTIFY SET (NOWHERE (MessageNew MessageExpunge))' \
	    'a5 NOTIFY SET (SELECTED (MailboxName))' \
	    'a6 NOTIFY FOO' \
	    'a7 NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (SELECTED-DELAYED (MessageNew MessageExpunge))' \
	    'a8 NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))' \
	    'a9 NOTIFY SET (INBOXES NONE)' \
	    'a12 NOTIFY SET (SELECTED (MessageNew (BODY[]) MessageExpunge))' \
	    'a10 NOTIFY NONE' 'a11 LOGOUT' >in
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
	for l in 'a1 NO \[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)\] .*' \
	    'a2 BAD .*' 'a3 BAD .*' 'a4 BAD .*' 'a5 BAD .*' 'a6 BAD .*' \
	    'a7 BAD .*' 'a8 BAD .*' 'a12 BAD .*' 'a9 OK NOTIFY completed' \
	    'a13 OK NOTIFY completed' \
	    'a10 OK NOTIFY completed'; do
		grep -qx "$l" out.txt || atf_fail "no $l: $(cat out.txt)"
	done
}

atf_init_test_cases()
{
	atf_add_test_case capability
	atf_add_test_case idle_all_folders
	atf_add_test_case between_commands
	atf_add_test_case idle_poll
	atf_add_test_case idle_poll_bounds
	atf_add_test_case subscriptions
	atf_add_test_case set_status
	atf_add_test_case narrowest_filter
	atf_add_test_case bad_events
}
