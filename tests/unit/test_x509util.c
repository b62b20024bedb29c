/* Unit tests of common/x509util: key descriptions, serial numbers as hex,
 * common names, name strings, DER helpers, SAN strings, utf8_length,
 * the checks for invisible characters and outer white space, and
 * utf8_one_line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/x509util.h"
#include "tests/support/certs.h"

static void
check_describe(const char *alg, enum key_kind kind, int bits, const char *name)
{
	EVP_PKEY *k = t_key(alg);
	struct key_desc kd;

	assert_non_null(k);
	pkey_describe(k, &kd);
	assert_int_equal(kd.kind, kind);
	if (bits > 0)
		assert_int_equal(kd.bits, bits);
	assert_string_equal(kd.name, name);
	EVP_PKEY_free(k);
}

static void
test_pkey_describe(void **state)
{
	struct key_desc kd;

	check_describe("EC-P256", KEY_KIND_EC_P256, 256, "EC-P256");
	check_describe("EC-P384", KEY_KIND_EC_P384, 384, "EC-P384");
	check_describe("RSA-2048", KEY_KIND_RSA, 2048, "RSA-2048");
	check_describe("EC-secp256k1", KEY_KIND_UNSUPPORTED, 256, "EC secp256k1");
	check_describe("ED25519", KEY_KIND_UNSUPPORTED, 0, "ED25519");
	pkey_describe(NULL, &kd);
	assert_int_equal(kd.kind, KEY_KIND_UNSUPPORTED);
	assert_string_equal(kd.name, "none");
}

static void
norm_ok(const char *in, const char *want)
{
	char out[SERIAL_HEX_MAX];

	if (serial_hex_normalize(in, out) != 0)
		fail_msg("serial_hex_normalize refused \"%s\"", in);
	assert_string_equal(out, want);
}

static void
test_serial_hex_normalize(void **state)
{
	char out[SERIAL_HEX_MAX], in[80];
	static const char *const bad[] = {"", "xyz", "12 34", "0x1a", "-1", "12g", "ab;cd"};

	norm_ok("00:AB:cd", "abcd");
	norm_ok("0", "0");
	norm_ok("0000", "0");
	norm_ok("00:00", "0");
	norm_ok("DEADBEEF", "deadbeef");
	norm_ok("1:0:0", "100"); /* zeros after the first digit are kept */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (serial_hex_normalize(bad[i], out) == 0)
			fail_msg("serial_hex_normalize accepted \"%s\"", bad[i]);
	/* 64 significant digits fit; 65 do not, leading zeros do not count. */
	memset(in, 'f', 64);
	in[64] = '\0';
	norm_ok(in, in);
	snprintf(in, sizeof(in), "000%.*s", 64, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(serial_hex_normalize(in, out), 0);
	assert_int_equal(strlen(out), 64);
	memset(in, 'a', 65);
	in[65] = '\0';
	assert_int_equal(serial_hex_normalize(in, out), -1);
}

/* A string of colons only has no hex digit: it is no serial. */
static void
test_serial_hex_normalize_colons_only(void **state)
{
	char out[SERIAL_HEX_MAX];

	assert_int_equal(serial_hex_normalize(":", out), -1);
	assert_int_equal(serial_hex_normalize(":::", out), -1);
}

static void
int_hex(const unsigned char *be, size_t len, bool negative, int want_rc, const char *want)
{
	BIGNUM *bn = BN_bin2bn(be, (int)len, NULL);
	ASN1_INTEGER *ai;
	char out[SERIAL_HEX_MAX];

	assert_non_null(bn);
	BN_set_negative(bn, negative);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	assert_non_null(ai);
	assert_int_equal(asn1_integer_hex(ai, out), want_rc);
	if (want_rc == 0)
		assert_string_equal(out, want);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
}

static void
test_asn1_integer_hex(void **state)
{
	unsigned char big[33];

	int_hex((const unsigned char *)"", 0, false, 0, "0");
	int_hex((const unsigned char *)"\x00\x0a\xbc", 3, false, 0, "abc");
	int_hex((const unsigned char *)"\x40\x01", 2, false, 0, "4001");
	int_hex((const unsigned char *)"\x05", 1, true, -1, NULL); /* negative */
	memset(big, 0x7f, sizeof(big));
	int_hex(big, 32, false, 0,
	        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
	int_hex(big, 33, false, -1, NULL); /* 66 hex digits do not fit */
}

static X509_NAME *
name_with_cns(int n, const char *o)
{
	X509_NAME *name = X509_NAME_new();

	if (o != NULL)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1,
		                           0);
	for (int i = 0; i < n; i++)
		t_name_add_cn(name, i == 0 ? "dev1" : "dev2", -1);
	return name;
}

