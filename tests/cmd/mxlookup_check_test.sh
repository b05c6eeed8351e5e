# mxlookup_check_test: `mxlookup --check-sender DOMAIN --selector S --ip
# ADDR` against NSD on a loopback port (tests/lib/dns.sh) with a
# reverse zone for 127.0.0.0/8 (rev.extra): ok.test meets every
# bulk-sender requirement (SPF passing for 127.0.0.1, an Ed25519 DKIM
# key made at test time, DMARC p=none, 127.0.0.1 named mx.test, which
# resolves back); each other domain or address breaks one, and its line
# says what to fix.  Exit 0 only when all are met.

. "$YUBIN_SRCDIR/tests/lib/dns.sh"

MXLOOKUP=$(yubin_prog mxlookup)

# ed25519key: a fresh Ed25519 public key for a DKIM record: the raw 32
# octets (RFC 8463 §4.2, the end of the SubjectPublicKeyInfo), base64.
ed25519key()
{
	certtool --generate-privkey --key-type ed25519 --outfile ed.pem \
	    >/dev/null 2>&1 &&
	    certtool --load-privkey ed.pem --pubkey-info --outder 2>/dev/null |
	    tail -c 32 | base64 | tr -d '\n'
	rm -f ed.pem
}

# rsakey BITS: a fresh RSA public key (SubjectPublicKeyInfo), base64 on
# one line.
rsakey()
{
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" \
	    2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null |
	    base64 | tr -d '\n'
}

# pkcs1key: a fresh RSA-2048 public key as the bare RSAPublicKey
# (PKCS#1) some tools publish, base64 on one line.
pkcs1key()
{
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    2>/dev/null | openssl rsa -RSAPublicKey_out -outform DER \
	    2>/dev/null | base64 | tr -d '\n'
}

# txt STRING: STRING as TXT rdata of quoted pieces of at most 200 octets.
txt()
{
	printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '
}

