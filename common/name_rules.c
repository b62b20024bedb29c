#include "common/name_rules.h"

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csr.h"

const char *const name_rule_keys[NR_LISTS] = {"subject_attributes", "common_name", "dns_names",
                                              "ip_ranges"};

struct nr_range {
	unsigned char addr[16];
	size_t len; /* 4 or 16 */
	unsigned prefix;
};

struct name_rules {
	bool has[NR_LISTS];
	size_t n[NR_LISTS];
	char *items[NR_LISTS][NAME_RULES_MAX_ITEMS]; /* canonical text */
	struct nr_range ranges[NAME_RULES_MAX_ITEMS]; /* NR_IP_RANGES, decoded */
};

struct name_rules *
name_rules_new(void)
{
	return calloc(1, sizeof(struct name_rules));
}

void
name_rules_free(struct name_rules *r)
{
	if (r == NULL)
		return;
	for (int k = 0; k < NR_LISTS; k++)
		for (size_t i = 0; i < r->n[k]; i++)
			free(r->items[k][i]);
	free(r);
}

struct name_rules *
name_rules_dup(const struct name_rules *r)
{
	struct name_rules *d = name_rules_new();

	if (d == NULL || r == NULL)
		return d;
	memcpy(d->has, r->has, sizeof(d->has));
	memcpy(d->ranges, r->ranges, sizeof(d->ranges));
	for (int k = 0; k < NR_LISTS; k++)
		for (size_t i = 0; i < r->n[k]; i++) {
			if ((d->items[k][i] = strdup(r->items[k][i])) == NULL) {
				name_rules_free(d);
				return NULL;
			}
			d->n[k] = i + 1;
		}
	return d;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A CN or DNS pattern: 1..max characters of the list's set, dots
 * separating non-empty labels (of at most 63 characters for DNS). */
static bool
pattern_valid(const char *s, bool dns)
{
	size_t n = strlen(s), label = 0, max = dns ? NAME_RULES_DNS_PATTERN_MAX
	                                           : NAME_RULES_CN_PATTERN_MAX;

	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(*p) && !strchr(dns ? "-_*" : "-_*:@", *p))
			return false;
		if (++label > 63 && dns)
			return false;
	}
	return label > 0;
}

/* "a.b.c.d/n" or an IPv6 address and "/n": the network address (host
 * bits zero) and a prefix without leading zeros. */
static bool
range_parse(const char *s, struct nr_range *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/'), *p;
	unsigned long prefix = 0;
	size_t alen;

	if (slash == NULL || (alen = (size_t)(slash - s)) == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->len = 4;
	else if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, out->addr) == 1)
		out->len = 16;
	else
		return false;
	p = slash + 1;
	if (*p == '\0' || (p[0] == '0' && p[1] != '\0') || strlen(p) > 3)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		prefix = prefix * 10 + (unsigned long)(*p - '0');
	}
	if (prefix > out->len * 8)
		return false;
	out->prefix = (unsigned)prefix;
	for (size_t bit = prefix; bit < out->len * 8; bit++)
		if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static char *
range_text(const struct nr_range *r)
{
	char addr[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN + 8];

	if (inet_ntop(r->len == 4 ? AF_INET : AF_INET6, r->addr, addr, sizeof(addr)) == NULL)
		return NULL;
	snprintf(out, sizeof(out), "%s/%u", addr, r->prefix);
	return strdup(out);
}

/* The canonical form of one item of list k, or NULL (*bad set) when the
 * item is not valid, or NULL when out of memory. */
static char *
item_canonical(struct name_rules *r, enum name_rule_list k, const char *s, size_t i, bool *bad)
{
	char *c;
	int nid;

	*bad = false;
	switch (k) {
	case NR_SUBJECT_ATTRIBUTES:
		nid = OBJ_sn2nid(s);
		if (nid == NID_undef || !csr_subject_nid_known(nid) || strcmp(OBJ_nid2sn(nid), s) != 0) {
			*bad = true;
			return NULL;
		}
		return strdup(s);
	case NR_COMMON_NAME:
	case NR_DNS_NAMES:
		if (!pattern_valid(s, k == NR_DNS_NAMES)) {
			*bad = true;
			return NULL;
		}
		if ((c = strdup(s)) != NULL)
			for (char *p = c; *p; p++)
				*p = ascii_lower(*p);
		return c;
	case NR_IP_RANGES:
	default:
		if (!range_parse(s, &r->ranges[i])) {
			*bad = true;
			return NULL;
		}
		return range_text(&r->ranges[i]);
	}
}

