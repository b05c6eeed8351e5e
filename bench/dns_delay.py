#!/usr/bin/env python3
# dns_delay.py: a loopback DNS proxy that answers every query, UDP or
# TCP, a fixed time late, as a resolver across a network would: for
# bench/auth.sh -l, where NSD on 127.0.0.1 answers at once and so hides
# what doing lookups side by side saves.  Each query is forwarded to the
# upstream server at once and in a thread of its own, so queries that
# come together are answered together.  Python standard library only.
#
#   dns_delay.py --upstream 127.0.0.1:PORT --delay MS --port-file FILE
#                [--lifetime SECONDS]

import argparse
import os
import select
import socket
import struct
import sys
import threading
import time


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("short read")
        b += c
    return b


def ask(q, opts, tcp):
    """The upstream's answer to q, after the delay."""
    t0 = time.monotonic()
    if tcp:
        s = socket.create_connection(opts.up, 5)
        try:
            s.sendall(struct.pack(">H", len(q)) + q)
            n = struct.unpack(">H", recv_all(s, 2))[0]
            r = recv_all(s, n)
        finally:
            s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(5)
            s.sendto(q, opts.up)
            r = s.recv(65535)
        finally:
            s.close()
    left = opts.delay - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    return r


def serve_udp(u, q, peer, opts):
    try:
        u.sendto(ask(q, opts, False), peer)
    except OSError:
        pass


def serve_tcp(c, opts):
    try:
        c.settimeout(10)
        while True:
            n = struct.unpack(">H", recv_all(c, 2))[0]
            r = ask(recv_all(c, n), opts, True)
            c.sendall(struct.pack(">H", len(r)) + r)
    except (OSError, struct.error):
        pass
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--delay", type=float, required=True,
                    help="milliseconds")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=float, default=3600)
    opts = ap.parse_args()
    host, _, port = opts.upstream.rpartition(":")
    opts.up = (host, int(port))
    opts.delay /= 1000.0

    # The same port for UDP and TCP: a truncated answer is asked again
    # over TCP.
    for _ in range(20):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", u.getsockname()[1]))
            break
        except OSError:
            u.close()
            t.close()
    else:
        sys.exit("dns_delay.py: no free port for UDP and TCP")
    t.listen(64)
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % u.getsockname()[1])
    os.rename(tmp, opts.port_file)

    end = time.time() + opts.lifetime
    while time.time() < end:
        ready, _, _ = select.select([u, t], [], [], 0.5)
        for s in ready:
            if s is u:
                q, peer = u.recvfrom(65535)
                threading.Thread(target=serve_udp, args=(u, q, peer, opts),
                                 daemon=True).start()
            else:
                c, _ = t.accept()
                threading.Thread(target=serve_tcp, args=(c, opts),
                                 daemon=True).start()


if __name__ == "__main__":
    main()
