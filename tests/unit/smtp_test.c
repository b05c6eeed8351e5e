#include <atf-c.h>
ATF_TC_WITHOUT_HEAD(placeholder);
ATF_TC_BODY(placeholder, tc)
{
	atf_tc_skip("not yet written");
}
ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, placeholder);
	return atf_no_error();
}
