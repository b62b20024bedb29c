/* Unit tests of the name rules a signer key carries in its policy: what
 * issue_certificate refuses under them (subject attributes, CN, the DNS
 * and IP names it writes, the ssl template's CN among them) and what it
 * leaves alone (CA templates, DPS verification, keys without rules), how
 * the rules survive a reload, and that a key whose rules were edited in
 * its metadata file, or dropped from it, does not load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "common/x509util.h"
#include "signer/daemon/issue.h"
#include "tests/support/certs.h"

#define DAY 86400
#define B(t) (1u << (t))
#define RULES "subject_attributes=CN,O;common_name=*.devices.contoso.com,gw-*;" \
              "dns_names=*.devices.contoso.com;ip_ranges=10.20.0.0/16,2001:db8::/32"

static char *dir;
static struct keystore *ks;
static struct signer_key *ruled;   /* client, ssl, subordinate_ca, with RULES */
static struct signer_key *unruled; /* the same policy without rules */
static EVP_PKEY *dev_key;
static time_t t0;

static struct signer_key *
new_key(const char *text)
{
	struct signer_policy p = {B(TPL_CLIENT) | B(TPL_SSL) | B(TPL_SUBORDINATE_CA), 365, -1, NULL, "", NULL};
	struct signer_key *k = NULL;
	struct edgeca_msg msg;
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (text != NULL && name_rules_parse(text, &p.names, &msg) != EDGECA_OK)
		fail_msg("name_rules_parse: %s", msg.detail);
	if (keystore_create(ks, "EC-P256", &p, &k, &msg) != EDGECA_OK)
		fail_msg("keystore_create: %s", msg.detail);
	name_rules_free(p.names); /* the key keeps its own copy */
	t_name_add_cn(n, "Names Root", -1);
	assert_int_equal(issue_self_signed(ks, k, n, t0 + 3650 * DAY, t0, &x, &msg), EDGECA_OK);
	X509_free(x);
	X509_NAME_free(n);
	return k;
}

static int
setup(void **state)
{
	struct edgeca_msg msg;

	t0 = time(NULL);
	dir = t_tmpdir();
	dev_key = t_key("EC-P256");
	if (dir == NULL || dev_key == NULL || keystore_open(dir, NULL, 100, &ks, &msg) != EDGECA_OK)
		return -1;
	ruled = new_key(RULES);
	unruled = new_key(NULL);
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(dev_key);
	keystore_free(ks);
	t_rmtree(dir);
	return 0;
}

/* A CSR for dev_key with subject attributes attrs ("O=Contoso", the CN
 * last) and SANs sans (openssl syntax, or NULL). */
static X509_REQ *
csr(const char *cn, const char *attrs, const char *sans)
{
	X509_REQ *req = t_csr(dev_key, NULL, sans, NULL);
	X509_NAME *n = X509_REQ_get_subject_name(req);
	char buf[128], *save = NULL;

	if (attrs != NULL) {
		snprintf(buf, sizeof(buf), "%s", attrs);
		for (char *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(a, '=');
			*eq = '\0';
			assert_int_equal(X509_NAME_add_entry_by_txt(n, a, MBSTRING_UTF8,
			                                            (unsigned char *)eq + 1, -1, -1, 0),
			                 1);
		}
	}
	assert_int_equal(t_name_add_cn(n, cn, -1), 1);
	assert_true(X509_REQ_sign(req, dev_key, EVP_sha256()) > 0);
	return req;
}

/* issue_certificate of req (freed) by k under tpl: want, and slug and a
 * detail naming what when given. */
static void
issue(struct signer_key *k, enum tpl_id tpl, X509_REQ *req, edgeca_err want, const char *slug,
      const char *what)
{
	struct issue_params ip = {.tpl = tpl_get(tpl), .not_after = t0 + DAY, .path_length = -1};
	struct edgeca_msg msg;
	X509 *x = NULL;

	edgeca_msg_clear(&msg);
	assert_non_null(req);
	if (issue_certificate(ks, k, &ip, req, t0, &x, &msg) != want)
		fail_msg("expected %d, got: %s", want, msg.detail);
	if (slug != NULL)
		assert_string_equal(msg.type, slug);
	if (what != NULL && strstr(msg.detail, what) == NULL)
		fail_msg("\"%s\" does not name %s", msg.detail, what);
	assert_true(want == EDGECA_OK ? x != NULL : x == NULL);
	X509_free(x);
	X509_REQ_free(req);
}

