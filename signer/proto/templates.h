/* Certificate templates the signer knows. A template fixes everything the
 * caller may not choose: basic constraints, key usage, extended key usage
 * and which subject alternative names are copied from the CSR. */
#ifndef EDGECA_SIGNER_TEMPLATES_H
#define EDGECA_SIGNER_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

enum tpl_id {
	TPL_CLIENT = 0,      /* device identity: clientAuth */
	TPL_SSL,             /* device/server: serverAuth + clientAuth, CN also as DNS SAN */
	TPL_SUBORDINATE_CA,  /* issuing CA certificate */
	TPL_TLS_SERVER,      /* edgeca's own listener certificate (service CA only) */
	TPL_IOT_EDGE_CA,     /* the Edge CA certificate of an IoT Edge device: CA, pathlen 0 */
	TPL_DPS_VERIFICATION, /* Azure DPS proof of possession: CN = the verification code */
	TPL_OCSP_RESPONDER,  /* a delegated OCSP responder: OCSPSigning, ocsp-nocheck */
	TPL_COUNT_
};

struct tpl_def {
	enum tpl_id id;
	const char *name;
	bool is_ca;
	bool requires_cn;
	bool copy_sans;  /* DNS and IP SANs of the CSR are copied */
	bool cn_as_dns;  /* the CN is also written as a SAN: DNS name, or IP address when it is one */
	bool requires_san; /* a server certificate without a host name is refused */
	bool user_selectable; /* may appear in a CA's policy set through the API */
	const char *eku; /* OpenSSL extendedKeyUsage value, NULL for none */
	const char *ca_key_usage; /* keyUsage of CA templates */
	int fixed_path_length;    /* CA templates: the pathLenConstraint always written, or -1 */
	/* Allowed to every key whose policy names a user-selectable template
	 * (every CA made through the API), whatever else its policy says. */
	bool any_ca_key;
	int max_validity_days;    /* a cap of the template itself; 0: none */
};

const struct tpl_def *tpl_by_name(const char *name);
const struct tpl_def *tpl_get(enum tpl_id id);

/* "client,ssl" <-> bit mask (bit = 1 << tpl_id). Parsing refuses unknown
 * and duplicate names and an empty list. */
int tpl_mask_parse(const char *csv, unsigned *mask);
int tpl_mask_format(unsigned mask, char *out, size_t n);
bool tpl_mask_has_ca(unsigned mask);

/* The CN an IoT Edge device gives its Edge CA certificate request:
 * "aziot-edge CA <device id>". */
#define TPL_EDGE_CA_CN_PREFIX "aziot-edge CA "

/* The device id in an Edge CA common name (a pointer into cn), or NULL
 * when cn is not the prefix followed by a non-empty id. */
const char *tpl_edge_ca_device_id(const char *cn);

/* True when s can be written as a dNSName: labels of letters, digits,
 * '-' and '_' (device ids use it), 1..63 characters, separated by dots. */
bool dns_name_valid(const char *s);

#endif
