/* Unit tests of est_verify_cert (model/est_auth): a TLS client certificate
 * checked against EST trust anchors at a fixed time, with partial chains,
 * validity, extended and plain key usage, and borrowed arguments. Every
 * certificate is made here with OpenSSL; nothing depends on the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/est/internal/auth.h"
#include "tests/support/certs.h"

#define NOW ((time_t)1800000000)
#define DAY 86400
#define YEAR (365 * DAY)

/* Validity a chain certificate has unless a test says otherwise. */
#define NB (NOW - YEAR)
#define NA (NOW + 5 * YEAR)

struct pki {
	EVP_PKEY *root_key, *int_key, *leaf_key, *other_key;
	X509 *root;  /* self-signed, CA:TRUE */
	X509 *inter; /* CA:TRUE, pathlen:0, issued by root */
};

/* A certificate for k with CN cn, issued by issuer (names and authority
 * key identifier) but signed with sign_key, so a test can forge one.
 * issuer NULL: self-signed. bc, ku and eku are openssl config values or
 * NULL for no such extension. */
static X509 *
mk_cert(EVP_PKEY *k, const char *cn, X509 *issuer, EVP_PKEY *sign_key, time_t nb, time_t na,
        const char *bc, const char *ku, const char *eku)
{
	static long serial = 1000;
	struct {
		int nid;
		const char *val;
	} ext[] = {
		{NID_basic_constraints, bc},
		{NID_key_usage, ku},
		{NID_ext_key_usage, eku},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
	};
	X509 *x = X509_new();
	X509V3_CTX ctx;
	int ok;

	ok = x != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1 &&
	     t_name_add_cn(X509_get_subject_name(x), cn, -1) == 1 &&
	     X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) == 1 &&
	     X509_set_pubkey(x, k) == 1 && ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL &&
	     ASN1_TIME_set(X509_getm_notAfter(x), na) != NULL;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	for (size_t i = 0; ok && i < sizeof(ext) / sizeof(ext[0]); i++) {
		X509_EXTENSION *ex;
		if (ext[i].val == NULL)
			continue;
		ex = X509V3_EXT_conf_nid(NULL, &ctx, ext[i].nid, ext[i].val);
		ok = ex != NULL && X509_add_ext(x, ex, -1) == 1;
		X509_EXTENSION_free(ex);
	}
	if (!ok || X509_sign(x, sign_key, t_md_for(sign_key)) <= 0) {
		X509_free(x);
		fail_msg("mk_cert: cannot make \"%s\"", cn);
	}
	return x;
}

/* An end-entity client certificate of the test's leaf key issued by
 * issuer/ikey with the default validity. */
static X509 *
mk_leaf(struct pki *p, X509 *issuer, EVP_PKEY *ikey, const char *ku, const char *eku)
{
	return mk_cert(p->leaf_key, "device-1", issuer, ikey, NB, NA, "critical,CA:FALSE", ku, eku);
}

static X509 *
mk_inter(struct pki *p, time_t nb, time_t na, const char *eku)
{
	return mk_cert(p->int_key, "Test Issuing CA", p->root, p->root_key, nb, na,
	               "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", eku);
}

/* A stack holding borrowed pointers (freed with sk_X509_free): if the
 * function under test freed or kept any, ASan or LSan would say so. */
static STACK_OF(X509) *
stack_of(X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	assert_non_null(sk);
	if (a != NULL)
		assert_true(sk_X509_push(sk, a) > 0);
	if (b != NULL)
		assert_true(sk_X509_push(sk, b) > 0);
	return sk;
}

/* est_verify_cert at now must answer want; a refusal must carry the EST
 * client certificate problem type and a reason containing needle. */
