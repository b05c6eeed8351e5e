# msend_test: msend against a loopback SMTP sink (tests/lib/smtp_sink.py)
# that records the dialogue and every message; Python's aiosmtpd when it
# is installed; NSD with the test zone for direct delivery.

LC_ALL=C
export LC_ALL

pybin()
{
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else
		command -v python3; fi
}

# sink_start [OPTIONS]: the sink in ./sink; SINK_PORT is its port.
sink_start()
{
	rm -rf sink
	mkdir sink
	"$(pybin)" "$YUBIN_SRCDIR/tests/lib/smtp_sink.py" --port-file \
	    sink/port --dir sink --lifetime 60 "$@" >sink.out 2>&1 &
	echo $! >sink.pid
	i=0
	while [ ! -s sink/port ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s sink/port ] || atf_fail "the SMTP sink did not start: $(cat sink.out)"
	SINK_PORT=$(cat sink/port)
	# ./msend_plain: msend to the sink without TLS (atf_check runs
	# programs, not shell functions).
	cat >msend_plain <<EOF
#! /bin/sh
exec "$(yubin_prog msend)" --host 127.0.0.1 --port "$SINK_PORT" --tls=off \
    --timeout 20 "\$@"
EOF
	chmod +x msend_plain
}


sink_stop()
{
	stop_pidfile sink.pid
}


# The message as it must arrive: LF to CRLF.
crlf()
{
	sed 's/$/\r/' "$1"
}

# A message with every header msend would otherwise add.
write_msg()
{
	printf '%s\n' 'From: Alice <alice@example.org>' \
	    'To: Bob <bob@example.org>' \
	    'Subject: test' \
	    'Date: Sun, 22 Nov 2026 18:00:00 +0000' \
	    'Message-ID: <t1@example.org>' \
	    '' >"$1"
}

atf_test_case byte_exact cleanup
byte_exact_head()
{
	atf_set descr "dot-stuffing, CRLF, 8-bit bytes and long lines arrive exactly"
}
byte_exact_body()
{
	sink_start --size 100000000
	write_msg in
	printf '.leading dot\n..two dots\n.\nafter a lone dot\n' >>in
	printf 'caf\303\251 \377\200 8-bit\n' >>in
	"$(pybin)" -c 'print("x" * 3000)' >>in
	printf 'last line\n' >>in
	atf_check ./msend_plain -i -f alice@example.org bob@example.org <in
	crlf in >expected
	atf_check cmp expected sink/msg.1
	atf_check -o match:'BODY=8BITMIME' cat sink/env.1
	# The wire had the dots doubled.
	atf_check -o match:'^MAIL FROM:<alice@example.org> SIZE=' cat sink/log
}
byte_exact_cleanup() { sink_stop; }

atf_test_case eightbit_without_8bitmime cleanup
eightbit_without_8bitmime_head()
{
	atf_set descr "no BODY=8BITMIME for a 7-bit message or a server without 8BITMIME"
}
eightbit_without_8bitmime_body()
{
	sink_start --no-8bitmime
	write_msg in
	printf 'caf\303\251\n' >>in
	atf_check -e match:'8-bit message, but no 8BITMIME offered' \
	    ./msend_plain -v -i bob@example.org <in
	atf_check -o not-match:'BODY=' cat sink/env.1
	crlf in >expected
	atf_check cmp expected sink/msg.1
	sink_stop
	sink_start
	write_msg in7
	printf 'plain ascii\n' >>in7
	atf_check ./msend_plain -i bob@example.org <in7
	atf_check -o not-match:'BODY=' cat sink/env.1
}
eightbit_without_8bitmime_cleanup() { sink_stop; }

atf_test_case bad_header_rcpts
bad_header_rcpts_body()
{
	printf 'To: <unterminated@example.org\nSubject: x\n\nbody\n' >in
	atf_check -s exit:65 -e match:'-t: cannot parse the addresses' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port 1 --tls=off -t -i <in
}

atf_test_case crlf_input cleanup
crlf_input_head()
{
	atf_set descr "a message with CRLF line endings is sent unchanged"
}
crlf_input_body()
{
	sink_start
	write_msg m
	printf 'one\ntwo\n' >>m
	crlf m >in
	atf_check ./msend_plain -oi bob@example.org <in
	atf_check cmp in sink/msg.1
}
crlf_input_cleanup() { sink_stop; }

atf_test_case no_final_newline cleanup
no_final_newline_body()
{
	sink_start
	write_msg in
	printf 'no newline at the end' >>in
	atf_check ./msend_plain -i bob@example.org <in
	{ crlf in; printf '\n'; } >expected
	atf_check -o inline:'no newline at the end\r\n' tail -n 1 sink/msg.1
	atf_check cmp expected sink/msg.1
}
no_final_newline_cleanup() { sink_stop; }

atf_test_case dot_ends_input cleanup
dot_ends_input_head()
{
	atf_set descr "without -i a line with only . ends the message (sendmail)"
}
dot_ends_input_body()
{
	sink_start
	write_msg in
	printf 'kept\n.\nnot kept\n' >>in
	atf_check ./msend_plain bob@example.org <in
	atf_check -o match:'kept' -o not-match:'not kept' cat sink/msg.1
}
dot_ends_input_cleanup() { sink_stop; }

atf_test_case headers_added cleanup
headers_added_head()
{
	atf_set descr "Date, Message-ID and From are added when missing (RFC 6409 §8)"
}
headers_added_body()
{
	sink_start
	printf 'Subject: bare\n\nbody\n' >in
	atf_check ./msend_plain -i -f me@example.org -F 'Me, Myself' \
	    bob@example.org <in
	atf_check -o match:'^Date: [A-Z][a-z][a-z], [0-9]+ [A-Z][a-z][a-z] 20[0-9][0-9] ' \
	    -o match:'^Message-ID: <[^>]+@example.org>' \
	    -o match:'^From: "Me, Myself" <me@example.org>' \
	    -o match:'^Subject: bare' cat sink/msg.1
	# Present ones are left alone, and only one of each is there.
	write_msg in2
	atf_check ./msend_plain -i bob@example.org <in2
	atf_check -o inline:'1\n' grep -c '^Date:' sink/msg.2
	atf_check -o inline:'1\n' grep -c '^Message-ID:' sink/msg.2
	atf_check -o inline:'1\n' grep -c '^From:' sink/msg.2
}
headers_added_cleanup() { sink_stop; }

