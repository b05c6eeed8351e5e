# mxlookup_test: mxlookup against a real DNS server (NSD on a loopback
# port, zone in tests/lib/dns.sh), output checked against the zone;
# --probe against a loopback SMTP peer (tests/lib/smtp_peer.py).

. "$YUBIN_SRCDIR/tests/lib/dns.sh"

MXLOOKUP=$(yubin_prog mxlookup)

# Start NSD in the test's directory; sets SERVER.
start_dns()
{
	dns_require
	PORT=$(dns_start .) || atf_fail "could not start nsd"
	SERVER="127.0.0.1:$PORT"
	set_mx
}

# atf_check runs programs, not shell functions: $MX is the command.
set_mx()
{
	MX="$MXLOOKUP --server $SERVER"
}

# Start the SMTP peer (extra arguments go to it); sets SMTP_PORT.
start_peer()
{
	python3 "$YUBIN_SRCDIR/tests/lib/smtp_peer.py" --port-file peer.port \
	    --log peer.log --lifetime 60 "$@" &
	echo $! >peer.pid
	i=0
	while [ ! -s peer.port ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s peer.port ] || atf_fail "smtp_peer.py did not start"
	SMTP_PORT=$(cat peer.port)
}

stop_all()
{
	dns_stop .
	stop_pidfile peer.pid
	stop_pidfile silent.pid
}

atf_test_case preferences cleanup
preferences_head()
{
	atf_set "descr" "MX hosts in preference order, every address, TTLs"
}
preferences_body()
{
	start_dns
	cat >expected <<'EOF'
10 mx1.test 2001:db8::1
10 mx1.test 192.0.2.1
20 mx2.test 192.0.2.2
20 mx2.test 192.0.2.22
30 mx3.test 2001:db8::3
EOF
	# Different preferences are never shuffled.
	for i in 1 2 3 4 5; do
		atf_check -s exit:0 -o file:expected $MX -s pref.test
	done
	atf_check -s exit:0 -o file:expected $MX --short user@pref.test
	cat >expected <<'EOF'
pref.test: 3 MX hosts
  MX 10 mx1.test (ttl 3600)
      AAAA 2001:db8::1 (ttl 300)
      A    192.0.2.1 (ttl 300)
  MX 20 mx2.test (ttl 3600)
      A    192.0.2.2 (ttl 3600)
      A    192.0.2.22 (ttl 3600)
  MX 30 mx3.test (ttl 3600)
      AAAA 2001:db8::3 (ttl 3600)
EOF
	atf_check -s exit:0 -o file:expected $MX pref.test
	atf_check -s exit:0 -o file:expected $MX PREF.Test.

	# A "." beside real MX hosts is ignored (-v says so); a host listed
	# twice is kept once, at its better preference.
	printf '10 mx1.test 2001:db8::1\n10 mx1.test 192.0.2.1\n' >mx1
	atf_check -s exit:0 -o file:mx1 $MX -s mixednull.test
	atf_check -s exit:0 -o match:'1 MX record ignored' $MX -v mixednull.test
	atf_check -s exit:0 -o file:mx1 $MX -s dup.test
}
preferences_cleanup()
{
	stop_all
}

atf_test_case shuffle cleanup
shuffle_head()
{
	atf_set "descr" "Equal preferences are shuffled; --no-shuffle is stable"
}
shuffle_body()
{
	start_dns
	cat >sorted <<'EOF'
10 mxa.test 192.0.2.10
10 mxb.test 192.0.2.11
10 mxc.test 192.0.2.12
10 mxd.test 192.0.2.13
EOF
	cp sorted want
	printf '20 mx1.test 2001:db8::1\n20 mx1.test 192.0.2.1\n' >>want
	for i in 1 2 3 4 5; do
		atf_check -s exit:0 -o file:want $MX -s --no-shuffle equal.test
	done
	: >firsts
	for i in $(seq 1 30); do
		atf_check -s exit:0 -o save:out $MX -s equal.test
		# Each run: the four at 10 (in some order), then mx1 at 20.
		atf_check -o file:sorted sh -c 'head -4 out | sort'
		atf_check -o inline:"20 mx1.test 2001:db8::1\n20 mx1.test 192.0.2.1\n" \
		    tail -2 out
		head -1 out >>firsts
	done
	n=$(sort -u firsts | wc -l)
	[ "$n" -ge 2 ] || atf_fail "30 runs, always the same first MX host"
}
shuffle_cleanup()
{
	stop_all
}