#define REFUSED EDGECA_ERR_NOT_PERMITTED, "name-not-allowed"

static void
test_allowed_names_issue(void **state)
{
	issue(ruled, TPL_CLIENT, csr("s1.devices.contoso.com", "O=Contoso", NULL), EDGECA_OK, NULL,
	      NULL);
	issue(ruled, TPL_CLIENT, csr("GW-Plant4", NULL, NULL), EDGECA_OK, NULL, NULL);
	issue(ruled, TPL_SSL,
	      csr("s1.devices.contoso.com", NULL,
	          "DNS:s2.devices.contoso.com,IP:10.20.3.4,IP:2001:db8::5"),
	      EDGECA_OK, NULL, NULL);
	/* the client template writes no SANs: the CSR's are not looked at */
	issue(ruled, TPL_CLIENT, csr("gw-1", NULL, "DNS:login.microsoftonline.com,IP:10.0.0.1"),
	      EDGECA_OK, NULL, NULL);
}

static void
test_refused_names(void **state)
{
	issue(ruled, TPL_CLIENT, csr("dev2", NULL, NULL), REFUSED, "dev2");
	issue(ruled, TPL_CLIENT, csr("a.b.devices.contoso.com", NULL, NULL), REFUSED,
	      "a.b.devices.contoso.com");
	issue(ruled, TPL_CLIENT, csr("s1.devices.contoso.com", "OU=PKI Administrators", NULL),
	      REFUSED, "OU");
	issue(ruled, TPL_CLIENT, csr("s1.devices.contoso.com", "C=US,O=Contoso", NULL), REFUSED,
	      "C attribute");
	issue(ruled, TPL_SSL,
	      csr("s1.devices.contoso.com", NULL, "DNS:login.microsoftonline.com"), REFUSED,
	      "login.microsoftonline.com");
	issue(ruled, TPL_SSL, csr("s1.devices.contoso.com", NULL, "DNS:*.corp.example.com"),
	      REFUSED, "*.corp.example.com");
	issue(ruled, TPL_SSL, csr("s1.devices.contoso.com", NULL, "IP:10.0.0.1"), REFUSED,
	      "10.0.0.1");
	issue(ruled, TPL_SSL, csr("s1.devices.contoso.com", NULL, "IP:2001:db9::1"), REFUSED,
	      "2001:db9::1");
	/* a wildcard under the pattern's own wildcard label stands for names
	 * the rules allow; one label up does not */
	issue(ruled, TPL_SSL, csr("s1.devices.contoso.com", NULL, "DNS:*.devices.contoso.com"),
	      EDGECA_OK, NULL, NULL);
	issue(ruled, TPL_SSL, csr("s1.devices.contoso.com", NULL, "DNS:*.contoso.com"), REFUSED,
	      "*.contoso.com");
}

/* The ssl template writes the CN as the first DNS SAN: a CN that the
 * common_name patterns allow but dns_names do not is refused there, and
 * issued under client, which writes no SAN. */
static void
test_cn_written_as_san(void **state)
{
	issue(ruled, TPL_SSL, csr("gw-plant4", NULL, NULL), REFUSED, "DNS name gw-plant4");
	issue(ruled, TPL_CLIENT, csr("gw-plant4", NULL, NULL), EDGECA_OK, NULL, NULL);
}

/* Only the leaf templates are bound: CA certificates come from CA flows
 * (and a DPS verification certificate carries a code and the CA's key). */
static void
test_other_templates_unbound(void **state)
{
	issue(ruled, TPL_SUBORDINATE_CA, csr("Plant Issuing CA", "C=US", NULL), EDGECA_OK, NULL,
	      NULL);
	issue(ruled, TPL_DPS_VERIFICATION, csr("4E8B3F0A1C2D", NULL, NULL), EDGECA_OK, NULL, NULL);
	/* and a key without rules issues what the CSR checks accept */
	issue(unruled, TPL_SSL,
	      csr("dev2", "C=US,O=Contoso Corp,OU=PKI Administrators",
	          "DNS:login.microsoftonline.com,IP:10.0.0.1"),
	      EDGECA_OK, NULL, NULL);
}

