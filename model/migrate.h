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
 * migrations this binary does not know (it is older than the schema). */
edgeca_err migrate_run(PGconn *c, const struct edgeca_embedded_file *files, int *applied,
                       struct edgeca_msg *msg);

#endif
