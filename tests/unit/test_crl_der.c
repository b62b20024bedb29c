/* Unit tests of common/crl_der and common/der: CRL entries written by hand
 * are byte for byte what OpenSSL writes for the same revocation, parse
 * back with OpenSSL (alone and inside a CRL), bad input is refused, and
 * the signer's strict entry check accepts them and refuses every kind of
 * deviation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crl_der.h"
#include "common/der.h"

#define Y2050 ((time_t)2524608000)

/* The same revocation built with OpenSSL's objects, as DER. */
static unsigned char *
openssl_entry(const char *serial, time_t at, int reason, time_t invalidity, int *len)
{
	X509_REVOKED *r = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	ASN1_TIME *t = ASN1_TIME_set(NULL, at);
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
	ASN1_GENERALIZEDTIME *g = invalidity ? ASN1_GENERALIZEDTIME_set(NULL, invalidity) : NULL;
	unsigned char *der = NULL;

	assert_non_null(r);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	assert_non_null(ai = BN_to_ASN1_INTEGER(bn, NULL));
	assert_int_equal(X509_REVOKED_set_serialNumber(r, ai), 1);
	assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
	if (reason > 0) {
		assert_int_equal(ASN1_ENUMERATED_set(e, reason), 1);
		assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0), 1);
	}
	if (g != NULL)
		assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, g, 0, 0), 1);
	*len = i2d_X509_REVOKED(r, &der);
	assert_true(*len > 0);
	ASN1_GENERALIZEDTIME_free(g);
	ASN1_ENUMERATED_free(e);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_REVOKED_free(r);
	return der;
}

/* Checks one entry of ours field by field through OpenSSL's decoder. */
static void
check_parsed(const unsigned char *der, size_t len, const char *serial, time_t at, int reason,
             time_t invalidity)
{
	const unsigned char *p = der;
	X509_REVOKED *r = d2i_X509_REVOKED(NULL, &p, (long)len);
	const ASN1_TIME *t;
	ASN1_ENUMERATED *e;
	ASN1_GENERALIZEDTIME *g;
	BIGNUM *want = NULL, *got;
	int crit = 0;

	assert_non_null(r);
	assert_ptr_equal(p, der + len);
	assert_true(BN_hex2bn(&want, serial) > 0);
	got = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
	assert_int_equal(BN_cmp(want, got), 0);
	t = X509_REVOKED_get0_revocationDate(r);
	assert_int_equal(ASN1_TIME_cmp_time_t(t, at), 0);
	assert_int_equal(ASN1_STRING_type(t), at >= Y2050 ? V_ASN1_GENERALIZEDTIME : V_ASN1_UTCTIME);
	e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	if (reason > 0) {
		assert_non_null(e);
		assert_int_equal(crit, 0);
		assert_int_equal(ASN1_ENUMERATED_get(e), reason);
	} else {
		assert_null(e);
		assert_int_equal(crit, -1); /* absent, not unparsable */
	}
	g = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, NULL);
	if (invalidity) {
		assert_non_null(g);
		assert_int_equal(ASN1_STRING_type(g), V_ASN1_GENERALIZEDTIME);
		assert_int_equal(ASN1_TIME_cmp_time_t(g, invalidity), 0);
	} else {
		assert_null(g);
	}
	assert_int_equal(X509_REVOKED_get_ext_count(r), (reason > 0) + (invalidity != 0));
	ASN1_ENUMERATED_free(e);
	ASN1_GENERALIZEDTIME_free(g);
	BN_free(want);
	BN_free(got);
	X509_REVOKED_free(r);
}

/* Appends one entry and checks it against OpenSSL's encoding and decoder
 * and against the signer's check. */