atf_test_case read_recipients cleanup
read_recipients_head()
{
	atf_set descr "-t takes To, Cc and Bcc; Bcc is removed"
}
read_recipients_body()
{
	sink_start
	printf '%s\n' 'From: a@example.org' \
	    'To: "Bob, B." <bob@example.org>, carol@example.org' \
	    'Cc: friends: dave@example.org, (comment) erin@example.org;' \
	    'Bcc: hidden@example.org,' \
	    '  hidden2@example.org' \
	    'Subject: -t' '' 'body' >in
	atf_check ./msend_plain -t -i extra@example.org <in
	for a in bob carol dave erin hidden hidden2 extra; do
		atf_check -o match:"^RCPT TO:<$a@example.org>" cat sink/env.1
	done
	atf_check -s exit:1 grep -i 'hidden' sink/msg.1
	atf_check -o match:'^To: "Bob, B."' cat sink/msg.1
}
read_recipients_cleanup() { sink_stop; }

atf_test_case exit_codes cleanup
exit_codes_head()
{
	atf_set descr "exit codes and per-recipient lines for 5xx and 4xx"
}
exit_codes_body()
{
	sink_start --reply 'nobody@example.org=550 5.1.1 <nobody@example.org>: Recipient address rejected' \
	    --reply 'later@example.org=450 4.2.0 try later' \
	    --reply 'policy@example.org=550 5.7.1 relay denied' \
	    --reply 'nohost@example.org=550 5.1.2 no such domain'
	write_msg in
	atf_check -s exit:67 \
	    -e match:'^msend: nobody@example.org: 550 5.1.1 <nobody@example.org>: Recipient address rejected \(permanent: exit 67\)$' \
	    ./msend_plain -i bob@example.org nobody@example.org <in
	# The good recipient got it anyway.
	atf_check -o match:'bob@example.org' -o not-match:nobody cat sink/env.1
	atf_check -s exit:75 -e match:'later@example.org: 450 4.2.0 try later \(temporary: exit 75\)' \
	    ./msend_plain -i later@example.org <in
	atf_check -s exit:69 -e match:'policy@example.org: 550 5.7.1' \
	    ./msend_plain -i policy@example.org <in
	atf_check -s exit:68 -e match:'nohost@example.org: 550 5.1.2' \
	    ./msend_plain -i nohost@example.org <in
	# Permanent outranks temporary.
	atf_check -s exit:69 -e ignore \
	    ./msend_plain -i later@example.org policy@example.org <in
	# Every recipient refused: no data sent.
	test ! -e sink/msg.2 || atf_fail "a message without recipients was sent"
}
exit_codes_cleanup() { sink_stop; }

atf_test_case exit_session cleanup
exit_session_head()
{
	atf_set descr "failed MAIL, DATA, greeting, refused connection, bad reply"
}
exit_session_body()
{
	write_msg in
	sink_start --mail-reply '451 4.3.0 busy'
	atf_check -s exit:75 -e match:'bob@example.org: 451 4.3.0 busy \(temporary' \
	    ./msend_plain -i bob@example.org <in
	sink_stop
	sink_start --mail-reply '421 4.3.2 shutting down'
	atf_check -s exit:75 -e match:'bob@example.org: 421 4.3.2 shutting down \(temporary' \
	    ./msend_plain -i bob@example.org <in
	sink_stop
	sink_start --data-reply '554 5.6.0 content rejected'
	atf_check -s exit:69 -e match:'554 5.6.0 content rejected \(permanent: exit 69\)' \
	    ./msend_plain -i bob@example.org <in
	sink_stop
	sink_start --greeting 'hello there'
	atf_check -s exit:76 -e match:'malformed reply' \
	    ./msend_plain -i bob@example.org <in
	sink_stop
	sink_start --greeting '554 5.3.2 go away'
	atf_check -s exit:69 -e match:'greeting: 554 5.3.2 go away' \
	    ./msend_plain -i bob@example.org <in
	sink_stop
	port=$(free_port)
	atf_check -s exit:75 -e match:'bob@example.org: 127.0.0.1: 127.0.0.1:[0-9]+: .*refused' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port "$port" --tls=off \
	    -i bob@example.org <in
}
exit_session_cleanup() { sink_stop; }

atf_test_case helo_fallback cleanup
helo_fallback_body()
{
	sink_start --ehlo-reply '502 5.5.2 what is EHLO'
	write_msg in
	atf_check ./msend_plain -i bob@example.org <in
	atf_check -o match:'^HELO ' cat sink/log
	atf_check -o not-match:'SIZE=' cat sink/env.1
}
helo_fallback_cleanup() { sink_stop; }

atf_test_case pipelining cleanup
pipelining_head()
{
	atf_set descr "MAIL, every RCPT and DATA go in one write when PIPELINING is offered"
}
pipelining_body()
{
	sink_start
	write_msg in
	atf_check ./msend_plain -i a@example.org b@example.org c@example.org <in
	atf_check -o match:'^MAIL RCPT RCPT RCPT DATA$' cat sink/batches
	sink_stop
	sink_start --no-pipelining
	atf_check ./msend_plain -i a@example.org b@example.org <in
	atf_check -o match:'^MAIL$' -o match:'^RCPT$' -o match:'^DATA$' \
	    -o not-match:'MAIL RCPT' cat sink/batches
	crlf in >expected
	atf_check cmp expected sink/msg.1
}
pipelining_cleanup() { sink_stop; }

atf_test_case chunking cleanup
chunking_head()
{
	atf_set descr "CHUNKING: one BDAT LAST with the exact size, no dot-stuffing"
}
chunking_body()
{
	sink_start --chunking
	write_msg in
	printf '.dot\nline\n' >>in
	atf_check ./msend_plain -i bob@example.org <in
	atf_check -o match:'^BDAT [0-9]+ LAST$' cat sink/log
	crlf in >expected
	atf_check cmp expected sink/msg.1
	sink_stop
	sink_start --chunking
	atf_check ./msend_plain --no-chunking -i bob@example.org <in
	atf_check -o match:'^DATA$' -o not-match:BDAT cat sink/log
}
chunking_cleanup() { sink_stop; }

atf_test_case size_limit cleanup
size_limit_head()
{
	atf_set descr "a message over the server's SIZE is refused before MAIL"
}
size_limit_body()
{
	sink_start --size 200
	write_msg in
	"$(pybin)" -c 'print("y" * 500)' >>in
	atf_check -s exit:69 -e match:'the server takes at most 200' \
	    ./msend_plain -i bob@example.org <in
	atf_check -o not-match:'^MAIL' cat sink/log
}
size_limit_cleanup() { sink_stop; }

