/* The PKCS#11 token: loading the module, finding the token by its label,
 * the PIN file, the login and the pool of sessions (signer/daemon/p11.h).
 * The keys and signing are in p11_key.c. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "signer/daemon/internal/p11_token.h"

const char *
p11_rv_name(CK_RV rv, char buf[24])
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
		{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
		{CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
		{CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
		{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
		{CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
		{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
		{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
		{CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
		{CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
		{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
		{CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
		{CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
		{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
		{CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
		{CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
		{CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
		{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
		{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, 24, "CKR 0x%lx", (unsigned long)rv);
	return buf;
}

bool
p11_rv_session_lost(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	       rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	       rv == CKR_USER_NOT_LOGGED_IN;
}

/* Opens a read-write session and makes sure the user is logged in: after
 * the token came back, the login went with its sessions. */
static CK_RV
session_open(struct p11_token *t, CK_SESSION_HANDLE *out)
{
	CK_SESSION_INFO info;
	CK_RV rv;

	rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, out);
	if (rv != CKR_OK)
		return rv;
	rv = t->f->C_GetSessionInfo(*out, &info);
	if (rv == CKR_OK && info.state != CKS_RW_USER_FUNCTIONS) {
		rv = t->f->C_Login(*out, CKU_USER, (CK_UTF8CHAR *)t->pin, t->pin_len);
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
	}
	if (rv != CKR_OK) {
		t->f->C_CloseSession(*out);
		*out = CK_INVALID_HANDLE;
	}
	return rv;
}

CK_RV
p11_session_take(struct p11_token *t, CK_SESSION_HANDLE *out)
{
	CK_SESSION_HANDLE h;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&t->lock);
	while (t->n_free == 0)
		pthread_cond_wait(&t->freed, &t->lock);
	h = t->free_sessions[--t->n_free];
	pthread_mutex_unlock(&t->lock);
	if (h == CK_INVALID_HANDLE)
		rv = session_open(t, &h);
	if (rv != CKR_OK) {
		p11_session_give(t, CK_INVALID_HANDLE, CKR_OK);
		return rv;
	}
	*out = h;
	return CKR_OK;
}

void
p11_session_give(struct p11_token *t, CK_SESSION_HANDLE h, CK_RV rv)
{
	if (h != CK_INVALID_HANDLE && rv != CKR_OK) {
		t->f->C_CloseSession(h);
		h = CK_INVALID_HANDLE;
	}
	pthread_mutex_lock(&t->lock);
	t->free_sessions[t->n_free++] = h;
	pthread_cond_signal(&t->freed);
	pthread_mutex_unlock(&t->lock);
}

/* Reads the PIN: the file must be the signer's own and readable by it
 * alone, as the key-encryption key of the file key store. */
static edgeca_err
read_pin(struct p11_token *t, const char *path, struct edgeca_msg *msg)
{
	struct stat st;
	ssize_t n = -1;
	edgeca_err rc = EDGECA_ERR_INVALID;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		edgeca_fail(msg, EDGECA_ERR_INVALID, NULL, "cannot read the PIN file %s: %s", path,
		            strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    ((st.st_mode & 0777) != 0600 && (st.st_mode & 0777) != 0400)) {
		edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		            "the PIN file %s must be a file of the signer's user with mode 0600 or "
		            "0400 (found uid %d, mode %o)", path, (int)st.st_uid,
		            (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, t->pin, sizeof(t->pin));
	if (n < 0 || (size_t)n == sizeof(t->pin)) {
		edgeca_fail(msg, EDGECA_ERR_INVALID, NULL, "cannot read the PIN file %s%s", path,
		            n < 0 ? "" : ": longer than a PIN");
		goto out;
	}
	while (n > 0 && (t->pin[n - 1] == '\n' || t->pin[n - 1] == '\r'))
		n--;
	if (n == 0) {
		edgeca_fail(msg, EDGECA_ERR_INVALID, NULL, "the PIN file %s is empty", path);
		goto out;
	}
	t->pin_len = (size_t)n;
	rc = EDGECA_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Loads the module and initialises it for a threaded caller. */
static edgeca_err
load_module(struct p11_token *t, const char *path, struct edgeca_msg *msg)
{
	CK_C_INITIALIZE_ARGS args = {0};
	CK_C_GetFunctionList get_list;
	char name[24];
	CK_RV rv;

	t->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (t->dl == NULL)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "cannot load the PKCS#11 module %s: %s", path, dlerror());
	*(void **)&get_list = dlsym(t->dl, "C_GetFunctionList");
	if (get_list == NULL || get_list(&t->f) != CKR_OK || t->f == NULL)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "%s is not a PKCS#11 module (no C_GetFunctionList)", path);
	args.flags = CKF_OS_LOCKING_OK;
	rv = t->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		t->f = NULL;
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "the PKCS#11 module %s does not start: %s", path,
		                   p11_rv_name(rv, name));
	}
	t->finalize = rv == CKR_OK;
	return EDGECA_OK;
}

/* Finds the one slot whose token carries the label (blank-padded to 32
 * bytes in the token's information). */
