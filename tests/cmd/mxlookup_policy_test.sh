# mxlookup_policy_test: `mxlookup --policy DOMAIN` against NSD on a
# loopback port (tests/lib/dns.sh) with good and broken SPF, DMARC,
# MTA-STS, TLS-RPT and DKIM key records in test.extra, the MTA-STS
# policy served by tests/lib/mtasts_https.py, TLSA records with and
# without the AD bit (tests/lib/dns_ad.py).  `mxlookup --dmarc` runs the
# DMARC table (discovery and verdict, RFC 7489) on the same zone.  Every finding is one line
# "WHAT: ok|note|problem|unknown: text"; the exit code is 0 when nothing
# is wrong, 65 when something published is missing or broken.

. "$YUBIN_SRCDIR/tests/lib/dns.sh"

MXLOOKUP=$(yubin_prog mxlookup)

# b64key KIND: a public key for a DKIM record, base64 on one line:
# rsa2048, rsa512 (SubjectPublicKeyInfo), pkcs1 (RSA-2048, bare
# RSAPublicKey), ed25519 (the raw 32 octets).
b64key()
{
	case $1 in
	pkcs1)
		# The bare RSAPublicKey some tools publish.
		openssl genpkey -algorithm RSA \
		    -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
		    openssl rsa -RSAPublicKey_out -outform DER 2>/dev/null |
		    base64 | tr -d '\n'
		;;
	rsa*)
		openssl genpkey -algorithm RSA \
		    -pkeyopt "rsa_keygen_bits:${1#rsa}" 2>/dev/null |
		    openssl pkey -pubout -outform DER 2>/dev/null |
		    base64 | tr -d '\n'
		;;
	ed25519)
		openssl genpkey -algorithm ed25519 2>/dev/null |
		    openssl pkey -pubout -outform DER 2>/dev/null |
		    tail -c 32 | base64 | tr -d '\n'
		;;
	esac
}

# txt STRING: STRING as a TXT rdata of quoted pieces of at most 200
# octets (RFC 1035 §3.3.14: 255 a piece; RFC 6376 §3.6.2.2 joins them).
txt()
{
	printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '
}

