#include "signer/daemon/service.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/csr.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"
#include "signer/daemon/crl.h"
#include "signer/daemon/destroy.h"
#include "signer/daemon/issue.h"
#include "signer/daemon/ocsp.h"
#include "signer/proto/protocol.h"

static X509_NAME *subject_field(const struct signer_msg *req);

static uint32_t
wire_code(edgeca_err e)
{
	switch (e) {
	case EDGECA_ERR_MALFORMED: return SIGNER_E_MALFORMED;
	case EDGECA_ERR_OVERSIZED: return SIGNER_E_TOO_LARGE;
	case EDGECA_ERR_INVALID: return SIGNER_E_INVALID;
	case EDGECA_ERR_NOT_PERMITTED: return SIGNER_E_POLICY;
	case EDGECA_ERR_NOT_FOUND: return SIGNER_E_NOT_FOUND;
	case EDGECA_ERR_CONFLICT: return SIGNER_E_CONFLICT;
	default: return SIGNER_E_INTERNAL;
	}
}

static void
reply_error(struct signer_writer *w, edgeca_err e, const struct edgeca_msg *msg)
{
	bool needed = strcmp(edgeca_msg_slug(msg, e), KEY_RECORD_NEEDED) == 0;

	signer_writer_free(w);
	signer_writer_init(w, SIGNER_REPLY_ERROR);
	signer_put_u32(w, SIGNER_TAG_ERROR_CODE, needed ? SIGNER_E_RECORD_NEEDED : wire_code(e));
	signer_put_str(w, SIGNER_TAG_ERROR_MESSAGE, msg->detail);
	signer_put_str(w, SIGNER_TAG_ERROR_TYPE, edgeca_msg_slug(msg, e));
}

static void
reply_cert(struct signer_writer *w, const X509 *cert)
{
	unsigned char *der = NULL;
	size_t len = 0;

	signer_writer_init(w, SIGNER_REPLY_OK);
	if (x509_der(cert, &der, &len) != 0) {
		w->failed = 1;
		return;
	}
	signer_put_bytes(w, SIGNER_TAG_CERTIFICATE, der, len);
	OPENSSL_free(der);
}

/* Adds the key's id and its sealed record as it is now to an OK reply:
 * every reply after which the record changed carries it, and so does
 * KEY_INFO's. */
static edgeca_err
put_record(struct signer_service *s, struct signer_key *key, struct signer_writer *w,
           struct edgeca_msg *msg)
{
	struct buf rec = {0};
	uint32_t version = 0;
	edgeca_err rc = keystore_seal(s->ks, key, &rec, &version, msg);

	if (rc == EDGECA_OK) {
		signer_put_str(w, SIGNER_TAG_KEY_ID, key->id);
		signer_put_bytes(w, SIGNER_TAG_KEY_RECORD, rec.data, rec.len);
		signer_put_u32(w, SIGNER_TAG_RECORD_VERSION, version);
	}
	buf_free(&rec);
	return rc;
}

/* An issued certificate and what it says, so the server need not decode
 * it: serial, validity, subject, CN, SANs (one per line), key type. */
static void
reply_issued(struct signer_writer *w, const X509 *cert, X509_REQ *req)
{
	char serial[SERIAL_HEX_MAX], *subject = NULL, *cn = NULL, **sans = NULL;
	struct key_desc kd;
	struct buf lines = {0};
	time_t nb, na;
	int cn_count = 0;

	reply_cert(w, cert);
	pkey_describe(X509_REQ_get0_pubkey(req), &kd);
	if (asn1_integer_hex(X509_get0_serialNumber(cert), serial) != 0 ||
	    asn1_time_to_time_t(X509_get0_notBefore(cert), &nb) != 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(cert), &na) != 0 ||
	    (subject = x509_name_string(X509_get_subject_name(cert))) == NULL ||
	    x509_name_common_name(X509_get_subject_name(cert), &cn, &cn_count) != 0 ||
	    x509_san_strings(cert, &sans) != 0) {
		w->failed = 1;
		goto out;
	}
	for (char **p = sans; *p; p++)
		if (buf_printf(&lines, "%s%s", p == sans ? "" : "\n", *p) != 0)
			w->failed = 1;
	signer_put_str(w, SIGNER_TAG_SERIAL, serial);
	signer_put_u64(w, SIGNER_TAG_NOT_BEFORE, (uint64_t)nb);
	signer_put_u64(w, SIGNER_TAG_NOT_AFTER, (uint64_t)na);
	signer_put_str(w, SIGNER_TAG_SUBJECT_TEXT, subject);
	signer_put_str(w, SIGNER_TAG_ALGORITHM, kd.name);
	if (cn != NULL)
		signer_put_str(w, SIGNER_TAG_COMMON_NAME, cn);
	if (lines.len > 0 && buf_terminate(&lines) == 0)
		signer_put_str(w, SIGNER_TAG_SANS, (const char *)lines.data);
