#include "common/pkcs7_der.h"

#include <stdlib.h>
#include <string.h>

#include "common/der.h"
#include "common/encoding.h"

/* 1.2.840.113549.1.7.2 (signedData) and 1.2.840.113549.1.7.1 (data). */
static const unsigned char oid_signed_data[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                0x0d, 0x01, 0x07, 0x02};
static const unsigned char oid_data[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x07, 0x01};
/* version 1, no digest algorithms; after the certificates, no signers. */
static const unsigned char version_digests[] = {0x02, 0x01, 0x01, 0x31, 0x00};
static const unsigned char no_signers[] = {0x31, 0x00};

/* Everything below stays under 2^32 bytes, what der_header_put writes. */
#define PKCS7_MAX_CERTS_BYTES ((size_t)1 << 30)

static unsigned char *
put(unsigned char *p, const void *data, size_t len)
{
	memcpy(p, data, len);
	return p + len;
}

static unsigned char *
put_header(unsigned char *p, unsigned char tag, size_t len)
{
	unsigned char h[DER_MAX_HEADER];

	return put(p, h, der_header_put(h, tag, len));
}

int
pkcs7_certs_only_der(const struct der_span *certs, size_t n, unsigned char **out,
                     size_t *out_len)
{
	size_t certs_len = 0, content_info, signed_data, explicit0, total;
	unsigned char *buf, *p;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *d = certs[i].der;
		if (d == NULL || certs[i].len == 0 || d[0] != DER_SEQUENCE ||
		    der_element_size(d, d + certs[i].len) != certs[i].len ||
		    certs[i].len > PKCS7_MAX_CERTS_BYTES - certs_len)
			return -1;
		certs_len += certs[i].len;
	}
	content_info = 2 + sizeof(oid_data);
	signed_data = sizeof(version_digests) + content_info + der_header_size(certs_len) +
	              certs_len + sizeof(no_signers);
	explicit0 = der_header_size(signed_data) + signed_data;
	total = sizeof(oid_signed_data) + der_header_size(explicit0) + explicit0;
	buf = malloc(der_header_size(total) + total);
	if (buf == NULL)
		return -1;
	p = put_header(buf, DER_SEQUENCE, total);
	p = put(p, oid_signed_data, sizeof(oid_signed_data));
	p = put_header(p, DER_CONTEXT_0, explicit0);
	p = put_header(p, DER_SEQUENCE, signed_data);
	p = put(p, version_digests, sizeof(version_digests));
	p = put_header(p, DER_SEQUENCE, sizeof(oid_data));
	p = put(p, oid_data, sizeof(oid_data));
	/* certificates [0] IMPLICIT, in the given order as OpenSSL keeps them */
	p = put_header(p, DER_CONTEXT_0, certs_len);
	for (size_t i = 0; i < n; i++)
		p = put(p, certs[i].der, certs[i].len);
	p = put(p, no_signers, sizeof(no_signers));
	*out = buf;
	*out_len = (size_t)(p - buf);
	return 0;
}

int
pkcs7_with_pem_chain(const unsigned char *first, size_t first_len, const char *chain_pem,
                     unsigned char **out, size_t *out_len)
{
	static const char *const labels[] = {"CERTIFICATE", NULL};
	unsigned char *chain_der[PKCS7_MAX_CHAIN_CERTS] = {0};
	struct der_span certs[PKCS7_MAX_CHAIN_CERTS + 1];
	const char *text = chain_pem ? chain_pem : "", *end = text + strlen(text);
	size_t n = 0;
	int rc = -1;

	certs[n++] = (struct der_span){first, first_len};
	while (text + strspn(text, " \t\r\n") < end) {
		const char *rest = NULL;

		if (n > PKCS7_MAX_CHAIN_CERTS ||
		    pem_decode(text, (size_t)(end - text), labels, NULL, &chain_der[n - 1],
		               &certs[n].len, &rest) != PEM_OK)
			goto out;
		certs[n].der = chain_der[n - 1];
		n++;
		text = rest ? rest : end;
	}
	rc = pkcs7_certs_only_der(certs, n, out, out_len);
out:
	for (size_t i = 0; i < PKCS7_MAX_CHAIN_CERTS; i++)
		free(chain_der[i]);
	return rc;
}