static void
entry_round_trip(const char *serial, time_t at, int reason, time_t invalidity)
{
	struct buf b = {0};
	unsigned char *ref;
	int ref_len;

	if (crl_entry_append(&b, serial, at, reason, invalidity) != 0)
		fail_msg("crl_entry_append(%s, %lld, %d, %lld) failed", serial, (long long)at, reason,
		         (long long)invalidity);
	ref = openssl_entry(serial, at, reason, invalidity, &ref_len);
	assert_int_equal(b.len, (size_t)ref_len);
	assert_memory_equal(b.data, ref, b.len);
	check_parsed(b.data, b.len, serial, at, reason, invalidity);
	assert_int_equal(crl_entry_check(b.data, b.len), b.len);
	OPENSSL_free(ref);
	buf_free(&b);
}

static void
test_entries_as_openssl_writes_them(void **state)
{
	static const struct {
		const char *serial;
		time_t at;
		int reason;
		time_t invalidity;
	} cases[] = {
		{"1", 1700000000, -1, 0},
		{"7f", 1700000000, 0, 0},   /* unspecified: no extension */
		{"80", 1700000000, 1, 0},   /* a leading zero octet keeps it positive */
		{"00ff", 1700000000, 2, 0}, /* leading zero digits are dropped */
		{"6a6a1d83aa55", 0, 10, 1},
		{"4000000000000000000000000000000000000001", 1700000000, 9, 1690000000},
		{"7fffffffffffffffffffffffffffffffffffffff", 1700000000, 6, 0},
		{"123", Y2050 - 1, 3, Y2050 - 1},  /* the last UTCTime */
		{"123", Y2050, 4, Y2050},          /* the first GeneralizedTime */
		{"abcdef", 253402300799, 5, 253402300799}, /* 9999-12-31T23:59:59Z */
		{"abcdef", 951782400, 9, 951868799},       /* 2000-02-29, a leap day */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		entry_round_trip(cases[i].serial, cases[i].at, cases[i].reason, cases[i].invalidity);
}

/* Random revocations: serials of 1..40 digits, times up to 9999, every
 * reason, with and without invalidity dates. */
static void
test_random_entries_as_openssl_writes_them(void **state)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[64];
	char serial[41];

	for (int i = 0; i < 3000; i++) {
		size_t n;
		time_t at, inval;
		int reason;

		assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
		n = 1 + rnd[0] % 40;
		for (size_t k = 0; k < n; k++)
			serial[k] = hex[rnd[1 + k] & 15];
		serial[n] = '\0';
		if (n == 40 && serial[0] >= '8')
			serial[0] = '7';
		if (strspn(serial, "0") == n)
			serial[n - 1] = '1';
		at = (time_t)(((uint64_t)rnd[41] << 32 | (uint64_t)rnd[42] << 24 |
		               (uint64_t)rnd[43] << 16 | (uint64_t)rnd[44] << 8 | rnd[45]) %
		              253402300800ULL);
		inval = rnd[46] & 1 ? 0
		                    : 1 + (time_t)((uint32_t)rnd[47] << 24 | (uint32_t)rnd[48] << 16 |
		                                   (uint32_t)rnd[49] << 8 | rnd[50]);
		reason = rnd[51] % 12 - 1;
		if (reason == 7 || reason == 8)
			reason = 1;
		entry_round_trip(serial, at, reason, inval);
	}
}

/* Entries inside a CRL built around them parse with d2i_X509_CRL, in
 * order, with their serials, dates and reasons. */
