/* Unit tests of model/ocsp's pure parts: request parsing and its limits,
 * the cache key walk, the ResponseData and OCSPResponse encodings (signed
 * here with a local key and read back by OpenSSL's OCSP client code), and
 * the cache (hits, staleness, invalidation, the epoch guard, bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/der.h"
#include "model/ocsp/ocsp.h"
#include "tests/support/certs.h"

static EVP_PKEY *ca_key;
static X509 *ca_cert;

static int
setup(void **state)
{
	ca_key = t_key("EC-P256");
	ca_cert = t_ca_cert(ca_key, "OCSP Test CA", -1, time(NULL) - 60, time(NULL) + 86400);
	return ca_key && ca_cert ? 0 : -1;
}

static int
teardown(void **state)
{
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return 0;
}

/* A request for serials[0..n) of the test CA with md, and a nonce of
 * nonce_len octets (0: none). Returns its DER (free). */
static unsigned char *
make_request(const EVP_MD *md, const long *serials, int n, int nonce_len, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL, nonce[64];

	for (int i = 0; i < n; i++) {
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		OCSP_CERTID *id;
		ASN1_INTEGER_set(s, serials[i]);
		id = OCSP_cert_id_new(md, X509_get_subject_name(ca_cert),
		                      X509_get0_pubkey_bitstr(ca_cert), s);
		assert_non_null(id);
		assert_non_null(OCSP_request_add0_id(req, id));
		ASN1_INTEGER_free(s);
	}
	if (nonce_len > 0) {
		RAND_bytes(nonce, nonce_len);
		assert_int_equal(OCSP_request_add1_nonce(req, nonce, nonce_len), 1);
	}
	*len = (size_t)i2d_OCSP_REQUEST(req, &der);
	OCSP_REQUEST_free(req);
	return der;
}

static void
test_parse(void **state)
{
	long serials[3] = {0x1234, 0xff, 7};
	struct ocsp_request r;
	const unsigned char *cid;
	size_t len, cid_len;
	unsigned char *der = make_request(EVP_sha256(), serials, 3, 16, &len);

	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ids[0].hash_nid, NID_sha256);
	assert_string_equal(r.ids[0].serial, "1234");
	assert_string_equal(r.ids[1].serial, "ff");
	assert_string_equal(r.ids[2].serial, "7");
	assert_int_equal(r.ids[0].key_hash_len, 32);
	assert_true(r.has_nonce);
	assert_int_equal(r.nonce_ext_len, 18);
	/* several entries or a nonce: not the cache's form */
	assert_false(ocsp_request_single_certid(der, len, &cid, &cid_len));
	/* one byte less, one more, a bit flipped in a length */
	assert_int_equal(ocsp_request_parse(der, len - 1, &r), OCSP_MALFORMED);
	der = realloc(der, len + 1);
	der[len] = 0;
	assert_int_equal(ocsp_request_parse(der, len + 1, &r), OCSP_MALFORMED);
	der[1] ^= 1;
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_MALFORMED);
	OPENSSL_free(der);
	assert_int_equal(ocsp_request_parse((const unsigned char *)"\x30\x00", 2, &r),
	                 OCSP_MALFORMED);
	assert_int_equal(ocsp_request_parse(NULL, 0, &r), OCSP_MALFORMED);
}

static void
test_single_key(void **state)
{
	long serial = 0x42;
	struct ocsp_request r;
	const unsigned char *cid;
	size_t len, cid_len;
	unsigned char *der = make_request(EVP_sha1(), &serial, 1, 0, &len);

	assert_true(ocsp_request_single_certid(der, len, &cid, &cid_len));
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	assert_false(r.has_nonce);
	assert_int_equal(r.ids[0].hash_nid, NID_sha1);
	/* the walk finds the same CertID bytes as the full parse */
	assert_int_equal(cid_len, r.ids[0].der_len);
	assert_ptr_equal(cid, r.ids[0].der);
	OPENSSL_free(der);
}

