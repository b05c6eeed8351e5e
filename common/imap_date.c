/*
 * imap_date.c: IMAP dates (RFC 3501 §9):
 *
 *   date-time      = DQUOTE date-day-fixed "-" date-month "-" date-year
 *                    SP time SP zone DQUOTE
 *   date-day-fixed = (SP DIGIT) / 2DIGIT
 *   date           = date-text / DQUOTE date-text DQUOTE
 *   date-text      = date-day "-" date-month "-" date-year
 *   date-day       = 1*2DIGIT
 *   time           = 2DIGIT ":" 2DIGIT ":" 2DIGIT
 *   zone           = ("+" / "-") 4DIGIT
 *
 * Times are seconds since the epoch in an int64_t, and the calendar is
 * computed here (days from a civil date and back, proleptic Gregorian)
 * rather than by timegm(3) and gmtime(3): it is total for every year
 * 0-9999, needs no time_t of any width, and does not touch TZ.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "imap.h"
#include "util.h"

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The inverse: y-m-d of a day number. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int dm[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* n digits at s into *v.  0 or -1. */
static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* date-month at s (3 octets, any case as ABNF strings are): 1-12, or
   -1. */
static int
month(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (util_casecmp_n(s, months[i], 3) == 0)
			return i + 1;
	return -1;
}

/* "-Mon-yyyy" at s (9 octets) after a day; checks the day.  0 or -1. */
static int
month_year(const char *s, int day, int64_t *days)
{
	int m, y;

	if (s[0] != '-' || s[4] != '-' || (m = month(s + 1)) == -1 ||
	    digits(s + 5, 4, &y) == -1 || day < 1 || day > days_in_month(y, m))
		return -1;
	*days = util_days_from_civil(y, m, day);
	return 0;
}

int
imap_datetime_parse(const char *s, size_t len, int64_t *t, int *zone)
{
	int day, h, mi, sec, zh, zm;
	int64_t days;

	/* "dd-Mon-yyyy hh:mm:ss +zzzz" */
	if (len != IMAP_DATETIME_LEN)
		return -1;
	if (s[0] == ' ') {
		if (digits(s + 1, 1, &day) == -1)
			return -1;
	} else if (digits(s, 2, &day) == -1)
		return -1;
	if (month_year(s + 2, day, &days) == -1 || s[11] != ' ' ||
	    digits(s + 12, 2, &h) == -1 || s[14] != ':' ||
	    digits(s + 15, 2, &mi) == -1 || s[17] != ':' ||
	    digits(s + 18, 2, &sec) == -1 || s[20] != ' ' ||
	    (s[21] != '+' && s[21] != '-') || digits(s + 22, 2, &zh) == -1 ||
	    digits(s + 24, 2, &zm) == -1)
		return -1;
	/* A leap second (60) counts into the next minute. */
	if (h > 23 || mi > 59 || sec > 60 || zh > 23 || zm > 59)
		return -1;
	*zone = (zh * 60 + zm) * (s[21] == '-' ? -1 : 1);
	*t = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)*zone * 60;
	return 0;
}

int
imap_date_parse(const char *s, size_t len, int64_t *t)
{
	int day;
	int64_t days;
	size_t n;

	/* date-day = 1*2DIGIT, then "-Mon-yyyy" */
	if (len == 10)
		n = 1;
	else if (len == 11)
		n = 2;
	else
		return -1;
	if (digits(s, n, &day) == -1 || month_year(s + n, day, &days) == -1)
		return -1;
	*t = days * 86400;
	return 0;
}

int
imap_datetime_format(int64_t t, int zone, char *out, size_t outlen)
{
	int64_t local, days, secs, y;
	int m, d, az;

	if (zone < -(23 * 60 + 59) || zone > 23 * 60 + 59 ||
	    outlen < IMAP_DATETIME_LEN + 1)
		return -1;
	/* Far outside years 0-9999 (date-year = 4DIGIT): no arithmetic
	   on it; near the edges the zone decides, below. */
	if (t < util_days_from_civil(-1, 1, 1) * 86400 ||
	    t > util_days_from_civil(10001, 1, 1) * 86400)
		return -1;
	local = t + (int64_t)zone * 60;
	days = local / 86400;
	secs = local % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	az = zone < 0 ? -zone : zone;
	(void)snprintf(out, outlen, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", d,
	    months[m - 1], (int)y, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), zone < 0 ? '-' : '+', az / 60, az % 60);
	return 0;
}
