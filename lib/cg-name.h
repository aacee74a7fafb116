/* Group names: the only strings that ever become part of a cgroupfs path. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CG_NAME_MAX 63
#define CG_NAME_BUF (CG_NAME_MAX + 1)

/* True if s matches ^[a-z0-9][a-z0-9_-]{0,62}$ (so no "..", "/", NUL or upper case). */
bool cg_name_is_valid(const char *s);
