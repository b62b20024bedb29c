#include "server/service_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"
#include "signer/proto/protocol.h"

#define SERVICE_CA_DAYS 3650
#define LISTENER_DAYS 397

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	struct buf b = {0};
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > 1024 * 1024 || buf_append(&b, chunk, n) != 0) {
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	}
	fclose(f);
	if (buf_terminate(&b) != 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)buf_take(&b, NULL);
}

static int
write_text(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_BYTES];
	int fd, rc = -1;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0 && fsync(fd) == 0)
		rc = 0;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static X509 *
pem_to_x509(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return x;
}

static edgeca_err
ensure_service_ca(struct edgeca_ctx *ctx, const char *dir, char key_id[SIGNER_KEY_ID_BYTES],
                  X509 **ca_out, struct edgeca_msg *msg)
{
	char ca_path[PATH_BYTES], id_path[PATH_BYTES], host[256], cn[64], *text = NULL, *pem = NULL;
	unsigned char *subject_der = NULL, *der = NULL;
	X509_NAME *name = NULL;
	size_t der_len = 0;
	int subject_len;
	edgeca_err rc = EDGECA_OK;

	*ca_out = NULL;
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	snprintf(id_path, sizeof(id_path), "%s/service-ca.key-id", dir);
	text = read_text(id_path);
	pem = read_text(ca_path);
	if (text != NULL && pem != NULL) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(key_id, 65, "%s", text);
		*ca_out = pem_to_x509(pem);
		if (*ca_out == NULL)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s is not a certificate",
			                 ca_path);
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "edgeca");
	host[sizeof(host) - 1] = '\0';
	snprintf(cn, sizeof(cn), "edgeca service CA %.40s", host);
	rc = signer_key_create(ctx->signer, "EC-P256", "tls_server", LISTENER_DAYS, -1, NULL, key_id,
	                       msg);
	if (rc != EDGECA_OK)
		goto out;
	name = X509_NAME_new();
	if (name == NULL ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
	                                (const unsigned char *)"edgeca", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0) ||
	    (subject_len = i2d_X509_NAME(name, &subject_der)) <= 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot build the service CA name");
		goto out;
	}
	rc = signer_self_sign(ctx->signer, key_id, subject_der, (size_t)subject_len,
	                      time(NULL) + (time_t)SERVICE_CA_DAYS * 86400, &der, &der_len, msg);
	if (rc != EDGECA_OK)
		goto out;
	free(pem);
	pem = pem_encode("CERTIFICATE", der, der_len);
	*ca_out = x509_from_der(der, der_len);
	if (pem == NULL || *ca_out == NULL || write_text(ca_path, pem, 0644) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write %s: %s", ca_path,
		                 strerror(errno));
		goto out;
	}
	free(text);
	text = malloc(strlen(key_id) + 2);
	if (text == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	sprintf(text, "%s\n", key_id);
	if (write_text(id_path, text, 0600) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write %s", id_path);
		goto out;
	}
	log_info("service_tls: created the service CA (key %s); clients trust %s", key_id, ca_path);
out:
	if (rc != EDGECA_OK) {
		X509_free(*ca_out);
		*ca_out = NULL;
	}
	X509_NAME_free(name);
	OPENSSL_free(subject_der);
	free(der);
	free(text);
	free(pem);
	return rc;
}

/* The names the listeners answer to: the public host of the API and of
 * EST, local names and the machine's host name. */
static int
listener_names(const struct edgeca_config *cfg, char names[6][260], int *n)
{
	char host[256];

	*n = 0;
	snprintf(names[(*n)++], 260, "%s", cfg->public_host);
	if (strcmp(cfg->public_est_host, cfg->public_host) != 0)
		snprintf(names[(*n)++], 260, "%s", cfg->public_est_host);
	if (strcmp(cfg->public_host, "localhost") != 0)
		snprintf(names[(*n)++], 260, "localhost");
	if (strcmp(cfg->public_host, "127.0.0.1") != 0)
		snprintf(names[(*n)++], 260, "127.0.0.1");
	if (strcmp(cfg->public_host, "::1") != 0)
		snprintf(names[(*n)++], 260, "::1");
	if (gethostname(host, sizeof(host)) == 0 && strchr(host, ':') == NULL &&
	    strcmp(host, cfg->public_host) != 0 && strcmp(host, "localhost") != 0) {
		host[sizeof(host) - 1] = '\0';
		snprintf(names[(*n)++], 260, "%s", host);
	}
	return 0;
}

static int
add_name(GENERAL_NAMES *gens, const char *name)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
	GENERAL_NAME *gn = GENERAL_NAME_new();

	ERR_clear_error();
	if (gn == NULL) {
		ASN1_OCTET_STRING_free(ip);
		return -1;
	}
	if (ip != NULL) {
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
	} else {
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		if (s == NULL || ASN1_STRING_set(s, name, (int)strlen(name)) != 1) {
			ASN1_IA5STRING_free(s);
			GENERAL_NAME_free(gn);
			return -1;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, s);
	}
	if (!sk_GENERAL_NAME_push(gens, gn)) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	return 0;
}

