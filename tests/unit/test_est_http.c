/* Unit tests of the pure functions of api/est: the EST URL forms
 * (est_route_parse), HTTP Basic credentials (est_basic_parse) and the
 * client certificate a proxy forwards URL-encoded (est_forwarded_cert). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>

#include "api/est/est.h"
#include "common/encoding.h"
#include "tests/support/certs.h"

/* ---- est_route_parse ---------------------------------------------------- */

/* path must parse to op and exactly the target fields given (NULL: the
 * field must be NULL), each pointing into the route itself. */
static void
route_ok(const char *path, const char *op, const char *ca_id, const char *location,
         const char *label)
{
	struct est_route r;

	if (est_route_parse(path, &r) != 0)
		fail_msg("est_route_parse refused \"%s\"", path);
	assert_string_equal(r.op, op);
	if (ca_id == NULL) {
		assert_null(r.target.ca_id);
	} else {
		assert_ptr_equal(r.target.ca_id, r.ca_id);
		assert_string_equal(r.ca_id, ca_id);
	}
	if (location == NULL) {
		assert_null(r.target.location);
	} else {
		assert_ptr_equal(r.target.location, r.location);
		assert_string_equal(r.location, location);
	}
	if (label == NULL) {
		assert_null(r.target.label);
	} else {
		assert_ptr_equal(r.target.label, r.label);
		assert_string_equal(r.label, label);
	}
}

static void
route_refused(const char *path)
{
	struct est_route r;

	if (est_route_parse(path, &r) != -1)
		fail_msg("est_route_parse accepted \"%s\"", path);
}

static void
test_route_forms(void **state)
{
	struct est_route r;

	route_ok("/est/ca-1/edge/.well-known/est/simpleenroll", "simpleenroll", "ca-1", "edge",
	         NULL);
	route_ok("/est/0b0e2c4a-9f5e-4c2b-8d57-3b1a2f6c9e10/default/.well-known/est/cacerts",
	         "cacerts", "0b0e2c4a-9f5e-4c2b-8d57-3b1a2f6c9e10", "default", NULL);
	route_ok("/.well-known/est/plant-7/simplereenroll", "simplereenroll", NULL, NULL,
	         "plant-7");
	route_ok("/.well-known/est/csrattrs", "csrattrs", NULL, NULL, NULL);
	/* Operations are not checked here: est_handle answers 404 for them. */
	route_ok("/.well-known/est/serverkeygen", "serverkeygen", NULL, NULL, NULL);
	route_ok("/.well-known/est/lbl/nosuchop", "nosuchop", NULL, NULL, "lbl");
	/* A label that looks like something else is still a label. */
	route_ok("/.well-known/est/est/cacerts", "cacerts", NULL, NULL, "est");

	/* A parse after another leaves nothing of the first behind. */
	assert_int_equal(est_route_parse("/.well-known/est/lbl/cacerts", &r), 0);
	assert_int_equal(est_route_parse("/.well-known/est/cacerts", &r), 0);
	assert_null(r.target.label);
	assert_int_equal(est_route_parse("/est/a/b/.well-known/est/cacerts", &r), 0);
	assert_int_equal(est_route_parse("/.well-known/est/cacerts", &r), 0);
	assert_null(r.target.ca_id);
	assert_null(r.target.location);
}

