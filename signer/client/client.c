#include "signer/client/client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer/client/client_pool.h"
#include "signer/proto/protocol.h"

/* Pinging at start-up: the signer may still be starting. */
#define SIGNER_PING_TIMEOUT_MS 3000

static const struct signer_schema ok_ping = {SIGNER_REPLY_OK,
                                             {SIGNER_TAG_PROTOCOL_VERSION, 0}, {0}};
static const struct signer_schema ok_key = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_KEY_ID, SIGNER_TAG_PUBLIC_KEY, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION, 0},
	{0}};
static const struct signer_schema ok_self_signed = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_CERTIFICATE, SIGNER_TAG_KEY_ID, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION,
	 0},
	{0}};

edgeca_err
signer_ping(struct signer_pool *p, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	uint32_t version = 0;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_PING);
	rc = pool_call(p, &w, NULL, &ok_ping, SIGNER_PING_TIMEOUT_MS, true, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_u32(&reply, SIGNER_TAG_PROTOCOL_VERSION, &version) != 0 ||
	    version != SIGNER_PROTO_VERSION)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                 "the signer speaks protocol version %u, not %d", version,
		                 SIGNER_PROTO_VERSION);
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_check(struct signer_pool *p, unsigned timeout_ms, char *state, size_t state_len,
             unsigned *retry_after_s)
{
	struct signer_writer w;
	struct signer_msg reply;
	unsigned silent = 0;
	uint32_t version = 0;
	edgeca_err rc;

	/* calls already wait with no reply: no need to wait again to know */
	if (signer_pool_stalled(p, &silent, retry_after_s)) {
		snprintf(state, state_len, "not answering for %u s", silent);
		return EDGECA_ERR_UNAVAILABLE;
	}
	signer_writer_init(&w, SIGNER_OP_PING);
	rc = pool_check_call(p, &w, &ok_ping, timeout_ms, &reply, state, state_len);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_u32(&reply, SIGNER_TAG_PROTOCOL_VERSION, &version) != 0 ||
	    version != SIGNER_PROTO_VERSION) {
		snprintf(state, state_len, "speaks protocol version %u, not %d", version,
		         SIGNER_PROTO_VERSION);
		rc = EDGECA_ERR_UNAVAILABLE;
	} else {
		snprintf(state, state_len, "ok");
	}
	signer_msg_free(&reply);
	return rc;
}

/* Sends the KEY_CREATE in w (freed here); records_key: the key whose
 * record the signer may ask for (NULL: none). */
static edgeca_err
key_create_call(struct signer_pool *p, struct signer_writer *w, const char *records_key,
                char key_id[SIGNER_KEY_ID_BYTES], struct edgeca_msg *msg)
{
	struct signer_msg reply;
	edgeca_err rc;

	rc = pool_call(p, w, records_key, &ok_key, p->keygen_timeout_ms, false, &reply, msg);
	signer_writer_free(w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_str(&reply, SIGNER_TAG_KEY_ID, key_id, SIGNER_KEY_ID_BYTES) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                 "the signer sent a bad key id");
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_key_create(struct signer_pool *p, const char *algorithm, const char *templates,
                  uint32_t max_validity_days, int path_length, const char *name_rules,
                  char key_id[SIGNER_KEY_ID_BYTES], struct edgeca_msg *msg)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, algorithm);
	signer_put_str(&w, SIGNER_TAG_TEMPLATES, templates);
	signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, max_validity_days);
	if (path_length >= 0)
		signer_put_u32(&w, SIGNER_TAG_PATH_LENGTH, (uint32_t)path_length);
	if (name_rules != NULL)
		signer_put_str(&w, SIGNER_TAG_NAME_RULES, name_rules);
	return key_create_call(p, &w, NULL, key_id, msg);
}

edgeca_err
signer_ocsp_key_create(struct signer_pool *p, const char *ca_key_id, const char *algorithm,
                       char key_id[SIGNER_KEY_ID_BYTES], struct edgeca_msg *msg)
{
	struct signer_writer w;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, algorithm);
	signer_put_str(&w, SIGNER_TAG_ISSUER_KEY_ID, ca_key_id);
	/* the record the signer may ask for is the CA key's: it copies the
	 * CA's certificate into the new key's policy */
	return key_create_call(p, &w, ca_key_id, key_id, msg);
}

