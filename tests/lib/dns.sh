# dns.sh: a real DNS server (NSD) on 127.0.0.1 with a test zone, for the
# mxlookup tests.  Source after common.sh.  NSD runs unprivileged-style
# (username "", no chroot, no database) with everything in one directory
# and is stopped by PID.

# Where nsd is: configure found it, else the usual place.
dns_nsd()
{
	for n in "${NSD:-}" /usr/sbin/nsd /usr/local/sbin/nsd; do
		[ -n "$n" ] && [ -x "$n" ] && { echo "$n"; return 0; }
	done
	command -v nsd 2>/dev/null
}

# dns_require: skip the test when NSD is not installed.
dns_require()
{
	[ -n "$(dns_nsd)" ] || atf_fail "nsd is not installed (./quickstart check installs it)"
}

# dns_zone FILE: the test zone "test." (and "other." beside it).  Every name the tests look up is
# here; addresses are from the documentation ranges (RFC 5737, RFC 3849)
# except mx.test, the probe target, which is 127.0.0.1.
dns_zone()
{
	cat >"$1" <<'ZONE'
$ORIGIN test.
$TTL 3600
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS	ns.test.
ns		A	127.0.0.1

; different preferences, listed out of order
pref		MX	20 mx2.test.
pref		MX	10 mx1.test.
pref		MX	30 mx3.test.
; equal preferences: four at 10, one at 20
equal		MX	10 mxa.test.
equal		MX	10 mxb.test.
equal		MX	10 mxc.test.
equal		MX	10 mxd.test.
equal		MX	20 mx1.test.
; no MX, but addresses: implicit MX (RFC 5321 §5.1)
implicit 	A	192.0.2.50
implicit	AAAA	2001:db8::50
; null MX (RFC 7505)
nullmx		MX	0 .
; exists, but neither MX nor address
nodata		TXT	"v=spf1 -all"
; an MX target that is a CNAME
cname		MX	10 alias.test.
alias	600	CNAME	mx1.test.
; a CNAME to nowhere
dangling	CNAME	gone.test.
; a domain that is itself a CNAME
aliasdom	CNAME	pref.test.
; the only MX has IPv6 only
v6only		MX	10 mx3.test.
; an MX host that does not exist
noaddr		MX	10 nowhere.test.
; an IDN: bücher.test
xn--bcher-kva	MX	10 mx1.test.
; a null MX beside a real one (RFC 7505 says never): the "." is ignored
mixednull	MX	0 .
mixednull	MX	10 mx1.test.
; the same host twice: kept once, at the better preference
dup		MX	20 mx1.test.
dup		MX	10 mx1.test.
; an MX target whose CNAME leads into another zone
crosszone	MX	10 xmx.test.
xmx		CNAME	mail.other.
; the --probe target, on loopback
probe		MX	10 mx.test.
mx		A	127.0.0.1
; two more domains with the same MX host: one destination site for the
; queue runner (msend_queue_test)
share1		MX	10 mx.test.
share2		MX	10 mx.test.
; MX fallback (RFC 5321 5.1): the first host answers 4xx, the second
; refuses connections, the third (mx.test) takes the mail; all loopback
fallback	MX	10 mxbusy.test.
fallback	MX	20 mxdead.test.
fallback	MX	30 mx.test.
mxbusy		A	127.0.0.2
mxdead		A	127.0.0.3

mx1	300	A	192.0.2.1
mx1	300	AAAA	2001:db8::1
mx2		A	192.0.2.2
mx2		A	192.0.2.22
mx3		AAAA	2001:db8::3
mxa		A	192.0.2.10
mxb		A	192.0.2.11
mxc		A	192.0.2.12
mxd		A	192.0.2.13
ZONE
	cat >"$(dirname "$1")/other.zone" <<'ZONE'
$ORIGIN other.
$TTL 3600
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS	ns.test.
mail		A	192.0.2.77
ZONE
	# Records a test adds (TLSA made from its certificates, dns_tlsa).
	if [ -f "$(dirname "$1")/test.extra" ]; then
		cat "$(dirname "$1")/test.extra" >>"$1"
	fi
	# The reverse zone 127.in-addr.arpa, only for a test that writes
	# rev.extra (PTR lines, relative to it: "1.0.0 PTR mx.test.").
	if [ -f "$(dirname "$1")/rev.extra" ]; then
		cat >"$(dirname "$1")/rev.zone" <<'ZONE'
$ORIGIN 127.in-addr.arpa.
$TTL 3600
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS	ns.test.
ZONE
		cat "$(dirname "$1")/rev.extra" >>"$(dirname "$1")/rev.zone"
	fi
}

