/* An error as the API reports it: a machine code, a message and the offending field.
 * Functions still return -errno; a CgError, when given, says more. The HTTP status is
 * derived from the errno (see daemon/api.c), so lib/ never speaks HTTP. */
#pragma once

#include "cg-util.h"

typedef struct CgError {
        char code[48];     /* snake_case, e.g. "invalid_value" */
        char message[256]; /* never echoes raw user input */
        char field[96];    /* JSON pointer such as "/memory/max", or "" */
} CgError;

/* Fills *err (if non-NULL) and returns r, which must be a negative errno. */
int cg_error_set(CgError *err, int r, const char *code, const char *field, const char *fmt, ...) _printf_(5, 6);