static edgeca_err
find_slot(struct p11_token *t, const char *module, struct edgeca_msg *msg)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, found = 0;
	CK_TOKEN_INFO info;
	char padded[32], name[24];
	edgeca_err rc = EDGECA_ERR_UNAVAILABLE;
	CK_RV rv;

	memset(padded, ' ', sizeof(padded));
	memcpy(padded, t->label, strlen(t->label));
	rv = t->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv == CKR_OK && n > 0) {
		if ((slots = calloc(n, sizeof(*slots))) == NULL) {
			edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		rv = t->f->C_GetSlotList(CK_TRUE, slots, &n);
	}
	if (rv != CKR_OK) {
		edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "%s cannot list its slots: %s", module,
		            p11_rv_name(rv, name));
		goto out;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (t->f->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
		    memcmp(info.label, padded, sizeof(padded)) != 0)
			continue;
		if (found++ == 0) {
			t->slot = slots[i];
			t->n_sessions = P11_MAX_SESSIONS;
			if (info.ulMaxRwSessionCount != CK_EFFECTIVELY_INFINITE &&
			    info.ulMaxRwSessionCount != CK_UNAVAILABLE_INFORMATION &&
			    info.ulMaxRwSessionCount < t->n_sessions)
				t->n_sessions = (unsigned)info.ulMaxRwSessionCount;
		}
	}
	if (found == 0) {
		edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		            "no token labelled \"%s\" in the PKCS#11 module %s", t->label, module);
		goto out;
	}
	if (found > 1) {
		edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		            "%lu tokens are labelled \"%s\" in %s: the label must name one",
		            (unsigned long)found, t->label, module);
		goto out;
	}
	if (t->n_sessions == 0)
		t->n_sessions = 1;
	rc = EDGECA_OK;
out:
	free(slots);
	return rc;
}

/* Logs in on a first session and opens the rest of the pool. */
static edgeca_err
login_and_pool(struct p11_token *t, const struct p11_settings *s, struct edgeca_msg *msg)
{
	CK_SESSION_HANDLE h;
	char name[24];
	CK_RV rv;

	rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
	if (rv != CKR_OK)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "token \"%s\" opens no session: %s", t->label, p11_rv_name(rv, name));
	t->free_sessions[t->n_free++] = h;
	rv = t->f->C_Login(h, CKU_USER, (CK_UTF8CHAR *)t->pin, t->pin_len);
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "token \"%s\" refuses the PIN of %s: it is not its user PIN",
		                   t->label, s->pin_file);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                   "cannot log in to token \"%s\": %s", t->label, p11_rv_name(rv, name));
	while (t->n_free < t->n_sessions) {
		rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
		                         &h);
		if (rv != CKR_OK)
			return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
			                   "token \"%s\" opens only %u sessions: %s", t->label, t->n_free,
			                   p11_rv_name(rv, name));
		t->free_sessions[t->n_free++] = h;
	}
	return EDGECA_OK;
}

/* Closes everything: the last hold is gone. */
static void
token_free(struct p11_token *t)
{
	if (t->f != NULL) {
		for (unsigned i = 0; i < t->n_free; i++)
			if (t->free_sessions[i] != CK_INVALID_HANDLE)
				t->f->C_CloseSession(t->free_sessions[i]);
		if (t->finalize)
			t->f->C_Finalize(NULL);
	}
	if (t->dl != NULL)
		dlclose(t->dl);
	OPENSSL_cleanse(t->pin, sizeof(t->pin));
	pthread_cond_destroy(&t->freed);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void
p11_token_hold(struct p11_token *t)
{
	pthread_mutex_lock(&t->lock);
	t->refs++;
	pthread_mutex_unlock(&t->lock);
}

void
p11_token_release(struct p11_token *t)
{
	unsigned left;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	left = --t->refs;
	pthread_mutex_unlock(&t->lock);
	if (left == 0)
		token_free(t);
}

edgeca_err
p11_open(const struct p11_settings *s, struct p11_token **out, struct edgeca_msg *msg)
{
	struct p11_token *t = NULL;
	edgeca_err rc;

	*out = NULL;
	if (s->module == NULL || s->token_label == NULL || s->pin_file == NULL ||
	    s->token_label[0] == '\0' || strlen(s->token_label) > 32)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "a PKCS#11 token needs a module, a token label of 1 to 32 bytes "
		                   "and a PIN file");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->freed, NULL);
	t->refs = 1;
	snprintf(t->label, sizeof(t->label), "%s", s->token_label);
	if ((rc = read_pin(t, s->pin_file, msg)) != EDGECA_OK ||
	    (rc = load_module(t, s->module, msg)) != EDGECA_OK ||
	    (rc = find_slot(t, s->module, msg)) != EDGECA_OK ||
	    (rc = login_and_pool(t, s, msg)) != EDGECA_OK)
		goto out;
	log_info("p11_open: token=%s: logged in, %u sessions", t->label, t->n_sessions);
	*out = t;
	t = NULL;
out:
	if (t != NULL)
		token_free(t);
	return rc;
}

void
p11_close(struct p11_token *t)
{
	p11_token_release(t);
}
