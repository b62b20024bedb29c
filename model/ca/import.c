/* Importing an existing CA: a key sealed by edgeca-signer import-key on a
 * signer's machine (the server sees its record, never the private key)
 * and the key's CA certificate become a CA with one active location. The
 * record's metadata in clear names the key id and its sealed policy; the
 * signer authenticates all of it when it loads the record for
 * CERT_INSTALL, which also repeats the certificate checks made here. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/ca/first_crls.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/store/audit.h"
#include "model/store/signer_keys_import.h"
#include "signer/proto/templates.h"

#define RECORD_MAX 49152
#define RECORD_HEADER 33 /* magic, format, KEK id, version, nonce, metadata length */
#define MAX_CHAIN_CERTS 10

/* What the record's clear metadata says of the key. */
struct import_meta {
	uint32_t version;
	char id[SIGNER_KEY_ID_BYTES];
	char algorithm[16];
	char spki_sha256[SHA256_HEX_BYTES];
	char templates[256];
	long max_validity_days;
	long path_length;
	char *name_rules; /* NULL: none */
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One "name value" line of the metadata into m; 0, or -1 when a value is
 * out of form. Lines edgeca does not need are skipped. */
static int
meta_line(char *line, struct import_meta *m)
{
	char *value = strchr(line, ' '), *end;

	if (value == NULL)
		return 0;
	*value++ = '\0';
	if (strcmp(line, "id") == 0)
		return strlen(value) == 32 && strspn(value, "0123456789abcdef") == 32
		           ? (snprintf(m->id, sizeof(m->id), "%s", value), 0) : -1;
	if (strcmp(line, "algorithm") == 0)
		return snprintf(m->algorithm, sizeof(m->algorithm), "%s", value) <
		               (int)sizeof(m->algorithm) ? 0 : -1;
	if (strcmp(line, "public_key_sha256") == 0)
		return strlen(value) == 64
		           ? (snprintf(m->spki_sha256, sizeof(m->spki_sha256), "%s", value), 0) : -1;
	if (strcmp(line, "templates") == 0)
		return snprintf(m->templates, sizeof(m->templates), "%s", value) <
		               (int)sizeof(m->templates) ? 0 : -1;
	if (strcmp(line, "max_validity_days") == 0) {
		m->max_validity_days = strtol(value, &end, 10);
		return *end == '\0' && end != value ? 0 : -1;
	}
	if (strcmp(line, "path_length") == 0) {
		m->path_length = strtol(value, &end, 10);
		return *end == '\0' && end != value ? 0 : -1;
	}
	if (strcmp(line, "name_rules") == 0) {
		free(m->name_rules);
		return (m->name_rules = strdup(value)) != NULL ? 0 : -1;
	}
	return 0;
}

/* Reads the header and the clear metadata of a sealed key record (format
 * of "Sealed key records" in signer/PROTOCOL.md). Nothing read here is
 * trusted before the signer has opened the record. */
static edgeca_err
meta_parse(const unsigned char *rec, size_t len, struct import_meta *m, struct edgeca_msg *msg)
{
	char *text = NULL, *line, *save = NULL;
	size_t mlen;
	edgeca_err rc = EDGECA_OK;

	memset(m, 0, sizeof(*m));
	m->max_validity_days = -1;
	m->path_length = -2;
	if (len < RECORD_HEADER || memcmp(rec, "ESKR", 4) != 0 || rec[4] != 1 ||
	    (mlen = be32(rec + 29)) > len - RECORD_HEADER || mlen == 0 ||
	    memchr(rec + RECORD_HEADER, '\0', mlen) != NULL ||
	    (text = strndup((const char *)rec + RECORD_HEADER, mlen)) == NULL)
		goto bad;
	m->version = be32(rec + 13);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (meta_line(line, m) != 0)
			goto bad;
	if (m->id[0] == '\0' || m->algorithm[0] == '\0' || m->spki_sha256[0] == '\0' ||
	    m->templates[0] == '\0' || m->max_validity_days < 1 || m->path_length < -1 ||
	    m->version == 0)
		goto bad;
	goto out;
bad:
	rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "key-record-malformed",
	                 "import.key_record is not a sealed key record of edgeca-signer "
	                 "import-key");
out:
	free(text);
	return rc;
}

