/* What a signer key is made of, shared by the key store's files
 * (signer/daemon/keystore_int.h): freeing one, the digest that binds its
 * private key to its metadata, and the form of its id. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "signer/daemon/keystore_int.h"

void
ks_key_free(struct signer_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	X509_free(k->cert);
	name_rules_free(k->policy.names);
	X509_free(k->policy.ocsp_ca_cert);
	free(k->ocsp); /* one allocation (signer/daemon/ocsp.c) */
	free(k);
}

int
ks_spki_digest(EVP_PKEY *pk, char out[SHA256_HEX_BYTES])
{
	unsigned char *der = NULL, md[32];
	unsigned int md_len = sizeof(md);
	int len = i2d_PUBKEY(pk, &der), rc = -1;

	if (len > 0 && EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL) == 1) {
		hex_encode(md, md_len, out);
		rc = 0;
	}
	OPENSSL_free(der);
	return rc;
}

int
ks_key_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n != KEY_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return 0;
	return 1;
}
