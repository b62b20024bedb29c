/* The signer's socket as any local client sees it: the integration tests
 * talk to it directly to check what the signer itself refuses, whatever
 * the API in front of it would have let through. Every helper fails the
 * test when the exchange itself (not the signer's answer) goes wrong. */
#ifndef EDGECA_TEST_SIGNER_WIRE_H
#define EDGECA_TEST_SIGNER_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "signer/proto/protocol.h"
#include "tests/support/harness.h"

/* A connection to the signer at socket_path (30 s receive timeout). */
int wire_connect(const char *socket_path);
/* Finishes and sends w (freed here) and reads the reply; returns
 * signer_read_msg's result (0 reply, 1 closed, -1 error). */
int wire_exchange(int fd, struct signer_writer *w, struct signer_msg *reply);
/* Finishes and sends w (freed here) and reads the reply as the bytes that
 * came over the socket (*frame, malloc'ed, *len) and parsed (*reply);
 * returns 0, or 1 when the signer closed the connection instead. */
int wire_exchange_raw(int fd, struct signer_writer *w, unsigned char **frame, size_t *len,
                      struct signer_msg *reply);
/* Fails unless the signer at socket_path answers PING on a new connection:
 * it still serves. */
void wire_ping_ok(const char *socket_path);
/* Creates an EC P-256 key with the given policy; id receives its id. */
void wire_key_create(int fd, const char *templates, uint32_t max_days, char id[65]);
/* The same, rec (NULL: not wanted) receiving the key's sealed record. */
void wire_key_create_sealed(int fd, const char *templates, uint32_t max_days, char id[65],
                            struct buf *rec);
/* A KEY_LOAD of rec for key id; type receives the error type ("" when
 * the signer took it). */
void wire_key_load(int fd, const char *id, const struct buf *rec, char type[65]);
/* Builds in w an ISSUE request for csr_pem (NULL: a fresh EC P-256 CSR)
 * with key id. */
void wire_issue_request(struct signer_writer *w, const char *id, const char *tpl,
                        const char *csr_pem, time_t not_after);
/* An ISSUE for csr_pem (NULL: a fresh EC P-256 CSR) with key id. */
int wire_issue(int fd, const char *id, const char *tpl, const char *csr_pem, time_t not_after,
               struct signer_msg *reply);
/* A CERT_INSTALL of der for key; type receives the error type ("" when
 * the signer took it). */
void wire_cert_install(int fd, const char *key, const unsigned char *der, size_t len,
                       char type[65]);
/* A CRL_BEGIN with key for CRL number, valid a day from now, with no
 * entries; reply receives the answer (the caller frees it). */
void wire_crl_begin(int fd, const char *key, uint64_t number, struct signer_msg *reply);
/* Fails unless reply is the error code/type; frees reply. */
void wire_expect_error(struct signer_msg *reply, uint32_t code, const char *type);
/* The error type of reply ("" when it succeeded); frees reply. */
void wire_error_type(struct signer_msg *reply, char type[65]);
/* The signer key of a CA's location (NULL: its first) from the database. */
void wire_key_of(const struct instance *in, const char *ca_id, const char *location,
                 char key_id[65]);
/* An OCSP responder key of alg (rk) for ca_key, certified by it with the
 * ocsp_responder template and installed: its certificate. */
X509 *wire_ocsp_responder(int fd, const char *ca_key, const char *alg, char rk[65]);
/* An OCSP_SIGN of tbs with key. len not NULL: the reply must be OK and
 * its BASIC_RESPONSE is returned (malloc'ed, *len; reply freed); NULL:
 * the reply is left in reply. */
unsigned char *wire_ocsp_sign(int fd, const char *key, const struct buf *tbs, size_t *len,
                              struct signer_msg *reply);

#endif
