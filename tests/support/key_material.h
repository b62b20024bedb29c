/* A signer key's private material in every form a leak could take (the
 * PKCS#8 DER, the traditional DER, the raw private scalar or the RSA
 * private exponent and primes), opened from the key's sealed record with
 * the KEK of the signer's state directory that the test itself set up;
 * and a check that none of it occurs in a byte string. For tests that
 * must prove no signer reply carries a private key in clear. */
#ifndef EDGECA_TEST_SUPPORT_KEY_MATERIAL_H
#define EDGECA_TEST_SUPPORT_KEY_MATERIAL_H

#include <stddef.h>

#define KEY_MATERIAL_MAX 8

struct key_material {
	char key_id[65];
	unsigned n;
	struct {
		const char *form; /* "PKCS#8 DER", "RSA d", ... */
		unsigned char *bytes;
		size_t len;
	} secret[KEY_MATERIAL_MAX];
};

/* Opens key_id's sealed record (record, len: KEY_RECORD of a signer
 * reply) with the record key derived from <state_dir>/kek, and fills km
 * with its forms. Fails the test when it does not open.
 * Ownership: km's buffers are the caller's (key_material_free). */
void key_material_load(const char *state_dir, const char *key_id, const unsigned char *record,
                       size_t len, struct key_material *km);
void key_material_free(struct key_material *km);

/* Writes key_id as the signer's file store kept keys before sealed
 * records (<state_dir>/keys/<id>.key, encrypted PKCS#8 PEM under the
 * passphrase derived from the KEK, and <id>.meta, the record's metadata
 * text): a state directory as earlier versions left it. */
void key_material_write_legacy(const char *state_dir, const char *key_id,
                               const unsigned char *record, size_t len);

/* Fails the test, naming where and the form, when any secret of km
 * occurs anywhere in data. */
void key_material_absent(const struct key_material *km, const unsigned char *data, size_t len,
                         const char *where);

#endif
