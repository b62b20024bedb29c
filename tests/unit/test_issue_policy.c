/* Unit tests of model/issue_policy: which templates each role gets over
 * REST (a CA certificate only by a pki_admin's deliberate request, never
 * by a CA's default template), the subject of an IoT Edge CA request, the
 * issuing location, and the path length edgeca asks for when it chains a
 * subordinate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/cert/issue_policy.h"
#include "tests/support/certs.h"

/* A CA of id, default template tpl, allowed templates allowed (NULL-
 * terminated), one location of status loc_status: enough for the rules. */
struct test_ca {
	struct ca ca;
	struct ca_location loc;
	char *allowed[8];
};

static void
make_ca(struct test_ca *t, const char *tpl, const char *const *allowed, const char *loc_status)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ca.id, sizeof(t->ca.id), "2b1f5876-73f0-4518-af2d-d81abd34d2bd");
	t->ca.status = CA_STATUS_ACTIVE;
	snprintf(t->ca.template, sizeof(t->ca.template), "%s", tpl);
	for (int i = 0; allowed[i] != NULL && i < 7; i++)
		t->allowed[i] = (char *)allowed[i];
	t->ca.allowed_templates = t->allowed;
	t->ca.path_length = -1;
	snprintf(t->loc.name, sizeof(t->loc.name), "default");
	assert_true(ca_location_status_parse(loc_status, &t->loc.status));
	t->ca.locations = &t->loc;
	t->ca.n_locations = 1;
}

/* The rule's answer for role asking for tpl (NULL: the default); *slug
 * receives the problem type. */
static edgeca_err
rule(enum role role, const struct test_ca *t, const char *tpl, const char **name,
     struct edgeca_msg *msg)
{
	const struct tpl_def *def = (const struct tpl_def *)1;
	edgeca_err rc;

	edgeca_msg_clear(msg);
	rc = issue_template_rule(role, &t->ca, tpl, &def, msg);
	if (rc != EDGECA_OK)
		assert_null(def);
	*name = def ? def->name : NULL;
	return rc;
}

/* A root created with defaults has subordinate_ca as its default and only
 * template: a requester gets no CA certificate from it, asked for or not,
 * and nor does a pki_admin through issuance. */
