/* What p11.c (the token: module, login, session pool) shares with
 * p11_key.c (the keys: generation, import, look-up, signing through the
 * token). No other file includes it. */
#ifndef EDGECA_SIGNER_P11_TOKEN_H
#define EDGECA_SIGNER_P11_TOKEN_H

#include <pthread.h>
#include <stdbool.h>

#include "signer/daemon/p11.h"

/* Last: it defines lower-case macros (value, count, params, ...). */
#include <p11-kit/pkcs11.h>

#define P11_MAX_SESSIONS 16
#define P11_ID_LEN 16

struct p11_token {
	void *dl;
	CK_FUNCTION_LIST *f;
	bool finalize; /* C_Initialize was ours to undo */
	CK_SLOT_ID slot;
	char label[33];
	char pin[256]; /* kept to log in again after the token comes back */
	size_t pin_len;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned refs;      /* the opener's hold and one per live key */
	unsigned n_sessions;
	unsigned n_free;    /* free[0..n_free): CK_INVALID_HANDLE = to be reopened */
	CK_SESSION_HANDLE free_sessions[P11_MAX_SESSIONS];
};

/* Takes a session from the pool, waiting for one; opens it when it was
 * dropped. Returns CKR_OK or the token's error (the slot stays free). */
CK_RV p11_session_take(struct p11_token *t, CK_SESSION_HANDLE *out);
/* Gives the session back; rv is the last result it gave: on any failure
 * it is closed and reopened on next use (no half-done operation, no dead
 * handle stays in the pool). */
void p11_session_give(struct p11_token *t, CK_SESSION_HANDLE h, CK_RV rv);
/* Whether rv says the session is gone (the call may be retried once). */
bool p11_rv_session_lost(CK_RV rv);
/* A short name of rv for messages ("CKR_PIN_INCORRECT", or its hex). */
const char *p11_rv_name(CK_RV rv, char buf[24]);

void p11_token_hold(struct p11_token *t);
void p11_token_release(struct p11_token *t);

/* The 16 bytes of a key id given as 32 lower-case hex digits.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID with msg set. */
edgeca_err p11_parse_id(const char *key_id, unsigned char id[P11_ID_LEN], struct edgeca_msg *msg);
/* Takes a session (in *s, for the caller to give back, also on failure)
 * to make a key pair under id, which no key of the token may use yet.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT; EDGECA_ERR_UNAVAILABLE. */
edgeca_err p11_take_for_new(struct p11_token *t, const unsigned char id[P11_ID_LEN],
                            const char *key_id, CK_SESSION_HANDLE *s, struct edgeca_msg *msg);
/* The EVP_PKEY of the public key object pub whose private half is the
 * token's object priv (it signs through the token). Returns 0 or -1.
 * Ownership: *out is the caller's; it holds the token. */
int p11_token_pkey(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub,
                   CK_OBJECT_HANDLE priv, const unsigned char id[P11_ID_LEN], EVP_PKEY **out);
/* The EVP_PKEY of a key pair just made in the token (generated or
 * imported); when it cannot be built, both objects are destroyed.
 * Returns: EDGECA_OK; EDGECA_ERR_INTERNAL with msg set. */
edgeca_err p11_key_made(struct p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub,
                        CK_OBJECT_HANDLE priv, const unsigned char id[P11_ID_LEN],
                        const char *key_id, EVP_PKEY **out, struct edgeca_msg *msg);

#endif
