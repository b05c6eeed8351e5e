#!/usr/bin/env python3
"""smtp_peer.py: a tiny SMTP server on 127.0.0.1 for the mxlookup --probe
tests.  It greets, answers EHLO with a fixed capability list, does
STARTTLS with the given certificate, and logs every command it receives.

usage: smtp_peer.py --port-file F [--log F] [--starttls --cert C --key K]
                    [--greeting TEXT] [--lifetime SEC]

It listens on a port the kernel picks and writes it to the port file
(atomically), serves connections one after another, and exits after
--lifetime seconds (so a forgotten peer never lingers).
"""
import argparse
import os
import socket
import ssl
import sys
import time


def serve(conn, args, log):
    tls = False
    f = conn.makefile("rb")

    def send(text):
        conn.sendall(text.encode("ascii"))

    send("220 %s\r\n" % args.greeting)
    while True:
        line = f.readline(1024)
        if not line:
            return
        cmd = line.rstrip(b"\r\n").decode("ascii", "replace")
        log.write(("TLS " if tls else "") + cmd + "\n")
        log.flush()
        verb = cmd.split(" ", 1)[0].upper()
        if verb == "EHLO":
            caps = ["mx.test greets %s" % (cmd[5:] or "you"),
                    "PIPELINING", "SIZE 10240000", "8BITMIME"]
            if args.starttls and not tls:
                caps.append("STARTTLS")
            if tls:
                caps.append("AUTH PLAIN LOGIN")
            caps.append("ENHANCEDSTATUSCODES")
            out = "".join("250-%s\r\n" % c for c in caps[:-1])
            send(out + "250 %s\r\n" % caps[-1])
        elif verb == "HELO":
            send("250 mx.test\r\n")
        elif verb == "STARTTLS" and args.starttls and not tls:
            send("220 2.0.0 Ready to start TLS\r\n")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rb")
            tls = True
        elif verb == "QUIT":
            send("221 2.0.0 Bye\r\n")
            return
        else:
            send("502 5.5.2 Command not implemented\r\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", default=os.devnull)
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--greeting", default="mx.test ESMTP yubin test peer")
    p.add_argument("--lifetime", type=float, default=60.0)
    args = p.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    with open(args.port_file + ".tmp", "w") as pf:
        pf.write("%d\n" % srv.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)

    end = time.time() + args.lifetime
    with open(args.log, "a") as log:
        while time.time() < end:
            srv.settimeout(max(0.1, end - time.time()))
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                break
            conn.settimeout(10)
            try:
                serve(conn, args, log)
            except (OSError, ssl.SSLError) as e:
                log.write("ERROR %s\n" % e)
                log.flush()
            finally:
                conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