static void
test_route_refusals(void **state)
{
	static const char *const bad[] = {
		"", "/", "/est", "/est/", "/est/a", "/est/a/b", "/est/a/b/",
		"/est/a/b/.well-known/est", "/est/a/b/.well-known/est/",
		"/est/a/b/.well-known/est/cacerts/", "/est/a/b/.well-known/est/cacerts/x",
		"/est/a/b/.well-known/estx/cacerts", "/est/a/b/.well-known/cacerts",
		"/est/a/b/c/.well-known/est/cacerts", "/est/a/.well-known/est/cacerts",
		"/est//b/.well-known/est/cacerts", "/est/a//.well-known/est/cacerts",
		"/est/a/b//.well-known/est/cacerts", "/est/a/b/.well-known/est//cacerts",
		"/est/a/b/x.well-known/est/cacerts", "//est/a/b/.well-known/est/cacerts",
		"est/a/b/.well-known/est/cacerts", "/EST/a/b/.well-known/est/cacerts",
		"/.well-known/est", "/.well-known/est/", "/.well-known/est//",
		"/.well-known/est/cacerts/", "/.well-known/est//cacerts", "/.well-known/est/lbl//",
		"/.well-known/est/lbl/cacerts/", "/.well-known/est/a/b/cacerts",
		"/.well-known/estx/cacerts", "/.well-known/estcacerts", "/.well-known/EST/cacerts",
		"/.well-known/est/lbl/cacerts/x", "/well-known/est/cacerts", ".well-known/est/cacerts",
		"/x/.well-known/est/cacerts", "/api/v1/.well-known/est/cacerts",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		route_refused(bad[i]);
}

/* Segments fill fixed buffers: 63 characters fit an id, location or
 * label, 31 an operation; one more is refused, in every form. */
static void
test_route_lengths(void **state)
{
	char s63[64], s64[65], op31[32], op32[33], path[512];

	memset(s63, 'a', 63);
	s63[63] = '\0';
	memset(s64, 'b', 64);
	s64[64] = '\0';
	memset(op31, 'o', 31);
	op31[31] = '\0';
	memset(op32, 'p', 32);
	op32[32] = '\0';

	snprintf(path, sizeof(path), "/est/%s/%s/.well-known/est/%s", s63, s63, op31);
	route_ok(path, op31, s63, s63, NULL);
	snprintf(path, sizeof(path), "/est/%s/loc/.well-known/est/cacerts", s64);
	route_refused(path);
	snprintf(path, sizeof(path), "/est/ca/%s/.well-known/est/cacerts", s64);
	route_refused(path);
	snprintf(path, sizeof(path), "/est/ca/loc/.well-known/est/%s", op32);
	route_refused(path);

	snprintf(path, sizeof(path), "/.well-known/est/%s/%s", s63, op31);
	route_ok(path, op31, NULL, NULL, s63);
	snprintf(path, sizeof(path), "/.well-known/est/%s/cacerts", s64);
	route_refused(path);
	snprintf(path, sizeof(path), "/.well-known/est/lbl/%s", op32);
	route_refused(path);

	snprintf(path, sizeof(path), "/.well-known/est/%s", op31);
	route_ok(path, op31, NULL, NULL, NULL);
	snprintf(path, sizeof(path), "/.well-known/est/%s", op32);
	route_refused(path);
	snprintf(path, sizeof(path), "/.well-known/est/%s", s63); /* a label-sized op */
	route_refused(path);
	snprintf(path, sizeof(path), "/.well-known/est/%s", s64);
	route_refused(path);
}

/* ---- est_basic_parse ---------------------------------------------------- */

static void
basic_ok(const char *header, const char *want_user, const char *want_password)
{
	char *user = (char *)"sentinel", *password = (char *)"sentinel";

	if (est_basic_parse(header, &user, &password) != 1)
		fail_msg("est_basic_parse did not take \"%s\"", header);
	assert_string_equal(user, want_user);
	assert_string_equal(password, want_password);
	free(user);
	free(password);
}

/* header must give rc (0 or -1) with both outputs NULL. */
static void
basic_not(const char *header, int rc)
{
	char *user = (char *)"sentinel", *password = (char *)"sentinel";

	if (est_basic_parse(header, &user, &password) != rc)
		fail_msg("est_basic_parse(\"%s\") did not return %d", header, rc);
	assert_null(user);
	assert_null(password);
}

/* "Basic " and the base64 of len bytes of raw (len < 0: strlen). */
static void
basic_header(char *out, size_t size, const char *raw, int len)
{
	char *b64 = base64_encode((const unsigned char *)raw, len < 0 ? strlen(raw) : (size_t)len,
	                          0);

	assert_non_null(b64);
	snprintf(out, size, "Basic %s", b64);
	free(b64);
}

static void
test_basic_valid(void **state)
{
	char h[256];

	basic_ok("Basic dXNlcjpwYXNz", "user", "pass");
	basic_ok("basic dXNlcjpwYXNz", "user", "pass");
	basic_ok("BASIC dXNlcjpwYXNz", "user", "pass");
	basic_ok("bAsIc dXNlcjpwYXNz", "user", "pass");
	basic_ok("Basic   dXNlcjpwYXNz", "user", "pass");
	basic_ok("Basic\tdXNlcjpwYXNz", "user", "pass");
	/* Only the first colon separates: the password keeps the others. */
	basic_header(h, sizeof(h), "dev-1:a:b::c:", -1);
	basic_ok(h, "dev-1", "a:b::c:");
	basic_header(h, sizeof(h), "dev-1::", -1);
	basic_ok(h, "dev-1", ":");
	basic_header(h, sizeof(h), "dev-1:", -1); /* empty password */
	basic_ok(h, "dev-1", "");
	basic_header(h, sizeof(h), "d\xc3\xa9v:p\xc3\xa4ss w\xc3\xb6rd", -1); /* UTF-8 kept */
	basic_ok(h, "d\xc3\xa9v", "p\xc3\xa4ss w\xc3\xb6rd");
}

static void
test_basic_other_schemes(void **state)
{
	basic_not("Bearer x", 0);
	basic_not("Bearer dXNlcjpwYXNz", 0);
	basic_not("Digest username=\"user\"", 0);
	basic_not("Basicx dXNlcjpwYXNz", 0);
	basic_not("Basi dXNlcjpwYXNz", 0);
	basic_not("", 0);
}

static void
test_basic_malformed(void **state)
{
	char h[256];

	basic_not("Basic ", -1);
	basic_not("Basic !!!!", -1);
	basic_not("Basic dXNlcjpwYXNz=", -1);          /* padding where none belongs */
	basic_not("Basic dXNlcjpwYXM", -1);            /* "user:pas" without its '=' */
	basic_not("Basic dXNlcjpw YXNz", -1);          /* space inside */
	basic_not("Basic dXNlcjpwYXNz dXNlcjpwYXNz", -1);
	basic_not("Basic dXNlcjpwYXNz\n", -1);
	basic_not("Basic dXNlcjpwYXNz:", -1);
	basic_not("Basic dXNlcjpwYXNz()", -1);
	basic_not("Basic dXNlcjpwYXNz,", -1);
	basic_not("Basic dXNlcjpwYXNz;", -1);
	basic_not("Basic dXNlcjpwYXNz_-", -1);         /* the URL alphabet */
	basic_header(h, sizeof(h), "userpass", -1);   /* no colon */
	basic_not(h, -1);
	basic_header(h, sizeof(h), "", 0);
	basic_not(h, -1);
	/* An embedded NUL would cut the user or the password short. */
	basic_header(h, sizeof(h), "us\0er:pass", 10);
	basic_not(h, -1);
	basic_header(h, sizeof(h), "user:pa\0ss", 10);
	basic_not(h, -1);
	basic_header(h, sizeof(h), "user:pass\0", 10);
	basic_not(h, -1);
}

/* ---- est_forwarded_cert ------------------------------------------------- */

/* value URL-encoded as nginx's $ssl_client_escaped_cert (ngx_escape_uri
 * with NGX_ESCAPE_URI_COMPONENT): letters, digits, '-', '.', '_' and '~'
 * stay, every other byte becomes %XX with upper-case hex. lower: lower-
 * case hex instead. */
static char *
url_encode(const char *value, bool lower)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
	size_t n = strlen(value), o = 0;
	char *out = malloc(3 * n + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

struct fwd_state {
	X509 *cert;
	unsigned char *der;
	size_t der_len;
	char *pem;
};

/* The PEM of x (malloc'ed). */
static char *
cert_pem(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_X509(bio, x) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0)
		pem = strndup(data, (size_t)n);
	BIO_free(bio);
	return pem;
}

/* A certificate whose PEM holds '+', '/' and '=', so that their escapes
 * are exercised (the key is random: a few tries are enough). */
static int
fwd_setup(void **state)
{
	struct fwd_state *s = calloc(1, sizeof(*s));
	int len;

	if (s == NULL)
		return -1;
	*state = s;
	for (int tries = 0; tries < 100; tries++) {
		EVP_PKEY *k = t_key("EC-P256");
		X509_free(s->cert);
		free(s->pem);
		s->cert = t_ca_cert(k, "forwarded client", -1, 1700000000, 1900000000);
		EVP_PKEY_free(k);
		s->pem = s->cert ? cert_pem(s->cert) : NULL;
		if (s->pem == NULL)
			return -1;
		if (strchr(s->pem, '+') && strchr(s->pem, '/') && strchr(s->pem, '='))
			break;
	}
	len = i2d_X509(s->cert, &s->der);
	if (len <= 0)
		return -1;
	s->der_len = (size_t)len;
	return 0;
}

static int
fwd_teardown(void **state)
{
	struct fwd_state *s = *state;

	if (s == NULL)
		return 0;
	X509_free(s->cert);
	OPENSSL_free(s->der);
	free(s->pem);
	free(s);
	return 0;
}

static void
fwd_ok(const struct fwd_state *s, const char *value)
{
	unsigned char *der = NULL;
	size_t len = 0;

	if (est_forwarded_cert(value, &der, &len) != 0)
		fail_msg("est_forwarded_cert refused \"%.80s...\"", value);
	assert_int_equal(len, s->der_len);
	assert_memory_equal(der, s->der, len);
	free(der);
}

static void
fwd_refused(const char *value)
{
	unsigned char *der = (unsigned char *)"sentinel";
	size_t len = 0;

	if (est_forwarded_cert(value, &der, &len) != -1)
		fail_msg("est_forwarded_cert accepted \"%.80s...\"", value);
	assert_null(der);
}

static void
test_forwarded_nginx_encoding(void **state)
{
	struct fwd_state *s = *state;
	char *enc = url_encode(s->pem, false), *lower = url_encode(s->pem, true);

	/* What the encoding must look like for the test to mean anything. */
	assert_non_null(strstr(enc, "-----BEGIN%20CERTIFICATE-----%0A"));
	assert_non_null(strstr(enc, "-----END%20CERTIFICATE-----%0A"));
	assert_null(strchr(enc, '\n'));
	assert_null(strchr(enc, ' '));
	assert_null(strchr(enc, '+'));
	assert_null(strchr(enc, '/'));
	assert_null(strchr(enc, '='));
	assert_non_null(strchr(s->pem, '+'));
	assert_non_null(strchr(s->pem, '/'));
	assert_non_null(strchr(s->pem, '='));
	assert_non_null(strstr(enc, "%2B"));
	assert_non_null(strstr(enc, "%2F"));
	assert_non_null(strstr(enc, "%3D"));
	fwd_ok(s, enc);
	fwd_ok(s, lower);
	fwd_ok(s, s->pem); /* nothing escaped at all */
	free(enc);
	free(lower);
}

/* Text before the BEGIN line is allowed (RFC 7468), so a broken escape
 * there is refused for the escape itself, not for what it decodes to. */
static void
test_forwarded_bad_escapes(void **state)
{
	struct fwd_state *s = *state;
	char *enc = url_encode(s->pem, false), *bad;
	size_t need = strlen(enc) + 32;
	static const char *const broken[] = {"%G1", "%1G", "%4-", "%%41", "%-1", "% 41", "%0x"};
	static const char *const tails[] = {"%4", "%", "%0"};

	bad = malloc(need);
	assert_non_null(bad);
	snprintf(bad, need, "Subject%%3A%%20dev-1%%0A%s", enc);
	fwd_ok(s, bad); /* well-formed explanatory text */
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		snprintf(bad, need, "Subject%s%%0A%s", broken[i], enc);
		fwd_refused(bad);
		snprintf(bad, need, "%s%s", broken[i], enc);
		fwd_refused(bad);
	}
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(bad, need, "%s%s", enc, tails[i]);
		fwd_refused(bad);
	}
	snprintf(bad, need, "%s%%0A%%20%%0D%%0A", enc); /* trailing white space is fine */
	fwd_ok(s, bad);
	free(bad);
	free(enc);
}

