# mxlookup_spf_test: `mxlookup --spf` (common/spf, RFC 7208) against a
# loopback DNS server that tests/lib/spf_suite.py runs with python3-dnslib:
# the whole RFC 7208 test suite (../shared/spf/rfc7208-tests.yml, from
# pyspf), then the exit codes, -v's explanation and the usage errors on
# a zone of our own.

MXLOOKUP=$(yubin_prog mxlookup)
SUITE_PY="$YUBIN_SRCDIR/tests/lib/spf_suite.py"

# The suite's YAML: where SPF_SUITE says, else the copy in tests/lib/spf
# (from ../shared/spf; BSD licence beside it), so the test means the
# same wherever the tree is cloned.
suite_yml()
{
	if [ -n "${SPF_SUITE:-}" ]; then
		echo "$SPF_SUITE"
		return 0
	fi
	echo "$YUBIN_SRCDIR/tests/lib/spf/rfc7208-tests.yml"
}

# dnslib and yaml are test peers (tests/lib/common.sh, peer_python).
spf_python()
{
	peer_python "python3-dnslib (with python3-yaml)" dnslib yaml
}

# The zone of our own tests, served on a loopback port; sets SERVER.
start_zone()
{
	spf_python
	cat >zone.yml <<'EOF'
description: mxlookup --spf, one result each
tests: {}
zonedata:
  pass.test:
    - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
  fail.test:
    - TXT: "v=spf1 -ip4:192.0.2.1 exp=why.fail.test"
  why.fail.test:
    - TXT: "%{i} may not send for %{d} (see %{r})"
  softfail.test:
    - TXT: "v=spf1 mx ~all"
    - MX: [10, mx.softfail.test]
  mx.softfail.test:
    - A: 198.51.100.7
  neutral.test:
    - TXT: "v=spf1 ?all"
  none.test:
    - TXT: "google-site-verification=abc"
  permerror.test:
    - TXT: "v=spf1 ip4:192.0.2.1 moo -all"
  temperror.test:
    - TXT: "v=spf1 include:slow.test -all"
  slow.test:
    - TIMEOUT
  helo.test:
    - TXT: "v=spf1 a -all"
    - A: 192.0.2.1
  inc.test:
    - TXT: "v=spf1 include:pass.test -all"
  void.test:
    - TXT: "v=spf1 a:gone.void.test ?all"
  chain.test:
    - TXT: "v=spf1 a:c0.chain.test -all"
EOF
	# seven CNAMEs of some 200 octets each, for -v to show
	l63=$(printf '%063d' 0 | tr 0 x)
	i=0
	while [ $i -lt 7 ]; do
		[ $i -eq 0 ] && from=c0.chain.test ||
		    from=$l63.$l63.$l63.c$i.chain.test
		printf '  %s:\n    - CNAME: %s.%s.%s.c%d.chain.test\n' \
		    "$from" $l63 $l63 $l63 $((i + 1)) >>zone.yml
		i=$((i + 1))
	done
	printf '  %s.%s.%s.c7.chain.test:\n    - A: 192.0.2.7\n' \
	    $l63 $l63 $l63 >>zone.yml
	# a busy apex: forty site-verification records, the SPF record
	# last (an answer over TCP)
	printf '  busy.test:\n' >>zone.yml
	i=0
	while [ $i -lt 40 ]; do
		printf '    - TXT: "site-verification=%032d"\n' $i >>zone.yml
		i=$((i + 1))
	done
	printf '    - TXT: "v=spf1 ip4:192.0.2.0/24 -all"\n' >>zone.yml
	"$PY" "$SUITE_PY" --serve --suite zone.yml --port-file dns.port &
	echo $! >dns.pid
	i=0
	while [ ! -s dns.port ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s dns.port ] || atf_fail "spf_suite.py --serve did not start"
	SERVER="127.0.0.1:$(cat dns.port)"
	SPF="$MXLOOKUP --server $SERVER --timeout 1 --spf"
}

stop_zone()
{
	stop_pidfile dns.pid
}

