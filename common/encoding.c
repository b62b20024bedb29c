#include "common/encoding.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
b64_encode_alpha(const unsigned char *in, size_t len, size_t line_len, const char *alpha,
                 bool pad)
{
	size_t groups = (len + 2) / 3, out_len = groups * 4, lines = 0, o = 0, col = 0;
	char *out, quad[4];

	if (line_len > 0)
		lines = out_len / line_len + 1;
	out = malloc(out_len + lines + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;
		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		quad[0] = alpha[(v >> 18) & 63];
		quad[1] = alpha[(v >> 12) & 63];
		quad[2] = n > 1 ? alpha[(v >> 6) & 63] : '=';
		quad[3] = n > 2 ? alpha[v & 63] : '=';
		for (int k = 0; k < 4; k++) {
			if (quad[k] == '=' && !pad)
				continue;
			out[o++] = quad[k];
			if (line_len > 0 && ++col == line_len) {
				out[o++] = '\n';
				col = 0;
			}
		}
	}
	if (line_len > 0 && col > 0)
		out[o++] = '\n';
	out[o] = '\0';
	return out;
}

char *
base64_encode(const unsigned char *in, size_t len, size_t line_len)
{
	return b64_encode_alpha(in, len, line_len, b64_std, true);
}

char *
base64url_encode(const unsigned char *in, size_t len)
{
	return b64_encode_alpha(in, len, 0, b64_url, false);
}

static int
b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (!url && c == '+')
		return 62;
	if (!url && c == '/')
		return 63;
	if (url && c == '-')
		return 62;
	if (url && c == '_')
		return 63;
	return -1;
}

static bool
is_b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
b64_decode_alpha(const char *in, size_t len, bool skip_ws, bool url, unsigned char **out,
                 size_t *out_len)
{
	unsigned char *buf;
	uint32_t acc = 0;
	size_t o = 0, nchars = 0, npad = 0;
	int rc = -1;

	buf = malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int v;
		if (skip_ws && is_b64_space(c))
			continue;
		if (c == '=' && !url) {
			npad++;
			continue;
		}
		if (npad > 0)
			goto out; /* data after padding */
		v = b64_value(c, url);
		if (v < 0)
			goto out;
		acc = (acc << 6) | (uint32_t)v;
		nchars++;
		if (nchars % 4 == 0) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (nchars % 4) {
	case 0:
		if (npad != 0)
			goto out;
		break;
	case 2:
		if ((!url && npad != 2) || (acc & 0xf) != 0)
			goto out;
		buf[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if ((!url && npad != 1) || (acc & 0x3) != 0)
			goto out;
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		goto out;
	}
	*out = buf;
	*out_len = o;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int
base64_decode(const char *in, size_t len, bool skip_whitespace, unsigned char **out,
              size_t *out_len)
{
	return b64_decode_alpha(in, len, skip_whitespace, false, out, out_len);
}

int
base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
	return b64_decode_alpha(in, len, false, true, out, out_len);
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
pem_encode(const char *label, const unsigned char *der, size_t len)
{
	char *b64, *out = NULL;
	size_t need;

	b64 = base64_encode(der, len, 64);
	if (b64 == NULL)
		return NULL;
	need = strlen(b64) + 2 * strlen(label) + 64;
	out = malloc(need);
	if (out != NULL)
		snprintf(out, need, "-----BEGIN %s-----\n%s-----END %s-----\n", label, b64, label);
	free(b64);
	return out;
}

bool
looks_like_pem(const unsigned char *data, size_t len)
{
	size_t i = 0;

	while (i < len && is_b64_space((char)data[i]))
		i++;
	return len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0;
}

static const char *
find_bytes(const char *hay, size_t hay_len, const char *needle)
{
	size_t n = strlen(needle);

	if (n > hay_len)
		return NULL;
	for (size_t i = 0; i + n <= hay_len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

enum pem_result
pem_decode(const char *text, size_t len, const char *const *labels, int *which,
           unsigned char **der, size_t *der_len, const char **rest)
{
	const char *begin, *label, *label_end, *body, *end, *after, *limit = text + len;
	char end_line[128];
	size_t label_len;
	int idx = -1;

	begin = find_bytes(text, len, "-----BEGIN ");
	if (begin == NULL)
		return PEM_NOT_PEM;
	label = begin + 11;
	label_end = find_bytes(label, (size_t)(limit - label), "-----");
	if (label_end == NULL)
		return PEM_NOT_PEM;
	label_len = (size_t)(label_end - label);
	for (int i = 0; labels[i] != NULL; i++) {
		if (strlen(labels[i]) == label_len && memcmp(labels[i], label, label_len) == 0) {
			idx = i;
			break;
		}
	}
	if (idx < 0)
		return PEM_WRONG_LABEL;
	if (label_len > 100)
		return PEM_NOT_PEM;
	snprintf(end_line, sizeof(end_line), "-----END %.*s-----", (int)label_len, label);
	body = label_end + 5;
	end = find_bytes(body, (size_t)(limit - body), end_line);
	if (end == NULL)
		return PEM_NO_END;
	after = end + strlen(end_line);
	if (rest != NULL) {
		*rest = after;
	} else {
		for (const char *p = after; p < limit; p++)
			if (!is_b64_space(*p))
				return PEM_TRAILING;
	}
	if (base64_decode(body, (size_t)(end - body), true, der, der_len) != 0)
		return PEM_BAD_BASE64;
	if (which != NULL)
		*which = idx;
	return PEM_OK;
}

int
uuid_valid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(form) - 1)
		return 0;
	for (size_t i = 0; form[i]; i++) {
		if (form[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}
