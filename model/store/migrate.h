/* Schema migrations: the SQL files of migrations/ (compiled into the
 * binary) applied in order, each in its own transaction, recorded in
 * schema_migrations with a SHA-256 of its text, under an advisory lock so
 * that servers starting together never race. */
#ifndef EDGECA_MODEL_MIGRATE_H
#define EDGECA_MODEL_MIGRATE_H

#include <libpq-fe.h>

#include "common/embedded.h"
#include "common/error.h"

/* Applies what is missing; refuses to start when an applied migration's
 * text differs from the one compiled in, or when the database holds
 * migrations this binary does not know (it is older than the schema).
 * When nothing is missing it changes nothing, so a role without DDL
 * rights (the API server's) can run it to check the schema. When
 * app_role is given, that role gets the rights the API server needs and
 * no more: it may add audit rows but never change or remove them. */
edgeca_err migrate_run(PGconn *c, const struct edgeca_embedded_file *files,
                       const char *app_role, int *applied, struct edgeca_msg *msg);

#endif
