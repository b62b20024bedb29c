#include "common/der.h"

size_t
der_header_size(size_t len)
{
	if (len < 0x80)
		return 2;
	if (len <= 0xff)
		return 3;
	if (len <= 0xffff)
		return 4;
	if (len <= 0xffffff)
		return 5;
	return 6;
}

size_t
der_header_put(unsigned char out[DER_MAX_HEADER], unsigned char tag, size_t len)
{
	size_t n = der_header_size(len);

	out[0] = tag;
	if (n == 2) {
		out[1] = (unsigned char)len;
		return 2;
	}
	out[1] = (unsigned char)(0x80 | (n - 2));
	for (size_t i = n - 1; i >= 2; i--) {
		out[i] = (unsigned char)len;
		len >>= 8;
	}
	return n;
}

int
der_append(struct buf *b, unsigned char tag, const unsigned char *content, size_t len)
{
	unsigned char h[DER_MAX_HEADER];

	if (len > 0xffffffffu)
		return -1;
	if (buf_append(b, h, der_header_put(h, tag, len)) != 0 || buf_append(b, content, len) != 0)
		return -1;
	return 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date, and back (the
 * algorithms of H. Hinnant, "chrono-compatible low-level date algorithms"):
 * plain arithmetic, much cheaper than gmtime_r a million times. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
two_digits(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)('0' + v / 10);
	p[1] = (unsigned char)('0' + v % 10);
}

/* A GeneralizedTime ("YYYYMMDDHHMMSSZ") or UTCTime ("YYMMDDHHMMSSZ"). */
static size_t
time_put(unsigned char *out, time_t t, bool generalized)
{
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400, y;
	unsigned m, d;
	unsigned char *p = out + 2;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	out[0] = generalized ? DER_GENERALIZED_TIME : DER_UTC_TIME;
	out[1] = generalized ? 15 : 13;
	if (generalized) {
		two_digits(p, (unsigned)(y / 100));
		p += 2;
	}
	two_digits(p, (unsigned)(y % 100));
	two_digits(p + 2, m);
	two_digits(p + 4, d);
	two_digits(p + 6, (unsigned)(secs / 3600));
	two_digits(p + 8, (unsigned)(secs / 60 % 60));
	two_digits(p + 10, (unsigned)(secs % 60));
	p[12] = 'Z';
	return (size_t)(p + 13 - out);
}

/* 2050-01-01T00:00:00Z: from here on RFC 5280 times are GeneralizedTime. */
#define DER_Y2050 ((time_t)2524608000)

size_t
der_time_put(unsigned char out[DER_MAX_TIME], time_t t)
{
	if (t < DER_TIME_MIN || t > DER_TIME_MAX)
		return 0;
	return time_put(out, t, t >= DER_Y2050);
}

size_t
der_generalized_time_put(unsigned char out[DER_MAX_TIME], time_t t)
{
	if (t < DER_TIME_MIN || t > DER_TIME_MAX)
		return 0;
	return time_put(out, t, true);
}

size_t
der_uint64_put(unsigned char out[11], uint64_t v)
{
	unsigned char tmp[9];
	size_t n = 0;

	do {
		tmp[8 - n++] = (unsigned char)v;
		v >>= 8;
	} while (v != 0);
	if (tmp[9 - n] & 0x80)
		tmp[8 - n++] = 0; /* positive: a leading zero octet */
	out[0] = DER_INTEGER;
	out[1] = (unsigned char)n;
	for (size_t i = 0; i < n; i++)
		out[2 + i] = tmp[9 - n + i];
	return n + 2;
}

/* A strict header at p: the content's length and the header's size. */
static int
header_read(const unsigned char *p, const unsigned char *end, size_t *len, size_t *hlen)
{
	size_t avail = (size_t)(end - p), n, v = 0;

	if (avail < 2)
		return -1;
	if (p[1] < 0x80) {
		*len = p[1];
		*hlen = 2;
	} else {
		n = p[1] & 0x7f;
		/* no indefinite form, at most four octets, no leading zero */
		if (n == 0 || n > 4 || avail < 2 + n || p[2] == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			v = v << 8 | p[2 + i];
		if (v < 0x80) /* the short form was required */
			return -1;
		*len = v;
		*hlen = 2 + n;
	}
	return *len <= avail - *hlen ? 0 : -1;
}

int
der_read(const unsigned char **p, const unsigned char *end, unsigned char tag,
         const unsigned char **content, size_t *len)
{
	size_t hlen;

	if (*p >= end || **p != tag || header_read(*p, end, len, &hlen) != 0)
		return -1;
	*content = *p + hlen;
	*p += hlen + *len;
	return 0;
}

int
der_peek(const unsigned char *p, const unsigned char *end)
{
	return p < end ? *p : -1;
}

size_t
der_element_size(const unsigned char *p, const unsigned char *end)
{
	size_t len, hlen;

	if (p >= end || header_read(p, end, &len, &hlen) != 0)
		return 0;
	return hlen + len;
}

#define DER_MAX_DEPTH 32

/* The elements from p to end, each strict (see der_strict_structure). */
static bool
strict_elements(const unsigned char *p, const unsigned char *end, int depth)
{
	size_t len, hlen;

	while (p < end) {
		unsigned char tag = *p;
		if ((tag & 0x1f) == 0x1f || tag == 0 || header_read(p, end, &len, &hlen) != 0)
			return false;
		if (tag & 0x20) {
			/* universal constructed types other than SEQUENCE and SET are BER
			 * strings cut in pieces */
			if ((tag & 0xc0) == 0 && tag != DER_SEQUENCE && tag != 0x31)
				return false;
			if (depth >= DER_MAX_DEPTH ||
			    !strict_elements(p + hlen, p + hlen + len, depth + 1))
				return false;
		}
		p += hlen + len;
	}
	return true;
}

bool
der_strict_structure(const unsigned char *der, size_t len)
{
	return len > 0 && der_element_size(der, der + len) == len &&
	       strict_elements(der, der + len, 0);
}

static int
digits(const unsigned char *s, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
der_time_parse(unsigned char tag, const unsigned char *c, size_t len, bool rfc5280_years,
               time_t *out)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned yy, mon, day, hour, min, sec;
	int64_t year;

	if (tag == DER_UTC_TIME && len == 13) {
		if (digits(c, 2, &yy) != 0)
			return -1;
		year = yy < 50 ? 2000 + yy : 1900 + yy;
		c += 2;
	} else if (tag == DER_GENERALIZED_TIME && len == 15) {
		if (digits(c, 4, &yy) != 0)
			return -1;
		year = yy;
		if (rfc5280_years && year < 2050)
			return -1;
		c += 4;
	} else {
		return -1;
	}
	if (digits(c, 2, &mon) || digits(c + 2, 2, &day) || digits(c + 4, 2, &hour) ||
	    digits(c + 6, 2, &min) || digits(c + 8, 2, &sec) || c[10] != 'Z')
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return -1;
	if (day > mdays[mon - 1] +
	              (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0) ? 1u : 0u))
		return -1;
	if (out != NULL)
		*out = (time_t)(days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 +
		                sec);
	return 0;
}