atf_test_case dsn_params cleanup
dsn_params_body()
{
	sink_start --dsn
	write_msg in
	atf_check ./msend_plain -i -N success,failure -R hdrs -V 'id+1' \
	    bob@example.org <in
	atf_check -o match:'^MAIL FROM:<[^>]*> RET=HDRS ENVID=id\+2B1$' \
	    -o match:'^RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org$' \
	    cat sink/log
	atf_check -s exit:64 -e match:'-N' ./msend_plain -N never,success bob@example.org <in
	# The same from the config file.
	printf 'account d\nhost 127.0.0.1\nport %s\ntls off\ndsn_notify never\ndsn_return full\n' \
	    "$SINK_PORT" >dsn.conf
	atf_check "$(yubin_prog msend)" --config dsn.conf -i bob@example.org <in
	atf_check -o match:' RET=FULL$' -o match:'^RCPT TO:<bob@example.org> NOTIFY=NEVER ORCPT' \
	    cat sink/env.2
}
dsn_params_cleanup() { sink_stop; }

atf_test_case smtputf8 cleanup
smtputf8_body()
{
	write_msg in
	sink_start
	atf_check -s exit:69 -e match:'SMTPUTF8' \
	    ./msend_plain -i "$(printf 'j\303\266rg@example.org')" <in
	atf_check -o not-match:'^MAIL' cat sink/log
	sink_stop
	sink_start --smtputf8
	atf_check ./msend_plain -i "$(printf 'j\303\266rg@example.org')" <in
	atf_check -o match:' SMTPUTF8' cat sink/env.1
}
smtputf8_cleanup() { sink_stop; }

atf_test_case starttls_required cleanup
starttls_required_head()
{
	atf_set descr "STARTTLS is required by default: no MAIL, no AUTH without it"
}
starttls_required_body()
{
	sink_start --auth PLAIN --auth-plain --user u --password p
	write_msg in
	atf_check -s exit:69 -e match:'does not offer STARTTLS' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port "$SINK_PORT" \
	    --user u --passwordeval 'echo p' -i bob@example.org <in
	atf_check -o not-match:'^MAIL' -o not-match:'^AUTH' cat sink/log
}
starttls_required_cleanup() { sink_stop; }

tls_sink()
{
	make_certs certs
	sink_start --starttls --cert certs/server.pem --key certs/server.key "$@"
}

atf_test_case starttls_trust cleanup
starttls_trust_head()
{
	atf_set descr "STARTTLS with a trust file; a wrong CA and a wrong name fail"
}
starttls_trust_body()
{
	tls_sink
	write_msg in
	atf_check -e match:'TLS: TLS1' "$(yubin_prog msend)" -v \
	    --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem -i bob@example.org <in
	atf_check -o match:'^TLS MAIL FROM' cat sink/log
	crlf in >expected
	atf_check cmp expected sink/msg.1
	atf_check -s exit:69 -e match:'not trusted' "$(yubin_prog msend)" \
	    --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/other.pem -i bob@example.org <in
	test ! -e sink/msg.2 || atf_fail "sent over an untrusted TLS session"
}
starttls_trust_cleanup() { sink_stop; }

atf_test_case tls_on_connect cleanup
tls_on_connect_head()
{
	atf_set descr "--tls=on-connect: TLS from the first byte (port 465)"
}
tls_on_connect_body()
{
	make_certs certs
	sink_start --tls-on-connect --cert certs/server.pem --key certs/server.key
	write_msg in
	atf_check "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls=on-connect --tls-trust-file certs/ca.pem -i bob@example.org <in
	atf_check -o match:'^TLS EHLO' -o match:'^TLS MAIL FROM' \
	    -o not-match:'STARTTLS' cat sink/log
	crlf in >expected
	atf_check cmp expected sink/msg.1
}
tls_on_connect_cleanup() { sink_stop; }

atf_test_case client_cert cleanup
client_cert_head()
{
	atf_set descr "--tls-cert/--tls-key: a client certificate the server checks"
}
client_cert_body()
{
	tls_sink --client-ca certs/ca.pem
	printf 'cn = "msend client"\ntls_www_client\nsigning_key\nexpiration_days = 30\n' >client.tmpl
	certtool --generate-privkey --key-type=ecdsa --outfile client.key \
	    >/dev/null 2>&1
	certtool --generate-certificate --load-privkey client.key \
	    --load-ca-certificate certs/ca.pem --load-ca-privkey certs/ca.key \
	    --template client.tmpl --outfile client.pem >/dev/null 2>&1 ||
	    atf_fail "certtool could not make a client certificate"
	write_msg in
	atf_check "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --tls-cert client.pem \
	    --tls-key client.key -i bob@example.org <in
	atf_check -o match:'^CLIENT-CERT msend client$' -o match:'^TLS MAIL' \
	    cat sink/log
	# Without one the server ends the handshake: nothing is sent.
	atf_check -s not-exit:0 -e match:'TLS' "$(yubin_prog msend)" \
	    --host localhost --port "$SINK_PORT" --tls-trust-file certs/ca.pem \
	    -i bob@example.org <in
	test ! -e sink/msg.2 || atf_fail "sent without a client certificate"
	atf_check -s exit:64 -e match:'go together' "$(yubin_prog msend)" \
	    --host localhost --tls-cert client.pem -i bob@example.org <in
}
client_cert_cleanup() { sink_stop; }

atf_test_case fingerprint cleanup
fingerprint_body()
{
	tls_sink
	write_msg in
	fp=$("$(pybin)" -c 'import ssl,hashlib,sys
d=ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())
print(":".join("%02X" % b for b in hashlib.sha256(d).digest()))' certs/server.pem)
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$SINK_PORT" \
	    --tls-fingerprint "$fp" -i bob@example.org <in
	bad=$(echo "$fp" | sed 's/^../00/')
	atf_check -s exit:69 -e match:'certificate' "$(yubin_prog msend)" \
	    --host 127.0.0.1 --port "$SINK_PORT" --tls-fingerprint "$bad" \
	    -i bob@example.org <in
	test ! -e sink/msg.2 || atf_fail "sent despite a wrong pin"
}
fingerprint_cleanup() { sink_stop; }

