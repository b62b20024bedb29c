/* Unit tests of common/name_rules: the pattern language, CIDR ranges, the
 * checks of each list's items and the strict text form the signer keeps
 * in every key's policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/name_rules.h"

static struct name_rules *
rules_of(const char *text)
{
	struct name_rules *r = NULL;
	struct edgeca_msg msg = {0};

	if (name_rules_parse(text, &r, &msg) != EDGECA_OK)
		fail_msg("name_rules_parse(%s): %s", text, msg.detail);
	return r;
}

static void
test_pattern_match(void **state)
{
	static const struct {
		const char *pattern, *name;
		bool match;
	} cases[] = {
		/* '*' is one or more characters of one label */
		{"*.devices.contoso.com", "a.devices.contoso.com", true},
		{"*.devices.contoso.com", "sensor-17.devices.contoso.com", true},
		{"*.devices.contoso.com", "a.b.devices.contoso.com", false},
		{"*.devices.contoso.com", "devices.contoso.com", false},
		{"*.devices.contoso.com", ".devices.contoso.com", false},
		{"*.devices.contoso.com", "a.devices.contoso.com.evil.com", false},
		{"*.devices.contoso.com", "a.devices.contoso.co", false},
		{"dev-*", "dev-1", true},
		{"dev-*", "dev-", false},
		{"dev-*", "dev-1.x", false},
		{"dev-*", "xdev-1", false},
		{"*-edge", "plant4-edge", true},
		{"*-edge", "-edge", false},
		{"a*b*c", "abc", false},
		{"a*b*c", "axbyc", true},
		{"a*b*c", "axbbbyyc", true},
		{"a*b*c", "axbycx", false},
		{"*", "x", true},
		{"*", "", false},
		{"*", "x.y", false},
		{"*.*", "x.y", true},
		/* ASCII letters in any case; other characters as they are */
		{"*.Devices.CONTOSO.com", "A.devices.contoso.COM", true},
		{"plant:*@line-2", "plant:7@line-2", true},
		{"plant:*@line-2", "plant:7@line-3", false},
		{"192.0.2.*", "192.0.2.10", true},
		{"exact.example", "exact.example", true},
		{"exact.example", "exact.example.", false},
		/* a wildcard name only under a '*' label of the pattern */
		{"*.corp.example.com", "*.corp.example.com", true},
		{"a*.corp.example.com", "*.corp.example.com", false},
		{"www.corp.example.com", "*.corp.example.com", false},
		{"*.example.com", "*.corp.example.com", false},
		{"*", "*", true},
		{"f*", "f*", false},
		{"*.x.com", "f*.x.com", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (name_pattern_match(cases[i].pattern, cases[i].name) != cases[i].match)
			fail_msg("\"%s\" against \"%s\": expected %s", cases[i].pattern, cases[i].name,
			         cases[i].match ? "a match" : "none");
}

/* A reference matcher written the slow, obvious way: '*' takes one or
 * more characters other than '.'. */
static bool
ref_match(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*') {
		for (const char *t = s; *t != '\0' && *t != '.'; t++)
			if (ref_match(p + 1, t + 1))
				return true;
		return false;
	}
	return *s != '\0' && *s == *p && ref_match(p + 1, s + 1);
}

static void
test_pattern_match_like_reference(void **state)
{
	static const char alphabet[] = "ab.*";
	char p[9], s[9];
	unsigned seed = 7;

	/* random short patterns and names over a tiny alphabet hit every
	 * corner; names get no '*' (wildcard names have their own rule) */
	for (int n = 0; n < 200000; n++) {
		size_t pl = 1 + (size_t)(rand_r(&seed) % 8), sl = (size_t)(rand_r(&seed) % 9);
		for (size_t i = 0; i < pl; i++)
			p[i] = alphabet[rand_r(&seed) % 4];
		for (size_t i = 0; i < sl; i++)
			s[i] = alphabet[rand_r(&seed) % 3];
		p[pl] = s[sl] = '\0';
		if (name_pattern_match(p, s) != ref_match(p, s))
			fail_msg("\"%s\" against \"%s\": %d, the reference says %d", p, s,
			         name_pattern_match(p, s), ref_match(p, s));
	}
}

