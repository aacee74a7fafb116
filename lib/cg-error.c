#include "cg-error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cg_error_set(CgError *err, int r, const char *code, const char *field, const char *fmt, ...) {
        if (!err)
                return r;
        snprintf(err->code, sizeof err->code, "%s", code);
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        return r;
}