static void
test_entries_inside_a_crl(void **state)
{
	static const unsigned char alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	                                    0xce, 0x3d, 0x04, 0x03, 0x02};
	struct buf entries = {0}, tbs = {0}, crl = {0};
	unsigned char h[DER_MAX_HEADER], t[DER_MAX_TIME], *name = NULL;
	X509_NAME *issuer = X509_NAME_new();
	const unsigned char *p;
	STACK_OF(X509_REVOKED) *revoked;
	X509_CRL *x;
	int name_len, n = 2500;
	char serial[32];

	for (int i = 0; i < n; i++) {
		snprintf(serial, sizeof(serial), "%x", 0x1000 + i * 7);
		assert_int_equal(crl_entry_append(&entries, serial, 1700000000 + i, i % 3 ? i % 7 : -1,
		                                   i % 5 ? 0 : 1690000000 + i), 0);
	}
	assert_int_equal(X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_UTF8,
	                                            (const unsigned char *)"Test CA", -1, -1, 0), 1);
	assert_true((name_len = i2d_X509_NAME(issuer, &name)) > 0);
	/* TBSCertList: version 2, algorithm, issuer, thisUpdate, entries */
	assert_int_equal(buf_append(&tbs, "\x02\x01\x01", 3), 0);
	assert_int_equal(buf_append(&tbs, alg, sizeof(alg)), 0);
	assert_int_equal(buf_append(&tbs, name, (size_t)name_len), 0);
	assert_int_equal(buf_append(&tbs, t, der_time_put(t, 1700000000)), 0);
	assert_int_equal(buf_append(&tbs, h, der_header_put(h, DER_SEQUENCE, entries.len)), 0);
	assert_int_equal(buf_append(&tbs, entries.data, entries.len), 0);
	/* CertificateList: TBS, algorithm, an empty signature */
	assert_int_equal(buf_append(&crl, h, der_header_put(h, DER_SEQUENCE, tbs.len)), 0);
	assert_int_equal(buf_append(&crl, tbs.data, tbs.len), 0);
	assert_int_equal(buf_append(&crl, alg, sizeof(alg)), 0);
	assert_int_equal(buf_append(&crl, "\x03\x01\x00", 3), 0);
	{
		struct buf whole = {0};
		assert_int_equal(buf_append(&whole, h, der_header_put(h, DER_SEQUENCE, crl.len)), 0);
		assert_int_equal(buf_append(&whole, crl.data, crl.len), 0);
		p = whole.data;
		x = d2i_X509_CRL(NULL, &p, (long)whole.len);
		assert_non_null(x);
		assert_ptr_equal(p, whole.data + whole.len);
		buf_free(&whole);
	}
	revoked = X509_CRL_get_REVOKED(x);
	assert_int_equal(sk_X509_REVOKED_num(revoked), n);
	for (int i = 0; i < n; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
		ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
		assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), 0x1000 + i * 7);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r),
		                                      1700000000 + i), 0);
		if (i % 3 && i % 7) {
			assert_non_null(e);
			assert_int_equal(ASN1_ENUMERATED_get(e), i % 7);
		} else {
			assert_null(e);
		}
		assert_int_equal(X509_REVOKED_get_ext_count(r),
		                 (i % 3 && i % 7 ? 1 : 0) + (i % 5 ? 0 : 1));
		ASN1_ENUMERATED_free(e);
	}
	X509_CRL_free(x);
	X509_NAME_free(issuer);
	OPENSSL_free(name);
	buf_free(&entries);
	buf_free(&tbs);
	buf_free(&crl);
}

static void
test_bad_input_refused(void **state)
{
	static const char *bad_serials[] = {
		"", "0", "0000", "8000000000000000000000000000000000000000", /* 21 octets */
		"10000000000000000000000000000000000000000",                  /* 41 digits */
		"ABCDEF", "12 34", "0x12", "-1", "12:34", "g1",
	};
	struct buf b = {0};

	assert_int_equal(crl_entry_append(&b, NULL, 1700000000, 1, 0), -1);
	for (size_t i = 0; i < sizeof(bad_serials) / sizeof(bad_serials[0]); i++)
		if (crl_entry_append(&b, bad_serials[i], 1700000000, 1, 0) != -1)
			fail_msg("serial \"%s\" was accepted", bad_serials[i]);
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, 7, 0), -1);  /* unused value */
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, 8, 0), -1);  /* removeFromCRL */
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, 11, 0), -1);
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, -2, 0), -1);
	assert_int_equal(crl_entry_append(&b, "1", -1, 1, 0), -1);
	assert_int_equal(crl_entry_append(&b, "1", 253402300800, 1, 0), -1); /* year 10000 */
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, 1, -5), -1);
	assert_int_equal(crl_entry_append(&b, "1", 1700000000, 1, 253402300800), -1);
	assert_int_equal(b.len, 0); /* nothing was written by any refusal */
	buf_free(&b);
}

