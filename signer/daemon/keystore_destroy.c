/* Destroying a key (signer/daemon/keystore.h keystore_destroy): its
 * objects in the PKCS#11 token, then the private key in memory. What is
 * left of the key is a tombstone on the store's destroyed list. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signer/daemon/keystore_int.h"

struct signer_key *
ks_find_destroyed(struct keystore *ks, const char *id)
{
	struct signer_key *k;

	for (k = ks->destroyed; k != NULL; k = k->next)
		if (strcmp(k->id, id) == 0)
			break;
	return k;
}

/* Takes key off the held list (lock held). Returns 0, or -1 when the
 * store does not hold it. The key still counts towards max_keys: what a
 * destroyed key leaves in memory stays bounded by the limit. */
static int
unlink_key(struct keystore *ks, struct signer_key *key)
{
	struct signer_key **pp;

	for (pp = &ks->keys; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == key) {
			*pp = key->next;
			return 0;
		}
	}
	return -1;
}

edgeca_err
keystore_destroy(struct keystore *ks, struct signer_key *key, struct edgeca_msg *msg)
{
	unsigned objects = 0;
	edgeca_err rc = EDGECA_OK;

	if (key->in_token) {
		if (ks->token == NULL)
			rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "key-in-token",
			                 "key %s lives in a PKCS#11 token and this signer has none", key->id);
		else
			rc = p11_destroy(ks->token, key->id, &objects, msg);
		if (rc != EDGECA_OK)
			goto out;
	}
	pthread_mutex_lock(&ks->lock);
	if (unlink_key(ks, key) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-destroyed", "key %s was destroyed",
		                 key->id);
	} else {
		EVP_PKEY_free(key->pkey); /* clears the private key's memory */
		key->pkey = NULL;
		key->next = ks->destroyed;
		ks->destroyed = key;
	}
	pthread_mutex_unlock(&ks->lock);
	if (rc == EDGECA_OK && key->in_token)
		log_info("keystore_destroy: key=%s: %u objects destroyed in the PKCS#11 token", key->id,
		         objects);
out:
	return rc;
}
