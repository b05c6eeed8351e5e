# dane.sh: the DNS side of the DANE tests, for tests that are not atf-sh
# scripts (tests/unit/dns_test runs it with sh).
#
#   sh dane.sh start SRCDIR   in the current directory: certificates
#                             (make_certs certs), a zone with
#                             "_25._tcp.mx.test TLSA 3 1 1 ..." for
#                             certs/server.pem and "dane.test MX 10
#                             mx.test", NSD, and three dns_ad.py proxies
#                             to it; writes "NSD AD NOAD SERVFAIL" ports
#                             to ./ports
#   sh dane.sh stop SRCDIR    stops them all by PID
set -u
YUBIN_SRCDIR=$2
atf_fail()
{
	echo "dane.sh: $*" >&2
	exit 1
}
. "$YUBIN_SRCDIR/tests/lib/common.sh"
. "$YUBIN_SRCDIR/tests/lib/dns.sh"

case $1 in
start)
	dns_require
	make_certs certs || atf_fail "make_certs failed"
	tlsa=$(dns_tlsa certs/server.pem) || atf_fail "no TLSA for server.pem"
	{
		echo "dane		MX	10 mx.test."
		echo "_25._tcp.mx	TLSA	$tlsa"
	} >test.extra
	nsd=$(dns_start .) || atf_fail "could not start nsd"
	ad=$(dns_ad_start . ad "$nsd") || atf_fail "no AD proxy"
	noad=$(dns_ad_start . noad "$nsd" --no-ad) || atf_fail "no proxy"
	sf=$(dns_ad_start . sf "$nsd" --servfail TLSA) ||
	    atf_fail "no SERVFAIL proxy"
	echo "$nsd $ad $noad $sf" >ports.tmp && mv ports.tmp ports
	;;
stop)
	dns_ad_stop . ad
	dns_ad_stop . noad
	dns_ad_stop . sf
	dns_stop .
	;;
*)
	atf_fail "usage: dane.sh start|stop SRCDIR"
	;;
esac