static const char *const item_rules[NR_LISTS] = {
	"a subject attribute type edgeca accepts, by its short name (CN, C, ST, L, O, OU, "
	"serialNumber, DC, UID, emailAddress, title, GN, SN, pseudonym, dnQualifier, street, "
	"postalCode, organizationIdentifier)",
	"a pattern of 1 to 64 letters, digits, '-', '_', ':', '@' and '*', dots separating "
	"non-empty parts",
	"a host name pattern of at most 253 characters: labels of 1 to 63 letters, digits, "
	"'-', '_' and '*' separated by dots",
	"a CIDR range such as 10.20.0.0/16 or 2001:db8::/32, with the host bits zero",
};

edgeca_err
name_rules_set(struct name_rules *r, enum name_rule_list k, const char *const *items, size_t n,
               const char *where, struct edgeca_msg *msg)
{
	bool bad;

	if (r->has[k])
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field", "%s is given twice",
		                   where);
	if (n > NAME_RULES_MAX_ITEMS)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s holds at most %d items", where, NAME_RULES_MAX_ITEMS);
	r->has[k] = true;
	for (size_t i = 0; i < n; i++) {
		char *c = item_canonical(r, k, items[i], i, &bad);
		if (c == NULL)
			return bad ? edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                         "%s[%zu] must be %s", where, i, item_rules[k])
			           : edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->items[k][j], c) == 0) {
				free(c);
				return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
				                   "%s[%zu] repeats %s[%zu]", where, i, where, j);
			}
		r->items[k][i] = c;
		r->n[k] = i + 1;
	}
	return EDGECA_OK;
}

bool
name_rules_has(const struct name_rules *r, enum name_rule_list k)
{
	return r != NULL && r->has[k];
}

size_t
name_rules_count(const struct name_rules *r, enum name_rule_list k)
{
	return r != NULL ? r->n[k] : 0;
}

const char *
name_rules_item(const struct name_rules *r, enum name_rule_list k, size_t i)
{
	return r != NULL && i < r->n[k] ? r->items[k][i] : NULL;
}

bool
name_rules_empty(const struct name_rules *r)
{
	for (int k = 0; r != NULL && k < NR_LISTS; k++)
		if (r->has[k])
			return false;
	return true;
}

char *
name_rules_text(const struct name_rules *r)
{
	struct buf b = {0};
	size_t len;
	int part = 0;

	if (r == NULL)
		return NULL;
	for (int k = 0; k < NR_LISTS; k++) {
		if (!r->has[k])
			continue;
		if (buf_printf(&b, "%s%s=", part++ ? ";" : "", name_rule_keys[k]) != 0)
			goto fail;
		for (size_t i = 0; i < r->n[k]; i++)
			if (buf_printf(&b, "%s%s", i ? "," : "", r->items[k][i]) != 0)
				goto fail;
	}
	if (buf_terminate(&b) != 0)
		goto fail;
	return (char *)buf_take(&b, &len);
fail:
	buf_free(&b);
	return NULL;
}

/* Splits one "key=items" part (NUL-terminated, modified) into r. */
static edgeca_err
parse_part(struct name_rules *r, char *part, int *last, struct edgeca_msg *msg)
{
	const char *items[NAME_RULES_MAX_ITEMS];
	struct edgeca_msg why = {0};
	char *eq = strchr(part, '='), *p;
	size_t n = 0;
	edgeca_err rc;
	int k;

	if (eq == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "a name rule is not key=items");
	*eq = '\0';
	for (k = 0; k < NR_LISTS; k++)
		if (strcmp(part, name_rule_keys[k]) == 0)
			break;
	if (k == NR_LISTS || k <= *last)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "unknown, repeated or misplaced name rule \"%.32s\"", part);
	*last = k;
	/* "key=" is an empty list; otherwise every item between commas counts,
	 * an empty one too (and is refused) */
	if (*(p = eq + 1) != '\0') {
		for (const char *c = p; *c; c++)
			n += *c == ',';
		if (n >= NAME_RULES_MAX_ITEMS)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
			                   "%s holds more than %d items", name_rule_keys[k],
			                   NAME_RULES_MAX_ITEMS);
		n = 0;
		for (char *item; (item = strsep(&p, ",")) != NULL;)
			items[n++] = item;
	}
	rc = name_rules_set(r, (enum name_rule_list)k, items, n, name_rule_keys[k], &why);
	if (rc != EDGECA_OK)
		return edgeca_fail(msg, rc == EDGECA_ERR_INVALID ? rc : EDGECA_ERR_INTERNAL,
		                   rc == EDGECA_ERR_INVALID ? "policy-invalid" : NULL, "%s",
		                   why.detail);
	return EDGECA_OK;
}