/* Replaces the first from in text by to (NULL: from removed). */
static char *
edited(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = calloc(1, strlen(text) + (to ? strlen(to) : 0) + 1);

	assert_non_null(at);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to ? to : "", at + strlen(from));
	return out;
}

/* Loads key id from its record rec into a store opened afresh (another
 * signer); want, and the rules' text. */
static char *
reload(const char *id, const struct buf *rec, edgeca_err want)
{
	struct keystore *again = NULL;
	struct signer_key *k = NULL;
	struct edgeca_msg msg = {0};
	char *text = NULL;

	assert_int_equal(keystore_open(dir, NULL, 100, &again, &msg), EDGECA_OK);
	assert_int_equal(keystore_load(again, id, rec->data, rec->len, &msg), want);
	if (want != EDGECA_OK) {
		assert_string_equal(msg.type, "key-record-damaged");
	} else {
		assert_int_equal(keystore_get(again, id, &k, &msg), EDGECA_OK);
		if (k->policy.names != NULL)
			text = name_rules_text(k->policy.names);
	}
	keystore_free(again);
	return text;
}

/* rec with the metadata text replaced by meta, its length fixed up: a
 * well-formed record whose clear part was edited. */
static void
record_with_meta(const struct buf *rec, const char *meta, struct buf *out)
{
	/* "ESKR", format, KEK id, version, nonce, then the metadata length */
	const size_t head = 4 + 1 + 8 + 4 + 12 + 4;
	size_t old = (size_t)rec->data[head - 4] << 24 | (size_t)rec->data[head - 3] << 16 |
	             (size_t)rec->data[head - 2] << 8 | rec->data[head - 1];
	size_t n = strlen(meta);
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
	                        (unsigned char)(n >> 8), (unsigned char)n};

	out->len = 0;
	assert_int_equal(buf_append(out, rec->data, head - 4), 0);
	assert_int_equal(buf_append(out, len, 4), 0);
	assert_int_equal(buf_append(out, meta, n), 0);
	assert_int_equal(buf_append(out, rec->data + head + old, rec->len - head - old), 0);
}

static void
test_rules_kept_and_tamper_evident(void **state)
{
	static const char *const edits[][2] = {
		/* widened, and taken away altogether */
		{"dns_names=*.devices.contoso.com", "dns_names=*"},
		{"ip_ranges=10.20.0.0/16", "ip_ranges=0.0.0.0/0"},
		{";common_name=*.devices.contoso.com,gw-*", ""},
		{"name_rules " RULES "\n", ""},
	};
	struct buf rec = {0}, plain = {0}, bad = {0};
	struct edgeca_msg msg = {0};
	uint32_t version;
	char *meta, *text;
	const unsigned char *at;

	assert_int_equal(keystore_seal(ks, ruled, &rec, &version, &msg), EDGECA_OK);
	assert_int_equal(keystore_seal(ks, unruled, &plain, &version, &msg), EDGECA_OK);
	text = reload(ruled->id, &rec, EDGECA_OK);
	assert_string_equal(text, RULES);
	free(text);
	assert_null(reload(unruled->id, &plain, EDGECA_OK));
	/* a key without rules keeps the metadata form of keys made before
	 * rules existed */
	assert_null(memmem(plain.data, plain.len, "name_rules", 10));
	/* the rules in clear in the record, edited: refused */
	at = memmem(rec.data, rec.len, "edgeca-signer-key 1\n", 20);
	assert_non_null(at);
	meta = strndup((const char *)at, (size_t)((const unsigned char *)memmem(
	                                             at, rec.len - (size_t)(at - rec.data),
	                                             "\nhmac ", 6) - at) + 6 + 64 + 1);
	assert_non_null(meta);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *edit = edited(meta, edits[i][0], edits[i][1]);
		record_with_meta(&rec, edit, &bad);
		assert_null(reload(ruled->id, &bad, EDGECA_ERR_INVALID));
		free(edit);
	}
	record_with_meta(&rec, meta, &bad); /* the same text: taken */
	text = reload(ruled->id, &bad, EDGECA_OK);
	assert_string_equal(text, RULES);
	free(text);
	free(meta);
	buf_free(&rec);
	buf_free(&plain);
	buf_free(&bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_names_issue),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_cn_written_as_san),
		cmocka_unit_test(test_other_templates_unbound),
		cmocka_unit_test(test_rules_kept_and_tamper_evident),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