static void
test_forwarded_not_a_certificate(void **state)
{
	struct fwd_state *s = *state;
	EVP_PKEY *k = t_key("EC-P256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem, *enc, *b64;
	long n;

	/* a public key PEM */
	assert_non_null(k);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	enc = url_encode(pem, false);
	fwd_refused(enc);
	free(enc);
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(k);

	/* the bare base64 of the certificate, without the PEM lines */
	b64 = base64_encode(s->der, s->der_len, 64);
	enc = url_encode(b64, false);
	fwd_refused(enc);
	free(enc);
	free(b64);

	/* a PEM cut before its END line; one with bad base64 */
	pem = strdup(s->pem);
	assert_non_null(pem);
	*strstr(pem, "-----END") = '\0';
	enc = url_encode(pem, false);
	fwd_refused(enc);
	free(enc);
	free(pem);
	pem = strdup(s->pem);
	assert_non_null(pem);
	strstr(pem, "-----BEGIN CERTIFICATE-----\n")[28] = '*';
	enc = url_encode(pem, false);
	fwd_refused(enc);
	free(enc);
	free(pem);

	fwd_refused("");
	fwd_refused("hello");
	fwd_refused("-----BEGIN%20CERTIFICATE-----");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_forms),
		cmocka_unit_test(test_route_refusals),
		cmocka_unit_test(test_route_lengths),
		cmocka_unit_test(test_basic_valid),
		cmocka_unit_test(test_basic_other_schemes),
		cmocka_unit_test(test_basic_malformed),
		cmocka_unit_test_setup_teardown(test_forwarded_nginx_encoding, fwd_setup,
		                                fwd_teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_bad_escapes, fwd_setup, fwd_teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_not_a_certificate, fwd_setup,
		                                fwd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
