/* Network sinks for the lifecycle tests, each a thread on a free port of
 * 127.0.0.1: an SMTP server that speaks enough SMTP for libcurl (EHLO,
 * HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message, and
 * an HTTP receiver that keeps every request, checks its webhook
 * signature as a receiver must, and answers 200, 500 or hangs as told. */
#ifndef EDGECA_TEST_SINKS_H
#define EDGECA_TEST_SINKS_H

#include <stddef.h>

#include "tests/integration/webhook_signature.h"

struct sink;

/* Mailboxes starting with "refused@" get 550 at RCPT TO. */
struct sink *smtp_sink_start(void);
/* An SMTP sink with TLS (the certificate chain and key in PEM files):
 * STARTTLS offered in EHLO, or TLS from the first byte (smtps). AUTH PLAIN
 * is offered only within TLS. A message that came through TLS is recorded
 * with a first line "TLS: <protocol>", one sent with credentials with
 * "AUTH <user> <password>". */
enum smtp_sink_tls { SMTP_SINK_PLAIN, SMTP_SINK_STARTTLS, SMTP_SINK_IMPLICIT };
struct sink *smtp_sink_start_tls(enum smtp_sink_tls tls, const char *cert_file,
                                 const char *key_file);
struct sink *webhook_sink_start(void);
void sink_stop(struct sink *s);
unsigned sink_port(const struct sink *s);

/* How many messages (SMTP) or requests (HTTP) arrived so far. */
size_t sink_count(struct sink *s);
/* A copy of message i (SMTP: "MAIL FROM:...\nRCPT TO:...\n" then the
 * DATA; HTTP: the head, an empty line and the body), or NULL. */
char *sink_get(struct sink *s, size_t i);
/* When record i arrived (CLOCK_MONOTONIC seconds), 0 if none. */
double sink_time(struct sink *s, size_t i);
/* Forgets what arrived. */
void sink_clear(struct sink *s);

enum webhook_mode { WEBHOOK_OK, WEBHOOK_FAIL, WEBHOOK_HANG };
/* A hanging request is answered (with the new mode) once the mode
 * changes; requests are served one at a time. */
void webhook_sink_mode(struct sink *s, enum webhook_mode m);

/* The value of header name in an HTTP record (static buffer), or NULL;
 * and its body. */
const char *sink_header(const char *record, const char *name, char *out, size_t len);
const char *sink_body(const char *record);

/* How many records of s mention needle. */
size_t sink_count_with(struct sink *s, const char *needle);
/* Record k (0: the first) of s mentioning needle (malloc'ed), waiting up
 * to timeout_s; fails the test when none comes. */
char *sink_wait_for(struct sink *s, const char *needle, size_t k, int timeout_s);
/* Tells an HTTP sink a CA's webhook secret (answered once when the CA's
 * webhook_url was set). Every request the sink receives must verify
 * under one of the secrets it was told, within 300 s of its arrival:
 * each is checked on arrival and again when a secret arrives, and
 * sink_stop fails the test unless all did. */
void webhook_sink_secret(struct sink *s, const char *secret);
/* How many requests so far do not verify (yet); why receives the first
 * one's reason when not NULL. */
size_t webhook_sink_unverified(struct sink *s, char *why, size_t len);

#endif
