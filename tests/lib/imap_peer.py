#!/usr/bin/env python3
"""imap_peer.py: a scriptable IMAP server on 127.0.0.1 for the edges of
`mimap fetch' that real servers do not show on demand: a message
expunged between the listing and the fetch, a FETCH response with the
UID after the body, responses out of order, a body nobody asked for.

One folder, INBOX, read from a directory: every file is a message, its
name its UID (a number).  The session is PREAUTH (the tests are about
fetching, not logging in) and plain (the client runs with --tls=off).

usage: imap_peer.py --port-file F --dir DIR [options]
  --log F         the commands received, one per line
  --gone UID      list UID, then answer a UID FETCH of its body with
                  nothing, as a server does for a message expunged
                  meanwhile (repeatable)
  --uid-last      write UID after BODY[] in FETCH responses
  --reverse       answer a UID FETCH of several messages last first
  --extra UID     add a body for UID to every body UID FETCH

It listens on a port the kernel picks and writes it to the port file
(atomically); each connection gets a thread.
"""
import argparse
import os
import re
import socket
import threading


def uidset(spec, have):
    """The UIDs of a UID set (RFC 9051 §9 sequence-set) among have."""
    out = set()
    top = max(have) if have else 0
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        lo = top if lo == "*" else int(lo)
        hi = lo if hi == "" else (top if hi == "*" else int(hi))
        if lo > hi:
            lo, hi = hi, lo
        out.update(u for u in have if lo <= u <= hi)
    return sorted(out)


def crlf(data):
    return re.sub(rb"\r?\n", b"\r\n", data)


class Session:
    def __init__(self, conn, args):
        self.conn = conn
        self.args = args
        self.rf = conn.makefile("rb")

    def send(self, data):
        self.conn.sendall(data)

    def msgs(self):
        return {int(n): os.path.join(self.args.dir, n)
                for n in os.listdir(self.args.dir) if n.isdigit()}

    def fetch(self, tag, spec, items):
        have = self.msgs()
        uids = uidset(spec, list(have))
        order = sorted(have)
        body = "BODY.PEEK[]" in items.upper() and "HEADER" not in \
            items.upper()
        if body:
            uids = [u for u in uids if u not in self.args.gone]
            if self.args.reverse:
                uids.reverse()
            uids += [u for u in self.args.extra if u in have]
        for u in uids:
            with open(have[u], "rb") as f:
                data = crlf(f.read())
            seq = order.index(u) + 1
            if body:
                lit = b"BODY[] {%d}\r\n" % len(data) + data
                uid = b"UID %d" % u
                parts = [lit, uid] if self.args.uid_last else [uid, lit]
                self.send(b"* %d FETCH (" % seq + b" ".join(parts) +
                          b")\r\n")
            else:
                hdr = b""
                m = re.search(rb"(?im)^message-id:[^\r\n]*\r\n", data)
                if m:
                    hdr = m.group(0)
                hdr += b"\r\n"
                self.send(b"* %d FETCH (UID %d RFC822.SIZE %d "
                          b"BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n"
                          % (seq, u, len(data), len(hdr)) + hdr + b")\r\n")
        self.send(tag + b" OK UID FETCH done\r\n")

    def run(self):
        self.send(b"* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] imap_peer "
                  b"ready\r\n")
        while True:
            line = self.rf.readline()
            if not line:
                return
            if self.args.log:
                with open(self.args.log, "ab") as f:
                    f.write(line.rstrip(b"\r\n") + b"\n")
            words = line.rstrip(b"\r\n").split(b" ", 3)
            tag = words[0]
            cmd = words[1].upper() if len(words) > 1 else b""
            if cmd == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n" + tag +
                          b" OK done\r\n")
            elif cmd in (b"SELECT", b"EXAMINE"):
                have = self.msgs()
                nxt = max(have) + 1 if have else 1
                self.send(b"* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n"
                          b"* OK [UIDNEXT %d] ok\r\n" % (len(have), nxt) +
                          tag + b" OK [READ-WRITE] done\r\n")
            elif cmd == b"UID" and len(words) == 4 and \
                    words[2].upper() == b"FETCH":
                spec, _, items = words[3].decode().partition(" ")
                self.fetch(tag, spec, items)
            elif cmd == b"LOGOUT":
                self.send(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return
            elif cmd in (b"NOOP", b"CHECK", b"UID", b"EXPUNGE"):
                self.send(tag + b" OK done\r\n")
            else:
                self.send(tag + b" BAD what\r\n")


def serve(conn, args):
    try:
        Session(conn, args).run()
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log")
    ap.add_argument("--gone", type=int, action="append", default=[])
    ap.add_argument("--uid-last", action="store_true")
    ap.add_argument("--reverse", action="store_true")
    ap.add_argument("--extra", type=int, action="append", default=[])
    args = ap.parse_args()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, args.port_file)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, args),
                         daemon=True).start()


if __name__ == "__main__":
    main()
