/* Unit tests of model/cert/search: the sort keys by name, and the search
 * cursors (round trips, bound to their sort and filter set, refusal of
 * anything the API did not return). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/cert/search.h"

static void
test_sort_names(void **state)
{
	static const struct {
		const char *name;
		enum cert_sort sort;
	} ok[] = {
		{"-issued_at", CERT_SORT_ISSUED_DESC},  {"issued_at", CERT_SORT_ISSUED_ASC},
		{"expires_at", CERT_SORT_EXPIRES_ASC},  {"-expires_at", CERT_SORT_EXPIRES_DESC},
		{"common_name", CERT_SORT_CN_ASC},      {"-common_name", CERT_SORT_CN_DESC},
		{"serial", CERT_SORT_SERIAL_ASC},       {"-serial", CERT_SORT_SERIAL_DESC},
	};
	static const char *const bad[] = {"issued", "+issued_at", "ISSUED_AT", "--serial",
	                                  "serial ", "-", "id", "created_at", "not_after"};
	struct edgeca_msg msg = {0};
	enum cert_sort s;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		s = CERT_SORT_COUNT;
		assert_int_equal(cert_search_sort_parse(ok[i].name, &s, &msg), EDGECA_OK);
		assert_int_equal(s, ok[i].sort);
	}
	/* none or empty: newest first */
	s = CERT_SORT_COUNT;
	assert_int_equal(cert_search_sort_parse(NULL, &s, &msg), EDGECA_OK);
	assert_int_equal(s, CERT_SORT_ISSUED_DESC);
	assert_int_equal(cert_search_sort_parse("", &s, &msg), EDGECA_OK);
	assert_int_equal(s, CERT_SORT_ISSUED_DESC);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&msg, 0, sizeof(msg));
		assert_int_equal(cert_search_sort_parse(bad[i], &s, &msg), EDGECA_ERR_MALFORMED);
		assert_string_equal(msg.type, "invalid-parameter");
		assert_non_null(strstr(msg.detail, "sort"));
	}
}

static void
test_cursor_round_trip(void **state)
{
	static const long long ids[] = {1, 42, 999999, 1000000000000LL, LLONG_MAX};
	char c[CERT_SEARCH_CURSOR_MAX];
	struct edgeca_msg msg = {0};
	long long back;

	(void)state;
	for (int s = 0; s < CERT_SORT_COUNT; s++)
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			cert_search_cursor_encode((enum cert_sort)s, 0xdeadbeefu, ids[i], c);
			assert_true(strlen(c) > 0 && strlen(c) < CERT_SEARCH_CURSOR_MAX);
			assert_int_equal(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			                           "0123456789-_"), strlen(c));
			back = -1;
			assert_int_equal(cert_search_cursor_decode(c, (enum cert_sort)s, 0xdeadbeefu,
			                                           &back, &msg), EDGECA_OK);
			assert_true(back == ids[i]);
		}
	/* base64url("s1:4:77:00000001"), computed independently */
	cert_search_cursor_encode(CERT_SORT_CN_ASC, 1, 77, c);
	assert_string_equal(c, "czE6NDo3NzowMDAwMDAwMQ");
	back = -1;
	assert_int_equal(cert_search_cursor_decode(NULL, CERT_SORT_CN_ASC, 1, &back, &msg),
	                 EDGECA_OK);
	assert_int_equal(back, 0);
	back = -1;
	assert_int_equal(cert_search_cursor_decode("", CERT_SORT_CN_ASC, 1, &back, &msg),
	                 EDGECA_OK);
	assert_int_equal(back, 0);
}

static void
refused(const char *cursor, enum cert_sort sort, uint32_t filters)
{
	struct edgeca_msg msg = {0};
	long long back = -1;

	assert_int_equal(cert_search_cursor_decode(cursor, sort, filters, &back, &msg),
	                 EDGECA_ERR_MALFORMED);
	assert_string_equal(msg.type, "invalid-cursor");
	assert_non_null(strstr(msg.detail, "cursor"));
	assert_int_equal(back, 0);
}

/* base64url of a plain text, for cursors the API never made */
static void
refused_plain(const char *plain)
{
	char *c = base64url_encode((const unsigned char *)plain, strlen(plain));

	assert_non_null(c);
	refused(c, CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	free(c);
}

static void
test_cursor_refused(void **state)
{
	char c[CERT_SEARCH_CURSOR_MAX], shorter[CERT_SEARCH_CURSOR_MAX];
	char huge[200];

	(void)state;
	cert_search_cursor_encode(CERT_SORT_ISSUED_DESC, 0x1234abcdu, 77, c);
	/* another sort, another filter set */
	refused(c, CERT_SORT_ISSUED_ASC, 0x1234abcdu);
	refused(c, CERT_SORT_SERIAL_DESC, 0x1234abcdu);
	refused(c, CERT_SORT_ISSUED_DESC, 0x1234abceu);
	/* truncated, by any number of characters */
	for (int cut = 1; cut < (int)strlen(c); cut++) {
		snprintf(shorter, sizeof(shorter), "%.*s", (int)strlen(c) - cut, c);
		refused(shorter, CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	}
	refused_plain("s1:0:12:1234abcd:");
	refused_plain("s1:0:12:1234abc");
	refused_plain("s1:0:12:1234abcd0");
	refused_plain("s1:1:12:1234abcd"); /* another sort */
	refused_plain("s1:0:12:1234abce"); /* other filters */
	/* garbage, not base64url, too long */
	refused("!!!!", CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	refused("bm90LWEtY3Vyc29y", CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	refused(huge, CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	/* the per-CA list's cursor ("v1:<id>") is not a search cursor */
	refused("djE6NDI", CERT_SORT_ISSUED_DESC, 0x1234abcdu);
	/* well formed but no row id: zero, negative, signs, overflow, junk */
	refused_plain("s1:0:0:1234abcd");
	refused_plain("s1:0:-5:1234abcd");
	refused_plain("s1:0:+5:1234abcd");
	refused_plain("s1:0::1234abcd");
	refused_plain("s1:0:99999999999999999999:1234abcd");
	refused_plain("s1:0:12x:1234abcd");
	refused_plain("s1:0:12:1234ABCD");
	refused_plain("s2:0:12:1234abcd");
}

static void
test_filter_hash(void **state)
{
	const char *one[] = {"0b0b7e46-36f1-4b5e-9a7c-3c0f4c1d2e3f"};
	struct cert_search_filter a = {0}, b = {0};

	(void)state;
	assert_int_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	b.cn_prefix = "dev";
	assert_int_not_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	a.cn_prefix = "dev";
	assert_int_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	/* the same text in another filter is another filter set */
	a.cn_prefix = NULL;
	a.san = "dev";
	assert_int_not_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	/* an empty prefix is not the absent one */
	b = (struct cert_search_filter){0};
	a = (struct cert_search_filter){0};
	b.template_name = "";
	assert_int_not_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	b = (struct cert_search_filter){0};
	b.ca_ids = one;
	b.n_ca_ids = 1;
	assert_int_not_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
	b = (struct cert_search_filter){0};
	b.has_expires_before = true;
	b.expires_before = 0;
	assert_int_not_equal(cert_search_filter_hash(&a), cert_search_filter_hash(&b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_names),
		cmocka_unit_test(test_cursor_round_trip),
		cmocka_unit_test(test_cursor_refused),
		cmocka_unit_test(test_filter_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