/* Sends w (the caller keeps it), on key_id, and copies the certificate of
 * the reply. */
static edgeca_err
call_for_cert(struct signer_pool *p, struct signer_writer *w, const char *key_id,
              const struct signer_schema *ok, unsigned char **der, size_t *len,
              struct edgeca_msg *msg)
{
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*der = NULL;
	rc = pool_call(p, w, key_id, ok, p->timeout_ms, true, &reply, msg);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	*der = malloc(f->len);
	if (*der == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	} else {
		memcpy(*der, f->val, f->len);
		*len = f->len;
	}
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_self_sign(struct signer_pool *p, const char *key_id, const unsigned char *subject_der,
                 size_t subject_len, time_t not_after, unsigned char **cert_der,
                 size_t *cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_SELF_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject_der, subject_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	rc = call_for_cert(p, &w, key_id, &ok_self_signed, cert_der, cert_len, msg);
	signer_writer_free(&w);
	return rc;
}

static const struct signer_schema ok_issued = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_CERTIFICATE, SIGNER_TAG_SERIAL, SIGNER_TAG_NOT_BEFORE, SIGNER_TAG_NOT_AFTER,
	 SIGNER_TAG_SUBJECT_TEXT, SIGNER_TAG_ALGORITHM, 0},
	{SIGNER_TAG_COMMON_NAME, SIGNER_TAG_SANS, 0}};

void
signer_issued_free(struct signer_issued *s)
{
	if (s == NULL)
		return;
	free(s->der);
	free(s->subject);
	free(s->common_name);
	if (s->sans != NULL)
		for (char **v = s->sans; *v; v++)
			free(*v);
	free(s->sans);
	memset(s, 0, sizeof(*s));
}

static char *
field_strdup(const struct signer_msg *m, uint16_t tag)
{
	const struct signer_field *f = signer_msg_get(m, tag);

	return f != NULL ? strndup((const char *)f->val, f->len) : NULL;
}

/* "a\nb" into {"a", "b", NULL}. */
static char **
split_lines(const char *text)
{
	size_t n = 1, i = 0;
	char **v;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	v = calloc(n + 1, sizeof(char *));
	if (v == NULL || text == NULL)
		return v;
	for (const char *p = text; i < n; i++) {
		size_t len = strcspn(p, "\n");
		if ((v[i] = strndup(p, len)) == NULL)
			break;
		p += len + (p[len] != '\0');
	}
	return v;
}