static void
test_common_name(void **state)
{
	X509_NAME *name;
	char *cn = (char *)"sentinel";
	int count = -1;

	name = name_with_cns(0, "Example");
	assert_int_equal(x509_name_common_name(name, &cn, &count), 0);
	assert_null(cn);
	assert_int_equal(count, 0);
	X509_NAME_free(name);

	name = name_with_cns(1, "Example");
	assert_int_equal(x509_name_common_name(name, &cn, &count), 0);
	assert_string_equal(cn, "dev1");
	assert_int_equal(count, 1);
	free(cn);
	X509_NAME_free(name);

	name = name_with_cns(2, NULL);
	assert_int_equal(x509_name_common_name(name, &cn, &count), 0);
	assert_string_equal(cn, "dev1"); /* the first one */
	assert_int_equal(count, 2);
	free(cn);
	X509_NAME_free(name);

	/* A CN with an embedded NUL means two things: refused. */
	name = X509_NAME_new();
	t_name_add_cn(name, "good\0evil", 9);
	assert_int_equal(x509_name_common_name(name, &cn, &count), -1);
	assert_null(cn);
	X509_NAME_free(name);
}

static void
test_name_string(void **state)
{
	X509_NAME *name = name_with_cns(1, "Example, Inc");
	char *s = x509_name_string(name);

	/* RFC 2253: last RDN first, ',' escaped. */
	assert_string_equal(s, "CN=dev1,O=Example\\, Inc");
	free(s);
	X509_NAME_free(name);
	name = X509_NAME_new();
	t_name_add_cn(name, "Gr\xc3\xbc\xc3\x9f" "e", -1);
	s = x509_name_string(name);
	assert_string_equal(s, "CN=Gr\xc3\xbc\xc3\x9f" "e"); /* UTF-8 kept, not escaped */
	free(s);
	X509_NAME_free(name);
}

static void
test_der_and_sans(void **state)
{
	EVP_PKEY *k = t_key("EC-P256");
	time_t now = time(NULL);
	X509 *x = t_ca_cert(k, "ca", -1, now, now + 3600), *back;
	X509_EXTENSION *ex;
	X509V3_CTX ctx;
	unsigned char *der = NULL, *longer;
	size_t len = 0;
	char **sans = NULL;

	assert_non_null(x);
	assert_int_equal(x509_der(x, &der, &len), 0);
	back = x509_from_der(der, len);
	assert_non_null(back);
	assert_int_equal(X509_cmp(x, back), 0);
	X509_free(back);
	longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_null(x509_from_der(longer, len + 1)); /* trailing byte */
	assert_null(x509_from_der(der, len - 1));    /* truncated */
	assert_null(x509_from_der(der, 0));
	free(longer);
	OPENSSL_free(der);

	assert_int_equal(x509_san_strings(x, &sans), 0); /* none: an empty list */
	assert_null(sans[0]);
	strv_free(sans);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	                         "DNS:a.example,IP:10.0.0.1,IP:2001:db8::1,email:x@example.com");
	assert_non_null(ex);
	assert_int_equal(X509_add_ext(x, ex, -1), 1);
	X509_EXTENSION_free(ex);
	assert_int_equal(x509_san_strings(x, &sans), 0);
	assert_string_equal(sans[0], "DNS:a.example");
	assert_string_equal(sans[1], "IP:10.0.0.1");
	assert_string_equal(sans[2], "IP:2001:db8::1");
	assert_string_equal(sans[3], "email:x@example.com");
	assert_null(sans[4]);
	strv_free(sans);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_utf8_length(void **state)
{
	assert_int_equal(utf8_length(""), 0);
	assert_int_equal(utf8_length("abc"), 3);
	assert_int_equal(utf8_length("\xc3\xa9"), 1);                 /* é */
	assert_int_equal(utf8_length("\xe6\x97\xa5\xe6\x9c\xac"), 2); /* 日本 */
	assert_int_equal(utf8_length("\xf0\x9f\x98\x80!"), 2);        /* emoji + '!' */
	assert_int_equal(utf8_length("a\xff" "b"), 3);                /* invalid lead byte */
}

/* Stray continuation bytes count as one character each, as the header
 * promises for invalid sequences. */
static void
test_utf8_length_stray_continuation(void **state)
{
	assert_int_equal(utf8_length("\x80"), 1);
	assert_true(utf8_length("a\x80\x80\x80\x80") >= 2);
}

/* The UTF-8 encoding of code point cp followed by a NUL. */
static void
utf8_encode(unsigned long cp, char out[5])
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		o[1] = 0;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		o[2] = 0;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		o[3] = 0;
	} else {
		o[0] = (unsigned char)(0xF0 | cp >> 18);
		o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[3] = (unsigned char)(0x80 | (cp & 0x3F));
		o[4] = 0;
	}
}

/* Whether "req<cp>1" is refused. */
static bool
refused_inside(unsigned long cp)
{
	char c[5], name[16];

	utf8_encode(cp, c);
	snprintf(name, sizeof(name), "req%s1", c);
	return utf8_has_control(name);
}

/* Every invisible or formatting character is refused, at the start, the
 * end or inside a name; the visible characters next to them are not. */