atf_test_case auth_plain_login cleanup
auth_plain_login_head()
{
	atf_set descr "AUTH PLAIN and LOGIN after STARTTLS; a wrong password is exit 77"
}
auth_plain_login_body()
{
	tls_sink --auth 'PLAIN LOGIN' --user 'u@example.org' --password 's3cr et'
	write_msg in
	for mech in plain login; do
		atf_check "$(yubin_prog msend)" --host localhost \
		    --port "$SINK_PORT" --tls-trust-file certs/ca.pem \
		    --auth $mech --user u@example.org \
		    --passwordeval "printf 's3cr et\n'" -i bob@example.org <in
	done
	atf_check -o match:'^AUTH-OK PLAIN u@example.org' \
	    -o match:'^AUTH-OK LOGIN u@example.org' cat sink/log
	# auth on (the default with a user) picks PLAIN.
	atf_check "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user u@example.org \
	    --passwordeval "echo 's3cr et'" -i bob@example.org <in
	atf_check -s exit:77 -e match:'AUTH PLAIN failed: 535 5.7.8' \
	    "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user u@example.org \
	    --passwordeval 'echo wrong' -i bob@example.org <in
	atf_check -s exit:78 -e match:'passwordeval: the command exited with 3' \
	    "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user u@example.org \
	    --passwordeval 'exit 3' -i bob@example.org <in
}
auth_plain_login_cleanup() { sink_stop; }

atf_test_case passwordeval_env cleanup
passwordeval_env_head()
{
	atf_set descr "passwordeval's command gets neither the message's \
temp file nor msend's ignored SIGPIPE"
}
passwordeval_env_body()
{
	[ -r /proc/self/status ] || atf_skip "no /proc"
	sink_start --auth PLAIN --user u --password p --auth-plain
	write_msg in
	# Over the 4 MB kept in memory: the body goes to a temp file.
	python3 -c 'import sys; sys.stdout.write(("x" * 76 + "\n") * 70000)' \
	    >>in
	atf_check ./msend_plain --allow-plain-auth --user u --passwordeval \
	    'ls -l /proc/$$/fd >fds.txt; grep SigIgn /proc/$$/status >sig.txt; echo p' \
	    -i bob@example.org <in
	atf_check -o match:'^AUTH-OK PLAIN u$' cat sink/log
	atf_check -s exit:1 grep 'msend\.' fds.txt
	ign=$(awk '{print $2}' sig.txt)
	[ $(( 0x$ign >> 12 & 1 )) = 0 ] || atf_fail "SIGPIPE ignored: $ign"
}
passwordeval_env_cleanup() { sink_stop; }

atf_test_case auth_oauth cleanup
auth_oauth_head()
{
	atf_set descr "AUTH XOAUTH2 and OAUTHBEARER with a token from passwordeval"
}
auth_oauth_body()
{
	tls_sink --auth 'XOAUTH2 OAUTHBEARER' --user u@example.org --password tok-123
	write_msg in
	for mech in xoauth2 oauthbearer; do
		atf_check "$(yubin_prog msend)" --host localhost \
		    --port "$SINK_PORT" --tls-trust-file certs/ca.pem \
		    --auth $mech --user u@example.org \
		    --passwordeval 'echo tok-123' -i bob@example.org <in
	done
	atf_check -o match:'^AUTH-OK XOAUTH2 u@example.org' \
	    -o match:'^AUTH-OK OAUTHBEARER u@example.org' \
	    -o match:'^SASL XOAUTH2 user=u@example.org\^Aauth=Bearer tok-123\^A\^A$' \
	    -o match:"^SASL OAUTHBEARER n,a=u@example.org,\\^Ahost=localhost\\^Aport=$SINK_PORT\\^Aauth=Bearer tok-123\\^A\\^A$" \
	    cat sink/log
	# Never chosen by "auth on": the server offers no PLAIN or LOGIN.
	atf_check -s exit:69 -e match:'msend knows PLAIN and LOGIN' \
	    "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user u@example.org \
	    --passwordeval 'echo tok-123' -i bob@example.org <in
}
auth_oauth_cleanup() { sink_stop; }

atf_test_case many_recipients cleanup
many_recipients_head()
{
	atf_set descr "more than 100 recipients go in several transactions of 100"
}
many_recipients_body()
{
	sink_start
	write_msg in
	i=0
	: >rcpts
	while [ $i -lt 150 ]; do
		echo "r$i@example.org" >>rcpts
		i=$((i + 1))
	done
	atf_check ./msend_plain -i $(cat rcpts) <in
	atf_check -o inline:'100\n' grep -c '^RCPT' sink/env.1
	atf_check -o inline:'50\n' grep -c '^RCPT' sink/env.2
	atf_check -o inline:'1\n' grep -c '^EHLO' sink/log
	atf_check -o inline:'1\n' grep -c '^RSET' sink/log
}
many_recipients_cleanup() { sink_stop; }

atf_test_case resent_recipients cleanup
resent_recipients_body()
{
	sink_start
	printf '%s\n' 'From: a@example.org' 'To: old@example.org' \
	    'Resent-From: b@example.org' 'Resent-To: new@example.org' \
	    'Resent-Bcc: newbcc@example.org' 'Subject: fwd' '' 'x' >in
	atf_check ./msend_plain -t -i <in
	atf_check -o match:'new@example.org' -o match:'newbcc@example.org' \
	    -o not-match:'old@example.org' cat sink/env.1
	atf_check -s exit:1 grep -i 'newbcc' sink/msg.1
}
resent_recipients_cleanup() { sink_stop; }

atf_test_case auth_needs_tls cleanup
auth_needs_tls_head()
{
	atf_set descr "no AUTH over a link without TLS unless --allow-plain-auth"
}
auth_needs_tls_body()
{
	sink_start --auth PLAIN --auth-plain --user u --password p
	write_msg in
	atf_check -s exit:69 -e match:'unencrypted' ./msend_plain --user u \
	    --passwordeval 'echo p' -i bob@example.org <in
	atf_check -o not-match:'^AUTH' -o not-match:'^MAIL' cat sink/log
	atf_check ./msend_plain --allow-plain-auth --user u \
	    --passwordeval 'echo p' -i bob@example.org <in
	atf_check -o match:'^AUTH-OK PLAIN u' cat sink/log
}
auth_needs_tls_cleanup() { sink_stop; }

atf_test_case verbose_redacts cleanup
verbose_redacts_head()
{
	atf_set descr "-v shows the dialogue with timestamps, never the credentials"
}
verbose_redacts_body()
{
	tls_sink --auth 'PLAIN LOGIN' --user u --password 'Sup3rS3cret'
	write_msg in
	for mech in plain login; do
		"$(yubin_prog msend)" -v --host localhost --port "$SINK_PORT" \
		    --tls-trust-file certs/ca.pem --auth $mech --user u \
		    --passwordeval 'echo Sup3rS3cret' -i bob@example.org \
		    <in 2>err.$mech || atf_fail "msend failed: $(cat err.$mech)"
		atf_check -o match:'^[0-9:.]+ C: AUTH' -o match:'^[0-9:.]+ S: 235' \
		    -o match:'^[0-9:.]+ C: MAIL FROM' cat err.$mech
		atf_check -s exit:1 grep -e Sup3rS3cret -e "$(printf '\0u\0Sup3rS3cret' | base64)" \
		    -e "$(printf 'Sup3rS3cret' | base64)" -e "$(printf 'u' | base64)" err.$mech
	done
}
verbose_redacts_cleanup() { sink_stop; }