atf_test_case rfc7208_suite
rfc7208_suite_head()
{
	atf_set "descr" "Every case of the RFC 7208 test suite passes"
	atf_set "timeout" "120"
}
rfc7208_suite_body()
{
	spf_python
	SUITE_YML=$(suite_yml)
	[ -f "$SUITE_YML" ] ||
	    atf_fail "$SUITE_YML: the RFC 7208 test suite is not there" \
	    "(set SPF_SUITE)"
	# Each scenario's zone on its own loopback server, the cases side by
	# side; TIMEOUT costs a 1 s query, tried twice.
	atf_check -s exit:0 -o save:suite.out -e ignore \
	    "$PY" "$SUITE_PY" --mxlookup "$MXLOOKUP" --suite "$SUITE_YML" \
	    --timeout 1 --jobs 8
	n=$(sed -n 's/^\([0-9]*\) of \1 cases pass$/\1/p' suite.out)
	[ -n "$n" ] || { cat suite.out; atf_fail "not every case passes"; }
	[ "$n" -ge 203 ] || atf_fail "only $n cases ran (203 expected)"
}

atf_test_case rfc7208_suite_traced
rfc7208_suite_traced_head()
{
	atf_set "descr" "The suite again with -v: the trace of every case" \
	    "prints (sanitizers watching) and changes no result"
	atf_set "timeout" "120"
}
rfc7208_suite_traced_body()
{
	spf_python
	SUITE_YML=$(suite_yml)
	[ -f "$SUITE_YML" ] || atf_fail "$SUITE_YML: not there (set SPF_SUITE)"
	atf_check -s exit:0 -o save:suite.out -e ignore \
	    "$PY" "$SUITE_PY" --mxlookup "$MXLOOKUP" --suite "$SUITE_YML" \
	    --timeout 1 --jobs 8 --trace
	grep -q '^\([0-9]*\) of \1 cases pass$' suite.out ||
	    { cat suite.out; atf_fail "not every case passes with -v"; }
}

atf_test_case results cleanup
results_head()
{
	atf_set "descr" "One exit code per result, the result word on stdout"
}
results_body()
{
	start_zone
	atf_check -s exit:0 -o inline:"pass\n" $SPF 192.0.2.9 a@pass.test
	atf_check -s exit:0 -o inline:"pass\n" $SPF ::ffff:192.0.2.9 \
	    a@pass.test
	atf_check -s exit:1 -o inline:"fail\n" $SPF 198.51.100.99 a@pass.test
	atf_check -s exit:2 -o inline:"softfail\n" $SPF 192.0.2.9 \
	    a@softfail.test
	atf_check -s exit:0 -o inline:"pass\n" $SPF 198.51.100.7 \
	    a@softfail.test
	atf_check -s exit:3 -o inline:"neutral\n" $SPF 192.0.2.9 \
	    a@neutral.test
	atf_check -s exit:4 -o inline:"none\n" \
	    -e match:"^mxlookup: a@none.test: SPF none: none.test: no SPF" \
	    $SPF 192.0.2.9 a@none.test
	atf_check -s exit:4 -o inline:"none\n" -e match:"no such domain" \
	    $SPF 192.0.2.9 a@nowhere.test
	atf_check -s exit:65 -o inline:"permerror\n" \
	    -e match:'^mxlookup: a@permerror.test: SPF permerror: unknown mechanism "moo"$' \
	    $SPF 192.0.2.1 a@permerror.test
	atf_check -s exit:75 -o inline:"temperror\n" \
	    -e match:"^mxlookup: a@temperror.test: SPF temperror: .*timed out" \
	    $SPF 192.0.2.1 a@temperror.test
	atf_check -s exit:0 -o inline:"pass\n" $SPF 192.0.2.9 a@inc.test
	atf_check -s exit:1 -o inline:"fail\n" $SPF 198.51.100.9 a@busy.test
}

atf_test_case explanation cleanup
explanation_head()
{
	atf_set "descr" "A fail prints the exp= explanation, macros expanded"
}
explanation_body()
{
	start_zone
	atf_check -s exit:1 \
	    -o inline:"fail\nexplanation: 192.0.2.1 may not send for fail.test (see unknown)\n" \
	    $SPF 192.0.2.1 bob@fail.test
	# No match, no redirect: neutral, and no explanation.
	atf_check -s exit:3 -o inline:"neutral\n" $SPF 192.0.2.2 bob@fail.test
}

