/* The server's side of the signer protocol: a fixed pool of Unix socket
 * connections (opened lazily, reopened after failures) and one function
 * per operation. Thread-safe; a connection is used by one thread at once.
 * Every call has a deadline that covers the wait for a connection and the
 * exchange; a call past it fails (EDGECA_ERR_UNAVAILABLE,
 * signer-unavailable) and its connection is closed, never reused. */
#ifndef EDGECA_SIGNER_CLIENT_H
#define EDGECA_SIGNER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/x509util.h"
#include "signer/proto/protocol.h"

struct signer_pool;

/* timeout_ms: the deadline of every call but key generation, which gets
 * at least 60 s (RSA-4096 takes seconds). */
edgeca_err signer_pool_new(const char *socket_path, unsigned size, unsigned timeout_ms,
                           struct signer_pool **out, struct edgeca_msg *msg);
void signer_pool_free(struct signer_pool *p);

/* True when calls wait for the signer and it has answered none for more
 * than SIGNER_STALL_MS (signer/client/stall.h): it is stopped or hung. Then
 * *silent_s is how long it has been silent and *retry_after_s the time
 * until the last of those calls gives up (either may be NULL). Reads
 * atomics only unless stalled: cheap enough for every request. */
bool signer_pool_stalled(struct signer_pool *p, unsigned *silent_s, unsigned *retry_after_s);

/* The pool's size and how many of its connections are in a call now
 * (for the metrics). */
void signer_pool_usage(struct signer_pool *p, unsigned *size, unsigned *in_use);

/* Where the server keeps the signer's sealed key records (PostgreSQL;
 * see "Sealed key records" in signer/PROTOCOL.md). store: keep the record
 * of key_id at version unless a newer one is kept already; fetch: the
 * newest record of key_id appended to rec (NOT_FOUND when none). */
struct signer_records {
	edgeca_err (*store)(void *arg, const char *key_id, uint32_t version,
	                    const unsigned char *rec, size_t len, struct edgeca_msg *msg);
	edgeca_err (*fetch)(void *arg, const char *key_id, struct buf *rec,
	                    struct edgeca_msg *msg);
	void *arg;
};

/* Sets where records go, before the pool's first call. Without it
 * records are neither stored nor loaded (a signer that keeps every key
 * it makes for its life, as in unit tests). */
void signer_pool_set_records(struct signer_pool *p, const struct signer_records *r);

/* Upgrade: has the signer move every key of its file store (earlier
 * versions) into a sealed record, each stored before the next; *moved
 * counts them (0: nothing left to move). */
edgeca_err signer_migrate_keys(struct signer_pool *p, unsigned *moved, struct edgeca_msg *msg);

/* At start-up: the signer answers and speaks this protocol (3 s). */
edgeca_err signer_ping(struct signer_pool *p, struct edgeca_msg *msg);

/* Readiness: a PING within timeout_ms on a connection of its own, never
 * queued behind the pool; or at once "not answering for N s" when pooled
 * calls already wait in vain (*retry_after_s is then set). state gets
 * "ok" or a short phrase for people, without paths or system errors. */
edgeca_err signer_check(struct signer_pool *p, unsigned timeout_ms, char *state,
                        size_t state_len, unsigned *retry_after_s);

/* path_length < 0: none. name_rules: the text form of the key's name
 * rules (common/name_rules.h), NULL for none. key_id receives up to 64
 * characters. */
edgeca_err signer_key_create(struct signer_pool *p, const char *algorithm, const char *templates,
                             uint32_t max_validity_days, int path_length,
                             const char *name_rules, char key_id[SIGNER_KEY_ID_BYTES],
                             struct edgeca_msg *msg);

edgeca_err signer_self_sign(struct signer_pool *p, const char *key_id,
                            const unsigned char *subject_der, size_t subject_len,
                            time_t not_after, unsigned char **cert_der, size_t *cert_len,
                            struct edgeca_msg *msg);

/* What a caller may add to an issuance (see signer/PROTOCOL.md). */
struct signer_issue_opts {
	long path_length;    /* CA templates: the constraint asked for; -1: the most allowed */
	const char *crl_url; /* NULL or "": none */
	const char *aia_url; /* NULL or "": none */
	const char *ocsp_url; /* AIA OCSP; NULL or "": none */
	const char *freshest_crl_url; /* Freshest CRL (delta CRLs); NULL or "": none */
};

/* An issued certificate and what the signer says it holds, so that the
 * server stores it without decoding it again. */
