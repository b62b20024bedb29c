/* Unit tests of the states and kinds edgeca keeps as enums: each name
 * pair parses back what it names, refuses names it does not know (also
 * near misses and NULL) and leaves the output alone when it refuses. The
 * names are the ones of the schema's CHECK constraints and the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/ca/ca.h"
#include "model/cert/certificate.h"
#include "model/lifecycle/lifecycle.h"
#include "tests/support/certs.h"

/* One enum's pair, seen through int so one test walks them all. */
struct pair {
	const char *what;
	const char *(*name)(int v);
	bool (*parse)(const char *s, int *out);
	const char *const *names; /* in enum order, NULL-terminated */
};

#define WRAP(prefix, type)                                                         \
	static const char *prefix##_name_int(int v) { return prefix##_name((type)v); } \
	static bool prefix##_parse_int(const char *s, int *out)                      \
	{                                                                            \
		type v = (type)*out;                                                 \
		bool ok = prefix##_parse(s, &v);                                     \
		*out = (int)v;                                                       \
		return ok;                                                           \
	}

WRAP(ca_kind, enum ca_kind)
WRAP(ca_status, enum ca_status)
WRAP(ca_location_status, enum ca_location_status)
WRAP(ca_chaining, enum ca_chaining)
WRAP(cert_status, enum cert_status)
WRAP(ca_lifecycle_action, enum ca_lifecycle_action)
WRAP(notification_kind, enum notification_kind)
WRAP(delivery_channel, enum delivery_channel)
WRAP(delivery_state, enum delivery_state)

static const char *const kinds[] = {"root", "subordinate", NULL};
static const char *const ca_statuses[] = {"active", "pending_chaining", "disabled", "revoked",
                                          NULL};
static const char *const location_statuses[] = {"active", "pending_chaining", "revoked", NULL};
static const char *const chainings[] = {"self", "internal", "external", "pending", NULL};
static const char *const cert_statuses[] = {"valid", "revoked", "issuer_revoked", "expired",
                                            NULL};

static const char *const actions[] = {"notify", "auto_renew", NULL};
static const char *const notification_kinds[] = {
	"threshold_reached", "reminder_90", "reminder_95", "reminder_99", "expired", "renewed",
	"renewal_failed", "renewal_requested", "crl_generation_failed", "issuance_shortened", NULL};
static const char *const channels[] = {"email", "webhook", NULL};
static const char *const delivery_states[] = {"pending", "sending", "delivered", "failed",
                                              "not_configured", NULL};

static const struct pair pairs[] = {
	{"ca_kind", ca_kind_name_int, ca_kind_parse_int, kinds},
	{"ca_status", ca_status_name_int, ca_status_parse_int, ca_statuses},
	{"ca_location_status", ca_location_status_name_int, ca_location_status_parse_int,
	 location_statuses},
	{"ca_chaining", ca_chaining_name_int, ca_chaining_parse_int, chainings},
	{"cert_status", cert_status_name_int, cert_status_parse_int, cert_statuses},
	{"ca_lifecycle_action", ca_lifecycle_action_name_int, ca_lifecycle_action_parse_int,
	 actions},
	{"notification_kind", notification_kind_name_int, notification_kind_parse_int,
	 notification_kinds},
	{"delivery_channel", delivery_channel_name_int, delivery_channel_parse_int, channels},
	{"delivery_state", delivery_state_name_int, delivery_state_parse_int, delivery_states},
};

static void
test_round_trip(void **state)
{
	(void)state;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		for (int v = 0; pairs[p].names[v] != NULL; v++) {
			int back = -1;

			if (strcmp(pairs[p].name(v), pairs[p].names[v]) != 0)
				fail_msg("%s: %d is named %s, not %s", pairs[p].what, v,
				         pairs[p].name(v), pairs[p].names[v]);
			if (!pairs[p].parse(pairs[p].names[v], &back) || back != v)
				fail_msg("%s: %s parses to %d, not %d", pairs[p].what,
				         pairs[p].names[v], back, v);
		}
	}
	/* the enums' first values are the schema's defaults and the ones
	 * code compares against: pinned, not just consistent */
	assert_int_equal(CA_STATUS_ACTIVE, 0);
	assert_string_equal(ca_status_name(CA_STATUS_REVOKED), "revoked");
	assert_string_equal(ca_location_status_name(LOCATION_PENDING_CHAINING), "pending_chaining");
	assert_string_equal(ca_chaining_name(CA_CHAINING_EXTERNAL), "external");
	assert_string_equal(cert_status_name(CERT_ISSUER_REVOKED), "issuer_revoked");
	assert_int_equal(CA_ACTION_NOTIFY, 0);
	assert_string_equal(ca_lifecycle_action_name(CA_ACTION_AUTO_RENEW), "auto_renew");
	assert_string_equal(notification_kind_name(NOTIFY_CRL_GENERATION_FAILED),
	                    "crl_generation_failed");
	assert_string_equal(delivery_channel_name(CHANNEL_WEBHOOK), "webhook");
	assert_string_equal(delivery_state_name(DELIVERY_NOT_CONFIGURED), "not_configured");
}

static void
test_unknown_refused(void **state)
{
	static const char *const unknown[] = {"", "Active", "active ", "revoke", "valid\n",
	                                      "unknown", "intermediate", "none", "self-signed",
	                                      "reminder_", "reminder_80", "sms", "auto-renew",
	                                      "Email"};
	(void)state;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		int out = 1234;

		for (size_t u = 0; u < sizeof(unknown) / sizeof(unknown[0]); u++) {
			bool known = false;
			for (int v = 0; pairs[p].names[v] != NULL; v++)
				known = known || strcmp(pairs[p].names[v], unknown[u]) == 0;
			if (known)
				continue;
			if (pairs[p].parse(unknown[u], &out) || out != 1234)
				fail_msg("%s: \"%s\" was accepted", pairs[p].what, unknown[u]);
		}
		assert_false(pairs[p].parse(NULL, &out));
		assert_int_equal(out, 1234);
	}
}

static void
test_name_outside_enum(void **state)
{
	(void)state;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		int n = 0;
		while (pairs[p].names[n] != NULL)
			n++;
		assert_string_equal(pairs[p].name(n), "unknown");
		assert_string_equal(pairs[p].name(-1), "unknown");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unknown_refused),
		cmocka_unit_test(test_name_outside_enum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