/* Does the certificate hold the key the record seals? */
static edgeca_err
check_key(X509 *cert, const struct import_meta *m, struct edgeca_msg *msg)
{
	unsigned char *der = NULL, md[32];
	unsigned int md_len = sizeof(md);
	char hex[SHA256_HEX_BYTES] = "";
	int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
	edgeca_err rc = EDGECA_OK;

	if (len <= 0 || EVP_Digest(der, (size_t)len, md, &md_len, digest_sha256(), NULL) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "the certificate's public key cannot be read");
	else if (hex_encode(md, md_len, hex), strcmp(hex, m->spki_sha256) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-key-mismatch",
		                 "the certificate's public key is not the key of the record (key %s)",
		                 m->id);
	ERR_clear_error();
	OPENSSL_free(der);
	return rc;
}

/* The CA's policy as the request resolved it must be the one sealed with
 * the key: the signer enforces the sealed one, and edgeca shows and
 * checks the stored one. */
static edgeca_err
check_policy(const struct ca *ca, const struct import_meta *m, struct edgeca_msg *msg)
{
	char *templates = ca_join_templates(ca->allowed_templates);
	char *rules = name_rules_text(ca->name_rules);
	unsigned want = 0, have = 0;
	edgeca_err rc = EDGECA_OK;

	if (templates == NULL || (ca->name_rules != NULL && rules == NULL)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (tpl_mask_parse(m->templates, &want) != 0 || tpl_mask_parse(templates, &have) != 0 ||
	    want != have || m->max_validity_days != ca->max_validity_days ||
	    m->path_length != ca->path_length ||
	    strcmp(m->name_rules ? m->name_rules : "", rules ? rules : "") != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "key-policy-mismatch",
		                 "the key was sealed with templates %s, max_validity_days %ld, "
		                 "path_length %ld and %s name rules; the request asks for templates "
		                 "%s, max_validity_days %d, path_length %d and %s name rules: give "
		                 "the key's policy in issuance and path_length",
		                 m->templates, m->max_validity_days, m->path_length,
		                 m->name_rules ? "its" : "no", templates, ca->max_validity_days,
		                 ca->path_length, rules ? "these" : "no");
out:
	free(templates);
	free(rules);
	return rc;
}

/* The members the certificate and the key decide, which an import must
 * leave out. */
static edgeca_err
refuse_given(const struct ca_create_req *req, struct edgeca_msg *msg)
{
	const char *given = req->kind                         ? "kind"
	                    : req->common_name                ? "common_name"
	                    : req->organization               ? "organization"
	                    : req->organizational_unit        ? "organizational_unit"
	                    : req->country                    ? "country"
	                    : req->key_algorithm              ? "key_algorithm"
	                    : req->validity_days != CA_FIELD_UNSET ? "validity_days"
	                    : req->has_not_after              ? "not_after"
	                    : req->parent_ca_id               ? "parent_ca_id"
	                    : req->n_locations > 1            ? "locations"
	                                                      : NULL;

	if (given == NULL)
		return EDGECA_OK;
	return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
	                   "%s: an imported CA takes its kind, subject, key and validity from "
	                   "its certificate and key, and has one location", given);
}

/* The first value of attribute nid in name, UTF-8 (*out NULL when none). */
static int
name_entry(const X509_NAME *name, int nid, char **out)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int len;

	*out = NULL;
	if (i < 0)
		return 0;
	len = ASN1_STRING_to_UTF8(&utf8,
	                          X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (len < 0)
		return -1;
	*out = strndup((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return *out != NULL ? 0 : -1;
}

/* The certificate and its chain from the request. */
static edgeca_err
read_certs(const struct ca_import_req *im, X509 **cert, STACK_OF(X509) **chain,
           struct edgeca_msg *msg)
{
	STACK_OF(X509) *certs = NULL;
	edgeca_err rc = EDGECA_OK;

	*cert = NULL;
	*chain = NULL;
	certs = im->certificate_pem ? x509_pem_certs(im->certificate_pem,
	                                             strlen(im->certificate_pem)) : NULL;
	if (certs == NULL || sk_X509_num(certs) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "import.certificate_pem must be one PEM certificate");
		goto out;
	}
	*cert = sk_X509_shift(certs);
	*chain = im->chain_pem ? x509_pem_certs(im->chain_pem, strlen(im->chain_pem))
	                       : sk_X509_new_null();
	if (*chain == NULL || sk_X509_num(*chain) > MAX_CHAIN_CERTS ||
	    (im->chain_pem != NULL && sk_X509_num(*chain) == 0)) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "import.chain_pem must be the issuers' PEM certificates (at most %d)",
		                 MAX_CHAIN_CERTS);
		goto out;
	}