atf_test_case implicit_mx cleanup
implicit_mx_head()
{
	atf_set "descr" "No MX but addresses: implicit MX, said in words"
}
implicit_mx_body()
{
	start_dns
	atf_check -s exit:0 \
	    -o inline:"0 implicit.test 2001:db8::50\n0 implicit.test 192.0.2.50\n" \
	    $MX -s implicit.test
	atf_check -s exit:0 -o save:out $MX implicit.test
	atf_check -o match:'^implicit.test: no MX record; implicit MX' cat out
	atf_check -o match:'^  MX 0 implicit.test \(implicit MX\)$' cat out
	atf_check -o match:'AAAA 2001:db8::50 \(ttl 3600\)' cat out
	atf_check -o match:'A    192.0.2.50 \(ttl 3600\)' cat out
}
implicit_mx_cleanup()
{
	stop_all
}

atf_test_case no_mail cleanup
no_mail_head()
{
	atf_set "descr" "Null MX, NXDOMAIN, no data, MX without address"
}
no_mail_body()
{
	start_dns
	atf_check -s exit:69 \
	    -o inline:"nullmx.test: null MX (RFC 7505): accepts no mail\n" \
	    $MX nullmx.test
	atf_check -s exit:69 -o empty \
	    -e inline:"mxlookup: nullmx.test: null MX: accepts no mail (RFC 7505)\n" \
	    $MX -s nullmx.test
	atf_check -s exit:68 -o empty \
	    -e inline:"mxlookup: nx.test: no such domain (NXDOMAIN)\n" \
	    $MX nx.test
	atf_check -s exit:68 -o empty \
	    -e inline:"mxlookup: nx.test: no such domain (NXDOMAIN)\n" \
	    $MX -s someone@nx.test
	atf_check -s exit:68 -o empty \
	    -e inline:"mxlookup: dangling.test: CNAME to gone.test: no such domain (NXDOMAIN)\n" \
	    $MX dangling.test
	atf_check -s exit:69 -o empty \
	    -e match:'^mxlookup: nodata.test: no MX and no address record' \
	    $MX nodata.test
	atf_check -s exit:68 -o save:out \
	    -e inline:"mxlookup: noaddr.test: no MX host has an address\n" \
	    $MX noaddr.test
	atf_check -o match:'^  MX 10 nowhere.test \(ttl 3600\)$' cat out
	atf_check -o match:'no address: nowhere.test: no such domain' cat out
}
no_mail_cleanup()
{
	stop_all
}

atf_test_case cnames cleanup
cnames_head()
{
	atf_set "descr" "CNAMEs of an MX target and of the domain are followed"
}
cnames_body()
{
	start_dns
	atf_check -s exit:0 \
	    -o inline:"10 alias.test 2001:db8::1\n10 alias.test 192.0.2.1\n" \
	    $MX -s cname.test
	atf_check -s exit:0 -o save:out $MX cname.test
	atf_check -o match:'^  MX 10 alias.test \(ttl 3600\)$' cat out
	atf_check -o match:'^      CNAME alias.test -> mx1.test \(ttl 600\)$' \
	    cat out
	atf_check -o match:'^      A    192.0.2.1 \(ttl 300\)$' cat out

	$MX -s pref.test >pref.out
	atf_check -s exit:0 -o file:pref.out $MX -s aliasdom.test
	atf_check -s exit:0 -o save:out $MX aliasdom.test
	atf_check -o match:'^  CNAME aliasdom.test -> pref.test \(ttl 3600\)$' \
	    cat out

	# A CNAME into another zone, which the server may not chase itself.
	atf_check -s exit:0 -o inline:"10 xmx.test 192.0.2.77\n" \
	    $MX -s crosszone.test
	atf_check -s exit:0 -o match:'^      CNAME xmx.test -> mail.other \(ttl 3600\)$' \
	    $MX crosszone.test
}
cnames_cleanup()
{
	stop_all
}

atf_test_case aaaa_only cleanup
aaaa_only_head()
{
	atf_set "descr" "An MX host with IPv6 addresses only"
}
aaaa_only_body()
{
	start_dns
	atf_check -s exit:0 -o inline:"10 mx3.test 2001:db8::3\n" \
	    $MX -s v6only.test
	atf_check -s exit:0 -o save:out $MX v6only.test
	atf_check -o match:'^      AAAA 2001:db8::3 \(ttl 3600\)$' cat out
	atf_check -s exit:1 -o empty grep ' A ' out
}
aaaa_only_cleanup()
{
	stop_all
}

