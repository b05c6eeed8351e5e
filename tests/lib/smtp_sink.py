#!/usr/bin/env python3
"""smtp_sink.py: an SMTP server on 127.0.0.1 for the msend tests.  It
records the dialogue and every message it accepts, and can be told how
to behave.

usage: smtp_sink.py --port-file F --dir D [options]

Files in D: log (one line per client command, "TLS " before it once
encrypted; AUTH lines as sent), batches (one line per recv() that held
commands: the verbs it held, e.g. "MAIL RCPT RCPT DATA"), msg.N (the
message data of transaction N as received: dot-stuffing undone for
DATA, CRLF kept) and env.N (MAIL FROM and RCPT TO lines of it).

Options:
  --no-pipelining --no-8bitmime --smtputf8 --dsn --chunking --size N
  --starttls --cert C --key K   offer STARTTLS
  --broken-tls                  offer STARTTLS, answer 220, send garbage
  --tls-on-connect              TLS from the first byte (port 465 style)
  --client-ca FILE              STARTTLS requires a client certificate
  --auth MECHS --user U --password P   offer AUTH (only after TLS unless
                                --auth-plain); check the credentials
  --reply ADDR=TEXT             answer RCPT TO:<ADDR> with TEXT
                                ("550 5.1.1 no such user"); repeatable
  --greylist N                  answer each RCPT address "451 4.7.1
                                greylisted" the first N times it comes
  --mail-reply TEXT  --data-reply TEXT  --greeting TEXT
  --ehlo-reply TEXT             answer EHLO with TEXT (e.g. a 502)
  --max-connections N           then exit; --lifetime SEC
  --threads                     serve connections at once, a thread each;
                                D/conns gets "open T", "close T" and
                                "msg T" lines (T: seconds since the epoch)
  --data-delay SEC              wait before answering the end of data
"""
import argparse
import base64
import os
import socket
import ssl
import sys
import threading
import time

# --threads: the message numbers and D/conns are shared.
lock = threading.RLock()


def note(args, what):
    if not args.threads:
        return
    with lock:
        with open(os.path.join(args.dir, "conns"), "a") as f:
            f.write("%s %.6f\n" % (what, time.time()))


class Conn:
    def __init__(self, sock, args):
        self.sock = sock
        self.args = args
        self.buf = b""
        self.pos = 0
        self.quit_noted = False
        self.tls = False
        self.authed = False
        self.batch = []

    def send(self, text):
        self.sock.sendall(text.encode("utf-8") + b"\r\n")

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def line(self):
        """One line (bytes, CRLF stripped); notes recv() batches."""
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                break
            self.buf = self.buf[self.pos:]
            self.pos = 0
            self.flush_batch()
            self.fill()
        line = self.buf[self.pos:i]
        self.pos = i + 1
        return line.rstrip(b"\r")

    def flush_batch(self):
        if self.batch:
            with lock:
                with open(os.path.join(self.args.dir, "batches"),
                          "a") as f:
                    f.write(" ".join(self.batch) + "\n")
            self.batch = []

    def exact(self, n):
        self.buf = self.buf[self.pos:]
        self.pos = 0
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def log(args, text):
    with lock:
        with open(os.path.join(args.dir, "log"), "a") as f:
            f.write(text + "\n")


def next_n(args):
    n = 1
    while os.path.exists(os.path.join(args.dir, "msg.%d" % n)):
        n += 1
    return n


def ehlo_lines(args, c):
    caps = ["sink.test"]
    if not args.no_pipelining:
        caps.append("PIPELINING")
    if args.size is not None:
        caps.append("SIZE %d" % args.size if args.size else "SIZE")
    if not args.no_8bitmime:
        caps.append("8BITMIME")
    if args.smtputf8:
        caps.append("SMTPUTF8")
    if args.dsn:
        caps.append("DSN")
    if args.chunking:
        caps.append("CHUNKING")
    if (args.starttls or args.broken_tls) and not c.tls:
        caps.append("STARTTLS")
    if args.auth and (c.tls or args.auth_plain):
        caps.append("AUTH " + args.auth)
    caps.append("ENHANCEDSTATUSCODES")
    return caps


def check_auth(args, user, pw):
    return user == args.user and pw == args.password