# dns_tlsa CERT [USAGE]: the TLSA record data "USAGE 1 1 HEX" for the
# public key of CERT (SHA-256 of its SubjectPublicKeyInfo, certtool's
# "Public Key ID"); USAGE 3 (DANE-EE) unless given.  For test.extra:
#   echo "_25._tcp.mx TLSA $(dns_tlsa server.pem)" >>test.extra
dns_tlsa()
{
	hex=$(certtool -i --infile "$1" |
	    sed -n '/Public Key ID:/,/sha256:/s/.*sha256:\([0-9a-f]*\).*/\1/p')
	[ ${#hex} -eq 64 ] || return 1
	echo "${2:-3} 1 1 $hex"
}

# dns_ad_start DIR NAME UPSTREAM_PORT [dns_ad.py options]: a proxy to the
# NSD of dns_start that sets AD as a validating resolver would (or
# clears it: --no-ad; --servfail TLSA).  Prints its port (UDP and TCP);
# DIR/NAME.pid holds its PID for dns_ad_stop.
dns_ad_start()
{
	d=$1 name=$2 up=$3
	shift 3
	rm -f "$d/$name.port"
	python3 "$YUBIN_SRCDIR/tests/lib/dns_ad.py" --upstream "127.0.0.1:$up" \
	    --port-file "$d/$name.port" --lifetime 300 "$@" \
	    >"$d/$name.log" 2>&1 &
	echo $! >"$d/$name.pid"
	i=0
	while [ ! -s "$d/$name.port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$d/$name.port" ] || return 1
	cat "$d/$name.port"
}

# dns_ad_stop DIR NAME: stop the proxy dns_ad_start started.
dns_ad_stop()
{
	stop_pidfile "$1/$2.pid"
}

# dns_start DIR [ADDR]: write the zone and a configuration into DIR,
# start NSD on a free port of ADDR (127.0.0.1, or ::1), UDP and TCP, and
# wait until it answers.  Prints the port; DIR/nsd.pid holds the PID for
# dns_stop.
dns_start()
{
	d=$(cd "$1" && pwd) || return 1
	addr=${2:-127.0.0.1}
	ip6=no
	case $addr in *:*) ip6=yes ;; esac
	nsd=$(dns_nsd)
	dns_zone "$d/test.zone"
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		port=$(free_port_both)
		cat >"$d/nsd.conf" <<CONF
server:
	ip-address: $addr
	port: $port
	do-ip4: $( [ $ip6 = yes ] && echo no || echo yes)
	do-ip6: $ip6
	round-robin: no
	username: ""
	chroot: ""
	zonesdir: "$d"
	pidfile: "$d/nsd.pid.nsd"
	database: ""
	zonelistfile: "$d/zone.list"
	xfrdfile: "$d/xfrd.state"
	xfrdir: "$d"
	logfile: "$d/nsd.log"
	verbosity: 1
	server-count: 1
	hide-version: yes
	reuseport: no
	# No response rate limiting: every answer goes to 127.0.0.1, which
	# would soon be over RRL's 200 a second (bench/auth.sh, many tests).
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "test"
	zonefile: "test.zone"
zone:
	name: "other"
	zonefile: "other.zone"
# configured, but its file is missing: NSD answers SERVFAIL
zone:
	name: "servfail"
	zonefile: "missing.zone"
CONF
		if [ -f "$d/rev.extra" ]; then
			cat >>"$d/nsd.conf" <<CONF
zone:
	name: "127.in-addr.arpa"
	zonefile: "rev.zone"
CONF
		fi
		"$nsd" -d -c "$d/nsd.conf" >>"$d/nsd.out" 2>&1 &
		echo $! >"$d/nsd.pid"
		if dns_ready "$addr" "$port"; then
			echo "$port"
			return 0
		fi
		stop_pidfile "$d/nsd.pid"
	done
	cat "$d/nsd.out" "$d/nsd.log" >&2 2>/dev/null
	return 1
}

# dns_ready ADDR PORT: NSD answers a UDP query for test. SOA, and
# accepts TCP connections.
dns_ready()
{
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0) + b"\x04test\x00" + \
    struct.pack(">HH", 6, 1)
udp = tcp = False
for _ in range(100):
    try:
        if not udp:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(0.1)
            try:
                s.sendto(q, (addr, port))
                r = s.recv(512)
                udp = r[:2] == b"\x12\x34" and r[3] & 0x0f == 0
            finally:
                s.close()
        if not tcp:
            socket.create_connection((addr, port), 0.2).close()
            tcp = True
    except OSError:
        time.sleep(0.05)
    if udp and tcp:
        sys.exit(0)
sys.exit(1)
PY
}

# dns_stop DIR: stop the NSD started by dns_start.
dns_stop()
{
	stop_pidfile "$1/nsd.pid"
}

# dns_silent_start DIR: a UDP socket on 127.0.0.1 that reads queries and
# never answers (and no TCP listener): for timeouts.  Prints the port;
# DIR/silent.pid holds the PID.
dns_silent_start()
{
	d=$1
	# Its output must not hold the $(...) of the caller open.
	python3 - "$d/silent.port" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(1.0)
end = time.time() + 120
while time.time() < end:
    try:
        s.recv(4096)
    except socket.timeout:
        pass
PY
	echo $! >"$d/silent.pid"
	i=0
	while [ ! -s "$d/silent.port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cat "$d/silent.port"
}