static void
test_limits(void **state)
{
	long serials[OCSP_MAX_ENTRIES + 1];
	struct ocsp_request r;
	unsigned char *der, big[OCSP_REQUEST_MAX + 1];
	size_t len;

	for (int i = 0; i <= OCSP_MAX_ENTRIES; i++)
		serials[i] = 1000 + i;
	der = make_request(EVP_sha1(), serials, OCSP_MAX_ENTRIES, 0, &len);
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	assert_int_equal(r.n, OCSP_MAX_ENTRIES);
	OPENSSL_free(der);
	der = make_request(EVP_sha1(), serials, OCSP_MAX_ENTRIES + 1, 0, &len);
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_MALFORMED);
	OPENSSL_free(der);
	/* nonces: 32 octets echoed, 33 refused (RFC 8954) */
	der = make_request(EVP_sha1(), serials, 1, 32, &len);
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	OPENSSL_free(der);
	der = make_request(EVP_sha1(), serials, 1, 33, &len);
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_MALFORMED);
	OPENSSL_free(der);
	/* over 4 KiB, whatever it holds */
	memset(big, 0, sizeof(big));
	assert_int_equal(ocsp_request_parse(big, sizeof(big), &r), OCSP_MALFORMED);
	/* MD5: well formed, a hash edgeca does not answer for */
	der = make_request(EVP_md5(), serials, 1, 0, &len);
	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	assert_int_equal(r.ids[0].hash_nid, 0);
	OPENSSL_free(der);
}

/* A BasicOCSPResponse of tbs signed by the test CA's key. */
static void
sign_basic(const struct buf *tbs, struct buf *basic)
{
	static const unsigned char alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	                                    0xce, 0x3d, 0x04, 0x03, 0x02};
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char sig[160];
	size_t sig_len = sizeof(sig) - 1;
	struct buf body = {0}, bits = {0};

	sig[0] = 0;
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, ca_key), 1);
	assert_int_equal(EVP_DigestSign(m, sig + 1, &sig_len, tbs->data, tbs->len), 1);
	assert_int_equal(buf_append(&body, tbs->data, tbs->len), 0);
	assert_int_equal(buf_append(&body, alg, sizeof(alg)), 0);
	assert_int_equal(der_append(&body, DER_BIT_STRING, sig, sig_len + 1), 0);
	assert_int_equal(der_append(basic, DER_SEQUENCE, body.data, body.len), 0);
	buf_free(&body);
	buf_free(&bits);
	EVP_MD_CTX_free(m);
}

static void
test_response(void **state)
{
	long serials[3] = {1, 2, 3};
	struct ocsp_request r;
	struct ocsp_single s[3];
	struct buf tbs = {0}, basic = {0};
	unsigned char key_hash[20];
	const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(ca_cert);
	time_t now = time(NULL);
	size_t len;
	unsigned char *der = make_request(EVP_sha256(), serials, 3, 20, &len);
	const unsigned char *p;
	OCSP_REQUEST *oreq;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	struct ocsp_answer *a;
	int status, reason;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;

	assert_int_equal(ocsp_request_parse(der, len, &r), OCSP_SUCCESSFUL);
	SHA1(pk->data, (size_t)pk->length, key_hash);
	s[0] = (struct ocsp_single){&r.ids[0], OCSP_CERT_GOOD, 0, -1};
	s[1] = (struct ocsp_single){&r.ids[1], OCSP_CERT_REVOKED, now - 100, 1};
	s[2] = (struct ocsp_single){&r.ids[2], OCSP_CERT_UNKNOWN, 0, -1};
	assert_int_equal(ocsp_response_data(key_hash, now, now + 3600, s, 3, &r, &tbs), 0);
	sign_basic(&tbs, &basic);
	a = ocsp_answer_new(OCSP_SUCCESSFUL, basic.data, basic.len);
	assert_non_null(a);
	assert_int_equal(strlen(a->etag), 66);
	p = a->der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)a->len);
	assert_non_null(resp);
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	sk_X509_push(certs, ca_cert);
	X509_STORE_add_cert(store, ca_cert);
	assert_int_equal(OCSP_basic_verify(bs, certs, store, OCSP_TRUSTOTHER), 1);
	p = der;
	oreq = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
	for (int i = 0; i < 3; i++) {
		OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(oreq, i));
		assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd,
		                                       &nextupd), 1);
		assert_int_equal(status, i == 0 ? V_OCSP_CERTSTATUS_GOOD
		                         : i == 1 ? V_OCSP_CERTSTATUS_REVOKED
		                                  : V_OCSP_CERTSTATUS_UNKNOWN);
		assert_int_equal(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
		if (i == 1)
			assert_int_equal(reason, 1);
	}
	ocsp_answer_release(a);
	/* an error answer: status alone */
	a = ocsp_answer_new(OCSP_MALFORMED, NULL, 0);
	assert_int_equal(a->len, 5);
	assert_memory_equal(a->der, "\x30\x03\x0a\x01\x01", 5);
	ocsp_answer_release(a);
	OCSP_REQUEST_free(oreq);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	sk_X509_free(certs);
	X509_STORE_free(store);
	buf_free(&tbs);
	buf_free(&basic);
	OPENSSL_free(der);
}

