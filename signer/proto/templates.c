#include "signer/proto/templates.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct tpl_def tpl_defs[TPL_COUNT_] = {
	/* id, name, is_ca, requires_cn, copy_sans, cn_as_dns, requires_san,
	 * user_selectable, eku, ca_key_usage, fixed_path_length */
	[TPL_CLIENT] = {TPL_CLIENT, "client", false, true, false, false, false, true, "clientAuth",
	                NULL, -1},
	[TPL_SSL] = {TPL_SSL, "ssl", false, true, true, true, true, true, "serverAuth,clientAuth",
	             NULL, -1},
	[TPL_SUBORDINATE_CA] = {TPL_SUBORDINATE_CA, "subordinate_ca", true, true, false, false,
	                        false, true, NULL, "critical,keyCertSign,cRLSign", -1},
	[TPL_TLS_SERVER] = {TPL_TLS_SERVER, "tls_server", false, false, true, false, true, false,
	                    "serverAuth", NULL, -1},
	[TPL_IOT_EDGE_CA] = {TPL_IOT_EDGE_CA, "iot_edge_ca", true, true, false, false, false, true,
	                     NULL, "critical,keyCertSign,digitalSignature", 0},
	/* short-lived, without EKU, with the issuing CA's own public key
	 * (issue.c): it proves to DPS that the key signs, nothing else */
	[TPL_DPS_VERIFICATION] = {TPL_DPS_VERIFICATION, "dps_verification", false, true, false,
	                          false, false, false, NULL, NULL, -1, true, 2},
	/* a delegated responder's certificate (issue.c adds id-pkix-ocsp-nocheck
	 * and no CRL or OCSP URL): short-lived, as nothing revokes it */
	[TPL_OCSP_RESPONDER] = {TPL_OCSP_RESPONDER, "ocsp_responder", false, true, false, false,
	                        false, false, "OCSPSigning", NULL, -1, true, 30},
};

const struct tpl_def *
tpl_by_name(const char *name)
{
	for (int i = 0; i < TPL_COUNT_; i++)
		if (strcmp(tpl_defs[i].name, name) == 0)
			return &tpl_defs[i];
	return NULL;
}

const struct tpl_def *
tpl_get(enum tpl_id id)
{
	if ((int)id < 0 || id >= TPL_COUNT_)
		return NULL;
	return &tpl_defs[id];
}

int
tpl_mask_parse(const char *csv, unsigned *mask)
{
	char name[33];
	unsigned m = 0;
	const char *p = csv;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const struct tpl_def *t;

		if (len == 0 || len >= sizeof(name))
			return -1;
		memcpy(name, p, len);
		name[len] = '\0';
		t = tpl_by_name(name);
		if (t == NULL || (m & (1u << t->id)))
			return -1;
		m |= 1u << t->id;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	if (m == 0)
		return -1;
	*mask = m;
	return 0;
}

int
tpl_mask_format(unsigned mask, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < TPL_COUNT_; i++) {
		int w;
		if (!(mask & (1u << i)))
			continue;
		w = snprintf(out + o, n - o, "%s%s", o ? "," : "", tpl_defs[i].name);
		if (w < 0 || (size_t)w >= n - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

bool
tpl_mask_has_ca(unsigned mask)
{
	for (int i = 0; i < TPL_COUNT_; i++)
		if ((mask & (1u << i)) && tpl_defs[i].is_ca)
			return true;
	return false;
}

const char *
tpl_edge_ca_device_id(const char *cn)
{
	const size_t n = strlen(TPL_EDGE_CA_CN_PREFIX);

	if (cn == NULL || strncmp(cn, TPL_EDGE_CA_CN_PREFIX, n) != 0 || cn[n] == '\0')
		return NULL;
	return cn + n;
}

bool
dns_name_valid(const char *s)
{
	size_t label = 0, total = 0;

	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++, total++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && total <= 253;
}
