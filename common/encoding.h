/* Base64 (RFC 4648, standard and URL alphabets), hex and PEM (RFC 7468).
 * Decoders are strict: they refuse anything but the alphabet, except that
 * the whitespace-tolerant variant skips CR, LF, space and tab (RFC 8951). */
#ifndef EDGECA_COMMON_ENCODING_H
#define EDGECA_COMMON_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a malloc'ed NUL-terminated string; line_len 0 = one line. */
char *base64_encode(const unsigned char *in, size_t len, size_t line_len);
char *base64url_encode(const unsigned char *in, size_t len); /* no padding */

/* Decodes into a malloc'ed buffer. Padding is required for standard
 * base64 and refused for base64url. Returns 0, or -1 on bad input. */
int base64_decode(const char *in, size_t len, bool skip_whitespace, unsigned char **out,
                  size_t *out_len);
int base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);

/* A UUID in its text form (8-4-4-4-12 hex digits) and its NUL. */
#define UUID_TEXT_BYTES 37

/* Lower-case hex into out (2*len+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);
/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other char. */
int hex_value(char c);

/* PEM text for one DER object, 64-column lines, ending in a newline. */
char *pem_encode(const char *label, const unsigned char *der, size_t len);

enum pem_result { PEM_OK = 0, PEM_NOT_PEM, PEM_BAD_BASE64, PEM_WRONG_LABEL, PEM_TRAILING,
                  PEM_NO_END };

/* Decodes the first PEM block of text. Text before the BEGIN line is
 * allowed (RFC 7468 explanatory text); after the END line only whitespace
 * is, unless rest is given, which then points at what follows. label must
 * equal one of labels (NULL-terminated list); the found label's index is
 * stored in which. */
enum pem_result pem_decode(const char *text, size_t len, const char *const *labels,
                           int *which, unsigned char **der, size_t *der_len,
                           const char **rest);

/* True when the bytes look like PEM text (start with "-----BEGIN" after
 * optional whitespace). */
bool looks_like_pem(const unsigned char *data, size_t len);

/* True when s looks like a UUID (the form of every edgeca id). */
int uuid_valid(const char *s);

#endif
