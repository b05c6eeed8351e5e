/*
 * loginsrv_test: the post-login process's take of what the login
 * process knew of the session (loginsrv_peer_take): the peer, TLS, the
 * failed logins and the sooner of the two deadlines.  The parent, the
 * request and the handoff run in the servers' tests (mpop_serve_test,
 * mimap_serve_test, as root).
 */
#include <string.h>

#include <atf-c.h>

#include "io.h"
#include "loginsrv.h"

ATF_TC_WITHOUT_HEAD(peer_take);
ATF_TC_BODY(peer_take, tc)
{
	static const struct {
		const char *tls;
		int64_t peer_end, end; /* the login's, the session's */
		int want_tls;
		int64_t want_end;
	} t[] = {
	    {"", 0, 0, 0, 0},
	    {"TLSv1.3", 0, 0, 1, 0},
	    {"", 5000, 0, 0, 5000},
	    {"TLS", 5000, 9000, 1, 5000},
	    {"", 9000, 5000, 0, 5000},
	    {"", 0, 5000, 0, 5000},
	};
	struct loginsrv_peer peer;
	char addr[NET_ADDRSTR_MAX], host[DNS_NAME_MAX + 1];
	struct tls_info ti;
	struct io io;
	int64_t end;
	int fails, tls;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&peer, 0, sizeof(peer));
		peer.addr = "192.0.2.1";
		peer.host = "client.example";
		peer.tls = t[i].tls;
		peer.authfail = (int)i;
		peer.end_ms = t[i].peer_end;
		peer.tag = "";
		memset(&ti, 0, sizeof(ti));
		io_init(&io, -1, -1, 1000);
		io.deadline = end = t[i].end;
		fails = -1;
		tls = loginsrv_peer_take(
		    &peer, addr, host, &ti, &fails, &end, &io);
		ATF_CHECK_EQ_MSG(tls, t[i].want_tls, "case %zu", i);
		ATF_CHECK_STREQ_MSG(addr, "192.0.2.1", "case %zu", i);
		ATF_CHECK_STREQ_MSG(host, "client.example", "case %zu", i);
		ATF_CHECK_STREQ_MSG(ti.protocol, t[i].tls, "case %zu", i);
		ATF_CHECK_EQ_MSG(fails, (int)i, "case %zu", i);
		ATF_CHECK_EQ_MSG(end, t[i].want_end, "case %zu", i);
		ATF_CHECK_EQ_MSG(io.deadline, t[i].want_end, "case %zu", i);
		io_close(&io);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, peer_take);
	return atf_no_error();
}
