/* Unit tests of common/der's writers of headers and whole elements: every
 * length boundary, byte for byte against OpenSSL's own encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/asn1.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/der.h"

/* Where the length octets change size, up to past 16 MiB (four octets). */
static const size_t boundaries[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 16777215, 16777216};
#define N_BOUNDARIES (sizeof(boundaries) / sizeof(boundaries[0]))

/* The header alone, for a primitive and a constructed tag, is what
 * ASN1_put_object writes, and der_header_size agrees with both. */
static void
test_header_put(void **state)
{
	static const struct {
		unsigned char tag;
		int constructed, asn1_tag;
	} tags[] = {{DER_OCTET_STRING, 0, V_ASN1_OCTET_STRING}, {DER_SEQUENCE, 1, V_ASN1_SEQUENCE}};

	(void)state;
	for (size_t i = 0; i < N_BOUNDARIES; i++) {
		for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
			unsigned char mine[DER_MAX_HEADER], ref[16], *p = ref;
			size_t n = der_header_put(mine, tags[t].tag, boundaries[i]);

			ASN1_put_object(&p, tags[t].constructed, (int)boundaries[i], tags[t].asn1_tag,
			                V_ASN1_UNIVERSAL);
			if (n != (size_t)(p - ref) || memcmp(mine, ref, n) != 0)
				fail_msg("header of length %zu differs from OpenSSL's", boundaries[i]);
			assert_int_equal(der_header_size(boundaries[i]), n);
			assert_int_equal(ASN1_object_size(tags[t].constructed, (int)boundaries[i],
			                                  tags[t].asn1_tag),
			                 (int)(n + boundaries[i]));
		}
	}
}

/* A whole OCTET STRING of each boundary length, appended after other
 * bytes, is what i2d_ASN1_OCTET_STRING writes. */
static void
test_append_octet_string(void **state)
{
	unsigned char *content = malloc(boundaries[N_BOUNDARIES - 1]);

	(void)state;
	assert_non_null(content);
	for (size_t i = 0; i < boundaries[N_BOUNDARIES - 1]; i++)
		content[i] = (unsigned char)(i * 7 + i / 256);
	for (size_t i = 0; i < N_BOUNDARIES; i++) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		unsigned char *ref = NULL;
		struct buf b = {0};
		int ref_len;

		assert_non_null(os);
		assert_int_equal(ASN1_OCTET_STRING_set(os, content, (int)boundaries[i]), 1);
		ref_len = i2d_ASN1_OCTET_STRING(os, &ref);
		assert_true(ref_len > 0);
		assert_int_equal(buf_append(&b, "ab", 2), 0);
		assert_int_equal(der_append(&b, DER_OCTET_STRING, content, boundaries[i]), 0);
		assert_int_equal(b.len, 2 + (size_t)ref_len);
		assert_memory_equal(b.data, "ab", 2);
		if (memcmp(b.data + 2, ref, (size_t)ref_len) != 0)
			fail_msg("OCTET STRING of length %zu differs from OpenSSL's", boundaries[i]);
		OPENSSL_free(ref);
		ASN1_OCTET_STRING_free(os);
		buf_free(&b);
	}
	free(content);
}

/* A length the four length octets cannot hold is refused before anything
 * is read or written. */
static void
test_append_too_long(void **state)
{
	struct buf b = {0};

	(void)state;
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(der_append(&b, DER_OCTET_STRING, (const unsigned char *)"y",
	                            (size_t)UINT32_MAX + 1),
	                 -1);
	assert_int_equal(b.len, 1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_put),
		cmocka_unit_test(test_append_octet_string),
		cmocka_unit_test(test_append_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
