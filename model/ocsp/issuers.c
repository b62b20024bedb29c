/* The issuers the responder answers for: each CA location key, current
 * or replaced, with the hashes of its certificate's subject and key for
 * every hash a CertID may use. Read from the database whole (a few
 * hundred keys at most) and read again when a CertID names none of them,
 * at most once a second, so that a new CA or key is found at its first
 * request. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/x509util.h"
#include "model/ocsp/ocsp.h"

#define N_HASHES 4

struct issuer {
	struct ocsp_issuer pub;
	unsigned char name[N_HASHES][64];
	unsigned char key[N_HASHES][64];
	struct ocsp_responder resp; /* key_id "" when none is known */
};

struct ocsp_issuers {
	pthread_mutex_t reload; /* one reader of the database at a time */
	pthread_rwlock_t lock;
	struct issuer *v;
	size_t n;
	time_t read_at;
};

static const int nids[N_HASHES] = {NID_sha1, NID_sha256, NID_sha384, NID_sha512};

struct ocsp_issuers *
ocsp_issuers_new(void)
{
	struct ocsp_issuers *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return NULL;
	if (pthread_mutex_init(&ix->reload, NULL) != 0) {
		free(ix);
		return NULL;
	}
	if (pthread_rwlock_init(&ix->lock, NULL) != 0) {
		pthread_mutex_destroy(&ix->reload);
		free(ix);
		return NULL;
	}
	return ix;
}

void
ocsp_issuers_free(struct ocsp_issuers *ix)
{
	if (ix == NULL)
		return;
	free(ix->v);
	pthread_rwlock_destroy(&ix->lock);
	pthread_mutex_destroy(&ix->reload);
	free(ix);
}

/* The hashes of one CA certificate. Returns 0 or -1. */
static int
issuer_fill(struct issuer *is, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char *name = NULL;
	const ASN1_BIT_STRING *key;
	int name_len, rc = -1;

	if (x == NULL || (name_len = i2d_X509_NAME(X509_get_subject_name(x), &name)) <= 0 ||
	    (key = X509_get0_pubkey_bitstr(x)) == NULL)
		goto out;
	for (int i = 0; i < N_HASHES; i++) {
		const EVP_MD *md = EVP_get_digestbynid(nids[i]);
		if (md == NULL || EVP_Digest(name, (size_t)name_len, is->name[i], NULL, md, NULL) != 1 ||
		    EVP_Digest(key->data, (size_t)key->length, is->key[i], NULL, md, NULL) != 1)
			goto out;
	}
	memcpy(is->pub.sha1_key, is->key[0], 20);
	rc = 0;
out:
	OPENSSL_free(name);
	X509_free(x);
	return rc;
}

static edgeca_err
load_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct ocsp_issuers *ix = arg;
	struct issuer *v = NULL;
	PGresult *r = NULL;
	size_t n = 0;
	edgeca_err rc;

	rc = db_exec(c, "SELECT ca_id, signer_key_id, certificate_der FROM ca_locations "
	                "WHERE certificate_der IS NOT NULL UNION ALL "
	                "SELECT ca_id, signer_key_id, certificate_der FROM ca_location_history",
	             NULL, 0, &r, "read the CA keys", msg);
	if (rc != EDGECA_OK)
		goto out;
	if ((v = calloc((size_t)PQntuples(r) + 1, sizeof(*v))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		if (db_get_bytea(r, i, "certificate_der", &der, &len) == 0 &&
		    issuer_fill(&v[n], der, len) == 0) {
			snprintf(v[n].pub.key_id, sizeof(v[n].pub.key_id), "%s",
			         db_get(r, i, "signer_key_id"));
			snprintf(v[n].pub.ca_id, sizeof(v[n].pub.ca_id), "%s", db_get(r, i, "ca_id"));
			n++;
		}
		free(der);
	}
	pthread_rwlock_wrlock(&ix->lock);
	free(ix->v);
	ix->v = v;
	ix->n = n;
	ix->read_at = time(NULL);
	pthread_rwlock_unlock(&ix->lock);
	v = NULL;
out:
	free(v);
	PQclear(r);
	return rc;
}

static bool
lookup(struct ocsp_issuers *ix, const struct ocsp_certid *id, struct ocsp_issuer *out)
{
	bool found = false;
	int h = -1;

	for (int i = 0; i < N_HASHES; i++)
		if (nids[i] == id->hash_nid)
			h = i;
	if (h < 0)
		return false;
	pthread_rwlock_rdlock(&ix->lock);
	for (size_t i = 0; !found && i < ix->n; i++)
		if (memcmp(ix->v[i].key[h], id->key_hash, id->key_hash_len) == 0 &&
		    memcmp(ix->v[i].name[h], id->name_hash, id->name_hash_len) == 0) {
			*out = ix->v[i].pub;
			found = true;
		}
	pthread_rwlock_unlock(&ix->lock);
	return found;
}

edgeca_err
ocsp_issuers_find(struct ocsp_issuers *ix, struct db_pool *db, const struct ocsp_certid *id,
                  struct ocsp_issuer *out, bool *found, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;
	time_t read_at;

	if ((*found = lookup(ix, id, out)) || id->hash_nid == 0)
		return EDGECA_OK;
	pthread_mutex_lock(&ix->reload);
	pthread_rwlock_rdlock(&ix->lock);
	read_at = ix->read_at;
	pthread_rwlock_unlock(&ix->lock);
	if (time(NULL) - read_at >= 1)
		rc = db_with(db, load_on, ix, msg);
	pthread_mutex_unlock(&ix->reload);
	if (rc == EDGECA_OK)
		*found = lookup(ix, id, out);
	return rc;
}

bool
ocsp_issuers_responder(struct ocsp_issuers *ix, const char *key_id, time_t now,
                       struct ocsp_responder *out)
{
	bool found = false;

	pthread_rwlock_rdlock(&ix->lock);
	for (size_t i = 0; !found && i < ix->n; i++)
		if (strcmp(ix->v[i].pub.key_id, key_id) == 0 && ix->v[i].resp.key_id[0] != '\0' &&
		    now < ix->v[i].resp.fresh_until) {
			*out = ix->v[i].resp;
			found = true;
		}
	pthread_rwlock_unlock(&ix->lock);
	return found;
}

void
ocsp_issuers_set_responder(struct ocsp_issuers *ix, const char *key_id,
                           const struct ocsp_responder *r)
{
	pthread_rwlock_wrlock(&ix->lock);
	for (size_t i = 0; i < ix->n; i++)
		if (strcmp(ix->v[i].pub.key_id, key_id) == 0)
			ix->v[i].resp = *r;
	pthread_rwlock_unlock(&ix->lock);
}