out:
	buf_free(&lines);
	strv_free(sans);
	free(subject);
	free(cn);
}

/* The NAME_RULES field of req as a string (*out NULL when absent). */
static edgeca_err
name_rules_field(const struct signer_msg *req, char **out, struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_NAME_RULES);

	*out = NULL;
	if (f == NULL)
		return EDGECA_OK;
	*out = malloc((size_t)f->len + 1);
	if (*out == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	memcpy(*out, f->val, f->len);
	(*out)[f->len] = '\0';
	return EDGECA_OK;
}

static edgeca_err
op_key_create(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
              struct edgeca_msg *msg)
{
	char algorithm[33], templates[257], *rules = NULL;
	struct signer_policy p = {0, 0, -1, NULL, "", NULL};
	struct signer_key *key = NULL;
	unsigned char *spki = NULL;
	uint32_t pathlen;
	int len;
	edgeca_err rc;

	if (signer_msg_get(req, SIGNER_TAG_ISSUER_KEY_ID) != NULL) {
		rc = ocsp_key_create_policy(s->ks, req, algorithm, sizeof(algorithm), &p, msg);
		if (rc != EDGECA_OK)
			goto out;
		goto create;
	}
	if (signer_get_str(req, SIGNER_TAG_ALGORITHM, algorithm, sizeof(algorithm)) != 0 ||
	    signer_get_str(req, SIGNER_TAG_TEMPLATES, templates, sizeof(templates)) != 0 ||
	    signer_get_u32(req, SIGNER_TAG_MAX_VALIDITY_DAYS, &p.max_validity_days) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key creation request");
		goto out;
	}
	if (tpl_mask_parse(templates, &p.templates) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                 "unknown or repeated template in \"%s\"", templates);
		goto out;
	}
	if (signer_get_u32(req, SIGNER_TAG_PATH_LENGTH, &pathlen) == 0) {
		if (pathlen > 16) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
			                 "path_length must be between 0 and 16");
			goto out;
		}
		p.path_length = (int32_t)pathlen;
	}
	if ((rc = name_rules_field(req, &rules, msg)) != EDGECA_OK ||
	    (rules != NULL && (rc = name_rules_parse(rules, &p.names, msg)) != EDGECA_OK))
		goto out;
create:
	rc = keystore_create(s->ks, algorithm, &p, &key, msg);
	if (rc != EDGECA_OK)
		goto out;
	len = i2d_PUBKEY(key->pkey, &spki);
	if (len <= 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the public key");
		goto out;
	}
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_bytes(w, SIGNER_TAG_PUBLIC_KEY, spki, (size_t)len);
	rc = put_record(s, key, w, msg);
out:
	name_rules_free(p.names);
	X509_free(p.ocsp_ca_cert);
	free(rules);
	OPENSSL_free(spki);
	return rc;
}

static edgeca_err
lookup_key(struct signer_service *s, const struct signer_msg *req, struct signer_key **key,
           struct edgeca_msg *msg)
{
	char id[SIGNER_KEY_ID_BYTES];