edgeca_err
name_rules_parse(const char *text, struct name_rules **out, struct edgeca_msg *msg)
{
	struct name_rules *r = NULL;
	char *copy = NULL, *p, *semi;
	size_t len = strlen(text);
	int last = -1;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	if (len == 0 || len > NAME_RULES_MAX_TEXT)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "name rules must be 1 to %d bytes", NAME_RULES_MAX_TEXT);
	if ((copy = strdup(text)) == NULL || (r = name_rules_new()) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (p = copy;; p = semi + 1) {
		semi = strchr(p, ';');
		if (semi != NULL)
			*semi = '\0';
		if ((rc = parse_part(r, p, &last, msg)) != EDGECA_OK)
			goto out;
		if (semi == NULL)
			break;
	}
	*out = r;
	r = NULL;
out:
	name_rules_free(r);
	free(copy);
	return rc;
}

/* One label of a pattern against one of a name, '*' taking one or more
 * characters: the usual two-pointer match, where the last star seen takes
 * one character more each time the rest fails. */
static bool
label_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = ++si; /* the star takes one character at least */
		} else if (pi < pn && ascii_lower(p[pi]) == ascii_lower(s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	return pi == pn;
}

bool
name_pattern_match(const char *pattern, const char *name)
{
	const char *p = pattern, *s = name;

	for (;;) {
		size_t pn = strcspn(p, "."), sn = strcspn(s, ".");
		bool s_star = memchr(s, '*', sn) != NULL;

		if (s_star ? !(sn == 1 && pn == 1 && p[0] == '*') : !label_match(p, pn, s, sn))
			return false;
		if ((p[pn] == '.') != (s[sn] == '.'))
			return false; /* not the same number of labels */
		if (p[pn] == '\0')
			return true;
		p += pn + 1;
		s += sn + 1;
	}
}

static bool
any_pattern(const struct name_rules *r, enum name_rule_list k, const char *name)
{
	if (r == NULL || !r->has[k])
		return true;
	for (size_t i = 0; i < r->n[k]; i++)
		if (name_pattern_match(r->items[k][i], name))
			return true;
	return false;
}

bool
name_rules_allow_attribute(const struct name_rules *r, const char *short_name)
{
	if (r == NULL || !r->has[NR_SUBJECT_ATTRIBUTES])
		return true;
	for (size_t i = 0; i < r->n[NR_SUBJECT_ATTRIBUTES]; i++)
		if (strcmp(r->items[NR_SUBJECT_ATTRIBUTES][i], short_name) == 0)
			return true;
	return false;
}

bool
name_rules_allow_cn(const struct name_rules *r, const char *cn)
{
	return any_pattern(r, NR_COMMON_NAME, cn);
}

bool
name_rules_allow_dns(const struct name_rules *r, const char *dns)
{
	return any_pattern(r, NR_DNS_NAMES, dns);
}

bool
name_rules_allow_ip(const struct name_rules *r, const unsigned char *addr, size_t len)
{
	if (r == NULL || !r->has[NR_IP_RANGES])
		return true;
	for (size_t i = 0; i < r->n[NR_IP_RANGES]; i++) {
		const struct nr_range *g = &r->ranges[i];
		unsigned full = g->prefix / 8, rest = g->prefix % 8;

		if (g->len != len || memcmp(g->addr, addr, full) != 0)
			continue;
		if (rest == 0 || ((g->addr[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) == 0)
			return true;
	}
	return false;
}
