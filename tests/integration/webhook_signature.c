/* The check a webhook receiver makes of an edgeca delivery's
 * X-Edgeca-Signature, written from docs/lifecycle.md's description (not from
 * edgeca's code): the test receiver of sinks.c applies it to every
 * request, and tests apply it to replays they forge. */
#include "tests/integration/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/integration/sinks.h"

#define WHY_MAX 200

/* 64 hex digits (either case) into 32 bytes; -1 for anything else. */
static int
hex32(const char *hex, size_t len, unsigned char out[32])
{
	if (len != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | v : v);
	}
	return 0;
}

int
webhook_verify(const char *header, const char *body, const char *secret, time_t now, char *why,
               size_t why_len)
{
	unsigned char md[32], given[32];
	unsigned int md_len = 0;
	char *signed_text = NULL;
	const char *p = header;
	long long t = -1;
	bool have_v1 = false, match = false;
	int rc = -2;

	/* comma-separated key=value pairs: one t, one or more v1 (a sender
	 * rotating its scheme may add others, ignored) */
	while (*p != '\0') {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (eq == NULL || eq >= p + len) {
			snprintf(why, why_len, "malformed X-Edgeca-Signature \"%s\"", header);
			goto out;
		}
		if (eq - p == 1 && p[0] == 't') {
			char *digits_end = NULL;
			if (t >= 0 || !(eq[1] >= '0' && eq[1] <= '9') ||
			    (t = strtoll(eq + 1, &digits_end, 10)) < 0 || digits_end != p + len) {
				snprintf(why, why_len, "bad t in X-Edgeca-Signature \"%s\"", header);
				goto out;
			}
		} else if (eq - p == 2 && strncmp(p, "v1", 2) == 0) {
			have_v1 = true;
		}
		p = end ? end + 1 : p + len;
	}
	if (t < 0 || !have_v1) {
		snprintf(why, why_len, "X-Edgeca-Signature \"%s\" lacks t or v1", header);
		goto out;
	}
	/* a delivery signed more than five minutes from the receiver's clock
	 * is a replay (or a clock to fix): refused before any HMAC */
	if (t > (long long)now + 300 || t < (long long)now - 300) {
		snprintf(why, why_len, "timestamp %lld is %lld s from the receiver's clock", t,
		         t - (long long)now);
		goto out;
	}
	rc = -1;
	if (asprintf(&signed_text, "%lld.%s", t, body) < 0) {
		signed_text = NULL;
		snprintf(why, why_len, "out of memory");
		goto out;
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text,
	         strlen(signed_text), md, &md_len) == NULL || md_len != 32) {
		snprintf(why, why_len, "HMAC failed");
		goto out;
	}
	for (p = header; p != NULL && *p != '\0'; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, "v1=", 3) != 0)
			continue;
		size_t len = strchr(p, ',') ? (size_t)(strchr(p, ',') - p - 3) : strlen(p + 3);
		if (hex32(p + 3, len, given) == 0 && CRYPTO_memcmp(given, md, 32) == 0)
			match = true;
	}
	if (match)
		rc = 0;
	else
		snprintf(why, why_len, "the HMAC over \"<t>.<body>\" differs");
out:
	free(signed_text);
	return rc;
}

void
sink_expect_signature(const char *record, const char *secret)
{
	const char *body = sink_body(record);
	char header[256], why[WHY_MAX] = "";

	assert_non_null(body);
	assert_non_null(sink_header(record, "X-Edgeca-Signature", header, sizeof(header)));
	if (webhook_verify(header, body, secret, time(NULL), why, sizeof(why)) != 0)
		fail_msg("X-Edgeca-Signature %s does not verify: %s", header, why);
}