static bool
allow_ip(const struct name_rules *r, const char *text)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		return name_rules_allow_ip(r, a, 4);
	assert_int_equal(inet_pton(AF_INET6, text, a), 1);
	return name_rules_allow_ip(r, a, 16);
}

static void
test_ip_ranges(void **state)
{
	struct name_rules *r = rules_of("ip_ranges=10.20.0.0/16,192.0.2.7/32,172.16.0.0/12,"
	                                "2001:db8:aa00::/40,fd00::/8");

	assert_true(allow_ip(r, "10.20.0.0"));
	assert_true(allow_ip(r, "10.20.255.255"));
	assert_false(allow_ip(r, "10.21.0.1"));
	assert_false(allow_ip(r, "10.0.0.1"));
	assert_true(allow_ip(r, "192.0.2.7"));
	assert_false(allow_ip(r, "192.0.2.8"));
	assert_true(allow_ip(r, "172.31.255.255")); /* /12: 172.16 .. 172.31 */
	assert_false(allow_ip(r, "172.32.0.0"));
	assert_false(allow_ip(r, "172.15.255.255"));
	assert_true(allow_ip(r, "2001:db8:aaff::1"));
	assert_false(allow_ip(r, "2001:db8:ab00::1"));
	assert_true(allow_ip(r, "fdff::1"));
	assert_false(allow_ip(r, "fe80::1"));
	/* an IPv4 address is no IPv6 one, mapped or not */
	assert_false(allow_ip(r, "::ffff:10.20.0.1"));
	{
		unsigned char odd[5] = {10, 20, 0, 1, 0};
		assert_false(name_rules_allow_ip(r, odd, 5));
	}
	name_rules_free(r);
	r = rules_of("ip_ranges=0.0.0.0/0");
	assert_true(allow_ip(r, "203.0.113.9"));
	assert_false(allow_ip(r, "::1"));
	name_rules_free(r);
	r = rules_of("ip_ranges=");
	assert_false(allow_ip(r, "10.20.0.1")); /* an empty list allows none */
	assert_true(name_rules_allow_dns(r, "anything.example")); /* absent: anything */
	name_rules_free(r);
}