/* crl_entry_check of the bytes written as hex. */
static size_t
check_variant(const char *hexbytes)
{
	unsigned char d[128];
	size_t n = strlen(hexbytes) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hexbytes + 2 * i, "%2x", &v), 1);
		d[i] = (unsigned char)v;
	}
	return crl_entry_check(d, n);
}

static void
test_entry_check_strict(void **state)
{
	/* Variants of SEQUENCE { INTEGER 0x1234, UTCTime 231114221320Z } */
	static const struct {
		const char *name;
		const char *hex;
		size_t expect; /* 0: refused */
	} cases[] = {
		{"minimal entry", "301302021234170d3233313131343232313332305a", 21},
		{"with reasonCode",
		 "3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030a0101", 35},
		{"with invalidityDate",
		 "302f02021234170d3233313131343232313332305a" "301a30180603551d180411180f"
		 "32303233313131343232313332305a", 49},
		{"reason value 7", "3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030a0107", 0},
		{"removeFromCRL (delta CRLs only)",
		 "3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030a0108", 0},
		{"reason value 11", "3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030a010b", 0},
		{"reason as INTEGER", "3021020212341" "70d3233313131343232313332305a300c300a0603551d1504030201" "01", 0},
		{"unknown extension (2.5.29.99)",
		 "3021020212341" "70d3233313131343232313332305a300c300a0603551d6304030a0101", 0},
		{"critical reasonCode",
		 "3024020212341" "70d3233313131343232313332305a300f300d0603551d150101ff04030a0101", 0},
		{"reasonCode twice",
		 "302d020212341" "70d3233313131343232313332305a3018300a0603551d1504030a0101"
		 "300a0603551d1504030a0102", 0},
		{"empty extensions", "301502021234170d3233313131343232313332305a3000", 0},
		{"trailing byte inside", "301402021234170d3233313131343232313332305a00", 0},
		{"trailing byte after the extensions",
		 "3022020212341" "70d3233313131343232313332305a300c300a0603551d1504030a010100", 0},
		{"trailing byte in the extension value",
		 "3022020212341" "70d3233313131343232313332305a300d300b0603551d1504040a010100", 0},
		{"20-octet serial", "302502147f" "00000000000000000000000000000000000000"
		 "170d3233313131343232313332305a", 39},
		{"serial with its needed zero octet",
		 "30140203009234170d3233313131343232313332305a", 22},
		{"negative serial", "301302029234170d3233313131343232313332305a", 0},
		{"zero serial", "301202010017" "0d3233313131343232313332305a", 0},
		{"non-minimal serial", "30140203001234170d3233313131343232313332305a", 0},
		{"21-octet serial",
		 "302602150080000000000000000000000000000000000000" "01170d3233313131343232313332305a",
		 0},
		{"GeneralizedTime before 2050", "301502021234180f32303233313131343232313332305a", 0},
		{"GeneralizedTime in 2050", "301502021234180f32303530303130313030303030305a", 23},
		{"UTCTime month 13", "301302021234170d3233313331343232313332305a", 0},
		{"UTCTime 30 February", "301302021234170d3234303233303232313332305a", 0},
		{"UTCTime with an offset", "301502021234170f3233313131343232313332302b3030", 0},
		{"UTCTime without seconds", "301102021234170b32333131313432323133" "5a", 0},
		{"non-minimal length", "30811302021234170d3233313131343232313332305a", 0},
		{"indefinite length", "308002021234170d3233313131343232313332305a0000", 0},
		{"cut short", "301302021234170d3233313131343232313332", 0},
		{"SET instead of SEQUENCE", "311302021234170d3233313131343232313332305a", 0},
		{"no revocation date", "30040202" "1234", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = check_variant(cases[i].hex);
		if (got != cases[i].expect)
			fail_msg("%s: crl_entry_check gave %zu, expected %zu", cases[i].name, got,
			         cases[i].expect);
	}
	/* what follows an entry is not its business: it returns its size */
	assert_int_equal(check_variant("301302021234170d3233313131343232313332305a3000"), 21);
}

static void
test_der_helpers(void **state)
{
	unsigned char out[DER_MAX_TIME], h[DER_MAX_HEADER], n[11];
	const unsigned char *p, *c;
	size_t len;
	time_t t;
	static const uint64_t values[] = {1, 127, 128, 255, 256, 0x7fffffffffffffffULL,
	                                  0x8000000000000000ULL, UINT64_MAX};

	assert_int_equal(der_time_put(out, Y2050 - 1), 15);
	assert_memory_equal(out + 2, "491231235959Z", 13);
	assert_int_equal(der_time_put(out, Y2050), 17);
	assert_memory_equal(out + 2, "20500101000000Z", 15);
	assert_int_equal(der_time_put(out, DER_TIME_MIN - 1), 0);
	assert_int_equal(der_generalized_time_put(out, 0), 17);
	assert_memory_equal(out + 2, "19700101000000Z", 15);
	assert_int_equal(der_time_parse(out[0], out + 2, out[1], false, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(der_time_parse(out[0], out + 2, out[1], true, &t), -1);
	for (time_t v = DER_TIME_MIN; v < DER_TIME_MAX; v += 86400 * 37 + 3661) {
		size_t k = der_time_put(out, v);
		ASN1_TIME *ref = ASN1_TIME_set(NULL, v);
		assert_true(k > 0);
		assert_int_equal(ASN1_STRING_length(ref), (int)k - 2);
		assert_memory_equal(ASN1_STRING_get0_data(ref), out + 2, k - 2);
		assert_int_equal(der_time_parse(out[0], out + 2, k - 2, true, &t), 0);
		assert_int_equal(t, v);
		ASN1_TIME_free(ref);
	}
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		ASN1_INTEGER *ai = ASN1_INTEGER_new();
		unsigned char *ref = NULL;
		int ref_len;
		assert_int_equal(ASN1_INTEGER_set_uint64(ai, values[i]), 1);
		ref_len = i2d_ASN1_INTEGER(ai, &ref);
		assert_int_equal(der_uint64_put(n, values[i]), (size_t)ref_len);
		assert_memory_equal(n, ref, (size_t)ref_len);
		OPENSSL_free(ref);
		ASN1_INTEGER_free(ai);
	}
	{
		static const size_t lens[] = {0, 127, 128, 255, 256, 65535, 65536, 16777216};
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t hl = der_header_put(h, DER_SEQUENCE, lens[i]);
			assert_int_equal(hl, der_header_size(lens[i]));
			p = h;
			/* the header alone reads back as that length (content absent) */
			assert_int_equal(der_read(&p, h + hl, DER_SEQUENCE, &c, &len), lens[i] ? -1 : 0);
			assert_int_equal(der_element_size(h, h + hl), lens[i] ? 0 : 2);
		}
	}
}

/* Not a pass/fail test: how long a million entries take to write. */
static void
test_encoding_speed(void **state)
{
	char (*serials)[33] = malloc(1000000 * sizeof(*serials));
	struct buf b = {0};
	struct timespec t0, t1;

	assert_non_null(serials);
	for (int i = 0; i < 1000000; i++)
		snprintf(serials[i], sizeof(serials[i]), "4%031x", i + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000000; i++)
		assert_int_equal(crl_entry_append(&b, serials[i], 1700000000 + i,
		                                  i % 11 == 7 || i % 11 == 8 ? 1 : i % 11, 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("1,000,000 entries (%zu bytes) in %.0f ms\n", b.len,
	              (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	buf_free(&b);
	free(serials);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_as_openssl_writes_them),
		cmocka_unit_test(test_random_entries_as_openssl_writes_them),
		cmocka_unit_test(test_entries_inside_a_crl),
		cmocka_unit_test(test_bad_input_refused),
		cmocka_unit_test(test_entry_check_strict),
		cmocka_unit_test(test_der_helpers),
		cmocka_unit_test(test_encoding_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