static struct ocsp_answer *
answer_at(time_t this_update, time_t next_update)
{
	struct ocsp_answer *a = ocsp_answer_new(OCSP_MALFORMED, NULL, 0);

	a->cacheable = true;
	a->this_update = this_update;
	a->next_update = next_update;
	return a;
}

static void
test_cache(void **state)
{
	struct ocsp_cache *c = ocsp_cache_new(64);
	time_t now = time(NULL);
	struct ocsp_answer *a = answer_at(now, now + 3600), *b = answer_at(now, now + 3600), *got;
	const unsigned char id1[] = "certid-1", id2[] = "certid-2", id3[] = "certid-3";

	assert_null(ocsp_cache_get(c, id1, sizeof(id1), now));
	ocsp_cache_put(c, ocsp_cache_epoch(c), id1, sizeof(id1), "k1", "1", a);
	ocsp_cache_put(c, ocsp_cache_epoch(c), id2, sizeof(id2), "k1", "2", b);
	ocsp_cache_put(c, ocsp_cache_epoch(c), id3, sizeof(id3), "k2", "1", b);
	got = ocsp_cache_get(c, id1, sizeof(id1), now);
	assert_ptr_equal(got, a);
	ocsp_answer_release(got);
	/* half the validity gone: signed again; past nextUpdate: never */
	assert_null(ocsp_cache_get(c, id1, sizeof(id1), now + 1800));
	assert_null(ocsp_cache_get(c, id1, sizeof(id1), now + 3600));
	/* one certificate of one key */
	ocsp_cache_forget(c, "k1", "1");
	assert_null(ocsp_cache_get(c, id1, sizeof(id1), now));
	got = ocsp_cache_get(c, id2, sizeof(id2), now);
	assert_ptr_equal(got, b);
	ocsp_answer_release(got);
	got = ocsp_cache_get(c, id3, sizeof(id3), now);
	assert_ptr_equal(got, b);
	ocsp_answer_release(got);
	/* a status read before a forget is not stored after it */
	{
		unsigned long e = ocsp_cache_epoch(c);
		ocsp_cache_forget_payload(c, "k9 5");
		ocsp_cache_put(c, e, id1, sizeof(id1), "k1", "1", a);
		assert_null(ocsp_cache_get(c, id1, sizeof(id1), now));
	}
	/* a whole key, then everything */
	ocsp_cache_forget_payload(c, "k1");
	assert_null(ocsp_cache_get(c, id2, sizeof(id2), now));
	got = ocsp_cache_get(c, id3, sizeof(id3), now);
	assert_ptr_equal(got, b);
	ocsp_answer_release(got);
	ocsp_cache_forget_payload(c, "*");
	assert_int_equal(ocsp_cache_count(c), 0);
	/* bounded: many more answers than room */
	for (int i = 0; i < 5000; i++) {
		char id[32], serial[16];
		snprintf(id, sizeof(id), "id-%d", i);
		snprintf(serial, sizeof(serial), "%x", i);
		ocsp_cache_put(c, ocsp_cache_epoch(c), (unsigned char *)id, strlen(id), "k", serial,
		               a);
	}
	assert_true(ocsp_cache_count(c) <= 64 + 16);
	assert_true(ocsp_cache_count(c) > 0);
	ocsp_answer_release(a);
	ocsp_answer_release(b);
	ocsp_cache_free(c);
	ocsp_cache_forget(NULL, "k", "1");
}

