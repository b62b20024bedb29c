#include "signer/daemon/keymeta.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/x509util.h"
#include "signer/daemon/algorithms.h"

#define META_MAGIC "edgeca-signer-key 1"

/* The lines, in this order. name_rules is written only for a key that
 * has them, so that the files of keys without (all keys made before name
 * rules existed) stay exactly what they were; key_store (always
 * "pkcs11") only for a key held in a PKCS#11 token; ocsp_issuer (the CA
 * key's id and its certificate as base64 DER) only for an OCSP responder
 * key, whose templates are "-". A signer of an earlier version refuses
 * the record of a responder key rather than reading it as a CA key. */
enum meta_line {
	ML_MAGIC, ML_ID, ML_ALGORITHM, ML_SPKI, ML_TEMPLATES, ML_MAX_DAYS, ML_PATH_LENGTH,
	ML_NAME_RULES, ML_KEY_STORE, ML_OCSP_ISSUER, ML_CERTIFICATE, ML_HMAC, ML_COUNT
};
static const char *const line_names[ML_COUNT] = {
	NULL, "id", "algorithm", "public_key_sha256", "templates", "max_validity_days",
	"path_length", "name_rules", "key_store", "ocsp_issuer", "certificate", "hmac"};

static bool
optional_line(int i)
{
	return i == ML_NAME_RULES || i == ML_KEY_STORE || i == ML_OCSP_ISSUER;
}

/* "<key id> <base64 DER>" of a responder key's CA, into the policy. */
static int
ocsp_issuer_parse(struct signer_policy *p, const char *v)
{
	const char *sp = strchr(v, ' ');
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc = -1;

	if (sp == NULL || sp - v != 32 || p->templates != 0 ||
	    base64_decode(sp + 1, strlen(sp + 1), false, &der, &der_len) != 0)
		goto out;
	memcpy(p->ocsp_ca_key, v, 32);
	p->ocsp_ca_key[32] = '\0';
	p->ocsp_ca_cert = x509_from_der(der, der_len);
	rc = p->ocsp_ca_cert != NULL && policy_validate(p, NULL) == EDGECA_OK ? 0 : -1;
out:
	free(der);
	return rc;
}

/* The text without its hmac line. */
static int
meta_body(const struct signer_key *k, struct buf *b)
{
	char templates[256], *rules = NULL;
	unsigned char *der = NULL, *ca_der = NULL;
	size_t der_len = 0, ca_len = 0;
	char *b64 = NULL, *ca_b64 = NULL;
	int rc = -1;

	if (tpl_mask_format(k->policy.templates, templates, sizeof(templates)) != 0)
		goto out;
	if (k->policy.ocsp_ca_cert != NULL &&
	    (x509_der(k->policy.ocsp_ca_cert, &ca_der, &ca_len) != 0 ||
	     (ca_b64 = base64_encode(ca_der, ca_len, 0)) == NULL))
		goto out;
	if (k->cert != NULL) {
		if (x509_der(k->cert, &der, &der_len) != 0)
			goto out;
		b64 = base64_encode(der, der_len, 0);
		if (b64 == NULL)
			goto out;
	}
	if (k->policy.names != NULL && (rules = name_rules_text(k->policy.names)) == NULL)
		goto out;
	if (buf_printf(b, "%s\nid %s\nalgorithm %s\npublic_key_sha256 %s\ntemplates %s\n"
	               "max_validity_days %u\npath_length %d\n", META_MAGIC, k->id,
	               k->algorithm, k->spki_sha256, templates[0] ? templates : "-",
	               k->policy.max_validity_days,
	               k->policy.path_length) != 0 ||
	    (rules != NULL && buf_printf(b, "name_rules %s\n", rules) != 0) ||
	    (k->in_token && buf_printf(b, "key_store pkcs11\n") != 0) ||
	    (ca_b64 != NULL &&
	     buf_printf(b, "ocsp_issuer %s %s\n", k->policy.ocsp_ca_key, ca_b64) != 0) ||
	    buf_printf(b, "certificate %s\n", b64 ? b64 : "-") != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	OPENSSL_free(ca_der);
	free(b64);
	free(ca_b64);
	free(rules);
	return rc;
}

static int
meta_mac(const unsigned char mac_key[KEYMETA_MAC_KEY_LEN], const unsigned char *data,
         size_t len, char hex[SHA256_HEX_BYTES])
{
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);

	if (HMAC(EVP_sha256(), mac_key, KEYMETA_MAC_KEY_LEN, data, len, mac, &mac_len) == NULL)
		return -1;
	hex_encode(mac, sizeof(mac), hex);
	return 0;
}

