# mtasts_fetch_test: common/mtasts's fetch (RFC 8461 §3.3) against a
# loopback HTTPS server (tests/lib/mtasts_https.py) with a certificate
# for mta-sts.example.net made by certtool, reached through libcurl's
# CONNECT_TO; and mtasts_get (§5.1) against NSD with _mta-sts records
# and the same server: fetched, then from the cache, refetched when the
# id changes, the cache kept when a refetch fails.  Through
# tests/unit/mtasts_prog.

. "$YUBIN_SRCDIR/tests/lib/dns.sh"

PROG="$YUBIN_BUILDDIR/tests/unit/mtasts_prog"

POLICY='version: STSv1
mode: enforce
mx: mx1.example.net
mx: *.backup.example.net
max_age: 86400
'

# The zone for mtasts_get: written by dns_start (this replaces the
# mxlookup zone of dns.sh for this test only).
dns_zone()
{
	cat >"$1" <<'ZONE'
$ORIGIN test.
$TTL 3600
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS	ns.test.
ns		A	127.0.0.1
; one STSv1 record beside another TXT
_mta-sts.sts	TXT	"v=STSv1; id=one;"
_mta-sts.sts	TXT	"v=spf1 -all"
; two STSv1 records: no MTA-STS (RFC 8461 3.1)
_mta-sts.two	TXT	"v=STSv1; id=a;"
_mta-sts.two	TXT	"v=STSv1; id=b;"
; a bad id
_mta-sts.badid	TXT	"v=STSv1; id=not-an-id;"
ZONE
	cat >"$(dirname "$1")/other.zone" <<'ZONE'
$ORIGIN other.
$TTL 3600
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS	ns.test.
ZONE
}

# Certificates, the policy and the server; sets PORT and TO.
start_https()
{
	peer_require certtool python3
	make_certs certs mta-sts.example.net mta-sts.sts.test
	mkdir -p www
	printf '%s' "$POLICY" >www/policy.txt
	python3 "$YUBIN_SRCDIR/tests/lib/mtasts_https.py" certs/server.pem \
	    certs/server.key www 2>www/server.err &
	echo $! >https.pid
	i=0
	while [ ! -s www/port ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -s www/port ]; then
		cat www/server.err
		atf_fail "mtasts_https.py did not start"
	fi
	PORT=$(cat www/port)
	TO="mta-sts.example.net:443:127.0.0.1:$PORT"
}

# set_id ID: the cached policy of sts.test says it has id ID.
set_id()
{
	sed "s/^id .*/id $1/" cache/sts.test >cache/x &&
	    mv cache/x cache/sts.test
}

behave()
{
	echo "$1" >www/behaviour
}

stop_all()
{
	stop_pidfile https.pid
	dns_stop .
}

atf_test_case fetch_good cleanup
fetch_good_head()
{
	atf_set descr "a policy fetched: 200, text/plain, the" \
	    "certificate verified for mta-sts.DOMAIN"
}
fetch_good_body()
{
	start_https
	printf '%s' "$POLICY" >expout
	atf_check -o file:expout "$PROG" fetch -c certs/ca.pem -t "$TO" \
	    example.net
	# the well-known path, the policy host in Host
	echo "GET /.well-known/mta-sts.txt mta-sts.example.net" >explog
	atf_check -o file:explog cat www/requests.log
	# an upper-case domain is the same host
	atf_check -o file:expout "$PROG" fetch -c certs/ca.pem -t "$TO" \
	    EXAMPLE.net
	# no proxy from the environment: the fetch still goes direct
	atf_check -o file:expout env https_proxy=http://127.0.0.1:9 \
	    HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
}
fetch_good_cleanup()
{
	stop_all
}

atf_test_case fetch_refused cleanup
fetch_refused_head()
{
	atf_set descr "redirects, other types, other codes, oversized" \
	    "bodies, slow servers are refused (RFC 8461 3.3)"
}
fetch_refused_body()
{
	start_https
	behave redirect
	atf_check -s exit:1 -e match:'HTTP 301: a redirect, not followed' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
	[ "$(wc -l <www/requests.log)" -eq 1 ] ||
	    atf_fail "the redirect was followed"
	behave type
	atf_check -s exit:1 -e match:'Content-Type text/html, not text/plain' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
	behave notfound
	atf_check -s exit:1 -e match:'HTTP 404, not 200' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
	behave big
	atf_check -s exit:1 -e match:'policy larger than 65536 bytes' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
	behave bigcl
	atf_check -s exit:1 -e match:'policy larger than 65536 bytes' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" example.net
	behave slow
	atf_check -s exit:1 -e match:'mta-sts.txt: .*([Tt]imeout|timed out)' \
	    "$PROG" fetch -T 1 -c certs/ca.pem -t "$TO" example.net
	# not a domain
	atf_check -s exit:1 -e match:'not a host name' \
	    "$PROG" fetch -c certs/ca.pem -t "$TO" 'a..b'
}
fetch_refused_cleanup()
{
	stop_all
}

atf_test_case fetch_certificate cleanup
fetch_certificate_head()
{
	atf_set descr "the certificate must chain to a trusted CA and" \
	    "name mta-sts.DOMAIN"
}
fetch_certificate_body()
{
	start_https
	# the test CA is not in the system's trust store
	atf_check -s exit:1 -e match:'mta-sts.example.net' \
	    "$PROG" fetch -t "$TO" example.net
	# trusted, but for another name
	atf_check -s exit:1 -e match:'mta-sts.elsewhere.example' \
	    "$PROG" fetch -c certs/ca.pem \
	    -t "mta-sts.elsewhere.example:443:127.0.0.1:$PORT" \
	    elsewhere.example
	# nothing was served to either
	[ ! -s www/requests.log ] || atf_fail "a request got through"
}
fetch_certificate_cleanup()
{
	stop_all
}