atf_test_case config_file cleanup
config_file_head()
{
	atf_set descr "accounts, defaults, -a, the default account, permissions"
}
config_file_body()
{
	tls_sink --auth PLAIN --user cfg --password pw
	write_msg in
	mkdir -p xdg/yubin
	cat >xdg/yubin/msend.conf <<EOF
# a comment
defaults
tls starttls
tls_trust_file $(pwd)/certs/ca.pem

account plain
host 127.0.0.1
port $SINK_PORT
tls off

account work
host localhost
port $SINK_PORT
auth on
user cfg
passwordeval "echo pw"
from "work@example.org"

account default : work
EOF
	chmod 600 xdg/yubin/msend.conf
	XDG_CONFIG_HOME=$(pwd)/xdg
	export XDG_CONFIG_HOME
	atf_check "$(yubin_prog msend)" -i bob@example.org <in
	atf_check -o match:'^TLS MAIL FROM:<work@example.org>' \
	    -o match:'^AUTH-OK PLAIN cfg' cat sink/log
	# -a picks another; the command line beats the file.
	atf_check -s exit:69 -e match:'530 5.7.0' "$(yubin_prog msend)" -a plain \
	    -i bob@example.org <in
	atf_check -o match:'^MAIL FROM' cat sink/log
	atf_check -s exit:75 -e ignore "$(yubin_prog msend)" -a work \
	    --port "$(free_port)" -i bob@example.org <in
	atf_check -s exit:78 -e match:'no account nosuch' "$(yubin_prog msend)" \
	    -a nosuch -i bob@example.org <in
	# A password in a file others can read: a warning.
	printf 'account p\nhost localhost\nport %s\nuser cfg\npassword pw\n' \
	    "$SINK_PORT" >pw.conf
	printf 'tls_trust_file %s/certs/ca.pem\n' "$(pwd)" >>pw.conf
	chmod 644 pw.conf
	atf_check -e match:'holds a password but others may read it' \
	    "$(yubin_prog msend)" --config pw.conf -i bob@example.org <in
	chmod 600 pw.conf
	atf_check -e empty "$(yubin_prog msend)" --config pw.conf \
	    -i bob@example.org <in
	printf 'account x\nhots example.org\n' >bad.conf
	atf_check -s exit:78 -e match:'bad.conf:2: unknown key "hots"' \
	    "$(yubin_prog msend)" --config bad.conf -i bob@example.org <in
	atf_check -s exit:78 -e match:'missing.conf' \
	    "$(yubin_prog msend)" --config missing.conf -i bob@example.org <in
}
config_file_cleanup() { sink_stop; }

atf_test_case netrc cleanup
netrc_body()
{
	tls_sink --auth PLAIN --user nu --password 'netrc-pw'
	write_msg in
	mkdir home
	printf 'machine other.example login nu password wrong\nmachine localhost\n  login nu\n  password netrc-pw\n' >home/.netrc
	chmod 600 home/.netrc
	HOME=$(pwd)/home atf_check "$(yubin_prog msend)" --host localhost \
	    --port "$SINK_PORT" --tls-trust-file certs/ca.pem --user nu \
	    -i bob@example.org <in
	atf_check -o match:'^AUTH-OK PLAIN nu' cat sink/log
	# Readable by the group: refused, one line with the fix, exit 78.
	chmod 640 home/.netrc
	HOME=$(pwd)/home atf_check -s exit:78 \
	    -e match:"home/.netrc: mode 0640 gives group or others access to passwords; chmod 600 $(pwd)/home/.netrc \\(permanent: exit 78\\)$" \
	    "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user nu -i bob@example.org <in
	# No password anywhere and no terminal: a clear error.
	rm home/.netrc
	HOME=$(pwd)/home atf_check -s exit:78 -e match:'no password for nu' \
	    "$(yubin_prog msend)" --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/ca.pem --user nu -i bob@example.org \
	    <in </dev/null
}
netrc_cleanup() { sink_stop; }

atf_test_case password_prompt cleanup
password_prompt_head()
{
	atf_set descr "the password is asked on the terminal, with echo off"
}
password_prompt_body()
{
	tls_sink --auth PLAIN --user tu --password 'typed-pw'
	write_msg in
	mkdir home
	HOME=$(pwd)/home "$(pybin)" - "$(yubin_prog msend)" "$SINK_PORT" \
	    >pty.out 2>&1 <<'PY' || atf_fail "$(cat pty.out)"
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    m = os.open("in", os.O_RDONLY)
    os.dup2(m, 0)
    os.execv(sys.argv[1], [sys.argv[1], "--host", "localhost", "--port",
             sys.argv[2], "--tls-trust-file", "certs/ca.pem", "--user", "tu",
             "-i", "bob@example.org"])
def read_some(deadline):
    # Never block past the deadline: a hung msend fails the test.
    left = deadline - time.time()
    if left <= 0 or not select.select([fd], [], [], left)[0]:
        os.kill(pid, 9)
        sys.exit("msend did not answer in time; saw %r" % seen)
    try:
        return os.read(fd, 1024)
    except OSError:
        return b""
seen = b""
end = time.time() + 20
while b"password for tu at localhost: " not in seen:
    seen += read_some(end)
os.write(fd, b"typed-pw\n")
rest = b""
while True:
    d = read_some(end)
    if not d:
        break
    rest += d
_, st = os.waitpid(pid, 0)
print("prompt:", seen, "after:", rest)
if b"typed-pw" in rest:
    sys.exit("the password was echoed")
sys.exit(os.WEXITSTATUS(st))
PY
	atf_check -o match:'^AUTH-OK PLAIN tu' cat sink/log
}
password_prompt_cleanup() { sink_stop; }

