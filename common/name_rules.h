/* Name rules of a CA's issuance policy: which subject attribute types,
 * common names, DNS names and IP addresses the leaf certificates of the
 * CA may carry. The server checks them at CA creation and stores their
 * text form; the signer binds that text to every key of the CA and checks
 * each leaf certificate it builds against it. Shared by both. */
#ifndef EDGECA_COMMON_NAME_RULES_H
#define EDGECA_COMMON_NAME_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

#define NAME_RULES_MAX_ITEMS 32
#define NAME_RULES_CN_PATTERN_MAX 64
#define NAME_RULES_DNS_PATTERN_MAX 253
/* The longest text form: every list full of the longest items fits. */
#define NAME_RULES_MAX_TEXT 16384

enum name_rule_list {
	NR_SUBJECT_ATTRIBUTES = 0, /* short names: CN, O, OU, ... */
	NR_COMMON_NAME,            /* patterns the CN must match */
	NR_DNS_NAMES,              /* patterns every DNS subjectAltName must match */
	NR_IP_RANGES,              /* CIDR ranges every IP subjectAltName must lie in */
	NR_LISTS
};

/* "subject_attributes", "common_name", "dns_names", "ip_ranges": the JSON
 * members and the keys of the text form. */
extern const char *const name_rule_keys[NR_LISTS];

struct name_rules;

/* A set of rules with no list: it restricts nothing. NULL when out of
 * memory. */
struct name_rules *name_rules_new(void);
void name_rules_free(struct name_rules *r);
/* A copy (NULL when out of memory). */
struct name_rules *name_rules_dup(const struct name_rules *r);

/* Gives list k, which must not be present yet, the n items (n == 0: the
 * list is present and allows nothing). Each item is checked and kept in
 * its canonical form (patterns in lower case, ranges as inet_ntop writes
 * them). where names the list in messages ("issuance.name_rules.dns_names").
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID, invalid-field, naming where[i]. */
edgeca_err name_rules_set(struct name_rules *r, enum name_rule_list k, const char *const *items,
                          size_t n, const char *where, struct edgeca_msg *msg);

/* Whether list k is present; its items in canonical form. */
bool name_rules_has(const struct name_rules *r, enum name_rule_list k);
size_t name_rules_count(const struct name_rules *r, enum name_rule_list k);
const char *name_rules_item(const struct name_rules *r, enum name_rule_list k, size_t i);
/* True when no list is present (nothing is restricted). */
bool name_rules_empty(const struct name_rules *r);

/* The text form (see signer/PROTOCOL.md, NAME_RULES): the present lists
 * in the order of enum name_rule_list, "key=item,item" joined by ";".
 * Malloc'ed; NULL when r is NULL or out of memory. */
char *name_rules_text(const struct name_rules *r);
/* Parses the text form strictly: known keys, each at most once and in
 * order, at most NAME_RULES_MAX_TEXT bytes, every item checked as by
 * name_rules_set. Returns: EDGECA_OK with *out (name_rules_free it);
 * EDGECA_ERR_INVALID, policy-invalid, with the reason. */
edgeca_err name_rules_parse(const char *text, struct name_rules **out, struct edgeca_msg *msg);

/* Matches a name (a CN or a DNS name) against a pattern: ASCII letters
 * compare case-insensitively, '*' matches one or more characters other
 * than '.', everything else itself. A name whose label is "*" (a
 * wildcard DNS name) matches only a pattern whose label there is "*"
 * alone; any other '*' in a name matches nothing. */
bool name_pattern_match(const char *pattern, const char *name);

/* What the rules allow; every check passes when its list is absent. */
bool name_rules_allow_attribute(const struct name_rules *r, const char *short_name);
bool name_rules_allow_cn(const struct name_rules *r, const char *cn);
bool name_rules_allow_dns(const struct name_rules *r, const char *dns);
/* addr: 4 bytes (IPv4) or 16 (IPv6), as in an iPAddress name. */
bool name_rules_allow_ip(const struct name_rules *r, const unsigned char *addr, size_t len);

#endif