struct signer_issued {
	unsigned char *der;
	size_t der_len;
	char serial[SERIAL_HEX_MAX];
	time_t not_before;
	time_t not_after;
	char *subject;     /* RFC 2253 text */
	char *common_name; /* NULL when none */
	char **sans;       /* NULL-terminated "DNS:x" / "IP:y" */
	char key_algorithm[80];
};

void signer_issued_free(struct signer_issued *s);

/* Issues a certificate for csr_der (DER; the signer checks it). opts may
 * be NULL. */
edgeca_err signer_issue(struct signer_pool *p, const char *key_id, const char *tpl,
                        const unsigned char *csr_der, size_t csr_len, time_t not_after,
                        const struct signer_issue_opts *opts, struct signer_issued *out,
                        struct edgeca_msg *msg);

/* A CSR signed by the key for its own public key (keys without a CA
 * certificate only). */
edgeca_err signer_csr_create(struct signer_pool *p, const char *key_id,
                             const unsigned char *subject_der, size_t subject_len,
                             unsigned char **csr_der, size_t *csr_len, struct edgeca_msg *msg);

/* The key's CA certificate as the signer holds it (*cert_der NULL when it
 * has none yet): how an interrupted chaining finds what is already done. */
edgeca_err signer_key_cert(struct signer_pool *p, const char *key_id, unsigned char **cert_der,
                           size_t *cert_len, struct edgeca_msg *msg);

/* Binds a CA certificate signed elsewhere to a key that has none. */
edgeca_err signer_cert_install(struct signer_pool *p, const char *key_id,
                               const unsigned char *cert_der, size_t cert_len,
                               struct edgeca_msg *msg);

/* Has the signer destroy key_id (KEY_DESTROY): its private key leaves the
 * signer's memory and, for a key in a PKCS#11 token, the token. rec (its
 * sealed record, rec_len bytes; NULL: none) lets a signer that does not
 * hold the key find it when the store no longer has the record; without
 * it the record is fetched from the store as for any call. The signer
 * refuses the service CA's key (key-protected) and a key that signed
 * anything but its own certificate or request (key-has-signed); an
 * unknown key is NOT_FOUND, a key destroyed before key-destroyed. */
edgeca_err signer_key_destroy(struct signer_pool *p, const char *key_id, const unsigned char *rec,
                              size_t rec_len, struct edgeca_msg *msg);

/* Has key_id sign a CRL (v2) numbered crl_number, valid from this_update
 * to next_update. On input body holds the revokedCertificates entries:
 * concatenated DER RevokedCertificate SEQUENCEs (see below), possibly
 * none. On success body holds the complete DER CertificateList. The
 * signer builds everything but the entries itself and checks every entry.
 * (Entries come from crl_entry_append, common/crl_der.h. One pooled
 * connection carries the whole session, each exchange with its own
 * deadline; on failure body is unchanged and a connection left
 * mid-session is closed, never pooled.) */
edgeca_err signer_crl_sign(struct signer_pool *p, const char *key_id, uint64_t crl_number,
                           time_t this_update, time_t next_update, struct buf *body,
                           struct edgeca_msg *msg);

/* A key that signs OCSP responses for the CA key ca_key_id and nothing
 * else (it may sign its own CSR, to be certified by the CA key with the
 * ocsp_responder template). algorithm as signer_key_create. */
edgeca_err signer_ocsp_key_create(struct signer_pool *p, const char *ca_key_id,
                                  const char *algorithm, char key_id[SIGNER_KEY_ID_BYTES],
                                  struct edgeca_msg *msg);
/* key_id (a CA key with its certificate, or a responder key with its
 * certificate) signs tbs, a DER ResponseData the server built; on success
 * basic holds the DER BasicOCSPResponse: tbs, signatureAlgorithm,
 * signature and, for a responder key, certs [0] with its certificate. */
edgeca_err signer_ocsp_sign(struct signer_pool *p, const char *key_id,
                            const unsigned char *tbs, size_t tbs_len, struct buf *basic,
                            struct edgeca_msg *msg);
/* What a CRL may carry besides its entries (RFC 5280 5.2.4, 5.2.6). */
struct signer_crl_opts {
	const char *freshest_crl_url; /* a complete CRL's Freshest CRL URL; NULL or "": none */
	uint64_t delta_base;          /* > 0: a delta CRL on the base CRL of that number */
};

/* signer_crl_sign with opts (NULL: a plain complete CRL). A delta CRL's
 * entries may carry reason removeFromCRL (crl_delta_entry_append). */
edgeca_err signer_crl_sign_opts(struct signer_pool *p, const char *key_id, uint64_t crl_number,
                                time_t this_update, time_t next_update,
                                const struct signer_crl_opts *opts, struct buf *body,
                                struct edgeca_msg *msg);

#endif
