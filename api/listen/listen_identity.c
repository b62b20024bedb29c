/* The swappable TLS identity of the listeners (see listen_identity.h). */
#include "api/listen/listen_identity.h"

#include <pthread.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <string.h>

#define MAX_CHAIN 8

struct identity {
	char *cert_pem; /* to tell a changed certificate from the same one */
	gnutls_pcert_st pcerts[MAX_CHAIN];
	unsigned int n_pcerts;
	gnutls_privkey_t key;
	struct identity *older; /* replaced ones, kept until listen_identity_clear */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct identity *current;

static void
identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	for (unsigned int i = 0; i < id->n_pcerts; i++)
		gnutls_pcert_deinit(&id->pcerts[i]);
	if (id->key != NULL)
		gnutls_privkey_deinit(id->key);
	free(id->cert_pem);
	free(id);
}

static struct identity *
identity_new(const struct tls_material *m)
{
	struct identity *id = calloc(1, sizeof(*id));
	gnutls_datum_t cert = {(unsigned char *)m->cert_pem, (unsigned int)strlen(m->cert_pem)};
	gnutls_datum_t key = {(unsigned char *)m->key_pem, (unsigned int)strlen(m->key_pem)};

	if (id == NULL)
		return NULL;
	if ((id->cert_pem = strdup(m->cert_pem)) == NULL)
		goto fail;
	id->n_pcerts = MAX_CHAIN;
	if (gnutls_pcert_list_import_x509_raw(id->pcerts, &id->n_pcerts, &cert,
	                                      GNUTLS_X509_FMT_PEM, 0) < 0) {
		id->n_pcerts = 0; /* nothing imported is left to release */
		goto fail;
	}
	if (gnutls_privkey_init(&id->key) < 0) {
		id->key = NULL;
		goto fail;
	}
	if (gnutls_privkey_import_x509_raw(id->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0)
		goto fail;
	return id;
fail:
	identity_free(id);
	return NULL;
}

edgeca_err
listen_identity_set(const struct tls_material *m, bool *changed, struct edgeca_msg *msg)
{
	struct identity *id;
	bool same;

	if (changed != NULL)
		*changed = false;
	pthread_mutex_lock(&lock);
	same = current != NULL && strcmp(current->cert_pem, m->cert_pem) == 0;
	pthread_mutex_unlock(&lock);
	if (same)
		return EDGECA_OK;
	if ((id = identity_new(m)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "the listener certificate or key cannot be loaded");
	pthread_mutex_lock(&lock);
	id->older = current;
	current = id;
	pthread_mutex_unlock(&lock);
	if (changed != NULL)
		*changed = true;
	return EDGECA_OK;
}

void
listen_identity_clear(void)
{
	struct identity *id;

	pthread_mutex_lock(&lock);
	id = current;
	current = NULL;
	pthread_mutex_unlock(&lock);
	while (id != NULL) {
		struct identity *older = id->older;
		identity_free(id);
		id = older;
	}
}

int
listen_identity_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                         int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                         gnutls_pcert_st **pcert, unsigned int *pcert_length,
                         gnutls_privkey_t *pkey)
{
	int rc = -1;

	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&lock);
	if (current != NULL) {
		/* gnutls does not free what it is given here */
		*pcert = current->pcerts;
		*pcert_length = current->n_pcerts;
		*pkey = current->key;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void
tls_material_free(struct tls_material *m)
{
	if (m == NULL)
		return;
	free(m->cert_pem);
	if (m->key_pem != NULL) {
		OPENSSL_cleanse(m->key_pem, strlen(m->key_pem));
		free(m->key_pem);
	}
	m->cert_pem = m->key_pem = NULL;
}