atf_test_case sendmail_flags cleanup
sendmail_flags_head()
{
	atf_set descr "the flags scripts pass to sendmail are accepted"
}
sendmail_flags_body()
{
	sink_start
	write_msg in
	atf_check ./msend_plain -oem -odi -bm -oi -FCronDaemon -B8BITMIME -U -m \
	    -- bob@example.org <in
	atf_check -e match:'-oQ/var/spool is not supported' ./msend_plain \
	    -oQ/var/spool -i bob@example.org <in
	atf_check -s exit:64 -e match:'-bs' ./msend_plain -bs <in
	atf_check -s exit:64 -e match:'no recipients' ./msend_plain -i <in
	atf_check -s exit:64 -e match:'not a valid sender' ./msend_plain \
	    -f 'a b@c' -i bob@example.org <in
	atf_check -o match:'^usage: msend' "$(yubin_prog msend)" --help
	# Installed as sendmail, its other names work.
	ln -s "$(yubin_prog msend)" mailq
	ln -s "$(yubin_prog msend)" newaliases
	atf_check -o match:'no queue.*nothing waits' ./mailq
	atf_check ./newaliases
	atf_check -o match:'msend' "$(yubin_prog msend)" --version
	# A bad recipient is reported; the others still get the message.
	atf_check -s exit:65 -e match:'a<b@example.org: not a valid address' \
	    ./msend_plain -i bob@example.org 'a<b@example.org' <in
	atf_check -o match:'RCPT TO:<bob@example.org>' cat sink/env.3
	# The sender "<>" is the null sender.
	atf_check ./msend_plain -f '<>' -i bob@example.org <in
	atf_check -o match:'^MAIL FROM:<>$' cat sink/env.4
}
sendmail_flags_cleanup() { sink_stop; }

atf_test_case bare_cr
bare_cr_body()
{
	printf 'Subject: x\n\nbad\rline\n' >in
	atf_check -s exit:65 -e match:'CR that is not followed by LF' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port 1 --tls=off -i \
	    bob@example.org <in
}

atf_test_case huge_header
huge_header_head()
{
	atf_set descr "a header over 1 MB is refused (exit 65), not held without bound"
}
huge_header_body()
{
	"$(pybin)" -c '
import sys
sys.stdout.write("Subject: x\n")
for i in range(20000):
    sys.stdout.write("X-Filler-%d: %s\n" % (i, "f" * 60))
sys.stdout.write("\nbody\n")' >in
	atf_check -s exit:65 -e match:'header' "$(yubin_prog msend)" \
	    --host 127.0.0.1 --port 1 --tls=off -i bob@example.org <in
}

atf_test_case mail_loop
mail_loop_head()
{
	atf_set descr "a message with 100 Received fields is a loop (RFC 5321 §6.3): exit 65, nothing sent; 99 pass the check"
}
mail_loop_body()
{
	looping_message 100 >in
	atf_check -s exit:65 -e match:'100 Received header fields .*mail loop' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port 1 --tls=off \
	    -i bob@example.org <in
	# 99 are fine: the failure is the connection, not the message.
	looping_message 99 >in
	atf_check -s exit:75 -e not-match:'loop' "$(yubin_prog msend)" \
	    --host 127.0.0.1 --port 1 --tls=off -i bob@example.org <in
}

atf_test_case large_message cleanup
large_message_head()
{
	atf_set descr "a message larger than the memory spool (temp file) arrives exactly"
}
large_message_body()
{
	sink_start
	write_msg in
	"$(pybin)" - >>in <<'PY'
import random
r = random.Random(7)
for i in range(120000):
    l = "".join(chr(r.randrange(32, 127)) for _ in range(r.randrange(0, 80)))
    if i % 97 == 0:
        l = "." + l
    print(l)
PY
	atf_check ./msend_plain -i bob@example.org <in
	crlf in >expected
	atf_check cmp expected sink/msg.1
}
large_message_cleanup() { sink_stop; }

atf_test_case direct_route cleanup
direct_route_head()
{
	atf_set descr "--direct with --route, recipients grouped by domain"
}
direct_route_body()
{
	sink_start --reply 'bad@b.example=550 5.1.1 no such user' \
	    --reply 'later@b.example=451 4.3.0 not now'
	write_msg in
	atf_check "$(yubin_prog msend)" --direct --timeout 20 \
	    --route "a.example=127.0.0.1:$SINK_PORT" \
	    --route "b.example=127.0.0.1:$SINK_PORT" \
	    -i x@a.example y@b.example z@a.example <in
	# One transaction for a.example (x, z), one for b.example.
	atf_check -o match:'x@a.example' -o match:'z@a.example' \
	    -o not-match:'y@b.example' cat sink/env.1
	atf_check -o match:'y@b.example' cat sink/env.2
	# Opportunistic TLS: a server without STARTTLS still gets it.
	atf_check -o not-match:STARTTLS cat sink/log
	# Each domain's outcome is its own; the worst one is the exit code.
	atf_check -s exit:67 -e match:'bad@b.example: 550 5.1.1 no such user' \
	    -e not-match:'ok@a.example' -e match:'later@b.example: 451 4.3.0' \
	    "$(yubin_prog msend)" --direct --timeout 20 \
	    --route "a.example=127.0.0.1:$SINK_PORT" \
	    --route "b.example=127.0.0.1:$SINK_PORT" \
	    -i ok@a.example bad@b.example later@b.example <in
	atf_check -o match:'ok@a.example' cat sink/env.3
	# An address literal is where the mail goes (RFC 5321 §5.1).
	atf_check "$(yubin_prog msend)" --direct --port "$SINK_PORT" \
	    --timeout 20 --route '[127.0.0.1]=[mx]' -i 'lit@[127.0.0.1]' <in
	atf_check -o match:'RCPT TO:<lit@\[127.0.0.1\]>' cat sink/env.4
	# Unless --route says so, a literal that is this host is a loop.
	atf_check -s exit:69 -e match:'lit@\[127.0.0.1\]: .*is this host' \
	    "$(yubin_prog msend)" --direct --port "$SINK_PORT" \
	    --timeout 20 -i 'lit@[127.0.0.1]' <in
	test ! -e sink/env.5 || atf_fail "sent to itself"
	# No route and no DNS answer for a name without a domain part.
	atf_check -s exit:68 -e match:'nodomain: no domain' \
	    "$(yubin_prog msend)" --direct -i nodomain <in
}
direct_route_cleanup() { sink_stop; }

atf_test_case direct_tls_fallback cleanup
direct_tls_fallback_head()
{
	atf_set descr "direct delivery: a failed STARTTLS falls back to clear text (RFC 7435)"
}
direct_tls_fallback_body()
{
	sink_start --broken-tls
	write_msg in
	atf_check -e match:'STARTTLS failed; trying again without TLS' \
	    "$(yubin_prog msend)" --direct --timeout 20 \
	    --route "a.example=127.0.0.1:$SINK_PORT" -i x@a.example <in
	atf_check -o match:'^STARTTLS$' cat sink/log
	crlf in >expected
	atf_check cmp expected sink/msg.1
	# A smarthost gets no such second chance.
	atf_check -s exit:75 -e match:'TLS' ./msend_plain --tls=starttls \
	    -i x@a.example <in
	test ! -e sink/msg.2 || atf_fail "sent without the TLS required"
}
direct_tls_fallback_cleanup() { sink_stop; }

