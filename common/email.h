/* E-mail addresses edgeca mails: the one validator every stored address
 * passes (CA notification_emails, token e-mails) and the merge that makes a
 * delivery's recipient list. Pure functions, callable from anywhere. */
#ifndef EDGECA_MODEL_EMAIL_H
#define EDGECA_MODEL_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

/* At most 254 bytes, one '@' with something before it and a '.' after it,
 * no spaces, controls, commas, quotes or angle brackets (so an address can
 * never split a header or an SMTP command). */
bool email_valid(const char *e);

/* A NULL-terminated vector (strv_free) of a's addresses then b's, in their
 * order, each address once: a later one equal to an earlier one ignoring
 * ASCII case is dropped. Either input may be NULL. NULL when out of memory. */
char **email_recipients_merge(char *const *a, char *const *b);

#endif
