/* Unit tests of model/ca_settings (ca_create_req_init, ca_settings_resolve):
 * the documented defaults of a root CA and every refusal with its slug. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/ca/ca.h"

#define DAY 86400
static const time_t now = 1800000000; /* fixed: the function is pure */

static void
base(struct ca_create_req *r)
{
	ca_create_req_init(r);
	r->common_name = "Example Root CA";
}

static struct ca *
resolve_ok(const struct ca_create_req *r, time_t *not_after)
{
	struct ca *ca = NULL;
	struct edgeca_msg msg;
	time_t na = 0;

	if (ca_settings_resolve(r, "default", now, &ca, not_after ? not_after : &na, &msg) != EDGECA_OK)
		fail_msg("ca_settings_resolve refused: %s", msg.detail);
	return ca;
}

/* Expects refusal with slug; the detail must name the field. */
static void
refuse(const struct ca_create_req *r, const char *slug, const char *field)
{
	struct ca *ca = (struct ca *)1;
	struct edgeca_msg msg;
	time_t na = 0;

	edgeca_msg_clear(&msg);
	assert_int_equal(ca_settings_resolve(r, "default", now, &ca, &na, &msg), EDGECA_ERR_INVALID);
	assert_null(ca);
	assert_string_equal(msg.type, slug);
	if (strstr(msg.detail, field) == NULL)
		fail_msg("\"%s\" does not name %s", msg.detail, field);
}

static void
test_defaults(void **state)
{
	struct ca_create_req r;
	time_t na = 0;
	struct ca *ca;

	base(&r);
	ca = resolve_ok(&r, &na);
	assert_int_equal(ca->kind, CA_KIND_ROOT);
	assert_string_equal(ca->key_algorithm, "EC-P256");
	assert_int_equal(na, now + 3650 * DAY);
	assert_string_equal(ca->common_name, "Example Root CA");
	assert_string_equal(ca->friendly_name, "Example Root CA");
	assert_null(ca->organization);
	assert_null(ca->country);
	assert_int_equal(ca->lifecycle_action, CA_ACTION_NOTIFY);
	assert_int_equal(ca->threshold_percent, 80);
	assert_non_null(ca->notification_emails);
	assert_null(ca->notification_emails[0]);
	assert_true(ca->crl_enabled);
	assert_int_equal(ca->crl_validity_days, 7);
	assert_int_equal(ca->crl_overlap_hours, 24);
	assert_null(ca->crl_distribution_point);
	assert_string_equal(ca->template, "subordinate_ca");
	assert_string_equal(ca->allowed_templates[0], "subordinate_ca");
	assert_null(ca->allowed_templates[1]);
	assert_int_equal(ca->max_validity_days, 1825);
	assert_int_equal(ca->path_length, -1);
	ca_free(ca);
	ca_free(NULL);
}

static void
test_given_values(void **state)
{
	static const char *const leaf[] = {"client", "ssl"}, *const mixed[] = {"ssl",
	                                                                       "subordinate_ca"};
	static const char *const emails[] = {"ops@example.com", "a.b+c@sub.example.org"};
	struct ca_create_req r;
	time_t na = 0;
	struct ca *ca;

	base(&r);
	r.template = "client"; /* leaf templates only: 365 days by default */
	r.country = "de";
	r.organization = "Example";
	r.key_algorithm = "RSA-3072";
	r.has_not_after = true;
	r.not_after = now + 100 * DAY;
	r.notification_emails = emails;
	r.n_notification_emails = 2;
	r.crl_validity_days = 1;
	r.crl_enabled = 0;
	ca = resolve_ok(&r, &na);
	assert_string_equal(ca->allowed_templates[0], "client");
	assert_null(ca->allowed_templates[1]);
	assert_int_equal(ca->max_validity_days, 365);
	assert_string_equal(ca->country, "DE");
	assert_string_equal(ca->organization, "Example");
	assert_string_equal(ca->key_algorithm, "RSA-3072");
	assert_int_equal(na, now + 100 * DAY);
	assert_string_equal(ca->notification_emails[1], "a.b+c@sub.example.org");
	assert_null(ca->notification_emails[2]);
	assert_false(ca->crl_enabled);
	assert_int_equal(ca->crl_overlap_hours, 6); /* a quarter of a 1-day CRL */
	ca_free(ca);

	base(&r);
	r.template = "ssl";
	r.allowed_templates = leaf;
	r.n_allowed_templates = 2;
	r.path_length = 0; /* fine without a CA template */
	ca = resolve_ok(&r, NULL);
	assert_int_equal(ca->max_validity_days, 365);
	assert_int_equal(ca->path_length, 0);
	ca_free(ca);
	r.allowed_templates = mixed;
	r.path_length = 3;
	r.validity_days = 36500;
	r.crl_overlap_hours = 7 * 24 - 1;
	r.threshold_percent = 99;
	ca = resolve_ok(&r, &na);
	assert_int_equal(ca->max_validity_days, 1825); /* a CA template is allowed */
	assert_int_equal(ca->path_length, 3);
	assert_int_equal(na, now + 36500L * DAY);
	assert_int_equal(ca->crl_overlap_hours, 167);
	ca_free(ca);
}

