#!/usr/bin/env python3
"""mtasts_https.py: a loopback HTTPS server playing an MTA-STS policy
host (RFC 8461 §3.3) for tests/unit/mtasts_fetch_test.

    mtasts_https.py CERT KEY DIR

Listens on 127.0.0.1, a free port written to DIR/port.  Each request
reads DIR/behaviour (default "good") and answers:

  good     200, text/plain; charset=utf-8, DIR/policy.txt
  redirect 301 to https://mta-sts.example.net/elsewhere
  type     200, text/html, the policy
  notfound 404
  big      200, text/plain, 70000 bytes without Content-Length
  bigcl    200, text/plain, 70000 bytes with Content-Length
  slow     waits 5 seconds, then as good

and appends "METHOD PATH HOST" to DIR/requests.log.  Stop it by PID.
"""
import http.server
import os
import ssl
import sys
import time

cert, key, d = sys.argv[1], sys.argv[2], sys.argv[3]


def read(name, default=b""):
    try:
        with open(os.path.join(d, name), "rb") as f:
            return f.read()
    except OSError:
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, code, ctype, body, length=True, extra=()):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client stopped reading: that is the test

    def do_GET(self):
        with open(os.path.join(d, "requests.log"), "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path,
                                      self.headers.get("Host", "-")))
        how = read("behaviour", b"good").decode().strip() or "good"
        policy = read("policy.txt")
        big = b"x: " + b"y" * 69990 + b"\n"
        if how == "slow":
            time.sleep(5)
            how = "good"
        if how == "good":
            self.answer(200, "text/plain; charset=utf-8", policy)
        elif how == "redirect":
            self.answer(301, "text/plain", policy, extra=[
                ("Location", "https://mta-sts.example.net/elsewhere")])
        elif how == "type":
            self.answer(200, "text/html", policy)
        elif how == "notfound":
            self.answer(404, "text/plain", b"not here\n")
        elif how == "big":
            self.close_connection = True
            self.answer(200, "text/plain", big, length=False)
        elif how == "bigcl":
            self.answer(200, "text/plain", big)
        else:
            self.answer(500, "text/plain", b"bad behaviour\n")


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
tmp = os.path.join(d, "port.tmp")
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, os.path.join(d, "port"))
srv.serve_forever()
