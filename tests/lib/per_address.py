"""per_address.py PORT GREETING BUSY QUIT OK: a listener's --max-per-address.

Holds two sessions from 127.0.0.1 on PORT (each greeted with a line that
starts with GREETING), checks that a third gets a line that starts with
BUSY at once, ends one session with QUIT (answered with OK...) and
checks that a new session is let in again once that one is reaped.
Exits non-zero with the reason otherwise.  Used by msmtpd_test and
mpop_serve_test.
"""
import socket
import sys
import time


def main():
    port = int(sys.argv[1])
    greeting, busy, quit_cmd, ok = (a.encode() for a in sys.argv[2:6])
    held = []
    for i in range(2):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        line = s.recv(512)
        assert line.startswith(greeting), (i, line)
        held.append(s)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    line = s.recv(512)
    assert line.startswith(busy), line
    s.close()
    held[0].sendall(quit_cmd + b"\r\n")
    line = held[0].recv(512)
    assert line.startswith(ok), line
    held[0].close()
    # The slot frees once the session is reaped.
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        line = s.recv(512)
        s.close()
        if line.startswith(greeting):
            return 0
        time.sleep(0.1)
    raise SystemExit("never let in again")


if __name__ == "__main__":
    sys.exit(main())