static void
test_default_root(void **state)
{
	static const char *const allowed[] = {"subordinate_ca", NULL};
	struct edgeca_msg msg;
	struct test_ca t;
	const char *name;

	(void)state;
	make_ca(&t, "subordinate_ca", allowed, "active");
	assert_int_equal(rule(ROLE_REQUESTER, &t, NULL, &name, &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_string_equal(msg.type, "ca-certificate-forbidden");
	assert_non_null(strstr(msg.detail, "default template subordinate_ca"));
	assert_int_equal(rule(ROLE_REQUESTER, &t, "subordinate_ca", &name, &msg),
	                 EDGECA_ERR_NOT_PERMITTED);
	assert_string_equal(msg.type, "ca-certificate-forbidden");
	assert_int_equal(rule(ROLE_AUDITOR, &t, NULL, &name, &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_int_equal(rule(ROLE_PKI_ADMIN, &t, NULL, &name, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "subordinate-ca-not-issued-here");
	assert_non_null(strstr(msg.detail, "/subordinate-certificates"));
	assert_int_equal(rule(ROLE_PKI_ADMIN, &t, "subordinate_ca", &name, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "subordinate-ca-not-issued-here");
	/* a device template the root does not allow */
	assert_int_equal(rule(ROLE_REQUESTER, &t, "client", &name, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "template-not-allowed");
}

/* An issuing CA for IoT Edge fleets: devices for requesters, the Edge CA
 * template only for a pki_admin; a CA template is refused to a requester
 * even where the CA's policy does not list it. */
static void
test_edge_fleet_ca(void **state)
{
	static const char *const allowed[] = {"client", "iot_edge_ca", NULL};
	struct edgeca_msg msg;
	struct test_ca t;
	const char *name;

	(void)state;
	make_ca(&t, "client", allowed, "active");
	assert_int_equal(rule(ROLE_REQUESTER, &t, NULL, &name, &msg), EDGECA_OK);
	assert_string_equal(name, "client");
	assert_int_equal(rule(ROLE_REQUESTER, &t, "client", &name, &msg), EDGECA_OK);
	assert_int_equal(rule(ROLE_REQUESTER, &t, "iot_edge_ca", &name, &msg),
	                 EDGECA_ERR_NOT_PERMITTED);
	assert_string_equal(msg.type, "ca-certificate-forbidden");
	assert_int_equal(rule(ROLE_REQUESTER, &t, "subordinate_ca", &name, &msg),
	                 EDGECA_ERR_NOT_PERMITTED);
	assert_int_equal(rule(ROLE_PKI_ADMIN, &t, "iot_edge_ca", &name, &msg), EDGECA_OK);
	assert_string_equal(name, "iot_edge_ca");
	assert_int_equal(rule(ROLE_PKI_ADMIN, &t, "subordinate_ca", &name, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "template-not-allowed");
	/* templates users never choose, and unknown ones */
	assert_int_equal(rule(ROLE_PKI_ADMIN, &t, "dps_verification", &name, &msg),
	                 EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "template-not-allowed");
	assert_int_equal(rule(ROLE_REQUESTER, &t, "tls_server", &name, &msg), EDGECA_ERR_INVALID);
	assert_int_equal(rule(ROLE_REQUESTER, &t, "CLIENT", &name, &msg), EDGECA_ERR_INVALID);
	/* the CA's default decides when the request names none */
	make_ca(&t, "iot_edge_ca", allowed, "active");
	assert_int_equal(rule(ROLE_REQUESTER, &t, NULL, &name, &msg), EDGECA_ERR_NOT_PERMITTED);
	assert_string_equal(msg.type, "ca-certificate-forbidden");
}

static edgeca_err
edge_subject(const char *const *attrs, char device[ISSUE_DEVICE_ID_BYTES],
             struct edgeca_msg *msg)
{
	X509_NAME *n = X509_NAME_new();
	edgeca_err rc;

	/* attrs: "type", "value" pairs */
	for (int i = 0; attrs[i] != NULL; i += 2)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, attrs[i], MBSTRING_UTF8,
		                                            (const unsigned char *)attrs[i + 1], -1,
		                                            -1, 0),
		                 1);
	edgeca_msg_clear(msg);
	rc = issue_edge_ca_subject(n, device, msg);
	X509_NAME_free(n);
	return rc;
}

static void
test_edge_ca_subject(void **state)
{
	static const char *const good[] = {"CN", "aziot-edge CA edge-device-001", NULL};
	static const char *const not_ca[] = {"CN", "Totally Not A CA", NULL};
	static const char *const no_id[] = {"CN", "aziot-edge CA ", NULL};
	static const char *const no_space[] = {"CN", "aziot-edge CAedge-1", NULL};
	static const char *const extra[] = {"O", "Contoso", "CN", "aziot-edge CA edge-1", NULL};
	static const char *const two_cns[] = {"CN", "aziot-edge CA a", "CN", "aziot-edge CA b",
	                                      NULL};
	static const char *const no_cn[] = {"O", "aziot-edge CA edge-1", NULL};
	const char *const *bad[] = {not_ca, no_id, no_space, extra, two_cns, no_cn, NULL};
	char device[ISSUE_DEVICE_ID_BYTES];
	struct edgeca_msg msg;

	(void)state;
	assert_int_equal(edge_subject(good, device, &msg), EDGECA_OK);
	assert_string_equal(device, "edge-device-001");
	for (int i = 0; bad[i] != NULL; i++) {
		assert_int_equal(edge_subject(bad[i], device, &msg), EDGECA_ERR_INVALID);
		assert_string_equal(msg.type, "iot-edge-ca-subject");
		assert_string_equal(device, "");
	}
}

static void
test_issue_location(void **state)
{
	static const char *const allowed[] = {"client", NULL};
	const struct ca_location *loc;
	struct edgeca_msg msg;
	struct test_ca t;

	(void)state;
	make_ca(&t, "client", allowed, "active");
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_OK);
	assert_ptr_equal(loc, &t.loc);
	assert_int_equal(issue_location(&t.ca, "default", &loc, &msg), EDGECA_OK);
	assert_int_equal(issue_location(&t.ca, "elsewhere", &loc, &msg), EDGECA_ERR_INVALID);
	assert_string_equal(msg.type, "location-not-active");
	assert_null(loc);
	make_ca(&t, "client", allowed, "revoked");
	assert_int_equal(issue_location(&t.ca, "default", &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "location-revoked");
	t.ca.status = CA_STATUS_REVOKED;
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-revoked");
	make_ca(&t, "client", allowed, "pending_chaining");
	t.ca.status = CA_STATUS_PENDING_CHAINING;
	assert_int_equal(issue_location(&t.ca, NULL, &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-not-active");
	/* a disabled CA with an active location issues nothing, by its own slug */
	make_ca(&t, "client", allowed, "active");
	t.ca.status = CA_STATUS_DISABLED;
	assert_int_equal(issue_location(&t.ca, "default", &loc, &msg), EDGECA_ERR_CONFLICT);
	assert_string_equal(msg.type, "ca-disabled");
	assert_null(loc);
}

/* A subordinate that may sign no CA template gets pathlen 0 from its
 * parent; one that may keeps the most the parent allows; a path_length
 * given at creation is what it asked for. */
static void
test_child_path_length(void **state)
{
	static const char *const client[] = {"client", NULL};
	static const char *const devices[] = {"client", "ssl", NULL};
	static const char *const edge[] = {"client", "iot_edge_ca", NULL};
	static const char *const sub[] = {"subordinate_ca", NULL};
	struct test_ca t;

	(void)state;
	make_ca(&t, "client", client, "active");
	assert_int_equal(ca_child_path_length(&t.ca), 0);
	make_ca(&t, "ssl", devices, "active");
	assert_int_equal(ca_child_path_length(&t.ca), 0);
	make_ca(&t, "client", edge, "active");
	assert_int_equal(ca_child_path_length(&t.ca), -1);
	make_ca(&t, "subordinate_ca", sub, "active");
	assert_int_equal(ca_child_path_length(&t.ca), -1);
	t.ca.path_length = 2;
	assert_int_equal(ca_child_path_length(&t.ca), 2);
	make_ca(&t, "client", client, "active");
	t.ca.path_length = 0;
	assert_int_equal(ca_child_path_length(&t.ca), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_root),
		cmocka_unit_test(test_edge_fleet_ca),
		cmocka_unit_test(test_edge_ca_subject),
		cmocka_unit_test(test_issue_location),
		cmocka_unit_test(test_child_path_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