	if (signer_get_str(req, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key id");
	return keystore_get(s->ks, id, key, msg);
}

static edgeca_err
op_self_sign(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
             struct edgeca_msg *msg)
{
	struct signer_key *key = NULL;
	X509_NAME *subject = NULL;
	X509 *cert = NULL;
	uint64_t not_after = 0;
	edgeca_err rc;

	if ((rc = lookup_key(s, req, &key, msg)) != EDGECA_OK)
		goto out;
	if ((subject = subject_field(req)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-subject",
		                 "the subject is not a DER-encoded name");
		goto out;
	}
	if (signer_get_u64(req, SIGNER_TAG_NOT_AFTER, &not_after) != 0 || not_after > INT64_MAX) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad notAfter");
		goto out;
	}
	rc = issue_self_signed(s->ks, key, subject, (time_t)not_after, time(NULL), &cert, msg);
	if (rc != EDGECA_OK)
		goto out;
	if (siglog_append(s->log, key->id, "self_sign", "root", cert) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write the signature log");
		goto out;
	}
	reply_cert(w, cert);
	rc = put_record(s, key, w, msg);
out:
	X509_NAME_free(subject);
	X509_free(cert);
	return rc;
}

static edgeca_err
op_issue(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
         struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_CSR);
	const struct tpl_def *t;
	struct signer_key *key = NULL;
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	char tpl[33], crl_url[1025], aia_url[1025], ocsp_url[1025], freshest_url[1025];
	struct issue_params ip = {.path_length = -1};
	uint64_t not_after = 0;
	uint32_t pathlen;
	edgeca_err rc;

	if ((rc = lookup_key(s, req, &key, msg)) != EDGECA_OK)
		goto out;
	if (signer_get_u32(req, SIGNER_TAG_PATH_LENGTH, &pathlen) == 0) {
		if (pathlen > 16) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-path-length",
			                 "path_length must be between 0 and 16");
			goto out;
		}
		ip.path_length = (long)pathlen;
	}
	if (signer_get_str(req, SIGNER_TAG_CRL_URL, crl_url, sizeof(crl_url)) == 0)
		ip.crl_url = crl_url;
	if (signer_get_str(req, SIGNER_TAG_AIA_URL, aia_url, sizeof(aia_url)) == 0)
		ip.aia_url = aia_url;
	if (signer_get_str(req, SIGNER_TAG_OCSP_URL, ocsp_url, sizeof(ocsp_url)) == 0)
		ip.ocsp_url = ocsp_url;
	if (signer_get_str(req, SIGNER_TAG_FRESHEST_CRL_URL, freshest_url, sizeof(freshest_url)) == 0)
		ip.freshest_crl_url = freshest_url;
	if (signer_get_str(req, SIGNER_TAG_TEMPLATE, tpl, sizeof(tpl)) != 0 ||
	    (t = tpl_by_name(tpl)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "unknown-template",
		                 "the signer knows no such template");
		goto out;
	}
	if (signer_get_u64(req, SIGNER_TAG_NOT_AFTER, &not_after) != 0 || not_after > INT64_MAX) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad notAfter");
		goto out;
	}
	ip.tpl = t;
	ip.not_after = (time_t)not_after;
	if ((rc = csr_decode_der(f->val, f->len, &csr, msg)) != EDGECA_OK ||
	    (rc = issue_certificate(s->ks, key, &ip, csr, time(NULL), &cert, msg)) != EDGECA_OK)
		goto out;
	if (siglog_append(s->log, key->id, "issue", t->name, cert) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write the signature log");
		goto out;
	}
	reply_issued(w, cert, csr);
out:
	X509_REQ_free(csr);
	X509_free(cert);
	return rc;
}

static X509_NAME *
subject_field(const struct signer_msg *req)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_SUBJECT);
	const unsigned char *p = f->val;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)f->len);

	ERR_clear_error();
	if (name != NULL && p != f->val + f->len) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

static edgeca_err
op_csr_create(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
              struct edgeca_msg *msg)
{
	struct signer_key *key = NULL;
	X509_NAME *subject = NULL;
	X509_REQ *csr = NULL;
	unsigned char *der = NULL;
	int len;
	edgeca_err rc;