atf_test_case direct_dns cleanup
direct_dns_head()
{
	atf_set descr "direct delivery through the MX of a test DNS zone"
}
direct_dns_body()
{
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	mkdir dns
	dnsport=$(dns_start dns) || atf_fail "NSD did not start"
	tls_sink
	write_msg in
	# probe.test has MX mx.test, which is 127.0.0.1: this host.  A
	# loop (RFC 5321 §5.1) unless --route DOMAIN=[mx] says it is meant.
	atf_check -s exit:69 \
	    -e match:'bob@probe.test: probe.test: MX mx.test \[127.0.0.1\] is this host' \
	    "$(yubin_prog msend)" --direct --dns-server \
	    "127.0.0.1:$dnsport" --port "$SINK_PORT" --timeout 20 \
	    -i bob@probe.test <in
	test ! -e sink/env.1 || atf_fail "sent to itself"
	atf_check "$(yubin_prog msend)" --direct --dns-server \
	    "127.0.0.1:$dnsport" --port "$SINK_PORT" --timeout 20 \
	    --route 'probe.test=[mx]' -i bob@probe.test <in
	atf_check -o match:'^TLS MAIL FROM' cat sink/log
	atf_check -o match:'RCPT TO:<bob@probe.test>' cat sink/env.1
	atf_check -s exit:69 -e match:'nobody@nullmx.test: .*(null MX|accepts no mail)' \
	    "$(yubin_prog msend)" --direct --dns-server "127.0.0.1:$dnsport" \
	    --port "$SINK_PORT" -i nobody@nullmx.test <in
	atf_check -s exit:68 -e match:'nxdomain.test' \
	    "$(yubin_prog msend)" --direct --dns-server "127.0.0.1:$dnsport" \
	    --port "$SINK_PORT" -i a@nxdomain.test <in
}
direct_dns_cleanup()
{
	sink_stop
	stop_pidfile dns/nsd.pid
}

atf_test_case direct_mx_fallback cleanup
direct_mx_fallback_head()
{
	atf_set descr "direct delivery falls back to the next MX on 4xx and on a refused connection"
}
direct_mx_fallback_body()
{
	. "$YUBIN_SRCDIR/tests/lib/dns.sh"
	dns_require
	mkdir dns busy
	dnsport=$(dns_start dns) || atf_fail "NSD did not start"
	sink_start
	# fallback.test: MX 10 mxbusy (127.0.0.2, answers 451), MX 20 mxdead
	# (127.0.0.3, nothing listens), MX 30 mx.test (127.0.0.1, the sink).
	"$(pybin)" "$YUBIN_SRCDIR/tests/lib/smtp_sink.py" --addr 127.0.0.2 \
	    --port "$SINK_PORT" --port-file busy/port --dir busy --lifetime 60 \
	    --mail-reply '451 4.3.2 busy, try later' >busy.out 2>&1 &
	echo $! >busy.pid
	i=0
	while [ ! -s busy/port ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s busy/port ] || atf_skip "cannot listen on 127.0.0.2: $(cat busy.out)"
	write_msg in
	atf_check -e ignore "$(yubin_prog msend)" --direct --dns-server \
	    "127.0.0.1:$dnsport" --port "$SINK_PORT" --timeout 20 \
	    --route 'fallback.test=[mx]' -i bob@fallback.test <in
	atf_check -o match:'MAIL FROM' cat busy/log
	atf_check -o match:'RCPT TO:<bob@fallback.test>' cat sink/env.1
	# With only the busy host left, the failure is temporary: exit 75.
	stop_pidfile sink.pid
	atf_check -s exit:75 -e match:'bob@fallback.test' \
	    "$(yubin_prog msend)" --direct --dns-server "127.0.0.1:$dnsport" \
	    --port "$SINK_PORT" --timeout 20 --route 'fallback.test=[mx]' \
	    -i bob@fallback.test <in
}
direct_mx_fallback_cleanup()
{
	sink_stop
	stop_pidfile busy.pid
	stop_pidfile dns/nsd.pid
}

atf_test_case serverinfo cleanup
serverinfo_body()
{
	tls_sink --auth PLAIN --size 1000000
	atf_check -o match:'SMTP server at localhost' \
	    -o match:'protocol: +TLS1' -o match:'verified: +yes' \
	    -o match:'AUTH PLAIN' -o match:'Maximum message size: 1000000' \
	    "$(yubin_prog msend)" --serverinfo --host localhost \
	    --port "$SINK_PORT" --tls-trust-file certs/ca.pem
	atf_check -s exit:69 -e match:'not trusted' "$(yubin_prog msend)" \
	    --serverinfo --host localhost --port "$SINK_PORT" \
	    --tls-trust-file certs/other.pem
	# Nothing was sent either time.
	atf_check -o not-match:'MAIL' cat sink/log
}
serverinfo_cleanup() { sink_stop; }

atf_test_case aiosmtpd cleanup
aiosmtpd_head()
{
	atf_set descr "msend against Python's aiosmtpd (a server nobody here wrote)"
}
aiosmtpd_body()
{
	/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	    atf_fail "aiosmtpd is not installed (./quickstart check installs it)"
	port=$(free_port)
	mkdir out
	/usr/bin/python3 - "$port" out >aio.log 2>&1 <<'PY' &
import asyncio, sys, time
from aiosmtpd.controller import Controller
class H:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        H.n += 1
        with open("%s/msg.%d" % (sys.argv[2], H.n), "wb") as f:
            f.write(envelope.original_content)
        with open("%s/env.%d" % (sys.argv[2], H.n), "w") as f:
            f.write(envelope.mail_from + "\n" + "\n".join(envelope.rcpt_tos) + "\n")
        return "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]),
               decode_data=False)
c.start()
time.sleep(30)
c.stop()
PY
	echo $! >aio.pid
	wait_port "$port" || atf_fail "aiosmtpd did not start: $(cat aio.log)"
	write_msg in
	printf '.dot\n\303\244 8-bit\n' >>in
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$port" \
	    --tls=off -i -f alice@example.org bob@example.org carol@example.org <in
	crlf in >expected
	atf_check cmp expected out/msg.1
	atf_check -o inline:'alice@example.org\nbob@example.org\ncarol@example.org\n' \
	    cat out/env.1
}
aiosmtpd_cleanup() { stop_pidfile aio.pid; }