def do_auth(c, args, arg):
    parts = arg.split(" ")
    mech = parts[0].upper()
    if mech == "PLAIN":
        if len(parts) > 1:
            resp = parts[1]
        else:
            c.send("334 ")
            resp = c.line().decode()
        try:
            _, user, pw = base64.b64decode(resp).decode().split("\0")
        except Exception:
            c.send("501 5.5.2 bad PLAIN")
            return
    elif mech == "LOGIN":
        c.send("334 VXNlcm5hbWU6")
        user = base64.b64decode(c.line()).decode()
        c.send("334 UGFzc3dvcmQ6")
        pw = base64.b64decode(c.line()).decode()
    elif mech in ("XOAUTH2", "OAUTHBEARER"):
        resp = parts[1] if len(parts) > 1 else None
        if resp is None:
            c.send("334 ")
            resp = c.line().decode()
        msg = base64.b64decode(resp).decode()
        log(args, "SASL %s %s" % (mech, msg.replace("\x01", "^A")))
        kv = dict(x.split("=", 1) for x in msg.split("\x01") if "=" in x)
        if mech == "XOAUTH2":
            user = kv.get("user")
        else:
            user = msg.split(",")[1][2:] if msg.startswith("n,a=") else None
        pw = kv.get("auth", "")[len("Bearer "):]
    else:
        c.send("504 5.5.4 mechanism not supported")
        return
    if check_auth(args, user, pw):
        c.authed = True
        log(args, "AUTH-OK %s %s" % (mech, user))
        c.send("235 2.7.0 Authentication successful")
    else:
        log(args, "AUTH-FAIL %s %s" % (mech, user))
        c.send("535 5.7.8 Authentication credentials invalid")


# RCPT addresses seen, over every connection (--greylist).
seen = {}


def serve(c, args):
    c.send(args.greeting)
    mail = None
    rcpts = []
    replies = {}
    for r in args.reply:
        a, t = r.split("=", 1)
        replies[a.lower()] = t
    while True:
        raw = c.line()
        cmd = raw.decode("utf-8", "replace")
        verb = cmd.split(" ", 1)[0].upper()
        c.batch.append(verb)
        log(args, ("TLS " if c.tls else "") + cmd)
        if verb in ("EHLO", "HELO"):
            if args.ehlo_reply and verb == "EHLO":
                c.send(args.ehlo_reply)
                continue
            caps = ehlo_lines(args, c) if verb == "EHLO" else ["sink.test"]
            for x in caps[:-1]:
                c.send("250-" + x)
            c.send("250 " + caps[-1])
            mail, rcpts = None, []
        elif verb == "STARTTLS" and args.broken_tls:
            c.send("220 2.0.0 go ahead")
            c.sock.sendall(b"this is not a TLS handshake\r\n")
            c.flush_batch()
            return
        elif verb == "STARTTLS" and args.starttls and not c.tls:
            c.send("220 2.0.0 go ahead")
            c.flush_batch()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            if args.client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(args.client_ca)
            c.sock = ctx.wrap_socket(c.sock, server_side=True)
            if args.client_ca:
                subj = dict(x[0] for x in c.sock.getpeercert()["subject"])
                log(args, "CLIENT-CERT %s" % subj.get("commonName"))
            c.buf = b""
            c.pos = 0
            c.tls = True
        elif verb == "AUTH" and args.auth:
            do_auth(c, args, cmd[5:])
        elif verb == "MAIL":
            if args.user and not c.authed:
                c.send("530 5.7.0 Authentication required")
                continue
            if args.mail_reply:
                c.send(args.mail_reply)
                if args.mail_reply.startswith("421"):
                    c.flush_batch()
                    return      # RFC 5321 §3.8: 421 closes
                continue
            mail, rcpts = cmd, []
            c.send("250 2.1.0 Ok")
        elif verb == "RCPT":
            if mail is None:
                c.send("503 5.5.1 need MAIL")
                continue
            addr = cmd[cmd.find("<") + 1:cmd.find(">")].lower()
            seen[addr] = seen.get(addr, 0) + 1
            if addr in replies:
                c.send(replies[addr])
            elif seen[addr] <= args.greylist:
                c.send("451 4.7.1 greylisted, try again later")
            else:
                rcpts.append(cmd)
                c.send("250 2.1.5 Ok")
        elif verb == "DATA":
            if not rcpts:
                c.send("554 5.5.1 no valid recipients")
                continue
            c.send("354 go ahead")
            c.flush_batch()
            parts = []
            while True:
                ln = c.line()
                if ln == b".":
                    break
                if ln.startswith(b"."):
                    ln = ln[1:]
                parts.append(ln + b"\r\n")
            data = b"".join(parts)
            c.batch = []
            finish(c, args, mail, rcpts, data)
            mail, rcpts = None, []
        elif verb == "BDAT":
            p = cmd.split()
            data = c.exact(int(p[1]))
            if not rcpts:
                c.send("554 5.5.1 no valid recipients")
                continue
            if len(p) > 2 and p[2].upper() == "LAST":
                finish(c, args, mail, rcpts, data)
                mail, rcpts = None, []
            else:
                c.send("250 2.0.0 chunk ok")
        elif verb == "RSET":
            mail, rcpts = None, []
            c.send("250 2.0.0 Ok")
        elif verb == "NOOP":
            c.send("250 2.0.0 Ok")
        elif verb == "QUIT":
            # The client's session ends here: note it before the 221,
            # which the client may wait for before it connects again
            # (noted after, the new "open" could come first).
            note(args, "close")
            c.quit_noted = True
            c.send("221 2.0.0 Bye")
            c.flush_batch()
            return
        else:
            c.send("502 5.5.2 not implemented")