	if ((rc = lookup_key(s, req, &key, msg)) != EDGECA_OK)
		goto out;
	if ((subject = subject_field(req)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-subject",
		                 "the subject is not a DER-encoded name");
		goto out;
	}
	if ((rc = issue_csr(s->ks, key, subject, &csr, msg)) != EDGECA_OK)
		goto out;
	len = i2d_X509_REQ(csr, &der);
	if (len <= 0 || siglog_append_csr(s->log, key->id, csr) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode or log the request");
		goto out;
	}
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_bytes(w, SIGNER_TAG_CSR, der, (size_t)len);
out:
	OPENSSL_free(der);
	X509_REQ_free(csr);
	X509_NAME_free(subject);
	return rc;
}

static edgeca_err
op_cert_install(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
                struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_CERTIFICATE);
	struct signer_key *key = NULL;
	X509 *cert = NULL;
	edgeca_err rc;

	if ((rc = lookup_key(s, req, &key, msg)) != EDGECA_OK)
		goto out;
	if ((cert = x509_from_der(f->val, f->len)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "the certificate is not DER");
		goto out;
	}
	rc = key->policy.ocsp_ca_key[0] != '\0'
	         ? ocsp_install_certificate(s->ks, key, cert, time(NULL), msg)
	         : issue_install_certificate(s->ks, key, cert, time(NULL), msg);
	if (rc != EDGECA_OK)
		goto out;
	log_info("op_cert_install: key=%s has its CA certificate", key->id);
	signer_writer_init(w, SIGNER_REPLY_OK);
	rc = put_record(s, key, w, msg);
out:
	ERR_clear_error();
	X509_free(cert);
	return rc;
}

/* What a key is: its public key, its policy and its certificate, if any.
 * Never its private key. */
static edgeca_err
op_key_info(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
            struct edgeca_msg *msg)
{
	struct signer_key *key = NULL;
	unsigned char *spki = NULL, *der = NULL;
	char templates[256], *rules = NULL;
	size_t der_len = 0;
	X509 *cert = NULL;
	int len = 0;
	edgeca_err rc;

	if ((rc = lookup_key(s, req, &key, msg)) != EDGECA_OK)
		goto out;
	cert = keystore_key_cert(s->ks, key);
	if ((len = i2d_PUBKEY(key->pkey, &spki)) <= 0 ||
	    tpl_mask_format(key->policy.templates, templates, sizeof(templates)) != 0 ||
	    (cert != NULL && x509_der(cert, &der, &der_len) != 0) ||
	    (key->policy.names != NULL && (rules = name_rules_text(key->policy.names)) == NULL)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot describe the key");
		goto out;
	}
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_str(w, SIGNER_TAG_ALGORITHM, key->algorithm);
	signer_put_bytes(w, SIGNER_TAG_PUBLIC_KEY, spki, (size_t)len);
	signer_put_str(w, SIGNER_TAG_TEMPLATES, templates);
	signer_put_u32(w, SIGNER_TAG_MAX_VALIDITY_DAYS, key->policy.max_validity_days);
	if (key->policy.path_length >= 0)
		signer_put_u32(w, SIGNER_TAG_PATH_LENGTH, (uint32_t)key->policy.path_length);
	if (rules != NULL)
		signer_put_str(w, SIGNER_TAG_NAME_RULES, rules);
	if (der != NULL)
		signer_put_bytes(w, SIGNER_TAG_CERTIFICATE, der, der_len);
	rc = put_record(s, key, w, msg);
out:
	free(rules);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	X509_free(cert);
	return rc;
}

