/* Keys, CSRs and CA certificates made with the OpenSSL API, and scratch
 * directories under /tmp: the certificate makers of the unit tests (the
 * PEM-level makers the integration tests use are in pki.h). Part of
 * edgeca_test_support; every maker returns NULL when OpenSSL fails. */
#ifndef EDGECA_TEST_SUPPORT_CERTS_H
#define EDGECA_TEST_SUPPORT_CERTS_H

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A new key: "EC-P256", "EC-P384", "EC-secp256k1", "ED25519" or
 * "RSA-<bits>". Ownership: the caller's (EVP_PKEY_free). */
EVP_PKEY *t_key(const char *alg);
/* An RSA key with a chosen public exponent. */
EVP_PKEY *t_rsa_key_exp(unsigned bits, unsigned long exponent);
/* Adds a CN as a UTF8String without OpenSSL's length limits, so tests can
 * build subjects the product must refuse. len < 0: strlen(cn). */
int t_name_add_cn(X509_NAME *name, const char *cn, int len);
/* The digest to sign with k (NULL for Ed25519). */
const EVP_MD *t_md_for(EVP_PKEY *k);
/* A signed CSR for k with CN cn (NULL: no subject) and optionally a
 * subjectAltName and basicConstraints request (openssl config values). */
X509_REQ *t_csr(EVP_PKEY *k, const char *cn, const char *san, const char *bc);
/* req's DER (OPENSSL_free), its length in *len. */
unsigned char *t_req_der(const X509_REQ *req, size_t *len);
/* A self-signed CA certificate for k: CN cn, basicConstraints CA:TRUE with
 * pathlen (-1: none), subject key identifier, validity nb..na. */
X509 *t_ca_cert(EVP_PKEY *k, const char *cn, int pathlen, time_t nb, time_t na);
/* A fresh directory /tmp/edgeca-unit-XXXXXX (malloc'ed path). */
char *t_tmpdir(void);
/* Removes dir and everything below it, and frees the path. */
void t_rmtree(char *dir);

#endif
