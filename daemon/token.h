/* The admin bearer token: 256 random bits, hex, kept in a 0600 file across restarts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_HEX_LEN 64

/* Reads the token from path, creating it (and its directory, 0700) on first start.
 * ret must hold TOKEN_HEX_LEN + 1 bytes. Returns 0 or -errno. */
int token_load_or_create(const char *path, char *ret);

/* Constant-time comparison of a presented token with the expected one. */
bool token_equal(const char *presented, size_t len, const char *expected);