static void
test_items_checked(void **state)
{
	static const struct {
		enum name_rule_list k;
		const char *item;
		bool ok;
	} cases[] = {
		{NR_SUBJECT_ATTRIBUTES, "CN", true},
		{NR_SUBJECT_ATTRIBUTES, "serialNumber", true},
		{NR_SUBJECT_ATTRIBUTES, "emailAddress", true},
		{NR_SUBJECT_ATTRIBUTES, "organizationIdentifier", true},
		{NR_SUBJECT_ATTRIBUTES, "cn", false},        /* short names as they are */
		{NR_SUBJECT_ATTRIBUTES, "commonName", false}, /* the long name */
		{NR_SUBJECT_ATTRIBUTES, "businessCategory", false}, /* CSRs may not carry it */
		{NR_SUBJECT_ATTRIBUTES, "2.5.4.3", false},
		{NR_COMMON_NAME, "dev-*", true},
		{NR_COMMON_NAME, "plant:*@line-2", true},
		{NR_COMMON_NAME, "aziot-edge CA *", false}, /* no spaces */
		{NR_COMMON_NAME, "a..b", false},
		{NR_COMMON_NAME, ".a", false},
		{NR_COMMON_NAME, "a,b", false},
		{NR_COMMON_NAME, "", false},
		{NR_DNS_NAMES, "*.devices.contoso.com", true},
		{NR_DNS_NAMES, "host_1.example", true},
		{NR_DNS_NAMES, "a.b.", false},
		{NR_DNS_NAMES, "user@example.com", false},
		{NR_DNS_NAMES, "caf\xc3\xa9.example", false},
		{NR_IP_RANGES, "10.0.0.0/8", true},
		{NR_IP_RANGES, "2001:DB8::/32", true},
		{NR_IP_RANGES, "10.0.0.1/8", false}, /* host bits */
		{NR_IP_RANGES, "10.0.0.0/33", false},
		{NR_IP_RANGES, "10.0.0.0/08", false},
		{NR_IP_RANGES, "10.0.0.0", false}, /* the prefix is required */
		{NR_IP_RANGES, "10.0.0/8", false},
		{NR_IP_RANGES, "::/129", false},
		{NR_IP_RANGES, "example.com/8", false},
	};
	char long_dns[300], long_cn[70];
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct name_rules *r = name_rules_new();
		const char *items[2] = {"CN", cases[i].item};
		size_t at = cases[i].k == NR_SUBJECT_ATTRIBUTES && strcmp(cases[i].item, "CN") != 0;
		edgeca_err rc;

		edgeca_msg_clear(&msg);
		rc = name_rules_set(r, cases[i].k, items + (at ? 0 : 1), at + 1, "issuance.x", &msg);
		if ((rc == EDGECA_OK) != cases[i].ok)
			fail_msg("%s in list %d: %s", cases[i].item, cases[i].k,
			         rc == EDGECA_OK ? "accepted" : msg.detail);
		if (!cases[i].ok) {
			char where[32];
			snprintf(where, sizeof(where), "issuance.x[%zu]", at);
			assert_int_equal(rc, EDGECA_ERR_INVALID);
			assert_string_equal(msg.type, "invalid-field");
			assert_non_null(strstr(msg.detail, where));
		}
		name_rules_free(r);
	}
	/* lengths: DNS patterns up to 253, CN patterns up to 64 */
	for (int n = 253; n <= 254; n++) {
		struct name_rules *r = name_rules_new();
		const char *item = long_dns;
		for (int i = 0; i < n; i++)
			long_dns[i] = i % 50 == 49 ? '.' : 'a';
		long_dns[n] = '\0';
		assert_int_equal(name_rules_set(r, NR_DNS_NAMES, &item, 1, "d", &msg),
		                 n == 253 ? EDGECA_OK : EDGECA_ERR_INVALID);
		name_rules_free(r);
	}
	for (int n = 64; n <= 65; n++) {
		struct name_rules *r = name_rules_new();
		const char *item = long_cn;
		memset(long_cn, 'c', (size_t)n);
		long_cn[n] = '\0';
		assert_int_equal(name_rules_set(r, NR_COMMON_NAME, &item, 1, "c", &msg),
		                 n == 64 ? EDGECA_OK : EDGECA_ERR_INVALID);
		name_rules_free(r);
	}
}

static void
test_lists_checked(void **state)
{
	const char *items[NAME_RULES_MAX_ITEMS + 1];
	char names[NAME_RULES_MAX_ITEMS + 1][16];
	struct name_rules *r = name_rules_new();
	struct edgeca_msg msg = {0};

	for (int i = 0; i <= NAME_RULES_MAX_ITEMS; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d.example", i);
		items[i] = names[i];
	}
	assert_int_equal(name_rules_set(r, NR_DNS_NAMES, items, NAME_RULES_MAX_ITEMS + 1, "w", &msg),
	                 EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, "at most 32"));
	name_rules_free(r);
	r = name_rules_new();
	assert_int_equal(name_rules_set(r, NR_DNS_NAMES, items, NAME_RULES_MAX_ITEMS, "w", &msg),
	                 EDGECA_OK);
	assert_int_equal(name_rules_count(r, NR_DNS_NAMES), NAME_RULES_MAX_ITEMS);
	name_rules_free(r);
	/* the same item twice, also in another case or spelling */
	{
		const char *dup_dns[] = {"A.example", "b.example", "a.EXAMPLE"};
		const char *dup_ip[] = {"2001:db8::/32", "2001:0db8:0::/32"};
		r = name_rules_new();
		assert_int_equal(name_rules_set(r, NR_DNS_NAMES, dup_dns, 3, "w", &msg),
		                 EDGECA_ERR_INVALID);
		assert_non_null(strstr(msg.detail, "w[2] repeats w[0]"));
		assert_int_equal(name_rules_set(r, NR_IP_RANGES, dup_ip, 2, "v", &msg),
		                 EDGECA_ERR_INVALID);
		name_rules_free(r);
	}
}