atf_test_case idn cleanup
idn_head()
{
	atf_set "descr" "A UTF-8 domain goes through IDNA; both forms shown"
}
idn_body()
{
	start_dns
	printf '10 mx1.test 2001:db8::1\n10 mx1.test 192.0.2.1\n' >expected
	atf_check -s exit:0 -o file:expected $MX -s "bücher.test"
	atf_check -s exit:0 -o file:expected $MX -s "Bücher.test"
	atf_check -s exit:0 -o file:expected $MX -s "jörg@bücher.test"
	atf_check -s exit:0 -o file:expected $MX -s xn--bcher-kva.test
	atf_check -s exit:0 -o save:out $MX "bücher.test"
	atf_check -o match:'^bücher.test \(xn--bcher-kva.test\): 1 MX host$' \
	    cat out
	atf_check -s exit:64 -e match:'bad.*\.test: not a valid' \
	    $MX "bad..test"
}
idn_cleanup()
{
	stop_all
}

atf_test_case temporary cleanup
temporary_head()
{
	atf_set "descr" "SERVFAIL, REFUSED, timeout, refused port: exit 75"
}
temporary_body()
{
	start_dns
	# NSD has the zone "servfail." configured without its file.
	atf_check -s exit:75 -o empty \
	    -e match:"^mxlookup: x.servfail: SERVFAIL from 127.0.0.1#$PORT" \
	    $MX x.servfail
	# A zone NSD does not serve at all.
	atf_check -s exit:75 -o empty \
	    -e match:"^mxlookup: example.invalid: REFUSED from 127.0.0.1#$PORT" \
	    $MX example.invalid
	# Nothing listens: ICMP port unreachable, at once.
	closed=$(free_port udp)
	atf_check -s exit:75 -o empty -e match:'connection refused' \
	    "$MXLOOKUP" --server "127.0.0.1:$closed" pref.test
	# A server that never answers: 2 tries of 1 second.
	silent=$(dns_silent_start .)
	start=$(date +%s)
	atf_check -s exit:75 -o empty \
	    -e match:"^mxlookup: pref.test: no answer from 127.0.0.1#$silent \(timed out\)" \
	    "$MXLOOKUP" --timeout 1 --server "127.0.0.1:$silent" pref.test
	end=$(date +%s)
	[ $((end - start)) -le 8 ] || atf_fail "timeout took $((end - start)) s"
}
temporary_cleanup()
{
	stop_all
}

atf_test_case several cleanup
several_head()
{
	atf_set "descr" "Several domains: all answered, the worst exit code"
}
several_body()
{
	start_dns
	$MX -s pref.test >expected
	$MX -s v6only.test >>expected
	atf_check -s exit:0 -o file:expected $MX -s pref.test v6only.test
	atf_check -s exit:68 -o file:expected -e match:'nx.test: no such' \
	    $MX -s pref.test nx.test nullmx.test v6only.test
	atf_check -s exit:69 -o empty -e match:'REFUSED' \
	    $MX -s x.invalid nullmx.test
	atf_check -s exit:75 -o file:expected -e match:'SERVFAIL' \
	    $MX -s pref.test x.servfail v6only.test
	# Human output: one block per domain, a blank line between.
	atf_check -s exit:0 -o save:out $MX pref.test v6only.test
	atf_check -o inline:"1\n" grep -c '^$' out
}
several_cleanup()
{
	stop_all
}

atf_test_case server_ipv6 cleanup
server_ipv6_head()
{
	atf_set "descr" "--server [::1]:PORT reaches a server on IPv6 loopback"
}
server_ipv6_body()
{
	dns_require
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null || atf_skip "no IPv6 loopback"
	PORT=$(dns_start . ::1) || atf_fail "could not start nsd on ::1"
	SERVER="[::1]:$PORT"
	set_mx
	atf_check -s exit:0 -o inline:"10 mx3.test 2001:db8::3\n" \
	    $MX -s v6only.test
}
server_ipv6_cleanup()
{
	stop_all
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "Usage errors, --help, --version"
}
usage_body()
{
	atf_check -s exit:64 -e match:'^usage: mxlookup' "$MXLOOKUP"
	atf_check -s exit:64 -e match:'usage' "$MXLOOKUP" --bogus x.test
	atf_check -s exit:0 -o match:'^usage: mxlookup' "$MXLOOKUP" --help
	atf_check -s exit:0 -o match:'^mxlookup \(yubin\) ' "$MXLOOKUP" --version
	atf_check -s exit:64 -e match:'ns.example: not a numeric server' \
	    "$MXLOOKUP" --server ns.example x.test
	atf_check -s exit:64 -e match:'go with --probe' \
	    "$MXLOOKUP" --port 2525 x.test
	atf_check -s exit:64 -e match:'not a port' \
	    "$MXLOOKUP" --probe --port 0 x.test
	atf_check -s exit:64 -e match:'timeout' \
	    "$MXLOOKUP" --timeout 0 x.test
	atf_check -s exit:64 -e match:'does not go with --short' \
	    "$MXLOOKUP" --probe -s x.test
	atf_check -s exit:64 -e match:'address literal' \
	    "$MXLOOKUP" --server 127.0.0.1:1 'a@[192.0.2.1]'
}