static void
test_utf8_has_control_invisible(void **state)
{
	static const unsigned long ranges[][2] = {
		{0x01, 0x1F},       {0x7F, 0x9F},       {0xAD, 0xAD},       {0x34F, 0x34F},
		{0x61C, 0x61C},     {0x115F, 0x1160},   {0x17B4, 0x17B5},   {0x180B, 0x180F},
		{0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x206F},   {0x3164, 0x3164},
		{0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFFB},
		{0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
	};
	static const unsigned long visible[] = {
		0x20,   0x41,   0x7E,   0xA0,   0xAC,   0xAE,   0xE9,    0x34E,   0x350,
		0x61B,  0x61D,  0x115E, 0x1161, 0x17B3, 0x17B6, 0x180A,  0x1810,  0x200A,
		0x2010, 0x2027, 0x202F, 0x205F, 0x2070, 0x3163, 0x3165,  0xFDFF,  0xFE10,
		0xFEFE, 0xFF00, 0xFF9F, 0xFFA1, 0xFFEF, 0xFFFC, 0x1BC9F, 0x1BCA4, 0x1D172,
		0x1D17B, 0x1F600, 0xDFFFF, 0xE1000,
	};
	char c[5], s[16];

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		for (unsigned long cp = ranges[i][0]; cp <= ranges[i][1]; cp++)
			if (!refused_inside(cp))
				fail_msg("U+%04lX is accepted inside a name", cp);
	for (size_t i = 0; i < sizeof(visible) / sizeof(visible[0]); i++)
		if (refused_inside(visible[i]))
			fail_msg("U+%04lX is refused", visible[i]);
	/* at either end, and the review's look-alikes */
	utf8_encode(0x200B, c);
	snprintf(s, sizeof(s), "%sreq1", c);
	assert_true(utf8_has_control(s));
	snprintf(s, sizeof(s), "req1%s", c);
	assert_true(utf8_has_control(s));
	assert_true(utf8_has_control("x\xe2\x80\x8bzw"));
	assert_true(utf8_has_control("dev\xe2\x80\x8bice"));
	assert_false(utf8_has_control(""));
	assert_false(utf8_has_control("Contoso \xc3\x89" "dge CA \xe6\x97\xa5"));
}

/* Leading or trailing white space of any kind; inside is fine. */
static void
test_utf8_has_outer_space(void **state)
{
	assert_true(utf8_has_outer_space("req1 "));
	assert_true(utf8_has_outer_space(" req1"));
	assert_true(utf8_has_outer_space(" "));
	assert_true(utf8_has_outer_space("req1\xc2\xa0"));     /* no-break space */
	assert_true(utf8_has_outer_space("\xe3\x80\x80req1")); /* ideographic space */
	assert_true(utf8_has_outer_space("req1\xe2\x80\x83")); /* em space */
	assert_false(utf8_has_outer_space("req 1"));
	assert_false(utf8_has_outer_space("Contoso Edge CA"));
	assert_false(utf8_has_outer_space("r"));
	assert_false(utf8_has_outer_space(""));
	assert_false(utf8_has_outer_space("\xc3\xa9"));
}

/* One line of well-formed UTF-8 whatever comes in, cut between
 * characters. */
static void
test_utf8_one_line(void **state)
{
	char out[16];

	utf8_one_line("signer down", out, sizeof(out));
	assert_string_equal(out, "signer down");
	utf8_one_line("a\r\nb\tc\x7f", out, sizeof(out));
	assert_string_equal(out, "a  b c ");
	utf8_one_line("x\xff\xc0\xafy", out, sizeof(out)); /* bad byte, overlong '/' */
	assert_string_equal(out, "x??y");
	utf8_one_line("\xc2\x85\xe2\x80\xa8\xe2\x80\xae!", out, sizeof(out)); /* NEL, LS, RLO */
	assert_string_equal(out, "   !");
	utf8_one_line("\xc3\xa9t\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
	utf8_one_line("abcdefghijklm\xe6\x97\xa5", out, sizeof(out)); /* 13 + 3 bytes: cut before */
	assert_string_equal(out, "abcdefghijklm");
	utf8_one_line("abcdefghijkl\xe6\x97\xa5z", out, sizeof(out));
	assert_string_equal(out, "abcdefghijkl\xe6\x97\xa5");
	utf8_one_line("\xe6\x97", out, sizeof(out)); /* truncated sequence */
	assert_string_equal(out, "??");
	utf8_one_line("anything", out, 1);
	assert_string_equal(out, "");
	utf8_one_line("a\xe2\x80\x8b" "b\xc2\xad" "c", out, sizeof(out)); /* ZWSP, soft hyphen */
	assert_string_equal(out, "a b c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkey_describe),
		cmocka_unit_test(test_serial_hex_normalize),
		cmocka_unit_test(test_serial_hex_normalize_colons_only),
		cmocka_unit_test(test_asn1_integer_hex),
		cmocka_unit_test(test_common_name),
		cmocka_unit_test(test_name_string),
		cmocka_unit_test(test_der_and_sans),
		cmocka_unit_test(test_utf8_length),
		cmocka_unit_test(test_utf8_length_stray_continuation),
		cmocka_unit_test(test_utf8_has_control_invisible),
		cmocka_unit_test(test_utf8_has_outer_space),
		cmocka_unit_test(test_utf8_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