out:
	if (rc != EDGECA_OK) {
		X509_free(*cert);
		sk_X509_pop_free(*chain, X509_free);
		*cert = NULL;
		*chain = NULL;
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

/* The CA the import makes, before any I/O: settings resolved from the
 * request and from the certificate (kind, subject) and key (algorithm). */
static edgeca_err
resolve_imported(const struct ca_create_req *req, X509 *cert, STACK_OF(X509) *chain,
                 const struct import_meta *m, time_t now, const char *default_location,
                 struct ca **out, bool *anchors_given, struct edgeca_msg *msg)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	bool root = X509_self_signed(cert, 1) == 1;
	struct ca_create_req r = *req;
	char *cn = NULL, *o = NULL, *ou = NULL, *c = NULL;
	time_t not_after;
	struct ca *ca = NULL;
	edgeca_err rc;

	*out = NULL;
	ERR_clear_error();
	if (!root && sk_X509_num(chain) == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "chain-required",
		                 "the certificate is not self-signed: give its issuers in "
		                 "import.chain_pem, up to the root");
		goto out;
	}
	if (name_entry(name, NID_commonName, &cn) != 0 ||
	    name_entry(name, NID_organizationName, &o) != 0 ||
	    name_entry(name, NID_organizationalUnitName, &ou) != 0 ||
	    name_entry(name, NID_countryName, &c) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "the certificate's subject cannot be read");
		goto out;
	}
	r.kind = root ? "root" : "subordinate";
	r.common_name = cn;
	r.organization = o;
	r.organizational_unit = ou;
	r.country = c;
	r.key_algorithm = m->algorithm;
	if ((rc = ca_settings_resolve(&r, default_location, now, &ca, &not_after, msg)) !=
	        EDGECA_OK ||
	    (rc = ca_est_resolve(&req->est, ca, true, now, anchors_given, msg)) != EDGECA_OK)
		goto out;
	ca->chaining = root ? CA_CHAINING_SELF : CA_CHAINING_EXTERNAL;
	if ((ca->subject = x509_name_string(name)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	*out = ca;
	ca = NULL;
out:
	ca_free(ca);
	free(cn);
	free(o);
	free(ou);
	free(c);
	return rc;
}

/* The imported key and certificate as the CA's one location. */
static edgeca_err
fill_location(struct ca *ca, const struct import_meta *m, X509 *cert, STACK_OF(X509) *chain,
              struct edgeca_msg *msg)
{
	struct ca_location *loc = &ca->locations[0];
	unsigned char *der = NULL;
	size_t len = 0;
	edgeca_err rc;

	snprintf(loc->key_id, sizeof(loc->key_id), "%s", m->id);
	if (x509_der(cert, &der, &len) != 0 || (loc->chain_pem = ca_chain_pem_of(chain)) == NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	else if ((rc = ca_location_take_cert(loc, der, len, msg)) == EDGECA_OK)
		der = NULL; /* taken */
	loc->status = LOCATION_ACTIVE;
	ca_update_status(ca);
	free(der);
	return rc;
}

/* Stores the CA with its audit row in one transaction on c. */
static edgeca_err
store_imported(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
               bool anchors_given, struct edgeca_msg *msg)
{
	const struct ca_location *loc = &ca->locations[0];
	char not_after[RFC3339_LEN];
	edgeca_err rc;

	rfc3339_format(loc->not_after, not_after);
	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_insert(c, ca, msg)) == EDGECA_OK &&
	    (rc = ca_est_store(c, ca, anchors_given, msg)) == EDGECA_OK &&
	    (ca->webhook_url == NULL || (rc = ca_store_webhook(ctx, c, ca, msg)) == EDGECA_OK)) {
		const char *details[] = {"common_name", ca->common_name, "kind",
		                         ca_kind_name(ca->kind), "chaining",
		                         ca_chaining_name(ca->chaining), "key_algorithm",
		                         ca->key_algorithm, "signer_key_id", loc->key_id, "serial",
		                         loc->serial, "not_after", not_after, "location", loc->name};
		rc = audit_write(c, who->actor, "ca.import", "ca", ca->id, details, 16, msg);
	}
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	else
		db_rollback(c);
	return rc;
}

