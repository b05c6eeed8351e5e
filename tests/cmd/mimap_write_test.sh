# mimap_write_test: the IMAP server's commands that change folders:
# STORE (UNCHANGEDSINCE), COPY and MOVE (COPYUID), APPEND (APPENDUID,
# TRYCREATE, APPENDLIMIT, a client killed mid-literal), IDLE woken by
# mdeliver, two sessions seeing each other, SELECT with QRESYNC.  The
# protocol cases feed `mimap serve --preauth' over a pipe; the
# concurrent ones run it under Python (pipes, no network).  As root the
# Maildir belongs to nobody (the server serves it as its owner).

MIMAP=
setup()
{
	MIMAP=$(yubin_prog mimap)
	mkmd md
	mkmd md/.Sent
	: >md/.Sent/maildirfolder
	# m1 in new/ (LF), m2 in cur/ with \Seen (CRLF), m3 in cur/.
	printf 'From: a@example.org\nSubject: one\nMessage-ID: <1@x>\n\nbody one\n' \
	    >md/new/1000.M1P1.test
	printf 'From: c@example.org\r\nSubject: two\r\n\r\nsecond\r\n' \
	    >'md/cur/1001.M2P2.test:2,S'
	printf 'From: d@example.org\nSubject: three\n\nthird\n' \
	    >'md/cur/1002.M3P3.test:2,'
	give_maildir md
}

mkmd()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
}

# imap: one preauthenticated session on ./in, answers in out.txt without
# CRs, log in log.txt.
imap()
{
	"$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test "$@" <in >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
}

# has LINE...: each line is in out.txt.
has()
{
	for l in "$@"; do
		grep -qxF -- "$l" out.txt || {
			echo "--- got"; cat out.txt; echo "--- log"; cat log.txt
			atf_fail "no line: $l"
		}
	done
}

# hasnt LINE...: no line is.
hasnt()
{
	for l in "$@"; do
		! grep -qxF -- "$l" out.txt || {
			echo "--- got"; cat out.txt
			atf_fail "unexpected line: $l"
		}
	done
}

