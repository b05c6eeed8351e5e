#!/usr/bin/env python3
"""pop3_peer.py: a scriptable POP3 server on 127.0.0.1 for the mpop fetch
tests, with error injection.

The maildrop is a directory: every file in it is one message, its file
name is the message's unique-id (UIDL), messages are numbered in the
order of the sorted names.  A message goes out as RFC 1939 §3 says:
lines end in CRLF (a bare LF becomes CRLF, a CRLF stays), lines that
begin with "." get another one, and ".CRLF" ends it.  DELE marks, QUIT
removes the marked files (UPDATE state); a dropped connection removes
nothing.

usage: pop3_peer.py --port-file F --dir MAILDROP [options]
  --log F              commands received (PASS and AUTH redacted)
  --user U --password P    the account (default alice / secret)
  --stls --cert C --key K  offer STLS (RFC 2595)
  --tls-on-connect --cert C --key K   TLS from the first byte (pop3s)
  --auth-fail TEXT     answer every login with "-ERR TEXT"
  --no-uidl            refuse UIDL
  --drop-retr N        close the connection halfway through the Nth RETR
                       (counted over all connections)
  --err-retr UIDL      answer -ERR to RETR of that message
  --err-dele UIDL      answer -ERR to DELE of that message ("*": all)
  --delay S            wait S seconds before each RETR answer
  --lifetime S         exit after S seconds

It listens on a port the kernel picks and writes it to the port file
(atomically); each connection gets a thread.
"""
import argparse
import base64
import os
import socket
import ssl
import sys
import threading
import time

lock = threading.Lock()
counters = {"retr": 0}


def wire(data):
    """The multi-line form of a message (RFC 1939 §3)."""
    out = bytearray()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.startswith(b"."):
            out += b"."
        out += line + b"\r\n"
    out += b".\r\n"
    return bytes(out)


