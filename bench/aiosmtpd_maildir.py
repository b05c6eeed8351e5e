#!/usr/bin/python3
"""aiosmtpd_maildir.py: Python's aiosmtpd as an SMTP server that writes
every message into a Maildir, durably: the file is written into tmp/,
fsync()ed, linked into new/, the tmp/ name removed and new/ fsync()ed
(what bench/floor.c and mdeliver do).  The comparison server for
bench/smtp.sh's receive run.

usage: aiosmtpd_maildir.py --port PORT --maildir DIR [--addr 127.0.0.1]

The handler is the plain one a user would write: it runs in the event
loop, so the fsyncs of one message hold up every other session (aiosmtpd
offers no other way short of a thread pool).  Like mdeliver it prepends
Return-Path and Delivered-To and stores LF line endings.  Runs until
SIGTERM or SIGINT.  Loopback only.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys
import time

from aiosmtpd.smtp import SMTP


class MaildirHandler:
    def __init__(self, maildir):
        self.tmp = os.path.join(maildir, "tmp")
        self.new = os.path.join(maildir, "new")
        for d in (self.tmp, self.new, os.path.join(maildir, "cur")):
            os.makedirs(d, exist_ok=True)
        self.host = socket.gethostname().replace("/", "\\057").replace(
            ":", "\\072")
        self.pid = os.getpid()
        self.seq = 0
        self.newfd = os.open(self.new, os.O_RDONLY | os.O_DIRECTORY)

    def unique(self):
        self.seq += 1
        t = time.time()
        return "%d.M%06dP%dQ%d.%s" % (int(t), int((t % 1) * 1e6),
                                      self.pid, self.seq, self.host)

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content.replace(b"\r\n", b"\n")
        head = "Return-Path: <%s>\nDelivered-To: %s\n" % (
            envelope.mail_from, envelope.rcpt_tos[0])
        name = self.unique()
        tmp = os.path.join(self.tmp, name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, head.encode("utf-8", "surrogateescape"))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.link(tmp, os.path.join(self.new, name))
            os.unlink(tmp)
            os.fsync(self.newfd)
        except OSError as e:
            print("aiosmtpd_maildir: %s: %s" % (tmp, e), file=sys.stderr)
            return "451 4.3.0 cannot store the message"
        return "250 2.0.0 OK " + name


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    args = p.parse_args()
    if args.addr not in ("127.0.0.1", "::1"):
        sys.exit("aiosmtpd_maildir: loopback only, not " + args.addr)
    handler = MaildirHandler(args.maildir)

    async def serve():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, stop.set_result, None)
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="bench.test"),
            host=args.addr, port=args.port, backlog=128)
        await stop
        server.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
