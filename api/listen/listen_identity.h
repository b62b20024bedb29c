/* The TLS identity (certificate chain and key) both listeners present,
 * swappable while they run: each handshake asks for the current one, so a
 * renewed listener certificate is served from the next connection on,
 * without a restart. One identity per process. */
#ifndef EDGECA_API_LISTEN_IDENTITY_H
#define EDGECA_API_LISTEN_IDENTITY_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>

#include "common/error.h"

/* A TLS identity: the leaf certificate followed by its chain, and the
 * private key, both PEM. */
struct tls_material {
	char *cert_pem;
	char *key_pem;
};

void tls_material_free(struct tls_material *m);

/* Sets the identity from m (PEM chain and key); first call at start-up,
 * later calls when the listener certificate changed. An identity that is
 * replaced stays allocated until listen_identity_clear, since a handshake
 * in progress may still use it. *changed (may be NULL) tells whether m
 * differs from the current identity; an unchanged one is kept as is. */
edgeca_err listen_identity_set(const struct tls_material *m, bool *changed,
                               struct edgeca_msg *msg);
/* Frees every identity; once the listeners have stopped. */
void listen_identity_clear(void);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK: the current identity. */
int listen_identity_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                             int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                             int pk_algos_length, gnutls_pcert_st **pcert,
                             unsigned int *pcert_length, gnutls_privkey_t *pkey);

#endif