static void
test_subject_refusals(void **state)
{
	struct ca_create_req r;
	char cn[200];

	base(&r);
	r.common_name = NULL;
	refuse(&r, "missing-field", "common_name");
	r.common_name = "";
	refuse(&r, "invalid-field", "common_name");
	memset(cn, 'x', 65);
	cn[65] = '\0';
	r.common_name = cn;
	refuse(&r, "invalid-field", "common_name");
	cn[64] = '\0';
	ca_free(resolve_ok(&r, NULL));
	cn[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(cn, "\xc3\xa9"); /* 64 characters in 128 bytes */
	ca_free(resolve_ok(&r, NULL));
	r.common_name = "Root\nCA";
	refuse(&r, "invalid-field", "common_name");
	base(&r);
	static const char *const countries[] = {"D", "DEU", "D1", "1E", ""};
	for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++) {
		r.country = countries[i];
		refuse(&r, "invalid-field", "country");
	}
	base(&r);
	r.organization = "";
	refuse(&r, "invalid-field", "organization");
	base(&r);
	r.kind = "intermediate";
	refuse(&r, "invalid-field", "kind");
	base(&r);
	r.key_algorithm = "RSA-1024";
	refuse(&r, "invalid-field", "key_algorithm");
}

static void
test_validity_refusals(void **state)
{
	struct ca_create_req r;

	base(&r);
	r.validity_days = 365;
	r.has_not_after = true;
	r.not_after = now + 365 * DAY;
	refuse(&r, "invalid-field", "not_after");
	base(&r);
	r.validity_days = 0;
	refuse(&r, "invalid-field", "validity_days");
	r.validity_days = 36501;
	refuse(&r, "invalid-field", "validity_days");
	base(&r);
	r.has_not_after = true;
	r.not_after = now - DAY;
	refuse(&r, "invalid-field", "not_after");
	r.not_after = now + 3600; /* at least an hour ahead */
	refuse(&r, "invalid-field", "not_after");
	r.not_after = now + 36501L * DAY;
	refuse(&r, "invalid-field", "not_after");
	r.not_after = now + 3601;
	ca_free(resolve_ok(&r, NULL));
}

static void
test_lifecycle_and_crl_refusals(void **state)
{
	static const char *bad_email[] = {"no-at-sign"};
	static const char *const bad_emails[] = {"no-at-sign", "a@b", "@example.com", "a@",
	                                         "a@@example.com", "a b@example.com",
	                                         "<a@example.com>", "a,b@example.com"};
	static const char *const many[21] = {
		"a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io",
		"a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io",
		"a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io", "a@x.io"};
	static const char *const bad_urls[] = {"http://crl.example/a,b.crl", "http://crl.example/\"x\".crl",
	                                         "ftp://crl.example.com/x.crl", "http://",
	                                       "https://crl.example.com/a b.crl", "crl.example.com",
	                                       "https://crl.example.com/\xc3\xa9"};
	struct ca_create_req r;

	base(&r);
	for (size_t i = 0; i < sizeof(bad_emails) / sizeof(bad_emails[0]); i++) {
		bad_email[0] = bad_emails[i];
		r.notification_emails = bad_email;
		r.n_notification_emails = 1;
		refuse(&r, "invalid-field", "notification_emails[0]");
	}
	base(&r);
	r.notification_emails = many;
	r.n_notification_emails = 21;
	refuse(&r, "invalid-field", "notification_emails");
	r.n_notification_emails = 20;
	ca_free(resolve_ok(&r, NULL));
	base(&r);
	r.lifecycle_action = "auto_renew";
	refuse(&r, "root-auto-renew", "notify");
	r.lifecycle_action = "delete";
	refuse(&r, "invalid-field", "lifecycle.action");
	base(&r);
	r.threshold_percent = 0;
	refuse(&r, "invalid-field", "threshold_percent");
	r.threshold_percent = 100;
	refuse(&r, "invalid-field", "threshold_percent");
	base(&r);
	r.crl_validity_days = 0;
	refuse(&r, "invalid-field", "crl.validity_days");
	r.crl_validity_days = 366;
	refuse(&r, "invalid-field", "crl.validity_days");
	r.crl_validity_days = 2;
	r.crl_overlap_hours = 48; /* the overlap must be shorter than the CRL's life */
	refuse(&r, "invalid-field", "crl.overlap_hours");
	r.crl_overlap_hours = -2;
	refuse(&r, "invalid-field", "crl.overlap_hours");
	r.crl_overlap_hours = 47;
	ca_free(resolve_ok(&r, NULL));
	base(&r);
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		r.crl_distribution_point = bad_urls[i];
		refuse(&r, "invalid-field", "crl.distribution_point");
	}
}

