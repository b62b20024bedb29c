/* Unit tests of common/encoding: base64 (standard, URL), hex, PEM encoding
 * and decoding, and the strictness of every decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"

/* Decodes in (strict or whitespace-tolerant); returns 0 and compares the
 * result with want, or returns -1 when the decoder refused. */
static int
b64_dec(const char *in, bool skip_ws, const char *want, size_t want_len)
{
	unsigned char *out = (unsigned char *)"untouched";
	size_t out_len = 0;

	if (base64_decode(in, strlen(in), skip_ws, &out, &out_len) != 0)
		return -1;
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
	return 0;
}

static int
b64url_dec(const char *in)
{
	unsigned char *out = NULL;
	size_t out_len = 0;
	int rc = base64url_decode(in, strlen(in), &out, &out_len);

	free(out);
	return rc;
}

/* RFC 4648 section 10 test vectors. */
static void
test_base64_rfc4648_vectors(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                  "Zm9vYmFy"};

	for (size_t i = 0; i < 7; i++) {
		char *e = base64_encode((const unsigned char *)plain[i], strlen(plain[i]), 0);
		assert_non_null(e);
		assert_string_equal(e, enc[i]);
		free(e);
		assert_int_equal(b64_dec(enc[i], false, plain[i], strlen(plain[i])), 0);
	}
}

static void
test_base64_round_trip_wrapped(void **state)
{
	unsigned char data[200];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(data); len++) {
		char *one = base64_encode(data, len, 0);
		char *wrapped = base64_encode(data, len, 64);
		assert_non_null(one);
		assert_non_null(wrapped);
		assert_null(strchr(one, '\n'));
		assert_int_equal(strlen(one), (len + 2) / 3 * 4);
		/* Every line ends in a newline and holds at most 64 characters. */
		for (const char *p = wrapped; *p;) {
			const char *nl = strchr(p, '\n');
			assert_non_null(nl);
			assert_true(nl - p >= 1 && nl - p <= 64);
			p = nl + 1;
		}
		assert_int_equal(b64_dec(one, false, (const char *)data, len), 0);
		assert_int_equal(b64_dec(wrapped, true, (const char *)data, len), 0);
		/* A wrapped text is not base64 to the strict decoder. */
		if (strchr(wrapped, '\n') != NULL)
			assert_int_equal(b64_dec(wrapped, false, NULL, 0), -1);
		free(one);
		free(wrapped);
	}
}

static void
test_base64_whitespace(void **state)
{
	assert_int_equal(b64_dec("Zm9v\r\nYmFy", true, "foobar", 6), 0);
	assert_int_equal(b64_dec(" Zm 9v\tYg= =\n", true, "foob", 4), 0);
	assert_int_equal(b64_dec("Zm9v\r\nYmFy", false, NULL, 0), -1);
	assert_int_equal(b64_dec(" Zm9v", false, NULL, 0), -1);
	/* Only CR, LF, space and tab are whitespace. */
	assert_int_equal(b64_dec("Zm9v\vYmFy", true, NULL, 0), -1);
	assert_int_equal(b64_dec("Zm9v\fYmFy", true, NULL, 0), -1);
}

static void
test_base64_refusals(void **state)
{
	static const char *const bad[] = {
		"Zm9v!A==", "Zm-_",      /* outside the standard alphabet */
		"Zg", "Zm8", "Zg=", "Z===", "=", "==", /* missing or short padding */
		"Zm8==", "Zm9v=", "Zm9v====",           /* too much padding */
		"Zg==Zg==", "Zm8=A", "Zg=a=",           /* data after padding */
		"Zh==", "Zm9=",                          /* non-zero trailing bits */
		"Z", "Zm9vY",                             /* length 1 mod 4 */
	};
	const char nul_in[] = {'Z', 'm', '\0', 'v'};
	unsigned char *out = NULL;
	size_t out_len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (b64_dec(bad[i], false, NULL, 0) != -1)
			fail_msg("base64_decode accepted \"%s\"", bad[i]);
		if (b64_dec(bad[i], true, NULL, 0) != -1)
			fail_msg("base64_decode (whitespace) accepted \"%s\"", bad[i]);
	}
	assert_int_equal(base64_decode(nul_in, sizeof(nul_in), true, &out, &out_len), -1);
}

static void
test_base64url(void **state)
{
	static const unsigned char bin[] = {0xfb, 0xff};
	unsigned char *out = NULL;
	size_t out_len = 0;
	char *e = base64url_encode(bin, sizeof(bin));
	char *std = base64_encode(bin, sizeof(bin), 0);

	/* 0xfbff = 111110 111111 1111(00): indices 62, 63, 60. */
	assert_string_equal(std, "+/8=");
	assert_string_equal(e, "-_8");
	assert_int_equal(base64url_decode(e, strlen(e), &out, &out_len), 0);
	assert_int_equal(out_len, 2);
	assert_memory_equal(out, bin, 2);
	free(out);
	free(e);
	free(std);
	e = base64url_encode((const unsigned char *)"foob", 4);
	assert_string_equal(e, "Zm9vYg");
	free(e);
	assert_int_equal(b64url_dec("-_8="), -1); /* padding is refused */
	assert_int_equal(b64url_dec("+/8"), -1);  /* standard alphabet */
	assert_int_equal(b64url_dec("Zh"), -1);   /* non-zero trailing bits */
	assert_int_equal(b64url_dec("Zm9vY"), -1);
	assert_int_equal(b64url_dec("Zm 9v"), -1); /* no whitespace */
	assert_int_equal(b64url_dec(""), 0);
}