def finish(c, args, mail, rcpts, data):
    if args.data_reply:
        c.send(args.data_reply)
        return
    if args.data_delay:
        time.sleep(args.data_delay)
    with lock:
        n = next_n(args)
        with open(os.path.join(args.dir, "env.%d" % n), "w") as f:
            f.write(mail + "\n")
            for r in rcpts:
                f.write(r + "\n")
        with open(os.path.join(args.dir, "msg.%d" % n), "wb") as f:
            f.write(data)
    note(args, "msg")
    c.send("250 2.0.0 Ok: queued as %d" % n)


def one(conn, args):
    """Serve one connection."""
    note(args, "open")
    conn.settimeout(20)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = Conn(conn, args)
    try:
        if args.tls_on_connect:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            c.sock = ctx.wrap_socket(conn, server_side=True)
            c.tls = True
        serve(c, args)
    except (EOFError, OSError, ssl.SSLError, ValueError) as e:
        log(args, "END %s" % type(e).__name__)
    c.flush_batch()
    try:
        c.sock.close()
    except OSError:
        pass
    if not c.quit_noted:
        note(args, "close")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--no-pipelining", action="store_true")
    ap.add_argument("--no-8bitmime", action="store_true")
    ap.add_argument("--smtputf8", action="store_true")
    ap.add_argument("--dsn", action="store_true")
    ap.add_argument("--chunking", action="store_true")
    ap.add_argument("--size", type=int)
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--broken-tls", action="store_true")
    ap.add_argument("--tls-on-connect", action="store_true")
    ap.add_argument("--client-ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth")
    ap.add_argument("--auth-plain", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--reply", action="append", default=[])
    ap.add_argument("--greylist", type=int, default=0)
    ap.add_argument("--mail-reply")
    ap.add_argument("--data-reply")
    ap.add_argument("--ehlo-reply")
    ap.add_argument("--greeting", default="220 sink.test ESMTP")
    ap.add_argument("--max-connections", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--addr", default="127.0.0.1",
                    help="loopback address to listen on (127.0.0.0/8 only)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--threads", action="store_true")
    ap.add_argument("--data-delay", type=float, default=0)
    args = ap.parse_args()
    if not args.addr.startswith("127."):
        sys.exit("smtp_sink: only loopback addresses, not " + args.addr)

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.listen(64)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, args.port_file)
    end = time.time() + args.lifetime
    served = 0
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            conn, _ = s.accept()
        except socket.timeout:
            break
        if args.threads:
            threading.Thread(target=one, args=(conn, args),
                             daemon=True).start()
        else:
            one(conn, args)
        served += 1
        if args.max_connections and served >= args.max_connections:
            break


if __name__ == "__main__":
    sys.exit(main())