static void
check_at(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors, time_t now,
         edgeca_err want, const char *needle)
{
	struct edgeca_msg msg;
	edgeca_err rc;

	memset(&msg, 0, sizeof(msg));
	rc = est_verify_cert(leaf, untrusted, anchors, now, &msg);
	if (rc != want)
		fail_msg("est_verify_cert: got %d, want %d (%s)", rc, want, msg.detail);
	if (want == EDGECA_OK)
		return;
	assert_string_equal(msg.type, "est-client-certificate");
	if (msg.detail[0] == '\0' || strstr(msg.detail, needle) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", msg.detail, needle);
}

static void
check(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors, edgeca_err want,
      const char *needle)
{
	check_at(leaf, untrusted, anchors, NOW, want, needle);
}

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	*state = p;
	p->root_key = t_key("EC-P256");
	p->int_key = t_key("EC-P256");
	p->leaf_key = t_key("EC-P256");
	p->other_key = t_key("EC-P256");
	if (!p->root_key || !p->int_key || !p->leaf_key || !p->other_key)
		return -1;
	p->root = mk_cert(p->root_key, "Test Root CA", NULL, p->root_key, NB, NA, "critical,CA:TRUE",
	                  "critical,keyCertSign,cRLSign", NULL);
	p->inter = mk_inter(p, NB, NA, NULL);
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;

	X509_free(p->root);
	X509_free(p->inter);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->int_key);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->other_key);
	free(p);
	return 0;
}

/* ---- chains -------------------------------------------------------------- */

/* A leaf the anchor issued verifies, with or without an (empty or NULL)
 * untrusted stack. */
static void
test_leaf_of_root_anchor(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->root, p->root_key, NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(p->root, NULL), *empty = stack_of(NULL, NULL);

	check(leaf, NULL, anchors, EDGECA_OK, NULL);
	check(leaf, empty, anchors, EDGECA_OK, NULL);
	sk_X509_free(empty);
	sk_X509_free(anchors);
	X509_free(leaf);
}

/* Partial chain: the intermediate is the anchor and the root is nowhere,
 * as when the CA's own (subordinate) certificate is the trust anchor. */
static void
test_intermediate_anchor_partial_chain(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(p->inter, NULL);

	check(leaf, NULL, anchors, EDGECA_OK, NULL);
	sk_X509_free(anchors);
	X509_free(leaf);
}

/* The intermediate sent by the client links the leaf to the root anchor;
 * without it, and with the intermediate no anchor, there is no path. An
 * anchor elsewhere in the list still counts. */