int
keymeta_format(const unsigned char mac_key[KEYMETA_MAC_KEY_LEN], const struct signer_key *k,
               struct buf *out)
{
	char mac[SHA256_HEX_BYTES];

	if (meta_body(k, out) != 0 || meta_mac(mac_key, out->data, out->len, mac) != 0 ||
	    buf_printf(out, "hmac %s\n", mac) != 0)
		return -1;
	return 0;
}

/* The values of the lines, in place; lines[ML_NAME_RULES] NULL when the
 * file has none. Only the names and the order are checked here. */
static int
split_lines(char *text, size_t len, char *lines[ML_COUNT])
{
	char *p = text;

	for (int i = 0; i < ML_COUNT; i++) {
		char *nl = memchr(p, '\n', len - (size_t)(p - text));
		size_t n;

		lines[i] = NULL;
		if (nl == NULL)
			return -1;
		*nl = '\0';
		if (i == ML_MAGIC) {
			if (strcmp(p, META_MAGIC) != 0)
				return -1;
			lines[i] = p;
			p = nl + 1;
			continue;
		}
		n = strlen(line_names[i]);
		if (strncmp(p, line_names[i], n) != 0 || p[n] != ' ') {
			*nl = '\n';
			if (optional_line(i))
				continue; /* an optional line: the next one is read again */
			return -1;
		}
		lines[i] = p + n + 1;
		p = nl + 1;
	}
	return (size_t)(p - text) == len ? 0 : -1;
}

int
keymeta_parse(const unsigned char mac_key[KEYMETA_MAC_KEY_LEN], struct signer_key *k,
              char *text, size_t len)
{
	char *lines[ML_COUNT], *hmac_at, mac[SHA256_HEX_BYTES], *end;
	unsigned char *der = NULL;
	size_t der_len = 0;
	long v;
	int rc = -1;

	if (memchr(text, '\0', len) != NULL)
		goto out;
	/* the MAC covers every line before "hmac", the optional one too */
	hmac_at = memmem(text, len, "\nhmac ", 6);
	if (hmac_at == NULL ||
	    meta_mac(mac_key, (unsigned char *)text, (size_t)(hmac_at - text) + 1, mac) != 0)
		goto out;
	if (split_lines(text, len, lines) != 0)
		goto out;
	if (strlen(lines[ML_HMAC]) != 64 || CRYPTO_memcmp(mac, lines[ML_HMAC], 64) != 0)
		goto out;
	if (strcmp(lines[ML_ID], k->id) != 0 || key_algorithm_find(lines[ML_ALGORITHM]) == NULL ||
	    strlen(lines[ML_SPKI]) != 64)
		goto out;
	snprintf(k->algorithm, sizeof(k->algorithm), "%s", lines[ML_ALGORITHM]);
	memcpy(k->spki_sha256, lines[ML_SPKI], 65);
	/* "-": none, the templates of an OCSP responder key alone */
	if (strcmp(lines[ML_TEMPLATES], "-") == 0 ? lines[ML_OCSP_ISSUER] == NULL
	                                          : tpl_mask_parse(lines[ML_TEMPLATES],
	                                                           &k->policy.templates) != 0)
		goto out;
	v = strtol(lines[ML_MAX_DAYS], &end, 10);
	if (*end || v < 1 || v > POLICY_MAX_VALIDITY_DAYS)
		goto out;
	k->policy.max_validity_days = (uint32_t)v;
	v = strtol(lines[ML_PATH_LENGTH], &end, 10);
	if (*end || v < -1 || v > 16)
		goto out;
	k->policy.path_length = (int32_t)v;
	if (lines[ML_NAME_RULES] != NULL &&
	    name_rules_parse(lines[ML_NAME_RULES], &k->policy.names, NULL) != EDGECA_OK)
		goto out;
	if (lines[ML_KEY_STORE] != NULL && strcmp(lines[ML_KEY_STORE], "pkcs11") != 0)
		goto out;
	k->in_token = lines[ML_KEY_STORE] != NULL;
	if (lines[ML_OCSP_ISSUER] != NULL && ocsp_issuer_parse(&k->policy, lines[ML_OCSP_ISSUER]) != 0)
		goto out;
	if (strcmp(lines[ML_CERTIFICATE], "-") != 0) {
		if (base64_decode(lines[ML_CERTIFICATE], strlen(lines[ML_CERTIFICATE]), false, &der,
		                  &der_len) != 0)
			goto out;
		k->cert = x509_from_der(der, der_len);
		if (k->cert == NULL)
			goto out;
	}
	rc = 0;
out:
	free(der);
	return rc;
}