zone_extra()
{
	ed=$(ed25519key)
	weak=$(rsakey 512)
	rsa=$(rsakey 1024)
	pkcs1=$(pkcs1key)
	[ ${#ed} -eq 44 ] && [ ${#weak} -gt 80 ] && [ ${#pkcs1} -gt 300 ] ||
	    atf_fail "no test keys"
	cat <<ZONE
ok		TXT	"v=spf1 ip4:127.0.0.1 -all"
s1._domainkey.ok	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
_dmarc.ok	TXT	"v=DMARC1; p=none"
sub.ok		TXT	"v=spf1 ip4:127.0.0.1 -all"
s1._domainkey.sub.ok	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
wide		TXT	"v=spf1 ip4:127.0.0.0/8 -all"
s1._domainkey.wide	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
_dmarc.wide	TXT	"v=DMARC1; p=reject"
nospf		MX	10 mx.test.
s1._domainkey.nospf	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
_dmarc.nospf	TXT	"v=DMARC1; p=none"
spffail		TXT	"v=spf1 ip4:192.0.2.1 -all"
s1._domainkey.spffail	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
_dmarc.spffail	TXT	"v=DMARC1; p=none"
keys		TXT	"v=spf1 ip4:127.0.0.1 -all"
_dmarc.keys	TXT	"v=DMARC1; p=quarantine"
testing._domainkey.keys	TXT	$(txt "v=DKIM1; k=ed25519; t=y; p=$ed")
gone._domainkey.keys	TXT	"v=DKIM1; k=rsa; p="
weak._domainkey.keys	TXT	$(txt "v=DKIM1; k=rsa; p=$weak")
r1024._domainkey.keys	TXT	$(txt "v=DKIM1; k=rsa; p=$rsa")
pkcs1._domainkey.keys	TXT	$(txt "v=DKIM1; k=rsa; p=$pkcs1")
nodmarc		TXT	"v=spf1 ip4:127.0.0.1 -all"
s1._domainkey.nodmarc	TXT	$(txt "v=DKIM1; k=ed25519; p=$ed")
noauth		TXT	"v=spf1 -all"
_dmarc.noauth	TXT	"v=DMARC1; p=none"
ZONE
}

start_dns()
{
	dns_require
	mkdir -p dns
	zone_extra >dns/test.extra
	cat >dns/rev.extra <<'REV'
1.0.0		PTR	mx.test.
3.0.0		PTR	mx1.test.
REV
	PORT=$(dns_start dns) || atf_fail "could not start nsd"
	SERVER="127.0.0.1:$PORT"
	CS="$MXLOOKUP --server $SERVER --timeout 5 --check-sender"
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

# lacks FILE PATTERN: no line of FILE matches PATTERN (grep -E).
lacks()
{
	! grep -qE -- "$2" "$1" || atf_fail "unexpected: $(grep -E -- "$2" "$1")"
}

atf_test_case pass cleanup
pass_head()
{
	atf_set "descr" "A domain that meets every requirement: one ok" \
	    "line each, exit 0; a subdomain under the org domain's DMARC"
}
pass_body()
{
	start_dns
	atf_check -s exit:0 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 ok.test
	has out \
	    "ok.test: bulk-sender check-up for 127.0.0.1 (DNS: $SERVER)" \
	    'SPF: ok: 127.0.0.1 may send as ok.test (pass, by ip4:127.0.0.1)' \
	    'DKIM s1: ok: usable key at s1._domainkey.ok.test: Ed25519 key (sign with an RSA key too: some verifiers know only RSA)' \
	    'DMARC: ok: record at _dmarc.ok.test: "v=DMARC1; p=none"' \
	    'alignment: ok: SPF (MAIL FROM at ok.test) and DKIM (d= of the selector'"'"'s key) align with From: ok.test' \
	    'PTR: ok: 127.0.0.1 is mx.test, which resolves back to 127.0.0.1' \
	    'List-Unsubscribe: in each message, not the DNS: bulk mail needs one-click unsubscription (List-Unsubscribe with an https: URI and List-Unsubscribe-Post, both covered by the DKIM signature, RFC 8058); msend --list-unsubscribe adds them' \
	    'ok.test: meets the bulk-sender requirements'
	lacks out ': (problem|unknown|note): '
	# No DMARC record of its own: its organizational domain's applies.
	atf_check -s exit:0 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 sub.ok.test
	has out \
	    'DMARC: ok: record at _dmarc.ok.test: "v=DMARC1; p=none" (of the organizational domain ok.test)'
}
pass_cleanup()
{
	dns_stop dns
}

atf_test_case spf cleanup
spf_head()
{
	atf_set "descr" "No SPF record, and an SPF record that does not" \
	    "list the address: a problem line each with the fix, exit 65"
}
spf_body()
{
	start_dns
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 nospf.test
	has out \
	    'SPF: problem: nospf.test: no SPF record (no TXT record): receivers cannot tell that 127.0.0.1 may send its mail; publish TXT "v=spf1 ip4:127.0.0.1 -all" at nospf.test' \
	    'alignment: ok: DKIM (d= of the selector'"'"'s key) aligns with From: nospf.test' \
	    'nospf.test: 1 problem: fix it before sending bulk mail'
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 spffail.test
	has out \
	    'SPF: problem: 127.0.0.1 may not send as spffail.test (fail, by -all): add ip4:127.0.0.1 to the SPF record of spffail.test' \
	    'spffail.test: 1 problem: fix it before sending bulk mail'
}
spf_cleanup()
{
	dns_stop dns
}

atf_test_case dkim cleanup
dkim_head()
{
	atf_set "descr" "DKIM keys: missing, testing, revoked, too short" \
	    "are problems unless another selector is usable; 1024 bits is" \
	    "enough, with a note, and so is a bare PKCS#1 RSA key"
}
dkim_body()
{
	start_dns
	atf_check -s exit:65 -o save:out -e empty $CS --selector none \
	    --selector testing --selector gone --selector weak \
	    --ip 127.0.0.1 keys.test
	has out \
	    'DKIM none: problem: no key at none._domainkey.keys.test: publish the public key of selector none there as TXT "v=DKIM1; k=rsa; p=..."' \
	    'DKIM testing: problem: testing._domainkey.keys.test: t=y (testing): verifiers may treat its signatures as absent; remove t=y once signing works' \
	    'DKIM gone: problem: gone._domainkey.keys.test: p= is empty: the key is revoked; publish a new key' \
	    'DKIM weak: problem: weak._domainkey.keys.test: RSA key of 512 bits: verifiers refuse keys under 1024 bits (RFC 8301); make a 2048-bit key' \
	    'DKIM: problem: no usable DKIM key for keys.test: bulk mail must be signed; sign with a 2048-bit RSA key and publish it' \
	    'alignment: ok: SPF (MAIL FROM at keys.test) aligns with From: keys.test' \
	    'keys.test: 5 problems: fix them before sending bulk mail'
	# One usable key is enough: the others become notes.
	atf_check -s exit:0 -o save:out -e empty $CS --selector gone \
	    --selector r1024 --selector pkcs1 --ip 127.0.0.1 keys.test
	has out \
	    'DKIM gone: note: gone._domainkey.keys.test: p= is empty: the key is revoked; publish a new key (do not sign with this selector)' \
	    'DKIM r1024: note: usable key at r1024._domainkey.keys.test: RSA key of 1024 bits: enough, but 2048 bits is recommended' \
	    'DKIM pkcs1: note: usable key at pkcs1._domainkey.keys.test: RSA key of 2048 bits, bare PKCS#1: most verifiers take it, RFC 6376 asks for SubjectPublicKeyInfo' \
	    'keys.test: meets the bulk-sender requirements'
}
dkim_cleanup()
{
	dns_stop dns
}

atf_test_case dmarc_align cleanup
dmarc_align_head()
{
	atf_set "descr" "No DMARC record; nothing that can align (SPF" \
	    "fails and no key)"
}
dmarc_align_body()
{
	start_dns
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 nodmarc.test
	has out \
	    'DMARC: problem: no DMARC record at _dmarc.nodmarc.test: bulk mail needs a DMARC record; publish TXT "v=DMARC1; p=none; rua=mailto:dmarc@nodmarc.test" at _dmarc.nodmarc.test' \
	    'nodmarc.test: 1 problem: fix it before sending bulk mail'
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 noauth.test
	has out \
	    'alignment: problem: neither SPF nor DKIM passes for noauth.test, so DMARC fails for mail From: noauth.test; use MAIL FROM addresses at noauth.test (or a subdomain) and sign with d=noauth.test' \
	    'noauth.test: 4 problems: fix them before sending bulk mail'
}
dmarc_align_cleanup()
{
	dns_stop dns
}

atf_test_case ptr cleanup
ptr_head()
{
	atf_set "descr" "Reverse DNS: no PTR, and a PTR whose name does" \
	    "not resolve back (FCrDNS)"
}
ptr_body()
{
	start_dns
	atf_check -s exit:0 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.1 wide.test
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.2 wide.test
	has out \
	    'SPF: ok: 127.0.0.2 may send as wide.test (pass, by ip4:127.0.0.0/8)' \
	    'PTR: problem: 127.0.0.2 has no PTR record (2.0.0.127.in-addr.arpa): receivers refuse or distrust mail from addresses without reverse DNS; ask whoever runs the address to set a PTR to your mail host'"'"'s name, and give that name an address record for 127.0.0.2' \
	    'wide.test: 1 problem: fix it before sending bulk mail'
	atf_check -s exit:65 -o save:out -e empty $CS --selector s1 \
	    --ip 127.0.0.3 wide.test
	has out \
	    'PTR: problem: 127.0.0.3 is mx1.test, which does not resolve back to 127.0.0.3 (the forward-confirmed reverse DNS fails): give mx1.test an A record for 127.0.0.3, or change the PTR' \
	    'wide.test: 1 problem: fix it before sending bulk mail'
}
ptr_cleanup()
{
	dns_stop dns
}

atf_test_case unchecked cleanup
unchecked_head()
{
	atf_set "descr" "Without --ip and --selector: what cannot be" \
	    "checked is said, and the exit is 1"
}
unchecked_body()
{
	start_dns
	atf_check -s exit:1 -o save:out -e empty $CS ok.test
	has out \
	    "ok.test: bulk-sender check-up (DNS: $SERVER)" \
	    'SPF: unknown: no --ip given: cannot tell whether your sending address may send as ok.test; run again with --ip ADDRESS' \
	    'DKIM: unknown: no --selector given: DKIM keys are at SELECTOR._domainkey.ok.test and cannot be listed; name the selector you sign with (s= of your signatures)' \
	    'alignment: unknown: cannot be checked without --ip or a usable --selector' \
	    'PTR: unknown: no --ip given: cannot check the reverse DNS of your sending address; run again with --ip ADDRESS' \
	    'ok.test: no problem found, but not everything could be checked (give --ip and --selector)'
}
unchecked_cleanup()
{
	dns_stop dns
}

atf_test_case tempfail cleanup
tempfail_head()
{
	atf_set "descr" "A DNS server that never answers: every line" \
	    "unknown, no problem claimed, exit 75"
}
tempfail_body()
{
	mkdir dns
	port=$(dns_silent_start dns)
	atf_check -s exit:75 -o save:out -e empty "$MXLOOKUP" --server \
	    "127.0.0.1:$port" --timeout 1 --check-sender --selector s1 \
	    --ip 127.0.0.1 ok.test
	has out \
	    'alignment: unknown: cannot be told: a lookup failed (try again later)' \
	    "PTR: unknown: 1.0.0.127.in-addr.arpa PTR: no answer from 127.0.0.1#$port (timed out) (try again later)" \
	    'ok.test: no problem found, but some lookups failed (try again later)'
	grep -q '^DKIM s1: unknown: ' out || atf_fail "no DKIM line: $(cat out)"
	lacks out ': problem: '
}
tempfail_cleanup()
{
	stop_pidfile dns/silent.pid
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "--check-sender's usage errors"
}
usage_body()
{
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --check-sender takes one operand: DOMAIN$' \
	    "$MXLOOKUP" --check-sender
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --ip 300.1.1.1: not an IPv4 or IPv6 address$' \
	    "$MXLOOKUP" --server 127.0.0.1:9 --check-sender --ip 300.1.1.1 a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --ip goes with --check-sender$' \
	    "$MXLOOKUP" --ip 127.0.0.1 a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --check-sender goes apart from --policy and --dmarc$' \
	    "$MXLOOKUP" --check-sender --policy a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --check-sender u@a.test: not a domain name$' \
	    "$MXLOOKUP" --check-sender u@a.test
	atf_check -s exit:64 -o empty \
	    -e match:'^mxlookup: --check-sender goes with --server, --timeout, --selector and --ip only$' \
	    "$MXLOOKUP" --check-sender --probe a.test
}

atf_init_test_cases()
{
	atf_add_test_case pass
	atf_add_test_case spf
	atf_add_test_case dkim
	atf_add_test_case dmarc_align
	atf_add_test_case ptr
	atf_add_test_case unchecked
	atf_add_test_case tempfail
	atf_add_test_case usage
}
