/* Unit tests of model/email: the address form every stored address must
 * have, and the recipient merge (order kept, duplicates by ASCII case
 * dropped, either side empty). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/x509util.h"
#include "common/email.h"

static void
test_valid_forms(void **state)
{
	char longest[256];

	(void)state;
	assert_true(email_valid("pki@example.com"));
	assert_true(email_valid("PKI.Team+ca@sub.example.org"));
	assert_false(email_valid(""));
	assert_false(email_valid("pki"));
	assert_false(email_valid("@example.com"));
	assert_false(email_valid("pki@"));
	assert_false(email_valid("pki@localhost"));
	assert_false(email_valid("a@b@example.com"));
	assert_false(email_valid("two words@example.com"));
	assert_false(email_valid("pki@example.com\r\nBcc: x@example.com"));
	assert_false(email_valid("a,b@example.com"));
	assert_false(email_valid("<pki@example.com>"));
	assert_false(email_valid("\"pki\"@example.com"));
	/* 254 bytes at most */
	memset(longest, 'a', sizeof(longest));
	memcpy(longest + 254 - 12, "@example.com", 13);
	assert_true(email_valid(longest));
	memset(longest, 'a', sizeof(longest));
	memcpy(longest + 255 - 12, "@example.com", 13);
	assert_false(email_valid(longest));
}

static void
expect(char **got, const char *const *want)
{
	size_t n = 0;

	assert_non_null(got);
	for (; want[n] != NULL; n++) {
		assert_non_null(got[n]);
		assert_string_equal(got[n], want[n]);
	}
	assert_null(got[n]);
	strv_free(got);
}

static void
test_merge(void **state)
{
	char *ca[] = {"pki@example.com", "ops@example.com", "PKI@example.com", NULL};
	char *admins[] = {"Admin@Example.org", "ops@EXAMPLE.com", "admin@example.org",
	                  "second@example.org", NULL};
	char *none[] = {NULL};
	static const char *const both[] = {"pki@example.com", "ops@example.com",
	                                   "Admin@Example.org", "second@example.org", NULL};
	static const char *const ca_only[] = {"pki@example.com", "ops@example.com", NULL};
	static const char *const admins_only[] = {"Admin@Example.org", "ops@EXAMPLE.com",
	                                          "second@example.org", NULL};
	static const char *const empty[] = {NULL};

	(void)state;
	expect(email_recipients_merge(ca, admins), both);
	expect(email_recipients_merge(ca, NULL), ca_only);
	expect(email_recipients_merge(none, admins), admins_only);
	expect(email_recipients_merge(NULL, admins), admins_only);
	expect(email_recipients_merge(NULL, NULL), empty);
	expect(email_recipients_merge(none, none), empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_forms),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
