# corpus_test: every fuzz target replays its seed corpus (and the inputs
# that once crashed it) without a sanitizer report or crash.

replay()
{
	target=$1
	atf_check -s exit:0 -o match:'inputs replayed' -e ignore \
	    "$YUBIN_BUILDDIR/tests/fuzz/${target}_fuzz" \
	    "$YUBIN_SRCDIR/tests/fuzz/corpus/$target"
}

atf_test_case dns
dns_body() { replay dns; }
atf_test_case maildir
maildir_body() { replay maildir; }
atf_test_case msg
msg_body() { replay msg; }
atf_test_case smtp_reply
smtp_reply_body() { replay smtp_reply; }
atf_test_case smtp_cmd
smtp_cmd_body() { replay smtp_cmd; }
atf_test_case smtpd_session
smtpd_session_body() { replay smtpd_session; }
atf_test_case msend_conf
msend_conf_body() { replay msend_conf; }
atf_test_case msend_msg
msend_msg_body() { replay msend_msg; }
atf_test_case pop3_cmd
pop3_cmd_body() { replay pop3_cmd; }
atf_test_case uidlist
uidlist_body() { replay uidlist; }
atf_test_case privsep
privsep_body() { replay privsep; }
atf_test_case pop3d_session
pop3d_session_body() { replay pop3d_session; }
atf_test_case mpop_state
mpop_state_body() { replay mpop_state; }
atf_test_case mime
mime_body() { replay mime; }
atf_test_case imap
imap_body() { replay imap; }
atf_test_case imapd_session
imapd_session_body() { replay imapd_session; }
atf_test_case msgcache
msgcache_body() { replay msgcache; }

atf_test_case queue
queue_body() { replay queue; }
atf_test_case mtasts
mtasts_body() { replay mtasts; }
atf_test_case dsn
dsn_body() { replay dsn; }
atf_test_case msend_batch
msend_batch_body() { replay msend_batch; }
atf_test_case spf
spf_body() { replay spf; }
atf_test_case dkim
dkim_body() { replay dkim; }
atf_test_case dmarc
dmarc_body() { replay dmarc; }
atf_test_case authres
authres_body() { replay authres; }

atf_init_test_cases()
{
	atf_add_test_case dns
	atf_add_test_case maildir
	atf_add_test_case msg
	atf_add_test_case smtp_reply
	atf_add_test_case smtp_cmd
	atf_add_test_case smtpd_session
	atf_add_test_case msend_conf
	atf_add_test_case msend_msg
	atf_add_test_case pop3_cmd
	atf_add_test_case uidlist
	atf_add_test_case privsep
	atf_add_test_case pop3d_session
	atf_add_test_case mpop_state
	atf_add_test_case mime
	atf_add_test_case imap
	atf_add_test_case imapd_session
	atf_add_test_case msgcache
	atf_add_test_case queue
	atf_add_test_case mtasts
	atf_add_test_case dsn
	atf_add_test_case msend_batch
	atf_add_test_case spf
	atf_add_test_case dkim
	atf_add_test_case dmarc
	atf_add_test_case authres
}
