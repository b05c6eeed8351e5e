#!/usr/bin/python3
"""pop3_client.py: one timed POP3 session with Python's poplib.

usage: pop3_client.py list|retr PORT USER PASSWORD [N]

  list  connect to 127.0.0.1:PORT, USER/PASS, LIST, UIDL, QUIT
  retr  connect, USER/PASS, STAT, RETR 1..count one after the other
        (no DELE), QUIT

Prints "SECONDS COUNT OCTETS" on stdout: the wall-clock time from before
the connect to after QUIT's answer, the number of messages, and their
total size (list: the sum of LIST's sizes; retr: the bytes received, CRLF
line ends, dot-stuffing undone).  With N, exits 1 unless the server listed
(or the client retrieved) exactly N messages, with distinct UIDLs (list),
and, for retr, unless the bytes received match STAT's total.
"""

import poplib
import sys
import time


def main():
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("list", "retr"):
        sys.stderr.write("usage: pop3_client.py list|retr PORT USER "
                         "PASSWORD [N]\n")
        return 64
    mode, port, user, password = sys.argv[1:5]
    want = int(sys.argv[5]) if len(sys.argv) == 6 else None
    t0 = time.monotonic()
    p = poplib.POP3("127.0.0.1", int(port), timeout=600)
    p.user(user)
    p.pass_(password)
    if mode == "list":
        _, lines, _ = p.list()
        _, ulines, _ = p.uidl()
        p.quit()
        secs = time.monotonic() - t0
        count = len(lines)
        octets = sum(int(l.split()[1]) for l in lines)
        uids = {l.split()[1] for l in ulines}
        ok = want is None or (count == want and len(uids) == want and
                              len(ulines) == want)
    else:
        count, total = p.stat()
        got = 0
        for i in range(1, count + 1):
            _, lines, octets = p.retr(i)
            # octets counts each line plus its CRLF, as on the wire
            # (poplib undoes the dot-stuffing, but counts the dots).
            got += sum(len(l) + 2 for l in lines)
        p.quit()
        secs = time.monotonic() - t0
        octets = got
        ok = want is None or count == want
        if got != total:
            # RFC 1939 section 5: STAT gives "the size of the maildrop
            # in octets"; a server may estimate it, so only say so.
            sys.stderr.write("warning: RETR gave %d octets, STAT said %d\n"
                             % (got, total))
    print("%.3f %d %d" % (secs, count, octets))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