edgeca_err
signer_issue(struct signer_pool *p, const char *key_id, const char *tpl,
             const unsigned char *csr_der, size_t csr_len, time_t not_after,
             const struct signer_issue_opts *opts, struct signer_issued *out,
             struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *cert;
	uint64_t nb = 0, na = 0;
	char *sans = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	signer_writer_init(&w, SIGNER_OP_ISSUE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_str(&w, SIGNER_TAG_TEMPLATE, tpl);
	signer_put_bytes(&w, SIGNER_TAG_CSR, csr_der, csr_len);
	signer_put_u64(&w, SIGNER_TAG_NOT_AFTER, (uint64_t)not_after);
	if (opts != NULL && opts->path_length >= 0)
		signer_put_u32(&w, SIGNER_TAG_PATH_LENGTH, (uint32_t)opts->path_length);
	if (opts != NULL && opts->crl_url != NULL && opts->crl_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_CRL_URL, opts->crl_url);
	if (opts != NULL && opts->aia_url != NULL && opts->aia_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_AIA_URL, opts->aia_url);
	if (opts != NULL && opts->ocsp_url != NULL && opts->ocsp_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_OCSP_URL, opts->ocsp_url);
	if (opts != NULL && opts->freshest_crl_url != NULL && opts->freshest_crl_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_FRESHEST_CRL_URL, opts->freshest_crl_url);
	rc = pool_call(p, &w, key_id, &ok_issued, p->timeout_ms, true, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	cert = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	out->der = malloc(cert->len);
	out->subject = field_strdup(&reply, SIGNER_TAG_SUBJECT_TEXT);
	out->common_name = field_strdup(&reply, SIGNER_TAG_COMMON_NAME);
	sans = field_strdup(&reply, SIGNER_TAG_SANS);
	out->sans = split_lines(sans);
	if (out->der == NULL || out->subject == NULL || out->sans == NULL ||
	    (signer_msg_get(&reply, SIGNER_TAG_COMMON_NAME) && out->common_name == NULL) ||
	    signer_get_str(&reply, SIGNER_TAG_SERIAL, out->serial, sizeof(out->serial)) != 0 ||
	    signer_get_str(&reply, SIGNER_TAG_ALGORITHM, out->key_algorithm,
	                   sizeof(out->key_algorithm)) != 0 ||
	    signer_get_u64(&reply, SIGNER_TAG_NOT_BEFORE, &nb) != 0 ||
	    signer_get_u64(&reply, SIGNER_TAG_NOT_AFTER, &na) != 0) {
		signer_issued_free(out);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the signer's reply");
	} else {
		memcpy(out->der, cert->val, cert->len);
		out->der_len = cert->len;
		out->not_before = (time_t)nb;
		out->not_after = (time_t)na;
	}
	free(sans);
	signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_csr = {SIGNER_REPLY_OK, {SIGNER_TAG_CSR, 0}, {0}};
static const struct signer_schema ok_record = {
	SIGNER_REPLY_OK, {SIGNER_TAG_KEY_ID, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION, 0},
	{0}};

edgeca_err
signer_csr_create(struct signer_pool *p, const char *key_id, const unsigned char *subject_der,
                  size_t subject_len, unsigned char **csr_der, size_t *csr_len,
                  struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*csr_der = NULL;
	signer_writer_init(&w, SIGNER_OP_CSR_CREATE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, subject_der, subject_len);
	rc = pool_call(p, &w, key_id, &ok_csr, p->timeout_ms, true, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CSR);
	*csr_der = malloc(f->len);
	if (*csr_der == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	} else {
		memcpy(*csr_der, f->val, f->len);
		*csr_len = f->len;
	}
	signer_msg_free(&reply);
	return rc;
}

edgeca_err
signer_cert_install(struct signer_pool *p, const char *key_id, const unsigned char *cert_der,
                    size_t cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_CERT_INSTALL);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_CERTIFICATE, cert_der, cert_len);
	rc = pool_call(p, &w, key_id, &ok_record, p->timeout_ms, true, &reply, msg);
	signer_writer_free(&w);
	if (rc == EDGECA_OK)
		signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_info = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_KEY_ID, SIGNER_TAG_ALGORITHM, SIGNER_TAG_PUBLIC_KEY, SIGNER_TAG_TEMPLATES,
	 SIGNER_TAG_MAX_VALIDITY_DAYS, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION, 0},
	{SIGNER_TAG_PATH_LENGTH, SIGNER_TAG_CERTIFICATE, SIGNER_TAG_NAME_RULES, 0}};

edgeca_err
signer_key_cert(struct signer_pool *p, const char *key_id, unsigned char **cert_der,
                size_t *cert_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	*cert_der = NULL;
	*cert_len = 0;
	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	rc = pool_call_newest(p, &w, key_id, &ok_info, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	if (f != NULL) {
		*cert_der = malloc(f->len);
		if (*cert_der == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		} else {
			memcpy(*cert_der, f->val, f->len);
			*cert_len = f->len;
		}
	}
	signer_msg_free(&reply);
	return rc;
}

static const struct signer_schema ok_destroyed = {SIGNER_REPLY_OK, {0}, {0}};

edgeca_err
signer_key_destroy(struct signer_pool *p, const char *key_id, const unsigned char *rec,
                   size_t rec_len, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_KEY_DESTROY);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	if (rec != NULL)
		signer_put_bytes(&w, SIGNER_TAG_KEY_RECORD, rec, rec_len);
	rc = pool_call(p, &w, key_id, &ok_destroyed, p->timeout_ms, true, &reply, msg);
	signer_writer_free(&w);
	if (rc == EDGECA_OK)
		signer_msg_free(&reply);
	return rc;
}
