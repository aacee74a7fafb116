/* JSON ↔ typed values, with jansson. Shared by the daemon (requests, responses) and the CLI. */
#pragma once

#include <jansson.h>

#include "cg-error.h"
#include "cg-limits.h"

/* Parses a LIMITS object. JSON null clears a key when allow_null, and is refused otherwise.
 * Unknown keys and wrong types are errors, with a JSON pointer prefixed by `base`. */
int cg_json_to_limits(const json_t *j, bool allow_null, const char *base, CgLimits *ret, CgError *err);

/* Renders the keys in l->set as a LIMITS object: sizes in bytes or "max", cpu.max in CPUs. */
json_t *cg_json_from_limits(const CgLimits *l);

/* The value of a JSON string without NULs inside, or NULL (not a string, or "a\u0000b"). */
const char *cg_json_plain_string(const json_t *j);

/* "2026-11-23T13:37:55Z" from microseconds since the epoch. */
json_t *cg_json_time(uint64_t usec);
