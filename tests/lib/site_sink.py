#!/usr/bin/env python3
"""site_sink.py: one SMTP sink for many sites.  It listens on the same
port of several loopback addresses (127.0.1.1, 127.0.1.2, ...: each the
MX host of one test domain) and counts, per address, what a polite
sender must keep within: connections at once, messages per connection,
messages per second.  For the queue tests and bench/queue.sh, where a
hundred domains each need "their" server.

usage: site_sink.py --addrs 127.0.1.1-100 --port-file F --dir D
                    [--port P] [--keep]

D/count   the number of messages accepted, rewritten as it grows (at
          most every 0.1 s)
D/stats   on SIGTERM or SIGUSR1, one JSON object:
          {"messages": N, "duplicates": N, "connections": N,
           "max_conns": N (at once, all sites), "first": T, "last": T,
           "sites": {ADDR: {"max_conns": N, "conns": N, "messages": N,
                            "max_per_conn": N, "max_per_sec": N}}}
          duplicates: messages whose (Message-ID, recipient) was
          accepted before.  max_per_sec: the most messages that site
          took within any one second (a sliding window).
--keep    also write each message to D/msg.N (its RCPT TO lines in
          D/env.N)

The sink offers PIPELINING, 8BITMIME, SMTPUTF8, SIZE and ENHANCEDSTATUSCODES
(no CHUNKING, no DSN), answers 250 to everything sane, and binds
nothing but the loopback addresses it is given.
"""
import argparse
import asyncio
import collections
import json
import os
import re
import signal
import socket
import sys
import time


class Site:
    def __init__(self):
        self.now = 0  # connections open
        self.max_conns = 0
        self.conns = 0
        self.messages = 0
        self.max_per_conn = 0
        self.window = collections.deque()
        self.max_per_sec = 0

    def message(self, t):
        self.messages += 1
        self.window.append(t)
        while self.window and self.window[0] <= t - 1.0:
            self.window.popleft()
        self.max_per_sec = max(self.max_per_sec, len(self.window))


class Sink:
    def __init__(self, args):
        self.args = args
        self.sites = {}
        self.seen = set()
        self.messages = 0
        self.duplicates = 0
        self.connections = 0
        self.open = 0
        self.max_open = 0
        self.first = None
        self.last = None
        self.written = -1

    def stats(self):
        return {
            "messages": self.messages,
            "duplicates": self.duplicates,
            "connections": self.connections,
            "max_conns": self.max_open,
            "first": self.first,
            "last": self.last,
            "sites": {a: {"max_conns": s.max_conns, "conns": s.conns,
                          "messages": s.messages,
                          "max_per_conn": s.max_per_conn,
                          "max_per_sec": s.max_per_sec}
                      for a, s in sorted(self.sites.items())},
        }

    def dump(self):
        p = os.path.join(self.args.dir, "stats")
        with open(p + ".tmp", "w") as f:
            json.dump(self.stats(), f, indent=1, sort_keys=True)
        os.replace(p + ".tmp", p)

    def write_count(self):
        if self.written == self.messages:
            return
        self.written = self.messages
        p = os.path.join(self.args.dir, "count")
        with open(p + ".tmp", "w") as f:
            f.write("%d\n" % self.messages)
        os.replace(p + ".tmp", p)

    async def ticker(self):
        while True:
            self.write_count()
            await asyncio.sleep(0.1)

    async def serve(self, reader, writer):
        laddr = writer.get_extra_info("sockname")[0]
        # Replies go out at once (no Nagle wait for the ACK of the last
        # one: 40 ms a pipelined group otherwise).
        writer.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        site = self.sites.setdefault(laddr, Site())
        site.now += 1
        site.conns += 1
        site.max_conns = max(site.max_conns, site.now)
        self.connections += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        in_conn = 0
        rcpts = []
        try:
            writer.write(b"220 sink.test ESMTP site_sink\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb in (b"EHLO",):
                    writer.write(b"250-sink.test\r\n250-PIPELINING\r\n"
                                 b"250-8BITMIME\r\n250-SMTPUTF8\r\n"
                                 b"250-ENHANCEDSTATUSCODES\r\n"
                                 b"250 SIZE 52428800\r\n")
                elif verb == b"HELO":
                    writer.write(b"250 sink.test\r\n")
                elif verb == b"MAIL":
                    rcpts = []
                    writer.write(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    m = re.search(rb"<([^>]*)>", line)
                    rcpts.append(m.group(1) if m else b"")
                    writer.write(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    if not rcpts:
                        writer.write(b"503 5.5.1 no recipients\r\n")
                        continue
                    writer.write(b"354 go on\r\n")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    t = time.time()
                    head = data.split(b"\r\n\r\n", 1)[0]
                    m = re.search(rb"(?im)^message-id:\s*(\S+)", head)
                    mid = m.group(1) if m else b""
                    for r in rcpts:
                        key = (mid, r)
                        if key in self.seen:
                            self.duplicates += 1
                        self.seen.add(key)
                    self.messages += 1
                    in_conn += 1
                    site.max_per_conn = max(site.max_per_conn, in_conn)
                    site.message(t)
                    if self.first is None:
                        self.first = t
                    self.last = t
                    if self.args.keep:
                        n = self.messages
                        d = self.args.dir
                        with open(os.path.join(d, "msg.%d" % n), "wb") as f:
                            f.write(data[:-3].replace(b"\r\n..", b"\r\n."))
                        with open(os.path.join(d, "env.%d" % n), "wb") as f:
                            f.write(b"".join(b"RCPT TO:<" + r + b">\n"
                                             for r in rcpts))
                    rcpts = []
                    writer.write(b"250 2.0.0 ok\r\n")
                elif verb in (b"RSET", b"NOOP"):
                    rcpts = []
                    writer.write(b"250 2.0.0 ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 5.5.2 not here\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            pass
        finally:
            site.now -= 1
            self.open -= 1
            writer.close()


def parse_addrs(spec):
    out = []
    for part in spec.split(","):
        m = re.fullmatch(r"(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?", part)
        if not m:
            sys.exit("site_sink: --addrs %s: expected A.B.C.D[-E]" % part)
        lo = int(m.group(2))
        hi = int(m.group(3) or lo)
        out += ["%s%d" % (m.group(1), i) for i in range(lo, hi + 1)]
    for a in out:
        if not a.startswith("127."):
            sys.exit("site_sink: %s: loopback addresses only" % a)
    return out


def bind_all(addrs, port):
    """Sockets on addrs, one port for all (a free one when port is 0)."""
    for _ in range(50):
        socks = []
        try:
            p = port
            for a in addrs:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((a, p))
                s.listen(512)
                if p == 0:
                    p = s.getsockname()[1]
                socks.append(s)
            return socks, p
        except OSError:
            for s in socks:
                s.close()
            if port != 0:
                raise
    sys.exit("site_sink: no port free on every address")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addrs", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args)
    socks, port = bind_all(parse_addrs(args.addrs), args.port)
    servers = [await asyncio.start_server(sink.serve, sock=s,
                                          limit=64 * 1024 * 1024)
               for s in socks]
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, sink.dump)
    loop.add_signal_handler(signal.SIGTERM, done.set)
    asyncio.ensure_future(sink.ticker())
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.replace(args.port_file + ".tmp", args.port_file)
    await done.wait()
    for s in servers:
        s.close()
    sink.write_count()
    sink.dump()


if __name__ == "__main__":
    asyncio.run(main())
