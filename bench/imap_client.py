#!/usr/bin/python3
"""imap_client.py: one IMAP benchmark session, the same for every server.

usage: imap_client.py PORT USER PASSWORD [PID]

Logs in on 127.0.0.1:PORT with Python's imaplib and times, in this order:

  login_select     connect, LOGIN, SELECT INBOX
  rss_kb           (with PID, the server's master) the resident memory of
                   the processes born for this connection, once selected
  pss_kb           the same, proportional (shared pages divided)
  uid_fetch_flags  UID FETCH 1:* (FLAGS)
  fetch_envelope   FETCH 1:* (ENVELOPE)
  search_from      SEARCH FROM "carol" (first, then repeated)
  search_from_2
  sort_date        SORT (DATE) UTF-8 ALL (when the server has SORT)
  fetch_body       FETCH 1:* BODY.PEEK[] read from the raw socket; the
                   value is MB/s, not seconds

One "NAME VALUE" line each on stdout; "NAME -" for what the server does
not offer or refused.  Exits non-zero when the login or SELECT fails or a
FETCH answers fewer messages than EXISTS said.
"""

import imaplib
import os
import sys
import time


def children(pid):
    """Every descendant of pid, from /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def mem_kb(pids, field):
    """Sum of field ("Rss:" or "Pss:") over pids, from smaps_rollup."""
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith(field):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def main():
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    master = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    before = children(master) if master else set()
    t0 = time.monotonic()
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password)
    typ, data = m.select("INBOX")
    if typ != "OK":
        sys.exit("SELECT: %r" % data)
    n = int(data[0])
    print("login_select %.4f" % (time.monotonic() - t0))
    if master:
        time.sleep(0.2)
        born = children(master) - before
        print("rss_kb %d" % mem_kb(born, "Rss:"))
        # Proportional: shared pages (libraries, the parent's memory
        # before the fork) divided among the processes sharing them.
        print("pss_kb %d" % mem_kb(born, "Pss:"))

    def timed(name, fn):
        t = time.monotonic()
        try:
            typ, data = fn()
        except imaplib.IMAP4.error:
            print("%s -" % name)
            return None
        if typ != "OK":
            print("%s -" % name)
            return None
        print("%s %.4f" % (name, time.monotonic() - t))
        return data

    data = timed("uid_fetch_flags", lambda: m.uid("FETCH", "1:*", "(FLAGS)"))
    if data is not None and len(data) < n:
        sys.exit("UID FETCH: %d answers for %d messages" % (len(data), n))
    timed("fetch_envelope", lambda: m.fetch("1:*", "(ENVELOPE)"))
    timed("search_from", lambda: m.search(None, "FROM", '"carol"'))
    timed("search_from_2", lambda: m.search(None, "FROM", '"carol"'))
    # The capabilities after the login (Dovecot adds SORT then).
    typ, data = m.capability()
    caps = data[0].decode().upper().split() if typ == "OK" else []
    if "SORT" in caps:
        timed("sort_date", lambda: m.sort("(DATE)", "UTF-8", "ALL"))
    else:
        print("sort_date -")
    # The bodies straight off the socket: imaplib's parsing would be what
    # is measured otherwise.
    sock = m.socket()
    sock.sendall(b"B1 FETCH 1:* BODY.PEEK[]\r\n")
    t = time.monotonic()
    got, tail = 0, b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            sys.exit("connection closed during FETCH")
        got += len(chunk)
        tail = (tail + chunk)[-4096:]
        i = tail.rfind(b"\r\nB1 ")
        if i >= 0 and tail.endswith(b"\r\n") and \
                tail.find(b"\r\n", i + 2) == len(tail) - 2:
            break
    secs = time.monotonic() - t
    if b"\r\nB1 OK" not in tail:
        sys.exit("FETCH BODY.PEEK[]: %r" % tail[-200:])
    print("fetch_body %.2f" % (got / secs / 1e6))
    m.logout()


if __name__ == "__main__":
    main()