atf_test_case helo cleanup
helo_head()
{
	atf_set "descr" "The null sender is checked as postmaster@HELO"
}
helo_body()
{
	start_zone
	atf_check -s exit:0 -o inline:"pass\n" $SPF --helo helo.test \
	    192.0.2.1 ""
	atf_check -s exit:1 -o inline:"fail\n" $SPF --helo helo.test \
	    192.0.2.2 ""
	atf_check -s exit:0 -o match:"^check_host\(helo.test, postmaster@helo.test\)$" \
	    $SPF -v --helo helo.test 192.0.2.1 ""
}

atf_test_case verbose cleanup
verbose_head()
{
	atf_set "descr" "-v: every term tried, every DNS answer, the counts"
}
verbose_body()
{
	start_zone
	atf_check -s exit:2 -o save:out $SPF -v 192.0.2.9 a@softfail.test
	for l in '^check_host(softfail.test, a@softfail.test)$' \
	    '^  DNS softfail.test TXT: 1 record$' \
	    '^record "v=spf1 mx ~all"$' \
	    '^mx (DNS lookup 1 of 10)$' \
	    '^  DNS softfail.test MX: 10 mx.softfail.test$' \
	    '^  DNS mx.softfail.test A: 198.51.100.7$' \
	    '^  no match$' \
	    '^~all$' \
	    '^  match: softfail$' \
	    '^(1 of 10 DNS-querying terms, 0 of 2 void lookups)$' \
	    '^(3 DNS queries; decided by ~all)$' \
	    '^softfail$'; do
		grep -q -- "$l" out || { cat out; atf_fail "no line $l"; }
	done
	# include: the included check indented under it.
	atf_check -s exit:0 -o save:out $SPF -v 192.0.2.9 a@inc.test
	for l in '^include:pass.test (DNS lookup 1 of 10)$' \
	    '^  check_host(pass.test, a@inc.test)$' \
	    '^    match: pass$' '^  match: pass$'; do
		grep -q -- "$l" out || { cat out; atf_fail "no line $l"; }
	done
	# a long CNAME chain: the trace line is cut, the check goes on
	atf_check -s exit:0 -o save:out $SPF -v 192.0.2.7 a@chain.test
	grep -q '^  DNS c0.chain.test A: CNAME x' out || { cat out;
	    atf_fail "no CNAME chain shown"; }
	# a lookup that finds nothing counts toward the limit of two
	atf_check -s exit:3 -o save:out $SPF -v 192.0.2.9 a@void.test
	for l in '^  DNS gone.void.test A: no such domain (NXDOMAIN)$' \
	    '^  void lookup 1 of 2$' \
	    '^(1 of 10 DNS-querying terms, 1 of 2 void lookups)$'; do
		grep -q -- "$l" out || { cat out; atf_fail "no line $l"; }
	done
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "Bad --spf command lines: exit 64, one line why"
}
usage_body()
{
	atf_check -s exit:64 -e match:"takes two operands" \
	    "$MXLOOKUP" --spf 192.0.2.1
	atf_check -s exit:64 -e match:"^mxlookup: --spf 192.0.2: not an IPv4 or IPv6 address$" \
	    "$MXLOOKUP" --spf 192.0.2 a@example.org
	atf_check -s exit:64 -e match:"give --helo" \
	    "$MXLOOKUP" --spf 192.0.2.1 ""
	atf_check -s exit:64 -e match:"goes with --spf" \
	    "$MXLOOKUP" --helo x example.org
	atf_check -s exit:64 -e match:"^mxlookup: --spf goes with" \
	    "$MXLOOKUP" --spf --probe 192.0.2.1 a@example.org
}

results_cleanup() { stop_zone; }
explanation_cleanup() { stop_zone; }
helo_cleanup() { stop_zone; }
verbose_cleanup() { stop_zone; }

atf_init_test_cases()
{
	atf_add_test_case rfc7208_suite
	atf_add_test_case rfc7208_suite_traced
	atf_add_test_case results
	atf_add_test_case explanation
	atf_add_test_case helo
	atf_add_test_case verbose
	atf_add_test_case usage
}