/* KEY_LOAD: holds the key of a record the server stored. */
static edgeca_err
op_key_load(struct signer_service *s, struct signer_session *ss, const struct signer_msg *req,
            struct signer_writer *w, struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_KEY_RECORD);
	char id[SIGNER_KEY_ID_BYTES];
	edgeca_err rc;

	if (signer_get_str(req, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key id");
	if ((rc = keystore_load(s->ks, id, f->val, f->len, msg)) != EDGECA_OK)
		return rc;
	snprintf(ss->loaded, sizeof(ss->loaded), "%s", id);
	signer_writer_init(w, SIGNER_REPLY_OK);
	return EDGECA_OK;
}

/* KEY_MIGRATE: the next key of the file store as a record (none: an
 * empty reply), once the one before is stored. */
static edgeca_err
op_key_migrate(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
               struct edgeca_msg *msg)
{
	char after[SIGNER_KEY_ID_BYTES];
	bool has_after = signer_msg_get(req, SIGNER_TAG_KEY_ID) != NULL;
	struct signer_key *key = NULL;
	edgeca_err rc;

	if (has_after && signer_get_str(req, SIGNER_TAG_KEY_ID, after, sizeof(after)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key id");
	if ((rc = keystore_migrate_next(s->ks, has_after ? after : NULL, &key, msg)) != EDGECA_OK)
		return rc;
	signer_writer_init(w, SIGNER_REPLY_OK);
	return key != NULL ? put_record(s, key, w, msg) : EDGECA_OK;
}

/* Operations that need the key's CA certificate, which another signer
 * may have installed since this one made or loaded the key: a held key
 * without one is asked for again (its newest record), unless it was just
 * loaded on this connection. */
static edgeca_err
record_current(struct signer_service *s, const struct signer_session *ss,
               const struct signer_msg *req, struct edgeca_msg *msg)
{
	char id[SIGNER_KEY_ID_BYTES];
	struct signer_key *key = NULL;
	X509 *cert;
	edgeca_err rc;

	/* a responder key is made for a CA key that has its certificate */
	uint16_t tag = req->type == SIGNER_OP_KEY_CREATE ? SIGNER_TAG_ISSUER_KEY_ID : SIGNER_TAG_KEY_ID;

	if (req->type != SIGNER_OP_ISSUE && req->type != SIGNER_OP_CRL_BEGIN &&
	    req->type != SIGNER_OP_OCSP_SIGN && req->type != SIGNER_OP_KEY_CREATE)
		return EDGECA_OK;
	if (signer_get_str(req, tag, id, sizeof(id)) != 0 ||
	    strcmp(id, ss->loaded) == 0)
		return EDGECA_OK; /* the operation answers a bad id itself */
	if ((rc = keystore_get(s->ks, id, &key, msg)) != EDGECA_OK)
		return rc == EDGECA_ERR_NOT_FOUND && strcmp(msg->type, KEY_RECORD_NEEDED) != 0
		           ? EDGECA_OK : rc;
	cert = keystore_key_cert(s->ks, key);
	if (cert != NULL) {
		X509_free(cert);
		return EDGECA_OK;
	}
	return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, KEY_RECORD_NEEDED,
	                   "key %s has no CA certificate here: load its newest record", id);
}

void
signer_session_end(struct signer_session *ss)
{
	crl_session_free(ss->crl);
	ss->crl = NULL;
}

/* A CRL session admits only its own requests, and those need one: any
 * other sequence is refused and leaves no session open. */
static edgeca_err
session_check(struct signer_session *ss, uint8_t type, struct edgeca_msg *msg)
{
	bool in_crl = type == SIGNER_OP_CRL_ENTRIES || type == SIGNER_OP_CRL_FINISH;

	if (ss->crl != NULL && !in_crl) {
		signer_session_end(ss);
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-session",
		                   "a CRL session is open on this connection: only CRL_ENTRIES and "
		                   "CRL_FINISH may follow; the session is ended");
	}
	if (ss->crl == NULL && in_crl)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-session",
		                   "no CRL session is open on this connection");
	return EDGECA_OK;
}

/* The operations on one key, each answered by one function. */
typedef edgeca_err (*op_fn)(struct signer_service *s, const struct signer_msg *req,
                            struct signer_writer *w, struct edgeca_msg *msg);

static op_fn
key_op(uint8_t type)
{
	static const struct {
		uint8_t type;
		op_fn fn;
	} ops[] = {
		{SIGNER_OP_KEY_CREATE, op_key_create},     {SIGNER_OP_SELF_SIGN, op_self_sign},
		{SIGNER_OP_ISSUE, op_issue},               {SIGNER_OP_CSR_CREATE, op_csr_create},
		{SIGNER_OP_CERT_INSTALL, op_cert_install}, {SIGNER_OP_KEY_INFO, op_key_info},
		{SIGNER_OP_KEY_MIGRATE, op_key_migrate},   {SIGNER_OP_OCSP_SIGN, ocsp_op_sign},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].type == type)
			return ops[i].fn;
	return NULL;
}

