/* Versioned schema migrations, compiled in from schema/NNN-*.sql (see the Makefile). */
#pragma once

#include <stddef.h>

/* store_migrations[i] brings the schema from version i to i + 1. */
extern const char *const store_migrations[];
extern const size_t store_migrations_count;