edgeca_err
ca_import(struct edgeca_ctx *ctx, const struct principal *who, const struct ca_create_req *req,
          struct ca **out, struct edgeca_msg *msg)
{
	const struct ca_import_req *im = req->import;
	struct import_meta m = {0};
	unsigned char *rec = NULL, *der = NULL;
	size_t rec_len = 0, der_len = 0;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	struct ca *ca = NULL;
	bool anchors_given = false, claimed = false, in_use = false;
	time_t now = time(NULL);
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if ((rc = refuse_given(req, msg)) != EDGECA_OK)
		goto out;
	if (im->key_record == NULL ||
	    base64_decode(im->key_record, strlen(im->key_record), true, &rec, &rec_len) != 0 ||
	    rec_len > RECORD_MAX) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "key-record-malformed",
		                 "import.key_record must be the base64 record edgeca-signer "
		                 "import-key wrote");
		goto out;
	}
	if ((rc = meta_parse(rec, rec_len, &m, msg)) != EDGECA_OK ||
	    (rc = read_certs(im, &cert, &chain, msg)) != EDGECA_OK ||
	    (rc = resolve_imported(req, cert, chain, &m, now, ctx->settings.default_location, &ca,
	                           &anchors_given, msg)) != EDGECA_OK)
		goto out;
	snprintf(ca->created_by, sizeof(ca->created_by), "%s", who->actor);
	/* the checks the signer makes too, first here with every reason */
	if ((rc = check_key(cert, &m, msg)) != EDGECA_OK ||
	    (rc = ca_check_external_cert(cert, chain, ca, NULL, now, msg)) != EDGECA_OK ||
	    (rc = check_policy(ca, &m, msg)) != EDGECA_OK)
		goto out;
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK ||
	    (rc = ca_store_key_in_use(c, m.id, &in_use, msg)) != EDGECA_OK)
		goto out;
	if (in_use) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-in-use",
		                 "signer key %s is a CA's key already", m.id);
		goto out;
	}
	if ((rc = signer_keys_claim(ctx->db, m.id, m.version, rec, rec_len, &claimed, msg)) !=
	        EDGECA_OK ||
	    x509_der(cert, &der, &der_len) != 0 ||
	    (rc = ca_install_external_cert(ctx, m.id, der, der_len, msg)) != EDGECA_OK ||
	    (rc = fill_location(ca, &m, cert, chain, msg)) != EDGECA_OK ||
	    (rc = store_imported(ctx, c, who, ca, anchors_given, msg)) != EDGECA_OK) {
		if (rc == EDGECA_OK)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	log_info("ca_import: ca=%s kind=%s key=%s cn=\"%s\" by %s", ca->id,
	         ca_kind_name(ca->kind), m.id, ca->common_name, who->actor);
	ca_first_crls(ctx, c, who->actor, ca);
	*out = ca;
	ca = NULL;
out:
	if (rc != EDGECA_OK && claimed &&
	    signer_keys_unclaim(ctx->db, m.id, rec, rec_len, NULL) != EDGECA_OK)
		log_warn("ca_import: the record of signer key %s stays unused", m.id);
	if (c != NULL)
		db_release(ctx->db, c);
	free(m.name_rules);
	OPENSSL_free(der);
	free(rec);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	ca_free(ca);
	return rc;
}