atf_test_case get_cache cleanup
get_cache_head()
{
	atf_set descr "mtasts_get: fetched and cached, then from the" \
	    "cache, refetched when the id changes or it expires, the" \
	    "cache kept when the refetch fails (RFC 8461 5.1)"
}
get_cache_body()
{
	dns_require
	start_https
	DNSPORT=$(dns_start .) || atf_fail "could not start nsd"
	TO="mta-sts.sts.test:443:127.0.0.1:$PORT"
	G="$PROG get -d 127.0.0.1:$DNSPORT -c certs/ca.pem -t $TO -C cache"
	mkdir cache
	NOW=1764633600

	# nothing cached: fetched, cached
	atf_check -o save:out $G -n $NOW sts.test
	atf_check -o match:'^mode enforce$' -o match:'^source fetched$' \
	    -o match:'^id one$' -o match:'^mx mx1.example.net$' \
	    -o match:'^mx \*.backup.example.net$' cat out
	W='sts.test: MTA-STS policy id one, mode enforce, 2 mx patterns,'
	W="$W fetched now, expires 2025-12-03T00:00:00Z"
	atf_check -o inline:"why $W\n" grep '^why' out
	atf_check -o match:'^id one$' -o match:'^fetched 1764633600$' \
	    cat cache/sts.test
	[ "$(ls -a cache | wc -l)" -eq 3 ] ||
	    atf_fail "a temporary file is left"
	[ "$(wc -l <www/requests.log)" -eq 1 ] || atf_fail "not one fetch"

	# the same id, unexpired: from the cache, no fetch
	atf_check -o match:'^source cache$' -o match:'^mode enforce$' \
	    $G -n $((NOW + 3600)) STS.test.
	[ "$(wc -l <www/requests.log)" -eq 1 ] || atf_fail "fetched again"

	# expired: fetched again
	atf_check -o match:'^source fetched$' $G -n $((NOW + 86400)) sts.test
	[ "$(wc -l <www/requests.log)" -eq 2 ] || atf_fail "not refetched"

	# the id in the DNS is not the cached one: refetched
	set_id old
	printf 'version: STSv1\nmode: testing\nmx: mx9.example.net\n' \
	    >www/policy.txt
	printf 'max_age: 600\n' >>www/policy.txt
	atf_check -o match:'^source fetched$' -o match:'^mode testing$' \
	    -o match:'^mx mx9.example.net$' -o match:'^id one$' \
	    $G -n $((NOW + 86400)) sts.test

	# a new id and the refetch fails: the unexpired cache stays
	set_id old
	behave notfound
	atf_check -o match:'^source cache$' -o match:'^mode testing$' \
	    -o match:'^id old$' \
	    -o match:'policy id one not fetched: .*HTTP 404, not 200' \
	    $G -n $((NOW + 86400 + 60)) sts.test
	# ... until it expires: then no MTA-STS
	atf_check -o match:'^source none$' -o match:'^mode none$' \
	    -o match:'^why no MTA-STS: sts.test: policy id one: .*HTTP 404' \
	    $G -n $((NOW + 86400 + 600)) sts.test

	# a policy that does not parse is no policy
	behave good
	printf 'version: STSv1\nmode: enforce\nmax_age: 600\n' >www/policy.txt
	atf_check -o match:'^source none$' -o match:'no mx pattern' \
	    $G -n $((NOW + 86400 + 600)) sts.test

	# mode none: fetched and cached, and no MTA-STS
	printf 'version: STSv1\nmode: none\nmax_age: 600\n' >www/policy.txt
	atf_check -o match:'^source fetched$' -o match:'^mode none$' \
	    -o match:'mode none: no MTA-STS' \
	    $G -n $((NOW + 86400 + 600)) sts.test
}
get_cache_cleanup()
{
	stop_all
}

atf_test_case get_dns cleanup
get_dns_head()
{
	atf_set descr "mtasts_get: no record, two STSv1 records, a bad" \
	    "id: no MTA-STS, nothing fetched"
}
get_dns_body()
{
	dns_require
	start_https
	DNSPORT=$(dns_start .) || atf_fail "could not start nsd"
	G="$PROG get -d 127.0.0.1:$DNSPORT -c certs/ca.pem -t $TO -C cache"
	mkdir cache
	atf_check -o match:'^source none$' \
	    -o match:'^why no MTA-STS: _mta-sts.nothing.test: no such domain$' \
	    $G nothing.test
	atf_check -o match:'^source none$' \
	    -o match:'_mta-sts.two.test: 2 STSv1 TXT records: .* exactly one' \
	    $G two.test
	atf_check -o match:'^source none$' \
	    -o match:'_mta-sts.badid.test: STSv1 record: id "not-an-id"' \
	    $G badid.test
	[ ! -s www/requests.log ] || atf_fail "a policy was fetched"
}
get_dns_cleanup()
{
	stop_all
}

atf_init_test_cases()
{
	atf_add_test_case fetch_good
	atf_add_test_case fetch_refused
	atf_add_test_case fetch_certificate
	atf_add_test_case get_cache
	atf_add_test_case get_dns
}
