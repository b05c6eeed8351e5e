"""guess_ban: password guessing against a --listen server, until the
listener bans the address (server.h, SERVER_FAIL_MAX).

    python3 guess_ban.py PORT GREETING REQUEST FAILURE COUNT BANNED

Each session waits for a greeting starting with GREETING, sends
REQUEST (escapes such as \\r\\n are understood), reads to the end and
needs COUNT answers containing FAILURE.  After 4 such sessions a new
connection must, within 5 s, be greeted with a line starting with
BANNED.  Exits non-zero with the reason otherwise."""
import socket
import sys
import time


def arg(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


port = int(sys.argv[1])
greeting, request, failure = arg(sys.argv[2]), arg(sys.argv[3]), \
    arg(sys.argv[4])
count, banned = int(sys.argv[5]), arg(sys.argv[6])


def session():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    greet = f.readline()
    if not greet.startswith(greeting):
        s.close()
        return greet
    s.sendall(request)
    out = f.read()
    s.close()
    if out.count(failure) != count:
        raise SystemExit("expected %d failures: %r" % (count, out))
    return greet


for i in range(4):
    session()
# The listener learns of the last session when it is reaped.
for i in range(50):
    if i == 0:
        g = session()
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        g = s.recv(512)
        s.close()
    if g.startswith(banned):
        break
    time.sleep(0.1)
else:
    raise SystemExit("never refused: %r" % g)
