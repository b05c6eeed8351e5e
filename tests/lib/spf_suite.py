#!/usr/bin/env python3
# spf_suite.py: the RFC 7208 test suite (the OpenSPF council's YAML, as
# kept by pyspf; ../shared/spf/README.md) run through `mxlookup --spf`.
#
# Each scenario's zone is served by a DNS server on 127.0.0.1 (UDP and
# TCP on one port, python3-dnslib for the wire format); each test of the
# scenario runs mxlookup against it and its result word (and, where the
# suite gives one, its exp= explanation) is compared with the accepted
# ones, and its exit status with the result's.  The zone is read as
# pyspf's own driver (testspf.py) reads it:
#   - "SPF" records are served as TXT too, unless the name lists a TXT
#     record (or "TXT: NONE", which stands for no TXT record at all);
#   - "TIMEOUT" makes a query go unanswered, unless a record of the type
#     asked for comes before it in the name's list;
#   - escaped bytes such as "\x96" are sent as that raw byte (Latin-1),
#     and "\0" as a NUL;
#   - a name that is not in the zone is NXDOMAIN.
# Answers longer than 512 bytes over UDP are truncated (TC) so that the
# resolver asks again over TCP.  Scenarios run side by side, each with
# its own server, and a short DNS timeout keeps the TIMEOUT cases quick.
#
#   spf_suite.py --mxlookup PATH --suite FILE.yml [--jobs N] [--trace] [-v]
#                [CASE...]
#   spf_suite.py --serve --port-file FILE --suite FILE.yml
#
# --serve only serves the zone of the file's first scenario until it is
# killed, for tests that run mxlookup themselves; the port goes to FILE.
#
# Prints one line per failing case and "N of M cases pass"; exit 0 when
# every case passes, 1 when one does not, 2 on trouble of its own.

import argparse
import concurrent.futures
import os
import socketserver
import struct
import subprocess
import sys
import threading

try:
    import yaml
    from dnslib import (AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, TXT, A,
                        DNSHeader, DNSLabel, DNSRecord)
except ImportError as e:
    print("spf_suite.py: %s (apt-get install python3-dnslib python3-yaml)"
          % e, file=sys.stderr)
    sys.exit(3)

TTL = 300
# mxlookup(1) EXIT STATUS for --spf: each result word has its own.
EXIT = {"pass": 0, "fail": 1, "softfail": 2, "neutral": 3, "none": 4,
        "permerror": 65, "temperror": 75}
UDP_MAX = 512  # RFC 1035 section 4.2.1: glibc sends no EDNS
TIMEOUT = "TIMEOUT"


def raw(s):
    """A zone string as the bytes it stands for."""
    if isinstance(s, bytes):
        return s
    s = str(s)
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def label(name):
    """A name of any bytes as a dnslib label ("" is the root)."""
    name = raw(name).rstrip(b".")
    return DNSLabel(tuple(name.split(b".")) if name else ())


def load_zone(zonedata):
    """{name (lower-case bytes): [(type, value) or TIMEOUT, ...]}."""
    zone = {}
    for name, rrs in (zonedata or {}).items():
        recs, gen, has_txt = [], [], False
        for m in rrs or []:
            if m == TIMEOUT:
                recs.append(TIMEOUT)
                continue
            for t, v in m.items():
                if t == "TXT":
                    has_txt = True
                elif t == "SPF":
                    gen.append(("TXT", v))
                if v != "NONE":
                    recs.append((t, v))
        if not has_txt:
            recs.extend(gen)
        zone[raw(name).lower().rstrip(b".")] = recs
    return zone


def rdata(t, v):
    if t == "A":
        return A(v)
    if t == "AAAA":
        return AAAA(v)
    if t == "MX":
        return MX(label(v[1]), int(v[0]))
    if t == "PTR":
        return PTR(label(v))
    if t == "CNAME":
        return CNAME(label(v))
    if t in ("TXT", "SPF"):
        parts = v if isinstance(v, list) else [v]
        strings = []
        for p in parts:
            b = raw(p)
            strings.extend([b[i:i + 255] for i in range(0, len(b), 255)]
                           or [b""])
        return TXT(strings)
    raise ValueError("record type %s" % t)


def lookup(zone, qname, qtype):
    """(rcode, [RR...]) or None for no answer at all (TIMEOUT)."""
    answers, seen = [], set()
    name = qname
    for _ in range(10):
        key = b".".join(name.label).lower()
        if key in seen:
            break
        seen.add(key)
        recs = zone.get(key)
        if recs is None:
            return RCODE.NXDOMAIN, answers
        found = False
        cname = None
        for r in recs:
            if r == TIMEOUT:
                if not found:
                    return None
                break
            t, v = r
            if t == "SPF":
                continue  # type 99 is not asked for (RFC 7208 section 3.1)
            if t == qtype:
                found = True
                answers.append(RR(name, getattr(QTYPE, t), rdata=rdata(t, v),
                                  ttl=TTL))
            elif t == "CNAME" and qtype != "CNAME":
                cname = v
        if found or cname is None:
            return RCODE.NOERROR, answers
        target = label(cname)
        answers.append(RR(name, QTYPE.CNAME, rdata=CNAME(target), ttl=TTL))
        name = target
    return RCODE.NOERROR, answers


