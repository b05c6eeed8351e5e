#!/usr/bin/env python3
# dns_ad.py: a loopback DNS proxy that stands in for a validating
# resolver in the DANE tests.  NSD (tests/lib/dns.sh) is authoritative
# and never sets AD; this forwards each query, UDP or TCP, to it and
# sets the AD bit (RFC 4035 section 3.2.3) in the answer when the query
# asked for it (AD or DO, RFC 6840 section 5.7), as a validating
# resolver would for a signed zone.  With --no-ad it clears AD instead:
# an answer nobody validated.  --servfail TYPE answers SERVFAIL to every
# query of that type (a TLSA lookup that fails: RFC 7672 section 2.1.1).
#
# It validates nothing: it exists to test what the client does with the
# bit.  With --delay MS every answer comes MS milliseconds late, each
# query in a thread of its own, as from a resolver across a network
# (bench/auth.sh -l).  Python standard library only.
#
#   dns_ad.py --upstream 127.0.0.1:PORT --port-file FILE [--no-ad]
#             [--servfail TLSA] [--delay MS] [--lifetime SECONDS]

import argparse
import os
import select
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}
AD = 0x0020
DO = 0x8000  # in the OPT record's TTL field


def wants_ad(q):
    """AD set in the query, or DO in an OPT record of its additional."""
    if len(q) < 12:
        return False
    if struct.unpack(">H", q[2:4])[0] & AD:
        return True
    # Look for an OPT record: scan only the common shape (one question,
    # an OPT at the end), enough for res_nmkquery's and dig's queries.
    ar = struct.unpack(">H", q[10:12])[0]
    if ar == 0 or len(q) < 11 + 12:
        return False
    opt = q[-11:]
    if opt[0] == 0 and struct.unpack(">H", opt[1:3])[0] == 41:
        return bool(struct.unpack(">I", opt[5:9])[0] & DO)
    return False


def qtype(q):
    """The type of the question, or None."""
    i = 12
    while i < len(q):
        n = q[i]
        if n == 0:
            break
        if n & 0xC0:
            return None
        i += n + 1
    if i + 3 > len(q):
        return None
    return struct.unpack(">H", q[i + 1:i + 3])[0]


def servfail(q):
    """SERVFAIL to query q: its header and question, no records."""
    i = 12
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
    flags = 0x8000 | (struct.unpack(">H", q[2:4])[0] & 0x7900) | 2
    return q[:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + q[12:i + 5]


def fix(q, r, opts):
    """The upstream answer r to q with AD set or cleared."""
    if len(r) < 12:
        return r
    flags = struct.unpack(">H", r[2:4])[0]
    if not opts.no_ad and wants_ad(q):
        flags |= AD
    else:
        flags &= ~AD
    return r[:2] + struct.pack(">H", flags) + r[4:]


def answer(q, opts, tcp):
    t0 = time.monotonic()
    r = ask(q, opts, tcp)
    left = opts.delay - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    return r


def ask(q, opts, tcp):
    if opts.servfail is not None and qtype(q) == opts.servfail:
        return servfail(q)
    fam = socket.AF_INET6 if ":" in opts.up[0] else socket.AF_INET
    if tcp:
        s = socket.create_connection(opts.up, 5)
        try:
            s.sendall(struct.pack(">H", len(q)) + q)
            n = struct.unpack(">H", recv_all(s, 2))[0]
            r = recv_all(s, n)
        finally:
            s.close()
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.settimeout(5)
            s.sendto(q, opts.up)
            r = s.recv(65535)
        finally:
            s.close()
    return fix(q, r, opts)


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("short read")
        b += c
    return b


def serve_udp(u, q, peer, opts):
    try:
        u.sendto(answer(q, opts, False), peer)
    except OSError:
        pass


def serve_tcp(c, opts):
    try:
        c.settimeout(10)
        while True:
            n = struct.unpack(">H", recv_all(c, 2))[0]
            q = recv_all(c, n)
            r = answer(q, opts, True)
            c.sendall(struct.pack(">H", len(r)) + r)
    except (OSError, struct.error):
        pass
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--no-ad", action="store_true")
    ap.add_argument("--servfail", choices=sorted(TYPES))
    ap.add_argument("--delay", type=float, default=0,
                    help="milliseconds each answer is held back")
    ap.add_argument("--lifetime", type=float, default=120)
    opts = ap.parse_args()
    opts.delay /= 1000.0
    host, _, port = opts.upstream.rpartition(":")
    opts.up = (host.strip("[]"), int(port))
    if opts.servfail is not None:
        opts.servfail = TYPES[opts.servfail]

    # The same port for UDP and TCP: res_nsend retries a truncated
    # answer over TCP.
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
        sys.exit("dns_ad.py: no free port for UDP and TCP")
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
                if opts.delay > 0:
                    # Late answers must not hold up the next query.
                    threading.Thread(target=serve_udp,
                                     args=(u, q, peer, opts),
                                     daemon=True).start()
                else:
                    serve_udp(u, q, peer, opts)
            else:
                c, _ = t.accept()
                threading.Thread(target=serve_tcp, args=(c, opts),
                                 daemon=True).start()


if __name__ == "__main__":
    main()