/* Every request runs under this lock shared, KEY_DESTROY's last step
 * alone: a key is never freed while a request uses it. Writers first, so
 * a steady flow of requests cannot hold a destruction off. */
static pthread_rwlock_t key_use = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

/* KEY_DESTROY: checked beside other requests, destroyed alone. */
static edgeca_err
key_destroy(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
            struct edgeca_msg *msg)
{
	struct destroy_plan plan;
	edgeca_err rc;

	pthread_rwlock_rdlock(&key_use);
	rc = destroy_check(s, req, &plan, msg);
	pthread_rwlock_unlock(&key_use);
	if (rc != EDGECA_OK)
		return rc;
	pthread_rwlock_wrlock(&key_use);
	rc = destroy_finish(s, &plan, w, msg);
	pthread_rwlock_unlock(&key_use);
	return rc;
}

static int handle_shared(struct signer_service *s, struct signer_session *ss,
                         const struct signer_msg *req, struct signer_writer *reply);

int
signer_service_handle(struct signer_service *s, struct signer_session *ss,
                      const struct signer_msg *req, struct signer_writer *reply)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;
	int ret;

	memset(reply, 0, sizeof(*reply));
	if (signer_msg_check(req, signer_request_schema(req->type)) != 0)
		return -1;
	if (req->type != SIGNER_OP_KEY_DESTROY) {
		pthread_rwlock_rdlock(&key_use);
		ret = handle_shared(s, ss, req, reply);
		pthread_rwlock_unlock(&key_use);
		return ret;
	}
	ss->loaded[0] = '\0';
	if ((rc = session_check(ss, req->type, &msg)) == EDGECA_OK)
		rc = key_destroy(s, req, reply, &msg);
	if (rc != EDGECA_OK) {
		if (rc == EDGECA_ERR_NOT_PERMITTED || rc == EDGECA_ERR_INTERNAL ||
		    rc == EDGECA_ERR_CONFLICT)
			log_warn("signer_service_handle: op=destroy refused: %s", msg.detail);
		reply_error(reply, rc, &msg);
	}
	return 0;
}

/* Every request but KEY_DESTROY, under the shared lock. */
static int
handle_shared(struct signer_service *s, struct signer_session *ss, const struct signer_msg *req,
              struct signer_writer *reply)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc = EDGECA_OK;

	if ((rc = session_check(ss, req->type, &msg)) != EDGECA_OK ||
	    (rc = ocsp_role_check(s->ks, req, &msg)) != EDGECA_OK ||
	    (rc = record_current(s, ss, req, &msg)) != EDGECA_OK)
		goto reply;
	if (req->type != SIGNER_OP_KEY_LOAD)
		ss->loaded[0] = '\0';
	switch (req->type) {
	case SIGNER_OP_PING:
		signer_writer_init(reply, SIGNER_REPLY_OK);
		signer_put_u32(reply, SIGNER_TAG_PROTOCOL_VERSION, SIGNER_PROTO_VERSION);
		break;
	case SIGNER_OP_CRL_BEGIN:
		rc = crl_begin(s, req, &ss->crl, reply, &msg);
		break;
	case SIGNER_OP_KEY_LOAD:
		rc = op_key_load(s, ss, req, reply, &msg);
		break;
	case SIGNER_OP_CRL_ENTRIES:
		rc = crl_entries(ss->crl, req, reply, &msg);
		if (rc != EDGECA_OK)
			signer_session_end(ss);
		break;
	case SIGNER_OP_CRL_FINISH:
		rc = crl_finish(s, ss->crl, reply, &msg);
		signer_session_end(ss);
		break;
	default: {
		op_fn op = key_op(req->type);
		if (op == NULL)
			return -1;
		rc = op(s, req, reply, &msg);
		break;
	}
	}
reply:
	if (rc != EDGECA_OK) {
		if (rc == EDGECA_ERR_NOT_PERMITTED || rc == EDGECA_ERR_INTERNAL)
			log_warn("signer_service_handle: op=%u refused: %s", req->type, msg.detail);
		reply_error(reply, rc, &msg);
	}
	return 0;
}