# Postfix's smtp-sink: pfsink_start, pf_msg_is, pf_one_dump (tests/lib/
# postfix.sh).
. "$YUBIN_SRCDIR/tests/lib/postfix.sh"

atf_test_case postfix_smtp_sink cleanup
postfix_smtp_sink_head()
{
	atf_set descr "msend against Postfix's smtp-sink (ESMTP, PIPELINING, \
8BITMIME): the message compared at its dump"
}
postfix_smtp_sink_body()
{
	pfsink_start
	write_msg in
	printf '.dot\n..two\n.\ncaf\303\251\n\nlast line\n' >>in
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -i -f alice@example.org bob@example.org carol@example.org <in
	f=$(pf_one_dump)
	atf_check -o match:'^X-Client-Proto: ESMTP$' \
	    -o match:'^X-Mail-Args: <alice@example.org> .*BODY=8BITMIME' \
	    -o match:'^X-Rcpt-Args: <bob@example.org>' \
	    -o match:'^X-Rcpt-Args: <carol@example.org>' cat "$f"
	pf_msg_is "$f" in
	# Read from the headers (-t): Bcc goes, the rest stays.
	rm -f dump/*
	printf '%s\n' 'From: Alice <alice@example.org>' \
	    'To: Bob <bob@example.org>' 'Bcc: dave@example.org' \
	    'Subject: t' 'Date: Sun, 22 Nov 2026 18:00:00 +0000' \
	    'Message-ID: <t2@example.org>' '' 'body' >in2
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -t -i -f alice@example.org <in2
	f=$(pf_one_dump)
	atf_check -o match:'^X-Rcpt-Args: <bob@example.org>' \
	    -o match:'^X-Rcpt-Args: <dave@example.org>' \
	    -o not-match:'^Bcc:' cat "$f"
	grep -v '^Bcc:' in2 >in2.nobcc
	pf_msg_is "$f" in2.nobcc
}
postfix_smtp_sink_cleanup() { stop_pidfile pfsink.pid; }

atf_test_case postfix_smtp_sink_plain cleanup
postfix_smtp_sink_plain_head()
{
	atf_set descr "msend against smtp-sink without ESMTP (HELO) and \
without PIPELINING"
}
postfix_smtp_sink_plain_body()
{
	pfsink_start -e
	write_msg in
	printf '.dot\nplain ascii\n' >>in
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -i -f alice@example.org bob@example.org <in
	f=$(pf_one_dump)
	atf_check -o match:'^X-Client-Proto: SMTP$' \
	    -o match:'^X-Mail-Args: <alice@example.org>$' cat "$f"
	pf_msg_is "$f" in
	stop_pidfile pfsink.pid
	pfsink_start -p -8
	atf_check "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -i -f alice@example.org bob@example.org carol@example.org <in
	f=$(pf_one_dump)
	atf_check -o match:'^X-Client-Proto: ESMTP$' \
	    -o match:'^X-Rcpt-Args: <carol@example.org>' \
	    -o not-match:'BODY=' cat "$f"
	pf_msg_is "$f" in
}
postfix_smtp_sink_plain_cleanup() { stop_pidfile pfsink.pid; }

atf_test_case postfix_smtp_sink_errors cleanup
postfix_smtp_sink_errors_head()
{
	atf_set descr "smtp-sink refusing RCPT (4xx, 5xx) and without \
STARTTLS: msend's exit codes, nothing delivered"
}
postfix_smtp_sink_errors_body()
{
	# -r: RCPT gets smtp-sink's soft reject (450): try again later.
	pfsink_start -r RCPT
	write_msg in
	atf_check -s exit:75 -e match:'bob@example.org: 450 ' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -i -f alice@example.org bob@example.org <in
	test -z "$(ls dump)" || atf_fail "a message without recipients arrived"
	stop_pidfile pfsink.pid
	# -f: a hard reject, "500 5.3.0 Error: command failed": permanent,
	# and 5.3.x (mail system) maps to EX_UNAVAILABLE.
	pfsink_start -f RCPT
	atf_check -s exit:69 -e match:'bob@example.org: 500 5\.3\.0 .*permanent' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    --tls=off -i -f alice@example.org bob@example.org <in
	test -z "$(ls dump)" || atf_fail "a message without recipients arrived"
	# The default for a smarthost is STARTTLS required: smtp-sink has
	# none, so nothing is sent.
	stop_pidfile pfsink.pid
	pfsink_start
	atf_check -s exit:69 -e match:'does not offer STARTTLS' \
	    "$(yubin_prog msend)" --host 127.0.0.1 --port "$PF_PORT" \
	    -i -f alice@example.org bob@example.org <in
	test -z "$(ls dump)" || atf_fail "a message went out without TLS"
}
postfix_smtp_sink_errors_cleanup() { stop_pidfile pfsink.pid; }

atf_init_test_cases()
{
	atf_add_test_case byte_exact
	atf_add_test_case eightbit_without_8bitmime
	atf_add_test_case bad_header_rcpts
	atf_add_test_case crlf_input
	atf_add_test_case no_final_newline
	atf_add_test_case dot_ends_input
	atf_add_test_case headers_added
	atf_add_test_case read_recipients
	atf_add_test_case exit_codes
	atf_add_test_case exit_session
	atf_add_test_case helo_fallback
	atf_add_test_case pipelining
	atf_add_test_case chunking
	atf_add_test_case size_limit
	atf_add_test_case dsn_params
	atf_add_test_case smtputf8
	atf_add_test_case starttls_required
	atf_add_test_case starttls_trust
	atf_add_test_case tls_on_connect
	atf_add_test_case client_cert
	atf_add_test_case fingerprint
	atf_add_test_case auth_plain_login
	atf_add_test_case auth_oauth
	atf_add_test_case passwordeval_env
	atf_add_test_case many_recipients
	atf_add_test_case resent_recipients
	atf_add_test_case auth_needs_tls
	atf_add_test_case verbose_redacts
	atf_add_test_case config_file
	atf_add_test_case netrc
	atf_add_test_case password_prompt
	atf_add_test_case sendmail_flags
	atf_add_test_case bare_cr
	atf_add_test_case huge_header
	atf_add_test_case mail_loop
	atf_add_test_case large_message
	atf_add_test_case direct_route
	atf_add_test_case direct_tls_fallback
	atf_add_test_case direct_dns
	atf_add_test_case direct_mx_fallback
	atf_add_test_case serverinfo
	atf_add_test_case aiosmtpd
	atf_add_test_case postfix_smtp_sink
	atf_add_test_case postfix_smtp_sink_plain
	atf_add_test_case postfix_smtp_sink_errors
}