class Session:
    def __init__(self, conn, args, log):
        self.conn = conn
        self.args = args
        self.log = log
        self.tls = False
        self.f = conn.makefile("rb")
        self.user = None
        self.authed = False
        self.msgs = []
        self.deleted = set()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.conn.sendall(data)

    def logline(self, text):
        with lock:
            self.log.write(("TLS " if self.tls else "") + text + "\n")
            self.log.flush()

    def caps(self):
        c = ["USER", "UIDL", "TOP", "RESP-CODES", "AUTH-RESP-CODE",
             "SASL PLAIN"]
        if self.args.stls and not self.tls:
            c.append("STLS")
        return c

    def load(self):
        names = sorted(n for n in os.listdir(self.args.dir)
                       if not n.startswith("."))
        self.msgs = []
        for n in names:
            with open(os.path.join(self.args.dir, n), "rb") as fp:
                self.msgs.append((n, fp.read()))

    def login_ok(self, user, password):
        if self.args.auth_fail:
            self.send("-ERR %s\r\n" % self.args.auth_fail)
            return False
        if user != self.args.user or password != self.args.password:
            self.send("-ERR [AUTH] invalid login\r\n")
            return False
        self.load()
        self.authed = True
        self.send("+OK maildrop has %d messages\r\n" % len(self.msgs))
        return True

    def msg(self, arg):
        try:
            n = int(arg)
        except (TypeError, ValueError):
            return None
        if n < 1 or n > len(self.msgs) or n in self.deleted:
            return None
        return n

    def run(self):
        self.send("+OK yubin test POP3 peer ready\r\n")
        while True:
            line = self.f.readline(4096)
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
            verb, _, arg = cmd.partition(" ")
            verb = verb.upper()
            if verb in ("PASS", "AUTH"):
                self.logline(verb + " ***")
            elif self.user == "" and not self.authed:
                self.logline("***")
            else:
                self.logline(cmd)
            if self.user == "" and not self.authed:
                # the SASL PLAIN response line
                self.user = None
                try:
                    parts = base64.b64decode(cmd).split(b"\0")
                    u, p = parts[1].decode(), parts[2].decode()
                except Exception:
                    self.send("-ERR [AUTH] bad response\r\n")
                    continue
                self.login_ok(u, p)
                continue
            if verb == "CAPA":
                self.send("+OK\r\n" + "".join(c + "\r\n"
                                              for c in self.caps())
                          + ".\r\n")
            elif verb == "STLS" and self.args.stls and not self.tls:
                self.send("+OK begin TLS\r\n")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.args.cert, self.args.key)
                self.conn = ctx.wrap_socket(self.conn, server_side=True)
                self.f = self.conn.makefile("rb")
                self.tls = True
            elif verb == "USER" and not self.authed:
                self.user = arg
                self.send("+OK\r\n")
            elif verb == "PASS" and not self.authed and self.user:
                u = self.user
                self.user = None
                self.login_ok(u, arg)
            elif verb == "AUTH" and not self.authed:
                mech, _, ir = arg.partition(" ")
                if mech.upper() != "PLAIN":
                    self.send("-ERR unsupported mechanism\r\n")
                elif ir and ir != "=":
                    try:
                        parts = base64.b64decode(ir).split(b"\0")
                        u, p = parts[1].decode(), parts[2].decode()
                    except Exception:
                        self.send("-ERR [AUTH] bad response\r\n")
                        continue
                    self.login_ok(u, p)
                else:
                    self.user = ""
                    self.send("+ \r\n")
            elif verb == "QUIT":
                if self.authed:
                    for n in sorted(self.deleted):
                        try:
                            os.unlink(os.path.join(self.args.dir,
                                                   self.msgs[n - 1][0]))
                        except FileNotFoundError:
                            pass
                self.send("+OK bye\r\n")
                return
            elif not self.authed:
                self.send("-ERR not authenticated\r\n")
            elif verb == "STAT":
                live = [m for i, m in enumerate(self.msgs)
                        if i + 1 not in self.deleted]
                self.send("+OK %d %d\r\n" % (len(live),
                                             sum(len(m[1]) for m in live)))
            elif verb in ("LIST", "UIDL"):
                if verb == "UIDL" and self.args.no_uidl:
                    self.send("-ERR UIDL not supported\r\n")
                    continue
                if arg:
                    n = self.msg(arg)
                    if n is None:
                        self.send("-ERR no such message\r\n")
                        continue
                    nums = [n]
                else:
                    nums = [i for i in range(1, len(self.msgs) + 1)
                            if i not in self.deleted]
                out = "+OK\r\n"
                for n in nums:
                    name, data = self.msgs[n - 1]
                    out += "%d %s\r\n" % (n, name if verb == "UIDL"
                                          else len(wire(data)) - 3)
                self.send(out + ".\r\n")
            elif verb == "RETR":
                n = self.msg(arg)
                if n is None:
                    self.send("-ERR no such message\r\n")
                    continue
                name, data = self.msgs[n - 1]
                if name == self.args.err_retr:
                    self.send("-ERR [SYS/PERM] cannot read message\r\n")
                    continue
                if self.args.delay:
                    time.sleep(self.args.delay)
                with lock:
                    counters["retr"] += 1
                    count = counters["retr"]
                w = wire(data)
                self.send("+OK %d octets\r\n" % (len(w) - 3))
                if count == self.args.drop_retr:
                    self.send(w[:len(w) // 2])
                    self.logline("DROPPED")
                    self.conn.shutdown(socket.SHUT_RDWR)
                    return
                self.send(w)
            elif verb == "DELE":
                n = self.msg(arg)
                if n is None:
                    self.send("-ERR no such message\r\n")
                elif self.args.err_dele in ("*", self.msgs[n - 1][0]):
                    self.send("-ERR [SYS/PERM] cannot delete\r\n")
                else:
                    self.deleted.add(n)
                    self.send("+OK deleted\r\n")
            elif verb == "NOOP":
                self.send("+OK\r\n")
            elif verb == "RSET":
                self.deleted.clear()
                self.send("+OK\r\n")
            else:
                self.send("-ERR unknown command\r\n")


def handle(conn, args, log):
    try:
        if args.tls_on_connect:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            conn = ctx.wrap_socket(conn, server_side=True)
        s = Session(conn, args, log)
        s.tls = args.tls_on_connect
        s.run()
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--log", default=os.devnull)
    p.add_argument("--user", default="alice")
    p.add_argument("--password", default="secret")
    p.add_argument("--stls", action="store_true")
    p.add_argument("--tls-on-connect", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth-fail")
    p.add_argument("--no-uidl", action="store_true")
    p.add_argument("--drop-retr", type=int, default=0)
    p.add_argument("--err-retr")
    p.add_argument("--err-dele")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--lifetime", type=float, default=60.0)
    args = p.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(args.port_file + ".tmp", "w") as pf:
        pf.write("%d\n" % srv.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    log = open(args.log, "a")
    deadline = time.monotonic() + args.lifetime
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 0
        srv.settimeout(left)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            return 0
        conn.settimeout(30)
        t = threading.Thread(target=handle, args=(conn, args, log))
        t.daemon = True
        t.start()


if __name__ == "__main__":
    sys.exit(main())
