"""inetd.py PORT COUNT LOG [PIDFILE] -- PROG ARG...: a small inetd(8) for
the tests: on 127.0.0.1:PORT, run PROG ARG... on each accepted connection
as fd 0 and 1 (stderr appended to LOG), one at a time, COUNT times (0:
for ever), keeping no copy of the connection.  PIDFILE (or "-") gets
the PID of the server running now."""
import socket
import subprocess
import sys

sep = sys.argv.index("--")
port, count, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pidfile = sys.argv[4] if sep > 4 and sys.argv[4] != "-" else None
argv = sys.argv[sep + 1:]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
n = 0
while count == 0 or n < count:
    c, _ = s.accept()
    with open(log, "a") as err:
        p = subprocess.Popen(argv, stdin=c, stdout=c, stderr=err)
    c.close()  # inetd keeps no copy
    if pidfile:
        with open(pidfile, "w") as f:
            f.write(str(p.pid))
    p.wait()
    n += 1