/* A CSR for the listener key with every listener name as SAN. */
static int
listener_csr(const struct edgeca_config *cfg, EVP_PKEY *key, unsigned char **der, int *len)
{
	char names[6][260];
	X509_REQ *req = X509_REQ_new();
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	int n = 0, rc = -1;

	*der = NULL;
	if (req == NULL || gens == NULL || exts == NULL)
		goto out;
	listener_names(cfg, names, &n);
	for (int i = 0; i < n; i++)
		if (add_name(gens, names[i]) != 0)
			goto out;
	if (X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
	                               MBSTRING_UTF8, (const unsigned char *)"edgeca", -1, -1, 0) != 1 ||
	    (ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	*len = i2d_X509_REQ(req, der);
	rc = *len > 0 ? 0 : -1;
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_REQ_free(req);
	return rc;
}

/* Is the stored listener certificate still good for this configuration? */
static int
listener_usable(const struct edgeca_config *cfg, const char *cert_pem, X509 *ca)
{
	X509 *x = pem_to_x509(cert_pem);
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	time_t not_after;
	int ok = 0;

	if (x == NULL)
		return 0;
	if (X509_verify(x, ca_key) == 1 &&
	    asn1_time_to_time_t(X509_get0_notAfter(x), &not_after) == 0 &&
	    not_after > time(NULL) + (time_t)cfg->tls_renew_before_days * 86400 &&
	    (X509_check_host(x, cfg->public_host, 0, 0, NULL) == 1 ||
	     X509_check_ip_asc(x, cfg->public_host, 0) == 1) &&
	    (X509_check_host(x, cfg->public_est_host, 0, 0, NULL) == 1 ||
	     X509_check_ip_asc(x, cfg->public_est_host, 0) == 1))
		ok = 1;
	ERR_clear_error();
	X509_free(x);
	return ok;
}

static edgeca_err
issue_listener_cert(struct edgeca_ctx *ctx, const struct edgeca_config *cfg, const char *dir, const char *ca_key_id,
                    struct tls_material *out, struct edgeca_msg *msg)
{
	char cert_path[PATH_BYTES], key_path[PATH_BYTES], ca_path[PATH_BYTES];
	char *leaf = NULL, *ca_pem = NULL;
	unsigned char *csr = NULL;
	struct signer_issued issued = {0};
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	struct buf chain = {0};
	int csr_len = 0;
	char *key_data;
	long key_len;
	edgeca_err rc;

	snprintf(cert_path, sizeof(cert_path), "%s/server.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/server.key", dir);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL || listener_csr(cfg, key, &csr, &csr_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make the listener key");
		goto out;
	}
	rc = signer_issue(ctx->signer, ca_key_id, "tls_server", csr, (size_t)csr_len,
	                  time(NULL) + (time_t)LISTENER_DAYS * 86400, NULL, &issued, msg);
	if (rc != EDGECA_OK)
		goto out;
	leaf = pem_encode("CERTIFICATE", issued.der, issued.der_len);
	ca_pem = read_text(ca_path);
	bio = BIO_new(BIO_s_mem());
	if (leaf == NULL || ca_pem == NULL || bio == NULL ||
	    buf_append_str(&chain, leaf) != 0 || buf_append_str(&chain, ca_pem) != 0 ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (key_len = BIO_get_mem_data(bio, &key_data)) <= 0 ||
	    (out->key_pem = strndup(key_data, (size_t)key_len)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the listener identity");
		goto out;
	}
	out->cert_pem = (char *)buf_take(&chain, NULL);
	if (write_text(key_path, out->key_pem, 0600) != 0 ||
	    write_text(cert_path, out->cert_pem, 0644) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write %s: %s", cert_path,
		                 strerror(errno));
		goto out;
	}
	log_info("service_tls: issued a listener certificate for %s", cfg->public_host);
out:
	if (rc != EDGECA_OK)
		tls_material_free(out);
	buf_free(&chain);
	BIO_free(bio);
	EVP_PKEY_free(key);
	OPENSSL_free(csr);
	signer_issued_free(&issued);
	free(leaf);
	free(ca_pem);
	return rc;
}

/* Whether m's first certificate belongs to m's key. */
static bool
pair_matches(const struct tls_material *m)
{
	X509 *x = pem_to_x509(m->cert_pem);
	BIO *b = BIO_new_mem_buf(m->key_pem, -1);
	EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	bool ok = x != NULL && key != NULL && X509_check_private_key(x, key) == 1;

	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(b);
	X509_free(x);
	return ok;
}

edgeca_err
service_tls_prepare(struct edgeca_ctx *ctx, const struct edgeca_config *cfg, struct tls_material *out,
                    struct edgeca_msg *msg)
{
	char dir[4096], path[PATH_BYTES], key_id[SIGNER_KEY_ID_BYTES];
	X509 *ca = NULL;
	int lock_fd = -1;
	edgeca_err rc = EDGECA_OK;

	memset(out, 0, sizeof(*out));
	if (cfg->tls_cert_file != NULL) {
		out->cert_pem = read_text(cfg->tls_cert_file);
		out->key_pem = read_text(cfg->tls_key_file);
		if (out->cert_pem == NULL || out->key_pem == NULL) {
			tls_material_free(out);
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                   "cannot read EDGECA_TLS_CERT / EDGECA_TLS_KEY");
		}
		if (!pair_matches(out)) { /* e.g. one file replaced, not yet the other */
			tls_material_free(out);
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                   "EDGECA_TLS_CERT and EDGECA_TLS_KEY are not a certificate "
			                   "and its key");
		}
		return EDGECA_OK;
	}
	snprintf(dir, sizeof(dir), "%s/tls", cfg->data_dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot create %s: %s", dir,
		                   strerror(errno));
	/* Servers sharing a data directory take turns here. */
	snprintf(path, sizeof(path), "%s/.lock", dir);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot lock %s", path);
		goto out;
	}
	rc = ensure_service_ca(ctx, dir, key_id, &ca, msg);
	if (rc != EDGECA_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/server.pem", dir);
	out->cert_pem = read_text(path);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	out->key_pem = read_text(path);
	if (out->cert_pem != NULL && out->key_pem != NULL && listener_usable(cfg, out->cert_pem, ca))
		goto out;
	tls_material_free(out);
	rc = issue_listener_cert(ctx, cfg, dir, key_id, out, msg);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	X509_free(ca);
	return rc;
}