# The Python side of the concurrent cases: imapd(), a session over pipes.
pylib()
{
	cat >imapd.py <<'EOF'
import os, select, subprocess, sys, time

MIMAP = os.environ["MIMAP"]

class Session:
    def __init__(self):
        self.p = subprocess.Popen([MIMAP, "serve", "--preauth", "--maildir",
            "md", "--log", "stderr", "--no-resolve", "--hostname",
            "imap.test"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
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
        """Send a tagged command, return its lines (tagged last)."""
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

def expect(lines, want):
    if want not in lines:
        raise SystemExit("no %r in %r" % (want, lines))
EOF
}

atf_test_case store_forms
store_forms_head()
{
	atf_set "descr" "STORE FLAGS/+FLAGS/-FLAGS/.SILENT, keywords, UNCHANGEDSINCE, read-only"
}
store_forms_body()
{
	setup
	printf '%s\r\n' 'a1 SELECT INBOX' \
	    'a2 STORE 1 +FLAGS (\Flagged $Work)' \
	    'a3 STORE 1:2 FLAGS.SILENT (\Seen \Answered)' \
	    'a4 STORE 2 -FLAGS \Answered' \
	    'a5 UID STORE 3 +FLAGS.SILENT (\Draft)' \
	    'a6 STORE 4 +FLAGS (\Seen)' 'a7 STORE 1 +FLAGS (\Recent)' \
	    'a8 STORE 1 BOGUS (\Seen)' 'a9 LOGOUT' >in
	imap
	has '* 1 FETCH (FLAGS (\Flagged $Work \Recent))' \
	    'a2 OK STORE completed' \
	    '* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)' \
	    'a3 OK STORE completed' '* 2 FETCH (FLAGS (\Seen))' \
	    'a4 OK STORE completed' 'a5 OK UID STORE completed' \
	    'a6 BAD no such message sequence number' \
	    'a7 BAD bad flag "\Recent"' 'a8 BAD unknown STORE item'
	# .SILENT: no FETCH for a3 and a5.
	hasnt '* 1 FETCH (FLAGS (\Answered \Seen \Recent))' \
	    '* 3 FETCH (UID 3 FLAGS (\Draft))'
	# On disk: the flags in the names, the keyword in the keyword file.
	ls md/cur | grep -qx '1000.M1P1.test:2,RS' || atf_fail "m1: $(ls md/cur)"
	ls md/cur | grep -qx '1001.M2P2.test:2,S' || atf_fail "m2: $(ls md/cur)"
	ls md/cur | grep -qx '1002.M3P3.test:2,D' || atf_fail "m3: $(ls md/cur)"
	grep -qx '0 $Work' md/dovecot-keywords || atf_fail "no keyword file"

	# CONDSTORE: MODSEQs, .SILENT still says the MODSEQ, MODIFIED.
	printf '%s\r\n' 'a1 SELECT INBOX (CONDSTORE)' \
	    'a2 STORE 1 +FLAGS ($Work)' \
	    'a3 STORE 2 +FLAGS.SILENT (\Flagged)' \
	    'a4 UID STORE 1:3 (UNCHANGEDSINCE 1) -FLAGS (\Seen)' \
	    'a5 STORE 3 (UNCHANGEDSINCE 0) +FLAGS (\Seen)' 'a6 LOGOUT' >in
	imap
	grep -q '^\* OK \[HIGHESTMODSEQ [0-9]*\] ' out.txt ||
	    atf_fail "no HIGHESTMODSEQ: $(cat out.txt)"
	grep -q '^\* 1 FETCH (FLAGS (\\Answered \\Seen $Work) MODSEQ ([0-9]*))$' \
	    out.txt || atf_fail "a2: $(cat out.txt)"
	grep -q '^\* 2 FETCH (MODSEQ ([0-9]*))$' out.txt ||
	    atf_fail "a3: $(cat out.txt)"
	grep -q '^a4 OK \[MODIFIED 1:3\] conditional STORE failed$' out.txt ||
	    atf_fail "a4: $(cat out.txt)"
	has 'a5 OK [MODIFIED 3] conditional STORE failed'
	ls md/cur | grep -qx '1001.M2P2.test:2,FS' || atf_fail "m2: $(ls md/cur)"

	# EXAMINE: read-only.
	printf '%s\r\n' 'a1 EXAMINE INBOX' 'a2 STORE 1 +FLAGS (\Deleted)' \
	    'a3 LOGOUT' >in
	imap
	has 'a2 NO [READ-ONLY] folder is read-only'
	ls md/cur | grep -q 'T' && atf_fail "EXAMINE stored: $(ls md/cur)"
	return 0
}

atf_test_case copy_move
copy_move_head()
{
	atf_set "descr" "COPY and MOVE with COPYUID, TRYCREATE, files on disk"
}
copy_move_body()
{
	setup
	printf '%s\r\n' 'a1 SELECT INBOX' 'a2 STORE 3 +FLAGS ($Work)' \
	    'a3 COPY 1:2 Sent' 'a4 COPY 1 Nope' 'a5 UID COPY 7 Sent' \
	    'a6 MOVE 3 Sent' 'a7 FETCH 1:* (UID)' 'a8 SELECT Sent' \
	    'a9 FETCH 1:* (UID FLAGS)' 'b1 LOGOUT' >in
	imap
	# The first copies start the folder's UIDs: 1 and 2.
	grep -q '^a3 OK \[COPYUID [0-9]* 1:2 1:2\] COPY completed$' out.txt ||
	    atf_fail "a3: $(cat out.txt)"
	has 'a4 NO [TRYCREATE] no such folder' \
	    'a5 OK UID COPY completed, nothing to do' \
	    '* 3 EXPUNGE' 'a6 OK MOVE completed' '* 3 EXISTS' \
	    '* 3 FETCH (UID 3 FLAGS ($Work \Recent))' \
	    '* 2 FETCH (UID 2 FLAGS (\Seen \Recent))'
	grep -q '^\* OK \[COPYUID [0-9]* 3 3\] moved$' out.txt ||
	    atf_fail "a6: $(cat out.txt)"
	# The untagged COPYUID comes before the EXPUNGE.
	[ "$(grep -n 'COPYUID [0-9]* 3 3' out.txt | cut -d: -f1)" -lt \
	    "$(grep -n '^\* 3 EXPUNGE' out.txt | cut -d: -f1)" ] ||
	    atf_fail "EXPUNGE before COPYUID"
	[ "$(ls md/.Sent/cur md/.Sent/new | grep -c test)" = 0 ] || true
	[ "$(find md/.Sent/cur md/.Sent/new -type f | wc -l)" = 3 ] ||
	    atf_fail "Sent: $(ls -R md/.Sent)"
	[ "$(find md/cur md/new -type f | wc -l)" = 2 ] ||
	    atf_fail "INBOX: $(ls -R md)"
	grep -qx '0 $Work' md/.Sent/dovecot-keywords ||
	    atf_fail "keyword not carried: $(cat md/.Sent/dovecot-keywords)"
	grep -l 'third' md/.Sent/cur/* | grep -q ':2,a$' ||
	    atf_fail "moved file: $(ls md/.Sent/cur)"
}

atf_test_case append
append_head()
{
	atf_set "descr" "APPEND: flags, date (mtime), APPENDUID, TRYCREATE, limits"
}
append_body()
{
	setup
	printf 'a1 APPEND Sent (\\Seen $Sent) "01-Jan-2020 10:00:00 +0100" {24}\r\nSubject: saved\r\n\r\nbody\r\n\r\n' >in
	printf 'a2 APPEND Nope {3}\r\nabc\r\n' >>in
	printf 'a3 APPEND Sent {0}\r\n\r\n' >>in
	printf 'a4 APPEND Sent {999999999999}\r\n' >>in
	printf 'a5 SELECT INBOX\r\na6 APPEND INBOX {11+}\r\nSubject: x\n\r\n' >>in
	printf 'a7 APPEND Sent (\\Recent) {3+}\r\nabc\r\n' >>in
	printf 'a8 APPEND Sent "31-Feb-2020 10:00:00 +0000" {3+}\r\nabc\r\n' >>in
	printf 'b1 APPEND Sent UTF8 (~{5+}\r\nhello)\r\n' >>in
	printf 'b2 ENABLE UTF8=ACCEPT\r\nb3 APPEND Sent UTF8 (~{5+}\r\nhello)\r\n' >>in
	printf 'a9 LOGOUT\r\n' >>in
	imap
	has 'b1 BAD ENABLE UTF8=ACCEPT first'
	grep -q '^b3 OK \[APPENDUID [0-9]* 2\] APPEND completed$' out.txt ||
	    atf_fail "b3: $(cat out.txt)"
	grep -q '^a1 OK \[APPENDUID [0-9]* 1\] APPEND completed$' out.txt ||
	    atf_fail "a1: $(cat out.txt)"
	has 'a2 NO [TRYCREATE] no such folder' \
	    'a3 NO an empty message is not appended' \
	    'a4 NO [TOOBIG] message over APPENDLIMIT' '* 4 EXISTS' \
	    'a7 BAD bad flag "\Recent"' 'a8 BAD bad date-time'
	grep -q '^a6 OK \[APPENDUID [0-9]* 4\] APPEND completed$' out.txt ||
	    atf_fail "a6: $(cat out.txt)"
	grep -q '^\* CAPABILITY\|APPENDLIMIT=67108864' out.txt ||
	    atf_fail "no APPENDLIMIT"
	# new/, with the flags in the info: \Recent (RFC 3501 §6.3.11).
	f=$(ls md/.Sent/new/*:2,Sa) || atf_fail "no file: $(ls -R md/.Sent)"
	[ "$(cat "$f")" = "$(printf 'Subject: saved\r\n\r\nbody\r\n')" ] ||
	    atf_fail "content"
	# INTERNALDATE is the mtime: 09:00 UTC.
	[ "$(date -u -r "$f" '+%Y-%m-%d %H:%M:%S')" = '2020-01-01 09:00:00' ] ||
	    atf_fail "mtime: $(date -u -r "$f")"
	[ -z "$(find md/.Sent/tmp md/tmp -type f)" ] || atf_fail "tmp/ not empty"
}

atf_test_case append_killed
append_killed_head()
{
	atf_set "descr" "a client killed mid-APPEND leaves nothing half-written"
}
append_killed_body()
{
	peer_require python3
	setup
	pylib
	# A SELECT first, so that its new/ -> cur/ is not counted.
	printf 'a1 SELECT INBOX\r\na2 LOGOUT\r\n' >in
	imap
	find md -type f | sort >before.txt
	# The client is killed; then the server itself (kill -9).
	half_append client
	grep -q 'end=eof\|end=lost\|end=dropped' log.txt ||
	    atf_fail "log: $(cat log.txt)"
	half_append server
}

# half_append client|server: an APPEND whose literal stops half-way,
# then kill -9 of the client or of the server; nothing may be left.
half_append()
{
	rm -f pid.txt
	MIMAP="$MIMAP" python3 - <<'EOF' &
import os, sys, time
sys.path.insert(0, ".")
import imapd
s = imapd.Session()
s.cmd("SELECT INBOX")
s.send("a1 APPEND INBOX (\\Seen) {4000}")
assert s.line(5).startswith("+ ")
s.p.stdin.write(b"Subject: half\r\n\r\n" + b"x" * 1980)
s.p.stdin.flush()
time.sleep(0.3)
open("pid.txt", "w").write(str(s.p.pid))
time.sleep(60)
EOF
	py=$!
	n=0
	while [ ! -s pid.txt ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	[ -s pid.txt ] || atf_fail "the client did not get going"
	srv=$(cat pid.txt)
	[ "$1" = server ] && kill -9 "$srv"
	kill -9 $py
	wait $py 2>/dev/null
	# The server sees the end of its input and goes.
	n=0
	while kill -0 "$srv" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kill -0 "$srv" 2>/dev/null && atf_fail "the server is still there"
	find md -type f | sort >after.txt
	diff before.txt after.txt | grep '^>' | grep -v 'yubin-\|dovecot-' \
	    >new.txt || true
	[ ! -s new.txt ] || atf_fail "$1 killed: left behind: $(cat new.txt)"
	[ -z "$(ls md/tmp)" ] || atf_fail "$1 killed: tmp/ not empty: $(ls md/tmp)"
}

atf_test_case imaplib_client
imaplib_client_head()
{
	atf_set "descr" "Python imaplib over --listen: APPEND, STORE, COPY, MOVE, EXPUNGE"
}
imaplib_client_body()
{
	peer_require python3
	setup
	hash=$(openssl passwd -6 -salt saltsalt s3cret) ||
	    atf_fail "openssl cannot make a hash"
	ids=:
	[ "$(id -u)" = 0 ] && ids="$(id -u nobody):$(id -g nobody)"
	printf 'alice:%s:%s:%s/md\n' "$hash" "$ids" "$PWD" >passwd
	PORT=$(free_port)
	"$MIMAP" serve --listen "127.0.0.1:$PORT" --log stderr --no-resolve \
	    --hostname imap.test --auth-delay 0 --passwd-file passwd \
	    --allow-plain-auth 2>listen.log &
	echo $! >mimap.pid
	wait_port "$PORT" || atf_fail "mimap did not listen: $(cat listen.log)"
	atf_check -o match:'^APPEND OK \[APPENDUID [0-9]+ 1\]' \
	    -o match:'^STORE OK 1 \(FLAGS \(\\Flagged \\Recent\)\)' \
	    -o match:'^COPY OK \[COPYUID [0-9]+ 1 2\]' \
	    -o match:'^MOVE OK$' -o match:'^EXPUNGE OK 2 1$' -o match:'^LEFT 3$' \
	    python3 - "$PORT" <<'EOF'
import imaplib, sys, time
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("alice", "s3cret")
typ, data = m.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()),
    b"Subject: from imaplib\r\n\r\nhello\r\n")
print("APPEND", typ, data[0].decode())
m.select("INBOX")
typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
print("STORE", typ, data[0].decode())
typ, data = m.copy("1", "Sent")
print("COPY", typ, data[0].decode())
typ, data = m.uid("MOVE", "2", "Sent")
print("MOVE", typ)
m.store("1", "+FLAGS", "(\\Deleted)")
typ, data = m.expunge()
# imaplib keeps the MOVE's "* 2 EXPUNGE" with these.
print("EXPUNGE", typ, " ".join(d.decode() for d in data))
typ, data = m.select("Sent")
print("LEFT", data[0].decode())
m.logout()
EOF
	kill "$(cat mimap.pid)"
	[ "$(find md/.Sent/cur md/.Sent/new -type f | wc -l)" = 3 ] ||
	    atf_fail "Sent: $(ls -R md/.Sent)"
	[ "$(find md/cur md/new -type f | wc -l)" = 1 ] ||
	    atf_fail "INBOX: $(ls -R md)"
}

atf_test_case idle_wakeup
idle_wakeup_head()
{
	atf_set "descr" "IDLE reports mail delivered by mdeliver within 1 s"
}
idle_wakeup_body()
{
	peer_require python3
	setup
	pylib
	MDELIVER=$(yubin_prog mdeliver)
	atf_check -o match:'^WOKE [0-9.]*$' -o match:'^DONE OK$' -e ignore \
	    env MIMAP="$MIMAP" MDELIVER="$MDELIVER" python3 - <<'EOF'
import os, subprocess, sys, time
sys.path.insert(0, ".")
import imapd
s = imapd.Session()
s.cmd("SELECT INBOX")
s.send("i1 IDLE")
assert s.line(5) == "+ idling"
time.sleep(0.5)
subprocess.run([os.environ["MDELIVER"], "--maildir", "md"],
    input=b"From: x@example.org\nSubject: new\n\nhi\n", check=True)
l, t = s.wait_for(lambda l: l == "* 4 EXISTS", 5)
if l is None or t > 1.0:
    raise SystemExit("no EXISTS within 1 s: %r %.2f" % (l, t))
print("WOKE %.2f" % t)
s.send("DONE")
l, t = s.wait_for(lambda l: l.startswith("i1 "), 5)
print("DONE", "OK" if l == "i1 OK IDLE terminated" else l)
EOF
}

atf_test_case idle_bounds
idle_bounds_head()
{
	atf_set "descr" "IDLE: only DONE ends it, the autologout timeout bounds it"
}
idle_bounds_body()
{
	setup
	{ printf 'a1 SELECT INBOX\r\na2 IDLE\r\n'; sleep 0.3
	  printf 'a3 NOOP\r\na4 IDLE\r\n'; sleep 0.3
	  printf 'done\r\na5 IDLE\r\n'; sleep 4; } |
	    "$MIMAP" serve --preauth --maildir md --log stderr --no-resolve \
	    --hostname imap.test --timeout 2 >out.raw 2>log.txt
	tr -d '\r' <out.raw >out.txt
	# The command sent while idle is not run: it ends the IDLE badly.
	has '+ idling' 'a2 BAD expected DONE' \
	    'a4 OK IDLE terminated' '* BYE autologout; idle for too long'
	hasnt 'a3 OK NOOP completed'
	grep -q 'end=timeout' log.txt || atf_fail "log: $(cat log.txt)"
}

atf_test_case two_sessions
two_sessions_head()
{
	atf_set "descr" "two sessions see each other's STORE and EXPUNGE"
}
two_sessions_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" python3 - <<'EOF'
import sys, time
sys.path.insert(0, ".")
import imapd
from imapd import expect
a = imapd.Session()
b = imapd.Session()
a.cmd("SELECT INBOX")
b.cmd("SELECT INBOX")
a.cmd("STORE 2 +FLAGS (\\Flagged)")
out = b.cmd("NOOP")
expect(out, "* 2 FETCH (FLAGS (\\Flagged \\Seen))")
# While idle, the other session's change comes within a second.
b.send("i1 IDLE")
assert b.line(5) == "+ idling"
a.cmd("STORE 3 +FLAGS (\\Deleted)")
l, t = b.wait_for(lambda l: l.startswith("* 3 FETCH"), 3)
if l != "* 3 FETCH (FLAGS (\\Deleted))" or t > 1.0:
    raise SystemExit("idle FETCH: %r %.2f" % (l, t))
a.cmd("EXPUNGE")
l, t = b.wait_for(lambda l: l == "* 3 EXPUNGE", 3)
if l is None or t > 1.0:
    raise SystemExit("idle EXPUNGE: %r %.2f" % (l, t))
b.send("DONE")
b.wait_for(lambda l: l.startswith("i1 "), 5)
# A third message goes by MOVE in a; b hears it at its next command
# (FETCH: no EXPUNGE yet, then NOOP).
a.cmd("MOVE 1 Sent")
out = b.cmd("FETCH 1 (UID)")
if any(l.endswith("EXPUNGE") for l in out):
    raise SystemExit("EXPUNGE during FETCH: %r" % out)
out = b.cmd("NOOP")
expect(out, "* 1 EXPUNGE")
print("ALL OK")
EOF
}

atf_test_case three_sessions
three_sessions_head()
{
	atf_set "descr" "three sessions: a message expunged by one while another fetches it gives a clean answer; the third hears of it"
}
three_sessions_body()
{
	peer_require python3
	setup
	pylib
	atf_check -o match:'^ALL OK$' -e ignore env MIMAP="$MIMAP" python3 - <<'EOF'
import glob, os, sys
sys.path.insert(0, ".")
import imapd
from imapd import expect
a = imapd.Session()
b = imapd.Session()
c = imapd.Session()
for s in (a, b, c):
    s.cmd("SELECT INBOX")
a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
a.cmd("EXPUNGE")
# b has not heard of it: its message 2 is still there for it (RFC 9051
# §7.5.1: no EXPUNGE during FETCH).  Its body is gone from the disk:
# the answer is the body or a NO, never garbage, never a dropped line.
out = b.cmd("FETCH 2 (BODY[] FLAGS)")
tagged = out[-1]
if tagged.startswith("t2 OK"):
    if not any(l.startswith("* 2 FETCH") for l in out):
        raise SystemExit("OK without the message: %r" % out)
elif not tagged.startswith("t2 NO [EXPUNGEISSUED]"):
    raise SystemExit("FETCH of the expunged message: %r" % out)
if any("EXPUNGE" in l and l.startswith("* ") for l in out):
    raise SystemExit("EXPUNGE during FETCH: %r" % out)
# STORE and COPY on it: the same.
for cmd in ("STORE 2 +FLAGS (\\Flagged)", "COPY 2 Sent"):
    out = b.cmd(cmd)
    if not (out[-1].split(" ", 1)[1].startswith("OK") or
            "[EXPUNGEISSUED]" in out[-1]):
        raise SystemExit("%s: %r" % (cmd, out))
out = b.cmd("NOOP")
expect(out, "* 2 EXPUNGE")
out = c.cmd("NOOP")
expect(out, "* 2 EXPUNGE")
out = c.cmd("FETCH 1:* (FLAGS)")
if sum(1 for l in out if l.startswith("* ") and "FETCH" in l) != 2:
    raise SystemExit("c: %r" % out)
# A file taken away behind every session's back (another program).
f = glob.glob("md/cur/1002.*")[0]
os.unlink(f)
out = c.cmd("FETCH 2 (BODY.PEEK[TEXT])")
if not (out[-1].startswith("t%d OK" % c.n) or "NO" in out[-1]):
    raise SystemExit("gone file: %r" % out)
out = c.cmd("NOOP")
expect(out, "* 2 EXPUNGE")
for s in (a, b, c):
    s.cmd("LOGOUT")
print("ALL OK")
EOF
}

atf_test_case qresync_select
qresync_select_head()
{
	atf_set "descr" "SELECT (QRESYNC ...) gives VANISHED (EARLIER) and changes"
}
qresync_select_body()
{
	setup
	printf '%s\r\n' 'a1 SELECT INBOX (CONDSTORE)' 'a2 LOGOUT' >in
	imap
	uv=$(sed -n 's/^\* OK \[UIDVALIDITY \([0-9]*\)\].*/\1/p' out.txt)
	ms=$(sed -n 's/^\* OK \[HIGHESTMODSEQ \([0-9]*\)\].*/\1/p' out.txt)
	[ -n "$uv" ] && [ -n "$ms" ] || atf_fail "a1: $(cat out.txt)"
	printf '%s\r\n' 'a1 SELECT INBOX' 'a2 STORE 1 +FLAGS (\Deleted)' \
	    'a3 EXPUNGE' 'a4 STORE 2 +FLAGS (\Answered)' 'a5 LOGOUT' >in
	imap
	has '* 1 EXPUNGE' 'a3 OK EXPUNGE completed'
	printf '%s\r\n' "a1 SELECT INBOX (QRESYNC ($uv $ms))" \
	    'a2 ENABLE QRESYNC' "a3 SELECT INBOX (QRESYNC ($uv $ms 1:3))" \
	    "a4 EXAMINE INBOX (QRESYNC ($uv $ms 2))" \
	    "a5 SELECT INBOX (QRESYNC (1 $ms))" \
	    'a6 STORE 2 +FLAGS (\Deleted)' 'a7 EXPUNGE' 'a8 LOGOUT' >in
	imap
	has 'a1 BAD [CLIENTBUG] ENABLE QRESYNC first' '* ENABLED QRESYNC' \
	    '* VANISHED (EARLIER) 1' '* OK [CLOSED] previous folder closed' \
	    '* VANISHED 3' 'a7 OK EXPUNGE completed'
	grep -q '^\* 2 FETCH (UID 3 FLAGS (\\Answered) MODSEQ ([0-9]*))$' \
	    out.txt || atf_fail "no FETCH: $(cat out.txt)"
	# a4 knows only UID 2: neither VANISHED 1 nor a FETCH of UID 3.
	sed -n '/^a3 /,/^a4 /p' out.txt >a4.txt
	grep -q 'VANISHED\|FETCH' a4.txt && atf_fail "a4: $(cat a4.txt)"
	# a5: another UIDVALIDITY: nothing.
	sed -n '/^a4 /,/^a5 /p' out.txt >a5.txt
	grep -q 'VANISHED\|FETCH' a5.txt && atf_fail "a5: $(cat a5.txt)"
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case store_forms
	atf_add_test_case copy_move
	atf_add_test_case append
	atf_add_test_case append_killed
	atf_add_test_case three_sessions
	atf_add_test_case idle_wakeup
	atf_add_test_case imaplib_client
	atf_add_test_case idle_bounds
	atf_add_test_case two_sessions
	atf_add_test_case qresync_select
}
