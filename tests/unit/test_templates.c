/* Unit tests of signer/templates: the template table, template masks
 * ("client,ssl" <-> bits) and the dNSName check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "signer/proto/templates.h"

static void
test_table(void **state)
{
	const struct tpl_def *t;

	for (int i = 0; i < TPL_COUNT_; i++) {
		t = tpl_get((enum tpl_id)i);
		assert_non_null(t);
		assert_int_equal(t->id, i);
		assert_ptr_equal(tpl_by_name(t->name), t);
	}
	assert_null(tpl_get(TPL_COUNT_));
	assert_null(tpl_get((enum tpl_id)-1));
	assert_null(tpl_by_name("Client"));
	assert_null(tpl_by_name(""));
	t = tpl_by_name("client");
	assert_false(t->is_ca);
	assert_string_equal(t->eku, "clientAuth");
	assert_false(t->copy_sans);
	t = tpl_by_name("ssl");
	assert_true(t->copy_sans && t->cn_as_dns);
	assert_true(tpl_by_name("subordinate_ca")->is_ca);
	assert_false(tpl_by_name("tls_server")->user_selectable); /* service CA only */
}

static void
test_mask_parse(void **state)
{
	static const char *const bad[] = {
		"", "unknown", "client,unknown", "client,client", "ssl,client,ssl", "client,",
		",client", "client,,ssl", ",", "client ", " client", "CLIENT", "client;ssl",
		"a_very_long_name_that_is_no_template_at_all",
	};
	unsigned mask = 0xdead;

	assert_int_equal(tpl_mask_parse("client", &mask), 0);
	assert_int_equal(mask, 1u << TPL_CLIENT);
	assert_int_equal(tpl_mask_parse("ssl,client", &mask), 0);
	assert_int_equal(mask, (1u << TPL_CLIENT) | (1u << TPL_SSL));
	assert_int_equal(tpl_mask_parse("client,ssl,subordinate_ca,tls_server,iot_edge_ca,"
	                                "dps_verification,ocsp_responder", &mask), 0);
	assert_int_equal(mask, (1u << TPL_COUNT_) - 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tpl_mask_parse(bad[i], &mask) == 0)
			fail_msg("tpl_mask_parse accepted \"%s\"", bad[i]);
}

static void
test_mask_format(void **state)
{
	char out[128];
	unsigned back = 0;
	unsigned all = (1u << TPL_COUNT_) - 1;

	assert_int_equal(tpl_mask_format((1u << TPL_SSL) | (1u << TPL_CLIENT), out, sizeof(out)), 0);
	assert_string_equal(out, "client,ssl");
	assert_int_equal(tpl_mask_format(0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Every mask survives format then parse. */
	for (unsigned m = 1; m <= all; m++) {
		assert_int_equal(tpl_mask_format(m, out, sizeof(out)), 0);
		assert_int_equal(tpl_mask_parse(out, &back), 0);
		assert_int_equal(back, m);
	}
	/* Too small a buffer is reported, not overrun. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(tpl_mask_format(all, out, 10), -1);
	assert_int_equal(out[10], 'x');
	assert_int_equal(tpl_mask_format(1u << TPL_CLIENT, out, 7), 0);
	assert_int_equal(tpl_mask_format(1u << TPL_CLIENT, out, 6), -1);
}

static void
test_mask_has_ca(void **state)
{
	assert_false(tpl_mask_has_ca(0));
	assert_false(tpl_mask_has_ca((1u << TPL_CLIENT) | (1u << TPL_SSL) | (1u << TPL_TLS_SERVER)));
	assert_true(tpl_mask_has_ca(1u << TPL_SUBORDINATE_CA));
	assert_true(tpl_mask_has_ca((1u << TPL_CLIENT) | (1u << TPL_SUBORDINATE_CA)));
}

static void
test_dns_name_valid(void **state)
{
	static const char *const good[] = {
		"a", "example.com", "dev-01.example.com", "device_42", "123", "10.0.0.1",
		"xn--bcher-kva.example",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", /* 63 */
	};
	static const char *const bad[] = {
		"", ".", ".example.com", "example.com.", "a..b", "host name", "a:b", "::1",
		"*.example.com", "b\xc3\xbc" "cher.example", "a/b", "a@b",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", /* 64 */
	};
	char longname[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!dns_name_valid(good[i]))
			fail_msg("dns_name_valid refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dns_name_valid(bad[i]))
			fail_msg("dns_name_valid accepted \"%s\"", bad[i]);
	/* 253 characters in all is the limit: 63 labels of "abc". */
	longname[0] = '\0';
	for (int i = 0; i < 63; i++)
		strcat(longname, i ? ".abc" : "abc");
	assert_int_equal(strlen(longname), 251);
	assert_true(dns_name_valid(longname));
	strcat(longname, "ab");
	assert_true(dns_name_valid(longname));
	strcat(longname, "c");
	assert_false(dns_name_valid(longname));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_mask_parse),
		cmocka_unit_test(test_mask_format),
		cmocka_unit_test(test_mask_has_ca),
		cmocka_unit_test(test_dns_name_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