# The zone: good.test publishes everything right; each other domain
# breaks one thing.
zone_extra()
{
	rsa=$(b64key rsa2048)
	weak=$(b64key rsa512)
	pkcs1=$(b64key pkcs1)
	ed=$(b64key ed25519)
	[ ${#rsa} -gt 300 ] && [ ${#pkcs1} -gt 300 ] && [ ${#ed} -eq 44 ] ||
	    atf_fail "no test keys"
	cat <<EOF
good		MX	10 mx.test.
good		TXT	"v=spf1 ip4:192.0.2.1 -all"
_dmarc.good	TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
_mta-sts.good	TXT	"v=STSv1; id=20261202;"
_smtp._tls.good	TXT	"v=TLSRPTv1; rua=mailto:tlsrpt@good.test"
s1._domainkey.good	TXT	$(txt "v=DKIM1; k=rsa; p=$rsa")
ed._domainkey.good	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
sub.good	MX	10 mx.test.
sub.good	TXT	"v=spf1 ip4:192.0.2.1 -all"
weak._domainkey.good	TXT	$(txt "v=DKIM1; k=rsa; t=y; p=$weak")
gone._domainkey.good	TXT	"v=DKIM1; k=rsa; p="
junk._domainkey.good	TXT	"v=DKIM1; k=rsa; p=bm90IGEga2V5"
sha1._domainkey.good	TXT	$(txt "v=DKIM1; h=sha1; p=$rsa")
nop._domainkey.good	TXT	"v=DKIM1; k=rsa"
pkcs1._domainkey.good	TXT	$(txt "v=DKIM1; k=rsa; p=$pkcs1")
spf2		TXT	"v=spf1 -all"
spf2		TXT	"v=spf1 mx -all"
spfplus		TXT	"v=spf1 +all"
spfbad		TXT	"v=spf1 ip4:300.1.2.3 -all"
spfsoft		TXT	"v=spf1 ip4:192.0.2.1 ~all"
_dmarc.spfsoft	TXT	"v=DMARC1; p=none; pct=150; rua=dmarc@spfsoft.test"
nodmarc		TXT	"v=spf1 ip4:192.0.2.1 -all"
dmarcbad	TXT	"v=spf1 ip4:192.0.2.1 -all"
_dmarc.dmarcbad	TXT	"v=DMARC1; p=block"
dmarc2		TXT	"v=spf1 ip4:192.0.2.1 -all"
_dmarc.dmarc2	TXT	"v=DMARC1; p=none"
_dmarc.dmarc2	TXT	"v=DMARC1; p=reject"
stsmx		MX	10 mx1.test.
stsmx		MX	20 mx.test.
_mta-sts.stsmx	TXT	"v=STSv1; id=1;"
stscert		MX	10 mx.test.
_mta-sts.stscert	TXT	"v=STSv1; id=1;"
stsrec		MX	10 mx.test.
_mta-sts.stsrec	TXT	"v=STSv1; id=;"
_smtp._tls.stsrec	TXT	"v=TLSRPTv1; rua=tlsrpt@stsrec.test"
_smtp._tls.spf2	TXT	"v=TLSRPTv1;"
_smtp._tls.spfplus	TXT	"v=TLSRPTv1; rua=mailto:a@spfplus.test"
_smtp._tls.spfplus	TXT	"v=TLSRPTv1; rua=mailto:b@spfplus.test"
_dmarc.strict	TXT	"v=DMARC1; p=quarantine; adkim=s; aspf=s"
_dmarc.subpol	TXT	"v=DMARC1; p=none; sp=reject"
_dmarc.own.subpol	TXT	"v=DMARC1; p=quarantine"
_dmarc.pct0	TXT	"v=DMARC1; p=reject; pct=0"
_dmarc.fallback	TXT	"v=DMARC1; p=drop; rua=mailto:d@fallback.test"
EOF
}

# Start NSD with the zone (and the lines of $EXTRA) and the MTA-STS
# policy host; sets PORT, SERVER, STS (the options for the policy fetch)
# and MX (the command).
start_all()
{
	dns_require
	[ -f certs/server.pem ] || make_certs certs mta-sts.good.test \
	    mta-sts.stsmx.test mta-sts.stsrec.test ||
	    atf_fail "no certificates"
	mkdir -p dns sts
	zone_extra >dns/test.extra
	printf '%s\n' "${EXTRA:-}" >>dns/test.extra
	PORT=$(dns_start dns) || atf_fail "could not start nsd"
	SERVER="127.0.0.1:$PORT"
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.test\r\nmax_age: 1209600\r\n' \
	    >sts/policy.txt
	python3 "$YUBIN_SRCDIR/tests/lib/mtasts_https.py" certs/server.pem \
	    certs/server.key sts >sts.out 2>&1 &
	echo $! >sts.pid
	i=0
	while [ ! -s sts/port ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s sts/port ] || atf_fail "the policy server did not start"
	# Every policy host is the loopback server (an empty host in
	# CONNECT_TO matches any); mta-sts.stscert.test is not in its
	# certificate.
	STS="--mta-sts-trust-file $PWD/certs/ca.pem \
	    --mta-sts-connect-to ::127.0.0.1:$(cat sts/port)"
	MX="$MXLOOKUP --server $SERVER --timeout 5 --policy $STS"
}

stop_all()
{
	stop_pidfile sts.pid
	stop_pidfile dns/ad.pid
	dns_stop dns
}

# has FILE LINE...: each LINE is in FILE, whole.
has()
{
	f=$1
	shift
	for l in "$@"; do
		grep -qxF -- "$l" "$f" ||
		    atf_fail "missing line: $l
--- output:
$(cat "$f")"
	done
}

atf_test_case good cleanup
good_head()
{
	atf_set "descr" "A domain that publishes everything right: only" \
	    "notes, exit 0"
}
good_body()
{
	start_all
	atf_check -s exit:0 -o save:out -e empty $MX --selector s1 \
	    --selector ed good.test
	has out \
	    "good.test: mail policies (DNS: $SERVER)" \
	    'SPF: ok: record at good.test: "v=spf1 ip4:192.0.2.1 -all"' \
	    'SPF: ok: -all: mail from hosts not listed fails' \
	    'SPF: ok: 0 of 10 DNS-querying terms, 0 of 2 void lookups (includes and redirects counted)' \
	    'DMARC: ok: record at _dmarc.good.test: "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"' \
	    'DMARC: ok: good.test is an organizational domain (Public Suffix List): p=reject for it, sp=reject for its subdomains' \
	    'MTA-STS: ok: record at _mta-sts.good.test: "v=STSv1; id=20261202;"' \
	    'MTA-STS: ok: policy: mode enforce, max_age 1209600, mx mx.test' \
	    'MTA-STS: ok: every MX host matches the policy' \
	    'TLS-RPT: ok: record at _smtp._tls.good.test: "v=TLSRPTv1; rua=mailto:tlsrpt@good.test"' \
	    'TLS-RPT: ok: reports go to 1 address' \
	    'TLSA: note: _25._tcp.mx.test: no TLSA records (the answer was not DNSSEC-validated): no DANE for mx.test' \
	    'DKIM s1: ok: RSA key of 2048 bits' \
	    'DKIM ed: ok: Ed25519 key (RFC 8463); verifiers that know only RSA ignore it: sign with an RSA key too' \
	    'good.test: 0 problems, 1 note'
	# The policy was fetched from the policy host, by name.
	grep -q 'GET /.well-known/mta-sts.txt mta-sts.good.test' \
	    sts/requests.log || atf_fail "no policy fetch: $(cat sts/requests.log)"
	# A subdomain inherits the organizational domain's record (sp).
	atf_check -s exit:0 -o save:out -e empty $MX sub.good.test
	has out \
	    'DMARC: ok: record at _dmarc.good.test: "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"' \
	    'DMARC: ok: sub.good.test has no record of its own: the one of its organizational domain good.test applies, with sp=reject'
}
good_cleanup()
{
	stop_all
}

atf_test_case spf_dmarc cleanup
spf_dmarc_head()
{
	atf_set "descr" "Broken and missing SPF and DMARC records: one" \
	    "problem line each, with the fix, and exit 65"
}
spf_dmarc_body()
{
	start_all
	atf_check -s exit:65 -o save:out -e empty $MX spf2.test
	has out 'SPF: problem: 2 SPF records at spf2.test: receivers give permerror (RFC 7208 §4.5); merge them into one' \
	    'TLS-RPT: problem: the record has no rua= (RFC 8460 §3 requires it): add rua=mailto:tlsrpt@spf2.test'
	atf_check -s exit:65 -o save:out -e empty $MX spfplus.test
	has out 'SPF: problem: +all lets any host on the Internet send as spfplus.test: end the record with -all' \
	    'TLS-RPT: problem: 2 TLS-RPT records at _smtp._tls.spfplus.test: senders take it as none (RFC 8460 §3); keep one'
	atf_check -s exit:65 -o save:out -e empty $MX spfbad.test
	grep -q '^SPF: problem: the record does not parse: .*300.1.2.3' out ||
	    atf_fail "spfbad: $(cat out)"
	atf_check -s exit:65 -o save:out -e empty $MX pref.test
	has out 'SPF: problem: no SPF record at pref.test: receivers cannot tell which hosts may send its mail; publish a TXT record such as "v=spf1 mx -all" listing your sending hosts'
	atf_check -s exit:65 -o save:out -e empty $MX nodmarc.test
	has out 'DMARC: problem: no DMARC record at _dmarc.nodmarc.test: receivers apply no policy and send no reports; publish TXT "v=DMARC1; p=none; rua=mailto:dmarc@nodmarc.test" at _dmarc.nodmarc.test, then move to p=quarantine or p=reject' \
	    'MTA-STS: note: no MTA-STS record at _mta-sts.nodmarc.test: senders use TLS only when it happens to work; to require it, publish a policy (RFC 8461)'
	atf_check -s exit:65 -o save:out -e empty $MX dmarcbad.test
	has out 'DMARC: problem: _dmarc.dmarcbad.test: p= is not none, quarantine or reject, and no valid rua=: the record is ignored (RFC 7489 §6.6.3); write p=none, p=quarantine or p=reject'
	atf_check -s exit:65 -o save:out -e empty $MX dmarc2.test
	has out 'DMARC: problem: _dmarc.dmarc2.test: 2 DMARC records where there must be one: no DMARC processing (RFC 7489 §6.6.3); keep one v=DMARC1 record'
	atf_check -s exit:65 -o save:out -e empty $MX spfsoft.test
	has out 'SPF: note: ~all: mail from hosts not listed is only marked (softfail); -all has it refused once you are sure the record lists every sending host' \
	    'DMARC: problem: pct=150 is not a number from 0 to 100: 100 is used' \
	    'DMARC: problem: rua= URI "dmarc@spfsoft.test" is not a valid URI: write mailto:ADDRESS (and an optional !SIZE), several separated by commas' \
	    'DMARC: note: p=none only monitors: failing mail is delivered as usual; once the reports show all your mail passes, move to quarantine, then reject' \
	    'DMARC: note: no rua=: you get no aggregate reports and cannot see who sends as you; add rua=mailto:dmarc@spfsoft.test'
}
spf_dmarc_cleanup()
{
	stop_all
}

atf_test_case mtasts_tlsrpt cleanup
mtasts_tlsrpt_head()
{
	atf_set "descr" "MTA-STS: an MX host the policy does not list, a" \
	    "policy host with the wrong certificate, a bad record; TLS-RPT" \
	    "without a mailto: URI"
}
mtasts_tlsrpt_body()
{
	start_all
	atf_check -s exit:65 -o save:out -e empty $MX stsmx.test
	has out 'MTA-STS: ok: policy: mode enforce, max_age 1209600, mx mx.test' \
	    'MTA-STS: problem: MX host mx1.test matches no mx pattern of the policy: senders will not deliver to it; add "mx: mx1.test" to the policy'
	atf_check -s exit:65 -o save:out -e empty $MX stscert.test
	grep -q '^MTA-STS: problem: the policy https://mta-sts.stscert.test/.well-known/mta-sts.txt cannot be fetched: .*serve it over HTTPS with a certificate for mta-sts.stscert.test$' out ||
	    atf_fail "stscert: $(cat out)"
	atf_check -s exit:65 -o save:out -e empty $MX stsrec.test
	grep -q '^MTA-STS: problem: record at _mta-sts.stsrec.test: "v=STSv1; id=;": ' out ||
	    atf_fail "stsrec: $(cat out)"
	has out 'TLS-RPT: problem: rua= URI "tlsrpt@stsrec.test" is neither mailto:ADDRESS nor https://...: reports cannot be sent there; fix it'
	# The policy in testing mode: a host it does not list is a note
	# (stsmx.test publishes no SPF and no DMARC: still 65).
	printf 'version: STSv1\nmode: testing\nmx: mx.test\nmax_age: 3600\n' \
	    >sts/policy.txt
	atf_check -s exit:65 -o save:out -e empty $MX stsmx.test
	grep -q '^MTA-STS: problem' out && atf_fail "testing mode: $(cat out)"
	has out 'MTA-STS: note: mode testing: failures are only reported; switch to enforce once the TLS-RPT reports are clean' \
	    'MTA-STS: note: max_age 3600 is under a day: RFC 8461 §3.2 suggests weeks (such as 1209600), so that an attacker cannot wait the policy out' \
	    'MTA-STS: note: MX host mx1.test matches no mx pattern of the policy: senders report it; add "mx: mx1.test" to the policy'
}
mtasts_tlsrpt_cleanup()
{
	stop_all
}

atf_test_case dkim_keys cleanup
dkim_keys_head()
{
	atf_set "descr" "DKIM key records: weak, revoked, garbage, sha1" \
	    "only, no p=, missing, a bare PKCS#1 RSA key (a note)"
}
dkim_keys_body()
{
	start_all
	atf_check -s exit:65 -o save:out -e empty $MX --selector weak \
	    --selector gone --selector junk --selector sha1 --selector nop \
	    --selector missing --selector s1 --selector pkcs1 good.test
	has out \
	    'DKIM weak: problem: RSA key of 512 bits: verifiers refuse keys under 1024 bits (RFC 8301 §3.2); make a 2048-bit key' \
	    'DKIM weak: note: t=y: testing mode: verifiers may treat failing signatures as no signature (RFC 6376 §3.6.1); remove t=y once signing works' \
	    'DKIM gone: problem: p= is empty: the key is revoked and signatures with s=gone fail (fine only for a retired selector)' \
	    'DKIM junk: problem: p= is not an RSA public key (a DER SubjectPublicKeyInfo in base64): publish the output of "openssl rsa -pubout -outform der | base64"' \
	    'DKIM sha1: ok: RSA key of 2048 bits' \
	    'DKIM sha1: problem: h= allows only sha1, which verifiers refuse (RFC 8301 §3.1): write h=sha256 or leave h= out' \
	    'DKIM nop: problem: there is no p= tag (RFC 6376 §3.6.1 requires it): publish p=<the public key in base64>' \
	    'DKIM missing: problem: no key at missing._domainkey.good.test: mail signed with s=missing fails DKIM; publish its public key there as TXT "v=DKIM1; k=rsa; p=..."' \
	    'DKIM s1: ok: RSA key of 2048 bits' \
	    'DKIM pkcs1: ok: RSA key of 2048 bits' \
	    'DKIM pkcs1: note: p= is a bare RSAPublicKey (PKCS#1), not the SubjectPublicKeyInfo RFC 6376 §3.6.1 asks for: most verifiers take it, a strict one may not; publish the output of "openssl rsa -pubout -outform der | base64"'
	grep -q '^DKIM s1: note' out && atf_fail "s1: $(cat out)"
	# A selector that is no DNS label.
	atf_check -s exit:65 -o match:'^DKIM a b: problem: a b._domainkey.good.test: not a name' \
	    -e empty $MX --selector 'a b' good.test
}
dkim_keys_cleanup()
{
	stop_all
}

atf_test_case tlsa cleanup
tlsa_head()
{
	atf_set "descr" "The MX hosts' TLSA records, with and without a" \
	    "DNSSEC-validated answer"
}
tlsa_body()
{
	make_certs certs mta-sts.good.test mta-sts.stsmx.test \
	    mta-sts.stsrec.test || atf_fail "no certificates"
	tlsa=$(dns_tlsa certs/server.pem) || atf_fail "no TLSA"
	EXTRA="_25._tcp.mx	TLSA	$tlsa
_25._tcp.mx1	TLSA	1 1 1 $(echo "$tlsa" | cut -d' ' -f4)"
	start_all
	atf_check -s exit:65 -o save:out -e empty $MX stsmx.test
	has out \
	    'TLSA: note: _25._tcp.mx.test: 1 TLSA record, but the answer was not DNSSEC-validated: senders ignore them (RFC 7672 §2.1); sign the zone (or ask a validating resolver)'
	# Through a resolver that sets AD.
	ad=$(dns_ad_start dns ad "$PORT") || atf_fail "no AD proxy"
	atf_check -s exit:65 -o save:out -e empty $MXLOOKUP \
	    --server "127.0.0.1:$ad" --policy $STS stsmx.test
	has out \
	    'TLSA: ok: _25._tcp.mx.test: 1 TLSA record, DNSSEC-validated: DANE applies to mx.test' \
	    'TLSA: ok: _25._tcp.mx1.test: 1 TLSA record, DNSSEC-validated: DANE applies to mx1.test' \
	    'TLSA: problem: _25._tcp.mx1.test: 1 record with usage 0 or 1 (PKIX), which SMTP senders take as unusable (RFC 7672 §3.1.3): publish usage 3 (DANE-EE) or 2 (DANE-TA)'
	atf_check -s exit:0 -o save:out -e empty $MXLOOKUP \
	    --server "127.0.0.1:$ad" --policy $STS --selector s1 good.test
	has out \
	    'TLSA: ok: _25._tcp.mx.test: 1 TLSA record, DNSSEC-validated: DANE applies to mx.test' \
	    'good.test: 0 problems, 0 notes'
}
tlsa_cleanup()
{
	stop_all
}

atf_test_case dmarc_table cleanup
dmarc_table_head()
{
	atf_set "descr" "--dmarc: the DMARC table on the zone: aligned and" \
	    "not, relaxed and strict, p and sp, subdomains, pct, no record," \
	    "bad records, a DNS failure"
}
dmarc_table_body()
{
	start_all
	# EXIT|FROM|OPTIONS|STDOUT (lines separated by ';')
	while IFS='|' read -r ex from opts want; do
		[ -n "$ex" ] || continue
		printf '%s\n' "$want" | tr ';' '\n' >want
		# shellcheck disable=SC2086
		$MXLOOKUP --server "$SERVER" --dmarc $opts "$from" >out 2>err
		got=$?
		[ "$got" = "$ex" ] && cmp -s want out ||
		    atf_fail "--dmarc $opts $from: exit $got (want $ex)
--- stdout:
$(cat out)
--- want:
$(cat want)
--- stderr:
$(cat err)"
	done <<'TABLE'
0|good.test|--spf-pass good.test|pass;policy: reject (p= of _dmarc.good.test)
0|jane@good.test|--spf-pass good.test|pass;policy: reject (p= of _dmarc.good.test)
0|good.test|--spf-pass bounce.good.test|pass;policy: reject (p= of _dmarc.good.test)
1|good.test|--spf-pass other.test|fail;policy: reject (p= of _dmarc.good.test);disposition: reject
0|good.test|--dkim-pass mail.good.test|pass;policy: reject (p= of _dmarc.good.test)
0|good.test|--spf-pass other.test --dkim-pass other.test --dkim-pass GOOD.TEST|pass;policy: reject (p= of _dmarc.good.test)
1|good.test||fail;policy: reject (p= of _dmarc.good.test);disposition: reject
0|x.y.good.test|--spf-pass good.test|pass;policy: reject (sp= of _dmarc.good.test)
1|x.y.good.test|--spf-pass good.test.other|fail;policy: reject (sp= of _dmarc.good.test);disposition: reject
1|strict.test|--spf-pass bounce.strict.test|fail;policy: quarantine (p= of _dmarc.strict.test);disposition: quarantine
0|strict.test|--spf-pass strict.test|pass;policy: quarantine (p= of _dmarc.strict.test)
1|strict.test|--dkim-pass mail.strict.test|fail;policy: quarantine (p= of _dmarc.strict.test);disposition: quarantine
0|strict.test|--dkim-pass strict.test|pass;policy: quarantine (p= of _dmarc.strict.test)
1|a.subpol.test||fail;policy: reject (sp= of _dmarc.subpol.test);disposition: reject
0|a.subpol.test|--dkim-pass subpol.test|pass;policy: reject (sp= of _dmarc.subpol.test)
1|subpol.test||fail;policy: none (p= of _dmarc.subpol.test);disposition: none
1|own.subpol.test||fail;policy: quarantine (p= of _dmarc.own.subpol.test);disposition: quarantine
1|pct0.test||fail;policy: reject (p= of _dmarc.pct0.test);disposition: quarantine (not sampled by pct)
1|fallback.test||fail;policy: none (p= of _dmarc.fallback.test);disposition: none
4|nodmarc.test|--spf-pass nodmarc.test|none
4|sub.nodmarc.test||none
65|dmarcbad.test|--spf-pass dmarcbad.test|permerror
65|dmarc2.test||permerror
75|x.servfail||temperror
TABLE
	# The reason of none, permerror, temperror on stderr, one line.
	atf_check -s exit:4 -o inline:'none\n' \
	    -e inline:'mxlookup: sub.nodmarc.test: DMARC none: no DMARC record at _dmarc.sub.nodmarc.test nor at _dmarc.nodmarc.test\n' \
	    $MXLOOKUP --server "$SERVER" --dmarc sub.nodmarc.test
	atf_check -s exit:65 -o inline:'permerror\n' \
	    -e match:'^mxlookup: dmarc2.test: DMARC permerror: _dmarc.dmarc2.test: 2 DMARC records' \
	    $MXLOOKUP --server "$SERVER" --dmarc dmarc2.test
	# -v: the organizational domain and why.
	atf_check -s exit:1 -o save:out -e empty $MXLOOKUP --server "$SERVER" \
	    -v --dmarc --spf-pass good.test.other x.y.good.test
	has out 'organizational domain: good.test' \
	    'why: x.y.good.test: no aligned SPF or DKIM pass (SPF pass for good.test.other not aligned, 0 DKIM signatures); sp=reject'
}
dmarc_table_cleanup()
{
	stop_all
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "--policy's usage errors"
}
usage_body()
{
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --policy takes one operand: DOMAIN$' \
	    "$MXLOOKUP" --policy
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --policy takes one operand: DOMAIN$' \
	    "$MXLOOKUP" --policy a.test b.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --policy goes with --server, --timeout, --selector and --mta-sts-\* only$' \
	    "$MXLOOKUP" --policy --probe a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --selector and --mta-sts-\* go with --policy$' \
	    "$MXLOOKUP" --selector s1 a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --policy u@a.test: not a domain name$' \
	    "$MXLOOKUP" --policy u@a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --dmarc takes one operand: the From domain or address$' \
	    "$MXLOOKUP" --dmarc
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --policy and --dmarc go apart$' \
	    "$MXLOOKUP" --dmarc --policy a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --spf-pass and --dkim-pass go with --dmarc$' \
	    "$MXLOOKUP" --spf-pass a.test a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --dmarc goes with -v, --server, --timeout, --spf-pass and --dkim-pass only$' \
	    "$MXLOOKUP" --dmarc --selector s a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --dkim-pass b..cher.test: not a domain name \(give A-labels\)$' \
	    "$MXLOOKUP" --dmarc --dkim-pass bücher.test a.test
}

atf_init_test_cases()
{
	atf_add_test_case good
	atf_add_test_case spf_dmarc
	atf_add_test_case mtasts_tlsrpt
	atf_add_test_case dkim_keys
	atf_add_test_case tlsa
	atf_add_test_case dmarc_table
	atf_add_test_case usage
}