atf_test_case probe_plain cleanup
probe_plain_head()
{
	atf_set "descr" "--probe: greeting and EHLO of a peer without STARTTLS"
}
probe_plain_body()
{
	start_dns
	start_peer --greeting "mx.test ESMTP plain peer"
	atf_check -s exit:0 -o save:out \
	    $MX --probe --port "$SMTP_PORT" --ehlo client.test probe.test
	atf_check -o match:"^      probe 127.0.0.1 port $SMTP_PORT:$" cat out
	atf_check -o match:'^        connect: ok \([0-9]+ ms\)$' cat out
	atf_check -o match:'^        greeting: 220 mx.test ESMTP plain peer \([0-9]+ ms\)$' \
	    cat out
	atf_check -o match:'^        EHLO: 250 mx.test greets client.test' cat out
	atf_check -o match:'^          PIPELINING$' cat out
	atf_check -o match:'^          SIZE 10240000$' cat out
	atf_check -o match:'^          ENHANCEDSTATUSCODES$' cat out
	atf_check -o match:'^        STARTTLS: not offered$' cat out
	atf_check -o inline:"EHLO client.test\nQUIT\n" cat peer.log

	# Nothing listens on the port: the domain is not reachable now.
	closed=$(free_port)
	atf_check -s exit:75 -o match:'connect: failed' \
	    -e match:'probe.test: no MX host answered' \
	    $MX --probe --port "$closed" --timeout 5 probe.test
}
probe_plain_cleanup()
{
	stop_all
}

atf_test_case probe_starttls cleanup
probe_starttls_head()
{
	atf_set "descr" "--probe: STARTTLS protocol, cipher, certificate, verdict"
}
probe_starttls_body()
{
	start_dns
	make_certs certs
	start_peer --starttls --cert certs/server.pem --key certs/server.key
	atf_check -s exit:0 -o save:out \
	    $MX --probe --port "$SMTP_PORT" --ehlo client.test \
	    --cafile certs/ca.pem probe.test
	atf_check -o match:'^          STARTTLS$' cat out
	atf_check -o match:'^        STARTTLS: TLS1\.[23], [A-Z0-9-]+ \([0-9]+ ms\)$' \
	    cat out
	atf_check -o match:'^          subject: CN=localhost$' cat out
	atf_check -o match:'^          issuer: CN=yubin test CA$' cat out
	atf_check -o match:'^          sha256: ([0-9A-F]{2}:){31}[0-9A-F]{2}$' \
	    cat out
	atf_check -o match:'^          verification: ok \(trusted, name mx.test matches\)$' \
	    cat out
	atf_check -o match:'^        EHLO after STARTTLS: 250 ' cat out
	atf_check -o match:'^          AUTH PLAIN LOGIN$' cat out
	atf_check -o inline:"EHLO client.test\nSTARTTLS\nTLS EHLO client.test\nTLS QUIT\n" \
	    cat peer.log

	# Another CA: the handshake completes, the verdict says why not.
	atf_check -s exit:0 -o save:out2 \
	    $MX --probe --port "$SMTP_PORT" --cafile certs/other.pem probe.test
	atf_check -o match:'^          verification: failed: ' cat out2
	atf_check -s exit:1 -o empty grep 'verification: ok' out2
}
probe_starttls_cleanup()
{
	stop_all
}

atf_init_test_cases()
{
	atf_add_test_case preferences
	atf_add_test_case shuffle
	atf_add_test_case implicit_mx
	atf_add_test_case no_mail
	atf_add_test_case cnames
	atf_add_test_case aaaa_only
	atf_add_test_case idn
	atf_add_test_case temporary
	atf_add_test_case several
	atf_add_test_case server_ipv6
	atf_add_test_case usage
	atf_add_test_case probe_plain
	atf_add_test_case probe_starttls
}