static void
test_hex_encode(void **state)
{
	static const unsigned char in[] = {0x00, 0x0f, 0xab, 0xff};
	char out[9];

	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "000fabff");
}

/* Every char: the digits of both cases have their value, nothing else
 * has one; and each byte's hex_encode reads back through hex_value. */
static void
test_hex_value(void **state)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";

	(void)state;
	for (int c = -128; c < 128; c++) {
		const char *l = c > 0 ? strchr(lower, c) : NULL, *u = c > 0 ? strchr(upper, c) : NULL;
		int want = l != NULL ? (int)(l - lower) : u != NULL ? (int)(u - upper) : -1;
		if (hex_value((char)c) != want)
			fail_msg("hex_value(%d) is %d, not %d", c, hex_value((char)c), want);
	}
	for (int b = 0; b < 256; b++) {
		unsigned char in = (unsigned char)b;
		char out[3];
		hex_encode(&in, 1, out);
		assert_int_equal(hex_value(out[0]) * 16 + hex_value(out[1]), b);
	}
}

static const char *const cert_labels[] = {"X509 CRL", "CERTIFICATE", NULL};

static char *
sample_pem(unsigned char *der, size_t len)
{
	for (size_t i = 0; i < len; i++)
		der[i] = (unsigned char)(255 - i);
	return pem_encode("CERTIFICATE", der, len);
}

static void
test_pem_round_trip(void **state)
{
	unsigned char der[150], *out = NULL;
	size_t out_len = 0;
	int which = -1;
	char *pem = sample_pem(der, sizeof(der));
	const char *end_line = "-----END CERTIFICATE-----\n";

	assert_non_null(pem);
	assert_memory_equal(pem, "-----BEGIN CERTIFICATE-----\n", 28);
	assert_string_equal(pem + strlen(pem) - strlen(end_line), end_line);
	for (const char *p = pem; *p; p = strchr(p, '\n') + 1)
		assert_true(strchr(p, '\n') - p <= 64);
	assert_int_equal(pem_decode(pem, strlen(pem), cert_labels, &which, &out, &out_len, NULL),
	                 PEM_OK);
	assert_int_equal(which, 1);
	assert_int_equal(out_len, sizeof(der));
	assert_memory_equal(out, der, sizeof(der));
	free(out);
	free(pem);
}

/* pem_decode's result for text, freeing any output. */
static enum pem_result
pem_try(const char *text, const char **rest)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	enum pem_result r = pem_decode(text, strlen(text), cert_labels, NULL, &der, &der_len, rest);

	free(der);
	return r;
}

static void
test_pem_refusals(void **state)
{
	unsigned char der[40];
	char *pem = sample_pem(der, sizeof(der)), buf[512];
	const char *rest = NULL;

	snprintf(buf, sizeof(buf), "Subject: CN=x\nIssuer: CN=y\n%s", pem);
	assert_int_equal(pem_try(buf, NULL), PEM_OK); /* explanatory text */
	snprintf(buf, sizeof(buf), "%s\r\n \t\n", pem);
	assert_int_equal(pem_try(buf, NULL), PEM_OK);
	snprintf(buf, sizeof(buf), "%sjunk\n", pem);
	assert_int_equal(pem_try(buf, NULL), PEM_TRAILING);
	snprintf(buf, sizeof(buf), "%s%s", pem, pem);
	assert_int_equal(pem_try(buf, NULL), PEM_TRAILING);
	/* With rest, what follows the END line is handed back instead. */
	snprintf(buf, sizeof(buf), "%sjunk\n", pem);
	assert_int_equal(pem_try(buf, &rest), PEM_OK);
	assert_string_equal(rest, "\njunk\n");

	assert_int_equal(pem_try("no armour here", NULL), PEM_NOT_PEM);
	assert_int_equal(pem_try("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	                         NULL), PEM_WRONG_LABEL);
	assert_int_equal(pem_try("-----BEGIN CERTIFICATE-----\nAAAA\n", NULL), PEM_NO_END);
	assert_int_equal(pem_try("-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n",
	                         NULL), PEM_NO_END);
	assert_int_equal(pem_try("-----BEGIN CERTIFICATE-----\nAA!A\n-----END CERTIFICATE-----\n",
	                         NULL), PEM_BAD_BASE64);
	free(pem);
}

static void
test_looks_like_pem(void **state)
{
	static const unsigned char der[] = {0x30, 0x82, 0x01, 0x0a};

	assert_true(looks_like_pem((const unsigned char *)"-----BEGIN X-----", 17));
	assert_true(looks_like_pem((const unsigned char *)" \r\n\t-----BEGIN CERT", 18));
	assert_false(looks_like_pem((const unsigned char *)"-----BEGI", 9));
	assert_false(looks_like_pem((const unsigned char *)"x-----BEGIN X", 13));
	assert_false(looks_like_pem((const unsigned char *)"", 0));
	assert_false(looks_like_pem((const unsigned char *)"   ", 3));
	assert_false(looks_like_pem(der, sizeof(der)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648_vectors),
		cmocka_unit_test(test_base64_round_trip_wrapped),
		cmocka_unit_test(test_base64_whitespace),
		cmocka_unit_test(test_base64_refusals),
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_value),
		cmocka_unit_test(test_pem_round_trip),
		cmocka_unit_test(test_pem_refusals),
		cmocka_unit_test(test_looks_like_pem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
