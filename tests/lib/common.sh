# common.sh: helpers for the atf-sh program tests.  The build rule puts
# YUBIN_BUILDDIR and YUBIN_SRCDIR before this file is sourced.
# Peers are started on 127.0.0.1 only and stopped by PID.

# A test peer nobody here wrote (swaks, curl, fetchmail...): it must be
# there.  ./quickstart check installs every one, so a missing peer is a
# failure, never a skip: the suite means the same on every machine.
peer_require()
{
	for _p in "$@"; do
		command -v "$_p" >/dev/null 2>&1 ||
		    atf_fail "test peer $_p is not installed (./quickstart check installs it)"
	done
}

# peer_python PACKAGE MODULE...: PY is a python3 that imports every
# MODULE: the one on PATH, or the system's (a python3 of pyenv or a venv
# does not see Debian's python3-* packages).  The modules are test peers:
# missing is a failure (PACKAGE says what to install), never a skip.
peer_python()
{
	_pkg=$1
	shift
	_imp=$(echo "$@" | sed 's/ /, /g')
	for _py in python3 /usr/bin/python3; do
		if "$_py" -c "import $_imp" >/dev/null 2>&1; then
			PY=$_py
			return 0
		fi
	done
	atf_fail "test peer $_pkg is not installed (./quickstart check" \
	    "installs it)"
}

# looping_message N [EOL]: a message with N Received fields (a mail
# loop at 100, RFC 5321 §6.3), lines ended by EOL (default "\n"), and a
# "Received:" line in its body that must not count.
looping_message()
{
	_eol=${2:-\\n}
	_i=0
	while [ $_i -lt "$1" ]; do
		printf "Received: from h%d by h%d; Mon, 1 Dec 2026 00:00:00 +0000$_eol" $_i $_i
		_i=$((_i + 1))
	done
	printf "Subject: loop${_eol}${_eol}Received: in the body$_eol"
}

# Path of a built program.
yubin_prog()
{
	echo "$YUBIN_BUILDDIR/$1"
}

# A free TCP (or UDP with "udp") port on 127.0.0.1.
free_port()
{
	python3 - "${1:-tcp}" <<'PY'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# A port free for both TCP and UDP (a DNS server needs both).
free_port_both()
{
	python3 - <<'PY'
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
PY
}

# Wait until something listens on 127.0.0.1:PORT (TCP), at most ~10 s.
wait_port()
{
	python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# Stop a process started by a test: its PID is in FILE.  A zombie counts
# as stopped: whatever reaps it (a slow PID 1 in a container) may take a
# while, and waiting for that only slows the tests down.
stop_pidfile()
{
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	rm -f "$1"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	i=0
	while [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null; do
		case $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) in
		Z*) return 0 ;;
		esac
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || :
	return 0
}

# make_certs DIR [NAME...]: a test CA and a server certificate for
# "localhost", 127.0.0.1 and each NAME, made with certtool.  Files:
# ca.pem ca.key server.pem server.key, and other.pem/other.key from an
# untrusted second CA.
make_certs()
{
	d=$1
	shift
	mkdir -p "$d"
	cat >"$d/ca.tmpl" <<'T'
cn = "yubin test CA"
ca
cert_signing_key
expiration_days = 30
T
	cat >"$d/server.tmpl" <<'T'
cn = "localhost"
dns_name = "localhost"
dns_name = "mx.test"
ip_address = "127.0.0.1"
tls_www_server
encryption_key
signing_key
expiration_days = 30
T
	for _n in "$@"; do
		echo "dns_name = \"$_n\"" >>"$d/server.tmpl"
	done
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/ca.key" \
	    >/dev/null 2>&1 &&
	certtool --generate-self-signed --load-privkey "$d/ca.key" \
	    --template "$d/ca.tmpl" --outfile "$d/ca.pem" >/dev/null 2>&1 &&
	certtool --generate-privkey --key-type=ecdsa \
	    --outfile "$d/server.key" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$d/server.key" \
	    --load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
	    --template "$d/server.tmpl" --outfile "$d/server.pem" \
	    >/dev/null 2>&1 &&
	certtool --generate-privkey --key-type=ecdsa \
	    --outfile "$d/other.key" >/dev/null 2>&1 &&
	certtool --generate-self-signed --load-privkey "$d/other.key" \
	    --template "$d/server.tmpl" --outfile "$d/other.pem" \
	    >/dev/null 2>&1 ||
	    atf_fail "certtool could not make test certificates"
}

# give_maildir DIR...: as root, hand the Maildirs to nobody and make the
# test's directory reachable: mdeliver started as root writes as each
# Maildir's owner and refuses one that root owns.  Not root: nothing.
give_maildir()
{
	[ "$(id -u)" = 0 ] || return 0
	id nobody >/dev/null 2>&1 ||
	    atf_skip "running as root and there is no user nobody"
	chmod 755 .
	chown -R "$(id -u nobody):$(id -g nobody)" "$@"
}

# trickle TEXT: write TEXT a byte every 0.3 s (a slowloris client: the
# idle timeout never trips).
trickle()
{
	printf '%s' "$1" | while IFS= read -r -n 1 _c; do
		printf '%s' "${_c:- }"
		sleep 0.3
	done
}

# guess_ban PORT GREETING REQUEST FAILURE COUNT BANNED: sessions that
# fail logins until the --listen server (its log in ./listen.log)
# refuses the address (see tests/lib/guess_ban.py).
guess_ban()
{
	python3 "$YUBIN_SRCDIR/tests/lib/guess_ban.py" "$@" ||
	    atf_fail "guessing was not banned"
	atf_check -o match:'127.0.0.1: 1[0-9] failed logins: refusing its connections' \
	    cat listen.log
}