def answer(zone, data, udp):
    """The response to one query (bytes), or None to stay silent."""
    try:
        q = DNSRecord.parse(data)
    except Exception:
        return None
    qtype = QTYPE.get(q.q.qtype)
    res = lookup(zone, q.q.qname, qtype)
    if res is None:
        return None
    rcode, rrs = res
    r = DNSRecord(DNSHeader(id=q.header.id, qr=1, aa=1, rd=q.header.rd,
                            ra=1, rcode=rcode), q=q.q)
    for rr in rrs:
        r.add_answer(rr)
    out = r.pack()
    if udp and len(out) > UDP_MAX:
        t = DNSRecord(DNSHeader(id=q.header.id, qr=1, aa=1, tc=1,
                                rd=q.header.rd, ra=1, rcode=rcode), q=q.q)
        out = t.pack()
    return out


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        out = answer(self.server.zone, data, True)
        if out is not None:
            sock.sendto(out, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(10)
        try:
            while True:
                n = s.recv(2)
                if len(n) < 2:
                    return
                want = struct.unpack("!H", n)[0]
                data = b""
                while len(data) < want:
                    chunk = s.recv(want - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = answer(self.server.zone, data, False)
                if out is None:
                    return
                s.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            return


class UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(zone):
    """UDP and TCP servers for zone on one port: (port, [servers])."""
    for _ in range(50):
        u = UDPServer(("127.0.0.1", 0), UDPHandler)
        port = u.server_address[1]
        try:
            t = TCPServer(("127.0.0.1", port), TCPHandler)
        except OSError:
            u.server_close()
            continue
        for s in (u, t):
            s.zone = zone
            threading.Thread(target=s.serve_forever, daemon=True).start()
        return port, [u, t]
    raise OSError("no free port for both UDP and TCP")


def run_case(mxlookup, port, timeout, name, t, verbose=False):
    args = [mxlookup, "--server", "127.0.0.1:%d" % port, "--timeout",
            str(timeout), "--spf", str(t["host"]), str(t["mailfrom"]),
            "--helo", str(t["helo"])]
    if verbose:
        args.insert(1, "-v")
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    out = p.stdout.decode("utf-8", "replace").splitlines()
    exp = None
    if out and out[-1].startswith("explanation: "):
        exp = out.pop()[len("explanation: "):]
    # the result word is the last line; with -v the trace comes first
    got = out[-1] if out else ""
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    problems = []
    if got not in want:
        problems.append("result %s, want %s" % (got or "(nothing)",
                                                 "/".join(want)))
    elif p.returncode != EXIT[got]:
        problems.append("exit %d for %s, want %d" % (p.returncode, got,
                                                     EXIT[got]))
    if "explanation" in t:
        wexp = str(t["explanation"])
        if wexp == "DEFAULT":
            if exp is not None:
                problems.append("explanation \"%s\", want none" % exp)
        elif exp != wexp:
            problems.append("explanation %s, want \"%s\""
                            % ("none" if exp is None else "\"%s\"" % exp,
                               wexp))
    return name, problems, p.returncode, p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mxlookup")
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--port-file")
    ap.add_argument("--suite", required=True)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--timeout", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--trace", action="store_true",
                    help="run mxlookup with -v (its trace is not checked)")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()

    with open(a.suite, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    if a.serve:
        port, ss = serve(load_zone(scenarios[0].get("zonedata")))
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
        threading.Event().wait()
        return 0
    if not a.mxlookup:
        ap.error("--mxlookup is needed to run the suite")
    work, servers = [], []
    for sc in scenarios:
        tests = sc.get("tests") or {}
        if a.cases:
            tests = {k: v for k, v in tests.items() if k in a.cases}
        if not tests:
            continue
        port, ss = serve(load_zone(sc.get("zonedata")))
        servers.extend(ss)
        for name, t in tests.items():
            work.append((name, port, t))
    if not work:
        print("spf_suite.py: no such case", file=sys.stderr)
        return 2
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [ex.submit(run_case, a.mxlookup, port, a.timeout, name, t,
                          a.trace)
                for name, port, t in work]
        for f in futs:
            name, problems, rc, err = f.result()
            if problems:
                failed += 1
                print("FAIL %s: %s (exit %d)" % (name, "; ".join(problems),
                                                  rc))
                if err.strip():
                    print("    " + err.strip().replace("\n", "\n    "))
            elif a.verbose:
                print("ok %s" % name)
    for s in servers:
        s.shutdown()
        s.server_close()
    print("%d of %d cases pass" % (len(work) - failed, len(work)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