static void
test_issuance_refusals(void **state)
{
	static const char *const dup[] = {"client", "client"};
	static const char *const leaf[] = {"client", "ssl"};
	static const char *const with_server[] = {"client", "tls_server"};
	static const char *const nine[] = {"client", "ssl", "subordinate_ca", "client", "ssl",
	                                   "subordinate_ca", "client", "ssl", "subordinate_ca"};
	struct ca_create_req r;

	base(&r);
	r.template = "server";
	refuse(&r, "invalid-field", "issuance.template");
	r.template = "tls_server"; /* the service CA's own, not selectable */
	refuse(&r, "invalid-field", "issuance.template");
	base(&r);
	r.allowed_templates = leaf; /* default template subordinate_ca is not listed */
	r.n_allowed_templates = 2;
	refuse(&r, "invalid-field", "issuance.allowed_templates");
	r.template = "client";
	r.allowed_templates = dup;
	refuse(&r, "invalid-field", "twice");
	r.allowed_templates = with_server;
	refuse(&r, "invalid-field", "issuance.allowed_templates");
	r.allowed_templates = leaf;
	r.n_allowed_templates = 0;
	refuse(&r, "invalid-field", "issuance.allowed_templates");
	r.allowed_templates = nine;
	r.n_allowed_templates = 9;
	refuse(&r, "invalid-field", "issuance.allowed_templates");
	base(&r);
	r.path_length = 0; /* and the default template is subordinate_ca */
	refuse(&r, "invalid-field", "path_length");
	r.path_length = 17;
	refuse(&r, "invalid-field", "path_length");
	r.path_length = -2;
	refuse(&r, "invalid-field", "path_length");
	base(&r);
	r.max_validity_days = 0;
	refuse(&r, "invalid-field", "max_validity_days");
	r.max_validity_days = 36501;
	refuse(&r, "invalid-field", "max_validity_days");
}

/* Subordinates: ssl by default, validity left to the parent, several
 * locations; what only makes sense for one kind is refused for the other. */
static void
test_subordinate(void **state)
{
	const char *two[] = {"westeurope", "eastus"}, *dup[] = {"eu", "eu"};
	const char *bad_name[] = {"West Europe"}, *edge[] = {"ssl", "iot_edge_ca"};
	struct ca_create_req r;
	struct ca *ca;
	time_t na = 1;

	base(&r);
	r.kind = "subordinate";
	r.locations = two;
	r.n_locations = 2;
	ca = resolve_ok(&r, &na);
	assert_string_equal(ca->template, "ssl");
	assert_int_equal(ca->max_validity_days, 365);
	assert_int_equal(na, 0); /* decided by the parent when chained */
	assert_int_equal(ca->n_locations, 2);
	assert_string_equal(ca->locations[1].name, "eastus");
	assert_int_equal(ca->locations[0].status, LOCATION_PENDING_CHAINING);
	ca_free(ca);
	/* a CA template that is not subordinate_ca does not lengthen the default */
	r.allowed_templates = edge;
	r.n_allowed_templates = 2;
	ca = resolve_ok(&r, &na);
	assert_int_equal(ca->max_validity_days, 365);
	ca_free(ca);

	r.allowed_templates = NULL;
	r.n_allowed_templates = -1;
	r.validity_days = 100; /* an external root decides: refused without a parent */
	refuse(&r, "invalid-field", "validity");
	r.parent_ca_id = "00000000-0000-0000-0000-000000000000";
	ca = resolve_ok(&r, &na);
	assert_true(na > now);
	ca_free(ca);

	base(&r);
	r.parent_ca_id = "00000000-0000-0000-0000-000000000000";
	refuse(&r, "invalid-field", "parent");
	base(&r);
	r.locations = two;
	r.n_locations = 2;
	refuse(&r, "invalid-field", "root");
	base(&r);
	r.kind = "subordinate";
	r.locations = dup;
	r.n_locations = 2;
	refuse(&r, "invalid-field", "twice");
	r.locations = bad_name;
	r.n_locations = 1;
	refuse(&r, "invalid-field", "locations[0]");
	r.n_locations = 0;
	refuse(&r, "invalid-field", "locations");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subordinate),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_given_values),
		cmocka_unit_test(test_subject_refusals),
		cmocka_unit_test(test_validity_refusals),
		cmocka_unit_test(test_lifecycle_and_crl_refusals),
		cmocka_unit_test(test_issuance_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