static void
test_text_form(void **state)
{
	const char *attrs[] = {"CN", "O"}, *cn[] = {"Dev-*", "gateway"},
	           *ip[] = {"2001:DB8:0::/48", "10.0.0.0/8"};
	struct name_rules *r = name_rules_new(), *back = NULL, *copy;
	struct edgeca_msg msg = {0};
	char *text, *again;

	assert_true(name_rules_empty(r));
	assert_int_equal(name_rules_set(r, NR_SUBJECT_ATTRIBUTES, attrs, 2, "a", &msg), EDGECA_OK);
	assert_int_equal(name_rules_set(r, NR_COMMON_NAME, cn, 2, "c", &msg), EDGECA_OK);
	assert_int_equal(name_rules_set(r, NR_DNS_NAMES, NULL, 0, "d", &msg), EDGECA_OK);
	assert_int_equal(name_rules_set(r, NR_IP_RANGES, ip, 2, "i", &msg), EDGECA_OK);
	assert_false(name_rules_empty(r));
	text = name_rules_text(r);
	assert_string_equal(text, "subject_attributes=CN,O;common_name=dev-*,gateway;dns_names=;"
	                          "ip_ranges=2001:db8::/48,10.0.0.0/8");
	assert_int_equal(name_rules_parse(text, &back, &msg), EDGECA_OK);
	again = name_rules_text(back);
	assert_string_equal(again, text);
	assert_true(name_rules_has(back, NR_DNS_NAMES));
	assert_int_equal(name_rules_count(back, NR_DNS_NAMES), 0);
	assert_false(name_rules_allow_dns(back, "dev-1"));
	assert_true(name_rules_allow_cn(back, "DEV-1"));
	assert_false(name_rules_allow_attribute(back, "OU"));
	copy = name_rules_dup(back);
	free(again);
	again = name_rules_text(copy);
	assert_string_equal(again, text);
	free(again);
	free(text);
	name_rules_free(copy);
	name_rules_free(back);
	name_rules_free(r);
	assert_null(name_rules_text(NULL));
	assert_true(name_rules_allow_cn(NULL, "anything"));
}

static void
test_text_refused(void **state)
{
	static const char *const bad[] = {
		"",
		";",
		"dns_names",
		"dns_names=a.example;",
		"dns_names=a.example,",
		"dns_names=,a.example",
		"dns_names=a.example,,b.example",
		"dns_names= a.example",
		"DNS_NAMES=a.example",
		"names=a.example",
		"dns_names=a.example;dns_names=b.example",
		"ip_ranges=10.0.0.0/8;dns_names=a.example", /* out of order */
		"common_name=a=b",
		"subject_attributes=CN,CN",
		"ip_ranges=10.0.0.1/8",
		"dns_names=a.example\n",
	};
	char big[NAME_RULES_MAX_TEXT + 16];
	struct name_rules *r = (struct name_rules *)1;
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		edgeca_msg_clear(&msg);
		if (name_rules_parse(bad[i], &r, &msg) != EDGECA_ERR_INVALID)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_string_equal(msg.type, "policy-invalid");
		assert_null(r);
	}
	/* over the size limit, and over 32 items */
	snprintf(big, sizeof(big), "common_name=");
	while (strlen(big) < NAME_RULES_MAX_TEXT)
		strcat(big, "x,");
	strcat(big, "x");
	assert_int_equal(name_rules_parse(big, &r, &msg), EDGECA_ERR_INVALID);
	snprintf(big, sizeof(big), "common_name=a");
	for (int i = 0; i < NAME_RULES_MAX_ITEMS; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), ",a%d", i);
	assert_int_equal(name_rules_parse(big, &r, &msg), EDGECA_ERR_INVALID);
	assert_non_null(strstr(msg.detail, "32"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_pattern_match_like_reference),
		cmocka_unit_test(test_ip_ranges),
		cmocka_unit_test(test_items_checked),
		cmocka_unit_test(test_lists_checked),
		cmocka_unit_test(test_text_form),
		cmocka_unit_test(test_text_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
