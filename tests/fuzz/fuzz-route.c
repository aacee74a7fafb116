/* libFuzzer target for request paths (lib/cg-route.c), which every request passes before
 * anything acts on a name. The first byte picks a pattern of the API's shapes, the rest is
 * the path as a client could send it. Besides crashes and sanitizer reports it checks that a
 * matched name never holds a slash or a NUL, that matching is the same when repeated, and
 * that a name percent-encoded byte by byte matches back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-route.h"

static void check(int cond) {
        if (!cond)
                abort();
}

static const char *const patterns[] = {"/api/v1/groups/{}", "/api/v1/groups/{}/freeze",
                                       "/api/v1/groups/{}/processes/{}/log", "/healthz"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 4096)
                return 0;
        const char *pattern = patterns[data[0] % (sizeof patterns / sizeof *patterns)];
        char path[4097], holes[CG_ROUTE_HOLES][CG_NAME_BUF + 1], again[CG_ROUTE_HOLES][CG_NAME_BUF + 1];
        memcpy(path, data + 1, size - 1);
        path[size - 1] = '\0';
        CgRouteMatch m = cg_route_match(pattern, path, holes);
        check(cg_route_match(pattern, path, again) == m);
        if (m != CG_ROUTE_YES)
                return 0;
        size_t nholes = 0;
        for (const char *p = pattern; (p = strstr(p, "{}")); p += 2)
                nholes++;
        for (size_t i = 0; i < nholes; i++) {
                check(strchr(holes[i], '/') == NULL && strlen(holes[i]) <= CG_NAME_BUF);
                check(strcmp(holes[i], again[i]) == 0);
        }
        /* Every byte of the first name percent-encoded: the same name comes back. */
        char enc[3 * (CG_NAME_BUF + 1) + 64], *o = enc;
        const char *brace = strstr(pattern, "{}");
        o += snprintf(o, sizeof enc, "%.*s", (int)(brace - pattern), pattern);
        for (const char *c = holes[0]; *c; c++)
                o += snprintf(o, 4, "%%%02X", (unsigned char)*c);
        if (nholes == 1) {
                snprintf(o, sizeof enc - (size_t)(o - enc), "%s", brace + 2);
                check(cg_route_match(pattern, enc, again) == CG_ROUTE_YES && strcmp(again[0], holes[0]) == 0);
        }
        return 0;
}