static void
test_intermediate_untrusted(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	X509 *stranger = mk_cert(p->other_key, "Unrelated CA", NULL, p->other_key, NB, NA,
	                         "critical,CA:TRUE", NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(p->root, NULL), *untrusted = stack_of(p->inter, NULL);
	STACK_OF(X509) *two = stack_of(stranger, p->root);

	check(leaf, untrusted, anchors, EDGECA_OK, NULL);
	check(leaf, untrusted, two, EDGECA_OK, NULL);
	check(leaf, NULL, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(leaf, NULL, two, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	sk_X509_free(two);
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	X509_free(stranger);
	X509_free(leaf);
}

/* A root the client sends along is not trusted for being self-signed. */
static void
test_untrusted_root_not_an_anchor(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	X509 *self = mk_cert(p->leaf_key, "device-1", NULL, p->leaf_key, NB, NA, "critical,CA:FALSE",
	                     NULL, NULL);
	X509 *stranger = mk_cert(p->other_key, "Unrelated CA", NULL, p->other_key, NB, NA,
	                         "critical,CA:TRUE", NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(stranger, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, p->root);

	check(leaf, untrusted, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(self, NULL, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	X509_free(stranger);
	X509_free(self);
	X509_free(leaf);
}

/* A leaf naming the anchor as issuer but signed by another key is refused:
 * whether it copies the anchor's key identifier (found, bad signature) or
 * comes from a look-alike CA of the same name (no issuer found). */
static void
test_forged_issuer(void **state)
{
	struct pki *p = *state;
	X509 *forged = mk_leaf(p, p->root, p->other_key, NULL, NULL);
	X509 *twin = mk_cert(p->other_key, "Test Root CA", NULL, p->other_key, NB, NA,
	                     "critical,CA:TRUE", "critical,keyCertSign,cRLSign", NULL);
	X509 *by_twin = mk_leaf(p, twin, p->other_key, NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(p->root, NULL), *untrusted = stack_of(twin, NULL);

	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(forged), X509_get_subject_name(p->root)),
	                 0);
	check(forged, NULL, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(by_twin, NULL, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(by_twin, untrusted, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	X509_free(by_twin);
	X509_free(twin);
	X509_free(forged);
}

/* An end-entity certificate cannot issue: not as an untrusted link, nor
 * as an anchor (partial chains do not waive basicConstraints). */
static void
test_non_ca_issuer(void **state)
{
	struct pki *p = *state;
	X509 *ee = mk_cert(p->int_key, "not a CA", p->root, p->root_key, NB, NA, "critical,CA:FALSE",
	                   NULL, NULL);
	X509 *leaf = mk_leaf(p, ee, p->int_key, NULL, NULL);
	STACK_OF(X509) *root = stack_of(p->root, NULL), *ee_anchor = stack_of(ee, NULL);
	STACK_OF(X509) *untrusted = stack_of(ee, NULL);

	check(leaf, untrusted, root, EDGECA_ERR_UNAUTHENTICATED, "is not a CA certificate");
	check(leaf, NULL, ee_anchor, EDGECA_ERR_UNAUTHENTICATED, "is not a CA certificate");
	sk_X509_free(untrusted);
	sk_X509_free(ee_anchor);
	sk_X509_free(root);
	X509_free(leaf);
	X509_free(ee);
}

/* ---- validity -------------------------------------------------------------- */

/* The leaf's own window. OpenSSL (X509_cmp_time) takes notBefore as
 * inclusive but notAfter as exclusive: at notAfter itself the certificate
 * is already expired, a second earlier than RFC 5280 4.1.2.5 says. */
static void
test_leaf_validity(void **state)
{
	struct pki *p = *state;
	const time_t nb = NOW - DAY, na = NOW + DAY;
	X509 *leaf = mk_cert(p->leaf_key, "device-1", p->root, p->root_key, nb, na,
	                     "critical,CA:FALSE", NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(p->root, NULL);

	check_at(leaf, NULL, anchors, NOW, EDGECA_OK, NULL);
	check_at(leaf, NULL, anchors, nb, EDGECA_OK, NULL);
	check_at(leaf, NULL, anchors, na - 1, EDGECA_OK, NULL);
	check_at(leaf, NULL, anchors, nb - 1, EDGECA_ERR_UNAUTHENTICATED, "not valid yet");
	check_at(leaf, NULL, anchors, na, EDGECA_ERR_UNAUTHENTICATED, "expired");
	check_at(leaf, NULL, anchors, na + 1, EDGECA_ERR_UNAUTHENTICATED, "expired");
	sk_X509_free(anchors);
	X509_free(leaf);
}

/* OpenSSL checks the validity of every certificate of the chain, the
 * intermediate the client sent and the trust anchor alike (also with
 * partial chains): an expired or not yet valid one refuses a leaf that is
 * itself within validity. The reason then names the chain, not the
 * client certificate. */
static void
test_chain_validity(void **state)
{
	struct pki *p = *state;
	X509 *old_int = mk_inter(p, NOW - 2 * YEAR, NOW - DAY, NULL);
	X509 *new_int = mk_inter(p, NOW + DAY, NOW + 2 * YEAR, NULL);
	X509 *old_root = mk_cert(p->root_key, "Test Root CA", NULL, p->root_key, NOW - 2 * YEAR,
	                         NOW - DAY, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", NULL);
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	X509 *root_leaf = mk_leaf(p, p->root, p->root_key, NULL, NULL);
	STACK_OF(X509) *root = stack_of(p->root, NULL), *expired_root = stack_of(old_root, NULL);
	STACK_OF(X509) *untrusted_old = stack_of(old_int, NULL);
	STACK_OF(X509) *untrusted_new = stack_of(new_int, NULL);

	/* expired or future intermediate in the client's chain */
	check(leaf, untrusted_old, root, EDGECA_ERR_UNAUTHENTICATED, "CA certificate in the client "
	      "certificate's chain has expired");
	check(leaf, untrusted_new, root, EDGECA_ERR_UNAUTHENTICATED, "chain is not valid yet");
	/* the same as partial-chain anchors */
	check(leaf, NULL, untrusted_old, EDGECA_ERR_UNAUTHENTICATED, "chain has expired");
	check(leaf, NULL, untrusted_new, EDGECA_ERR_UNAUTHENTICATED, "chain is not valid yet");
	/* an expired self-signed root anchor */
	check(root_leaf, NULL, expired_root, EDGECA_ERR_UNAUTHENTICATED, "chain has expired");
	/* ... and a good intermediate under it */
	sk_X509_free(untrusted_old);
	untrusted_old = stack_of(p->inter, NULL);
	check(leaf, untrusted_old, expired_root, EDGECA_ERR_UNAUTHENTICATED, "chain has expired");
	sk_X509_free(untrusted_new);
	sk_X509_free(untrusted_old);
	sk_X509_free(expired_root);
	sk_X509_free(root);
	X509_free(root_leaf);
	X509_free(leaf);
	X509_free(old_root);
	X509_free(new_int);
	X509_free(old_int);
}

/* ---- key usage ------------------------------------------------------------- */

/* Purpose SSL client. extendedKeyUsage, when present, must list
 * clientAuth: OpenSSL does not take anyExtendedKeyUsage alone for it
 * (stricter than RFC 5280 4.2.1.12 allows, and the safe side). keyUsage,
 * when present, must allow signing, or key agreement, which OpenSSL
 * accepts for TLS clients too. */
static void
test_leaf_usage(void **state)
{
	struct pki *p = *state;
	static const struct {
		const char *ku, *eku;
		edgeca_err want;
	} cases[] = {
		{NULL, NULL, EDGECA_OK},
		{NULL, "clientAuth", EDGECA_OK},
		{NULL, "critical,clientAuth", EDGECA_OK},
		{NULL, "serverAuth,clientAuth", EDGECA_OK},
		{NULL, "clientAuth,anyExtendedKeyUsage", EDGECA_OK},
		{NULL, "serverAuth", EDGECA_ERR_UNAUTHENTICATED},
		{NULL, "emailProtection,codeSigning", EDGECA_ERR_UNAUTHENTICATED},
		{NULL, "anyExtendedKeyUsage", EDGECA_ERR_UNAUTHENTICATED},
		{"critical,digitalSignature", "clientAuth", EDGECA_OK},
		{"critical,digitalSignature,keyEncipherment", "clientAuth", EDGECA_OK},
		{"critical,keyAgreement", "clientAuth", EDGECA_OK},
		{"critical,keyEncipherment", "clientAuth", EDGECA_ERR_UNAUTHENTICATED},
		{"critical,nonRepudiation", "clientAuth", EDGECA_ERR_UNAUTHENTICATED},
		{"critical,digitalSignature", "serverAuth", EDGECA_ERR_UNAUTHENTICATED},
	};
	STACK_OF(X509) *anchors = stack_of(p->root, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509 *leaf = mk_leaf(p, p->root, p->root_key, cases[i].ku, cases[i].eku);
		print_message("keyUsage %s, extendedKeyUsage %s\n", cases[i].ku ? cases[i].ku : "-",
		              cases[i].eku ? cases[i].eku : "-");
		check(leaf, NULL, anchors, cases[i].want, "TLS client authentication");
		X509_free(leaf);
	}
	sk_X509_free(anchors);
}

/* An intermediate's EKU bounds what it issues (OpenSSL checks the purpose
 * on every CA of the chain): one restricted to serverAuth cannot vouch for
 * a TLS client, whether sent by the client or an anchor. */
static void
test_intermediate_eku(void **state)
{
	struct pki *p = *state;
	X509 *server_int = mk_inter(p, NB, NA, "serverAuth");
	X509 *client_int = mk_inter(p, NB, NA, "clientAuth");
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, "clientAuth");
	STACK_OF(X509) *root = stack_of(p->root, NULL);
	STACK_OF(X509) *server = stack_of(server_int, NULL), *client = stack_of(client_int, NULL);

	check(leaf, client, root, EDGECA_OK, NULL);
	check(leaf, NULL, client, EDGECA_OK, NULL);
	check(leaf, server, root, EDGECA_ERR_UNAUTHENTICATED, "may not vouch for TLS clients");
	check(leaf, NULL, server, EDGECA_ERR_UNAUTHENTICATED, "may not vouch for TLS clients");
	sk_X509_free(client);
	sk_X509_free(server);
	sk_X509_free(root);
	X509_free(leaf);
	X509_free(client_int);
	X509_free(server_int);
}

/* ---- CA certificates presented as client certificates ----------------------- */

/* A CA certificate is no device identity: refused before any chain
 * building, whatever its key usage (the TLS purpose check alone would let
 * one without keyUsage, or with digitalSignature like an IoT Edge
 * device's Edge CA, through; with partial chains even an anchor presented
 * as the leaf would verify by itself). */
static void
test_ca_as_client(void **state)
{
	struct pki *p = *state;
	X509 *ca_plain = mk_cert(p->int_key, "Sub CA", p->root, p->root_key, NB, NA,
	                         "critical,CA:TRUE", NULL, NULL);
	X509 *ca_ds = mk_cert(p->int_key, "Sub CA", p->root, p->root_key, NB, NA, "critical,CA:TRUE",
	                      "critical,digitalSignature,keyCertSign,cRLSign", NULL);
	X509 *anchor_plain = mk_cert(p->other_key, "Bootstrap CA", NULL, p->other_key, NB, NA,
	                             "critical,CA:TRUE", NULL, NULL);
	STACK_OF(X509) *root = stack_of(p->root, NULL), *inter = stack_of(p->inter, NULL);
	STACK_OF(X509) *plain = stack_of(anchor_plain, NULL);

	check(ca_plain, NULL, root, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	check(ca_ds, NULL, root, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	check(anchor_plain, NULL, plain, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	check(p->inter, NULL, root, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	check(p->inter, NULL, inter, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	check(p->root, NULL, root, EDGECA_ERR_UNAUTHENTICATED, "is a CA certificate");
	sk_X509_free(plain);
	sk_X509_free(inter);
	sk_X509_free(root);
	X509_free(anchor_plain);
	X509_free(ca_ds);
	X509_free(ca_plain);
}

/* ---- arguments --------------------------------------------------------------- */

/* No anchors (empty or NULL stack) trusts nothing, and a NULL msg is
 * allowed; nothing crashes. */
static void
test_no_anchors(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	STACK_OF(X509) *empty = stack_of(NULL, NULL), *untrusted = stack_of(p->inter, p->root);

	check(leaf, NULL, empty, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(leaf, untrusted, empty, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(leaf, NULL, NULL, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	check(leaf, untrusted, NULL, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
	assert_int_equal(est_verify_cert(leaf, NULL, empty, NOW, NULL), EDGECA_ERR_UNAUTHENTICATED);
	sk_X509_free(untrusted);
	sk_X509_free(empty);
	X509_free(leaf);
}

/* The leaf and both stacks are borrowed: after a success and a refusal
 * they hold the same certificates in the same order, still usable, and a
 * second call gives the same answer. Freeing them here (sk_X509_free
 * plus one X509_free each) is then exact: ASan/LSan catch a free or a
 * leaked reference in the function. */
static void
test_arguments_borrowed(void **state)
{
	struct pki *p = *state;
	X509 *leaf = mk_leaf(p, p->inter, p->int_key, NULL, NULL);
	X509 *bad = mk_leaf(p, p->inter, p->other_key, NULL, NULL);
	X509 *extra = mk_cert(p->other_key, "Unrelated CA", NULL, p->other_key, NB, NA,
	                      "critical,CA:TRUE", NULL, NULL);
	STACK_OF(X509) *anchors = stack_of(extra, p->root), *untrusted = stack_of(p->inter, NULL);

	for (int round = 0; round < 2; round++) {
		check(leaf, untrusted, anchors, EDGECA_OK, NULL);
		check(bad, untrusted, anchors, EDGECA_ERR_UNAUTHENTICATED, "not issued by this CA");
		assert_int_equal(sk_X509_num(anchors), 2);
		assert_ptr_equal(sk_X509_value(anchors, 0), extra);
		assert_ptr_equal(sk_X509_value(anchors, 1), p->root);
		assert_int_equal(sk_X509_num(untrusted), 1);
		assert_ptr_equal(sk_X509_value(untrusted, 0), p->inter);
		assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(leaf),
		                               X509_get_subject_name(p->inter)), 0);
		assert_int_equal(X509_verify(p->inter, p->root_key), 1);
	}
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	X509_free(extra);
	X509_free(bad);
	X509_free(leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_of_root_anchor),
		cmocka_unit_test(test_intermediate_anchor_partial_chain),
		cmocka_unit_test(test_intermediate_untrusted),
		cmocka_unit_test(test_untrusted_root_not_an_anchor),
		cmocka_unit_test(test_forged_issuer),
		cmocka_unit_test(test_non_ca_issuer),
		cmocka_unit_test(test_leaf_validity),
		cmocka_unit_test(test_chain_validity),
		cmocka_unit_test(test_leaf_usage),
		cmocka_unit_test(test_intermediate_eku),
		cmocka_unit_test(test_ca_as_client),
		cmocka_unit_test(test_no_anchors),
		cmocka_unit_test(test_arguments_borrowed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
