/*
 * err_test: the exit code of each error class, and the ranking of exit
 * codes that programs combining several outcomes use.
 */
#include <sysexits.h>

#include <atf-c.h>

#include "err.h"

ATF_TC_WITHOUT_HEAD(class_exit);
ATF_TC_BODY(class_exit, tc)
{
	static const struct {
		enum yerr_class cls;
		int ex;
		int temp;
	} t[] = {
	    {YERR_OK, 0, 0},
	    {YERR_TEMP, EX_TEMPFAIL, 1},
	    {YERR_PERM, EX_UNAVAILABLE, 0},
	    {YERR_NOUSER, EX_NOUSER, 0},
	    {YERR_NOHOST, EX_NOHOST, 0},
	    {YERR_TLS, EX_UNAVAILABLE, 0},
	    {YERR_AUTH, EX_NOPERM, 0},
	    {YERR_PROTO, EX_PROTOCOL, 0},
	    {YERR_CONFIG, EX_CONFIG, 0},
	    {YERR_USAGE, EX_USAGE, 0},
	    {YERR_DATA, EX_DATAERR, 0},
	    {YERR_LOCAL, EX_OSERR, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(
		    yerr_exit(t[i].cls), t[i].ex, "class %d", (int)t[i].cls);
		ATF_CHECK_EQ(yerr_temporary(t[i].cls), t[i].temp);
	}
	ATF_CHECK_STREQ(yerr_kind(YERR_TEMP), "temporary");
	ATF_CHECK_STREQ(yerr_kind(YERR_NOUSER), "permanent");
}

ATF_TC_WITHOUT_HEAD(set_and_clear);
ATF_TC_BODY(set_and_clear, tc)
{
	struct yerr e;

	yerr_set(&e, YERR_PROTO, "malformed reply: %s", "\"x\"");
	ATF_CHECK_EQ(e.cls, YERR_PROTO);
	ATF_CHECK_STREQ(e.msg, "malformed reply: \"x\"");
	yerr_clear(&e);
	ATF_CHECK_EQ(e.cls, YERR_OK);
	ATF_CHECK_STREQ(e.msg, "");
}

/* Fold a list of outcomes as msend and mxlookup do. */
ATF_TC_WITHOUT_HEAD(ranking);
ATF_TC_BODY(ranking, tc)
{
	static const struct {
		int in[4];
		int n;
		int worst;
	} t[] = {
	    {{0, 0}, 2, 0},
	    {{0, EX_TEMPFAIL}, 2, EX_TEMPFAIL},
	    {{EX_TEMPFAIL, EX_PROTOCOL}, 2, EX_PROTOCOL},
	    {{EX_PROTOCOL, EX_UNAVAILABLE}, 2, EX_UNAVAILABLE},
	    {{EX_UNAVAILABLE, EX_NOHOST}, 2, EX_NOHOST},
	    {{EX_NOHOST, EX_NOUSER}, 2, EX_NOUSER},
	    {{EX_NOUSER, EX_CONFIG}, 2, EX_CONFIG},
	    {{EX_TEMPFAIL, EX_UNAVAILABLE, EX_NOUSER, EX_TEMPFAIL}, 4,
		EX_NOUSER},
	    {{EX_NOUSER, EX_TEMPFAIL, 0}, 3, EX_NOUSER},
	    {{EX_DATAERR, EX_NOUSER}, 2, EX_DATAERR},
	};
	size_t i;
	int j, w;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* Either order gives the same answer. */
		for (w = 0, j = 0; j < t[i].n; j++)
			w = yerr_exit_worst(w, t[i].in[j]);
		ATF_CHECK_EQ_MSG(w, t[i].worst, "case %zu", i);
		for (w = 0, j = t[i].n - 1; j >= 0; j--)
			w = yerr_exit_worst(w, t[i].in[j]);
		ATF_CHECK_EQ_MSG(w, t[i].worst, "case %zu reversed", i);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, class_exit);
	ATF_TP_ADD_TC(tp, set_and_clear);
	ATF_TP_ADD_TC(tp, ranking);
	return atf_no_error();
}
