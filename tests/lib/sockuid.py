"""sockuid: which users hold the server side of a TCP connection on
127.0.0.1 (privilege separation tests: the process that talks to the
network must not be root).  Linux /proc only; run as root to see every
process's descriptors."""
import os


def _inode(local_port, remote_port):
    want_l = "0100007F:%04X" % local_port
    want_r = "0100007F:%04X" % remote_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            w = line.split()
            if w[1] == want_l and w[2] == want_r:
                return w[9]
    return None


def holders(server_port, client_port):
    """[(pid, real uid, effective uid)] of the processes with the
    server's end of the connection from client_port open."""
    ino = _inode(server_port, client_port)
    if ino is None:
        raise SystemExit("no connection %d -> %d" % (client_port, server_port))
    link = "socket:[%s]" % ino
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
            if not any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == link
                       for fd in fds):
                continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        u = line.split()
                        out.append((int(pid), int(u[1]), int(u[2])))
        except OSError:
            continue
    return out


def check_not_root(server_port, sock):
    """Fail unless the server end of sock is held, and only by non-root
    processes."""
    h = holders(server_port, sock.getsockname()[1])
    if not h:
        raise SystemExit("nobody holds the connection")
    for pid, ruid, euid in h:
        if ruid == 0 or euid == 0:
            raise SystemExit("pid %d talks to the network as root" % pid)
    return h
