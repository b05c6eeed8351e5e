#!/usr/bin/python3
"""pop3_gen.py: fill a Maildir's new/ with N realistic messages, fast.

usage: pop3_gen.py [--names plain|sized] [--seed S] MAILDIR N

Each message has the header block a delivered message carries (Return-Path,
Delivered-To, two Received, DKIM-Signature, Date, From, To, Subject,
Message-ID, MIME) and a plain-text body; sizes spread evenly over 3.6 to
4.6 KB (4 KB on average), LF line ends.  Message-IDs are distinct
(<bench-I@mail.example.org>, I = 1..N), so a copy can be checked for
duplicates and losses.  Files go straight into new/ (no tmp/, no fsync:
the caller runs sync), named the way maildir_unique() names them,
"SECONDS.M<usec>P<pid>Q<n>.HOST", in delivery order:

  plain   just the unique name (what most MDAs write)
  sized   NAME,S=<bytes>,W=<bytes with CRLF line ends>, as mdeliver and
          Dovecot name them: a server can LIST without reading the file

Deterministic for a given seed, except the names' time stamp and pid.
"""

import os
import random
import sys
import time

WORDS = (
    "the of and to in is that it for as with was on be by this are from "
    "at or an which have not mail message delivery queue server durable "
    "fsync link directory new tmp maildir header body sender meeting "
    "report tomorrow please find attached draft review thanks regards "
    "budget project schedule update weekly notes question answer"
).split()

HOSTS = ("mail.example.org", "smtp.example.com", "mx1.example.net",
         "relay.example.edu")
NAMES = ("Alice Example", "Carol Sample", "Dave Tester", "Erin Writer",
         "Frank Poster", "Grace Sender")


def message(rng, i, size):
    sender = rng.choice(NAMES)
    addr = (sender.split()[0].lower() + "@" +
            rng.choice(HOSTS).split(".", 1)[1])
    day = 1 + i % 28
    hh, mm, ss = rng.randrange(24), rng.randrange(60), rng.randrange(60)
    date = "%s, %02d Nov 2026 %02d:%02d:%02d +0000" % (
        ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")[day % 7], day,
        hh, mm, ss)
    relay = rng.choice(HOSTS)
    head = (
        "Return-Path: <%s>\n"
        "Delivered-To: bob@example.net\n"
        "Received: from %s (%s [192.0.2.%d])\n"
        "\tby mx.example.net (yubin msmtpd) with ESMTPS id %08X%04d\n"
        "\tfor <bob@example.net>; %s\n"
        "Received: from [198.51.100.%d] (client.example.org "
        "[198.51.100.%d])\n"
        "\tby %s with ESMTPSA id %06x;\n"
        "\t%s\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
        "d=example.org;\n"
        "\ts=2026; h=from:to:subject:date:message-id; "
        "bh=47DEQpj8HBSa+/TImW+5J\n"
        "\tCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25h"
        "dHVyZSBi\n"
        "\tdXQgaXQgaXMgYXMgbG9uZyBhcyBvbmUgd291bGQgYmU=\n"
        "Date: %s\n"
        "From: %s <%s>\n"
        "To: Bob Example <bob@example.net>\n"
        "Subject: %s %s (message %d)\n"
        "Message-ID: <bench-%d@mail.example.org>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
    ) % (addr, relay, relay, 1 + i % 250, i, i % 10000, date,
         1 + i % 250, 1 + i % 250, relay, i * 7919 % 0xffffff, date, date,
         sender, addr, rng.choice(WORDS).capitalize(), rng.choice(WORDS),
         i, i)
    out = [head]
    left = size - len(head.encode())
    while left > 0:
        n = rng.randrange(40, 76)
        words = []
        k = 0
        while k < n:
            w = rng.choice(WORDS)
            words.append(w)
            k += len(w) + 1
        line = " ".join(words)[: max(0, left - 1)]
        if rng.randrange(9) == 0:
            line = ""
        out.append(line + "\n")
        left -= len(line) + 1
    return "".join(out).encode()


def main():
    args = sys.argv[1:]
    names = "sized"
    seed = 1
    while args and args[0].startswith("--"):
        if args[0] == "--names" and len(args) > 1:
            names = args[1]
        elif args[0] == "--seed" and len(args) > 1:
            seed = int(args[1])
        else:
            break
        args = args[2:]
    if len(args) != 2 or names not in ("plain", "sized"):
        sys.stderr.write("usage: pop3_gen.py [--names plain|sized] "
                         "[--seed S] MAILDIR N\n")
        return 64
    md, n = args[0], int(args[1])
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    rng = random.Random(seed)
    now = int(time.time()) - n
    pid = os.getpid()
    total = 0
    for i in range(1, n + 1):
        data = message(rng, i, rng.randrange(3686, 4710))
        uniq = "%d.M%dP%dQ%d.bench.example" % (
            now + i // 10, (i * 9973) % 1000000, pid, i)
        if names == "sized":
            uniq += ",S=%d,W=%d" % (len(data), len(data) + data.count(b"\n"))
        fd = os.open(os.path.join(md, "new", uniq),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        total += len(data)
    print(n, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