/* A request of n entries with serials[i], for the status cache. */
static void
known_request(struct ocsp_request *req, const char *const *serials, size_t n)
{
	memset(req, 0, sizeof(*req));
	for (size_t i = 0; i < n; i++)
		snprintf(req->ids[i].serial, sizeof(req->ids[i].serial), "%s", serials[i]);
	req->n = n;
}

static void
test_known_statuses(void **state)
{
	struct ocsp_cache *c = ocsp_cache_new(64);
	const char *const serials[] = {"0a", "0b", "0c"};
	struct ocsp_request req;
	struct ocsp_single in[3], out[3];
	struct ocsp_known ca = {OCSP_CERT_GOOD, 0, -1, true, false, 600}, got_ca;
	unsigned long e;

	known_request(&req, serials, 3);
	in[0] = (struct ocsp_single){&req.ids[0], OCSP_CERT_GOOD, 0, -1};
	in[1] = (struct ocsp_single){&req.ids[1], OCSP_CERT_REVOKED, 1700000000, 1};
	in[2] = (struct ocsp_single){&req.ids[2], OCSP_CERT_UNKNOWN, 0, -1};
	assert_false(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k1", &ca, in, 3);
	/* unknown is never remembered: the serial may be issued later */
	assert_false(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	req.n = 2;
	assert_true(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	assert_true(got_ca.enabled);
	assert_false(got_ca.delegated);
	assert_int_equal(got_ca.validity, 600);
	assert_int_equal(out[0].status, OCSP_CERT_GOOD);
	assert_ptr_equal(out[0].id, &req.ids[0]);
	assert_int_equal(out[1].status, OCSP_CERT_REVOKED);
	assert_int_equal(out[1].revoked_at, 1700000000);
	assert_int_equal(out[1].reason, 1);
	/* another key knows nothing of these serials */
	assert_false(ocsp_cache_known(c, "k2", &req, &got_ca, out));
	/* a revocation of one serial: that one is read again, not the other */
	ocsp_cache_forget(c, "k1", "0a");
	assert_false(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	req.n = 1;
	snprintf(req.ids[0].serial, sizeof(req.ids[0].serial), "0b");
	assert_true(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	assert_int_equal(out[0].status, OCSP_CERT_REVOKED);
	/* read before a forget (here another certificate's), stored after
	 * it: not kept */
	e = ocsp_cache_epoch(c);
	ocsp_cache_forget_payload(c, "k9 5");
	snprintf(req.ids[0].serial, sizeof(req.ids[0].serial), "0a");
	ocsp_cache_put_known(c, e, "k1", &ca, in, 1);
	assert_false(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k1", &ca, in, 1);
	assert_true(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	/* a whole key (a NOTIFY without serial); then the settings of k2 */
	ocsp_cache_forget_payload(c, "k1");
	assert_int_equal(ocsp_cache_known_count(c), 0);
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k2", &ca, in, 2);
	assert_int_equal(ocsp_cache_known_count(c), 3);
	/* settings changed or a CA revoked ("*"): everything */
	ocsp_cache_forget_payload(c, "*");
	assert_int_equal(ocsp_cache_known_count(c), 0);
	/* while revocations elsewhere may go unheard: nothing kept or served */
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k1", &ca, in, 1);
	ocsp_cache_set_enabled(c, false);
	assert_false(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k1", &ca, in, 1);
	assert_int_equal(ocsp_cache_known_count(c), 0);
	ocsp_cache_set_enabled(c, true);
	ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k1", &ca, in, 1);
	assert_true(ocsp_cache_known(c, "k1", &req, &got_ca, out));
	/* bounded */
	for (int i = 0; i < 5000; i++) {
		char serial[16];
		snprintf(serial, sizeof(serial), "%x", i + 0x100);
		snprintf(req.ids[0].serial, sizeof(req.ids[0].serial), "%s", serial);
		ocsp_cache_put_known(c, ocsp_cache_epoch(c), "k", &ca, in, 1);
	}
	assert_true(ocsp_cache_known_count(c) <= 64 + 16);
	ocsp_cache_free(c);
	assert_false(ocsp_cache_known(NULL, "k1", &req, &got_ca, out));
	ocsp_cache_put_known(NULL, 0, "k1", &ca, in, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),   cmocka_unit_test(test_single_key),
		cmocka_unit_test(test_limits),  cmocka_unit_test(test_response),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_known_statuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
