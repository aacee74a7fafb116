#include "cg-route.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int hex(char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
}

/* One path segment, percent-decoded into out. A NUL or a slash inside a segment, or a broken
 * escape, is refused: decoded, it would address another resource than the one routed. */
static int decode_segment(const char *seg, size_t len, char *out, size_t size) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                char c = seg[i];
                if (c == '%') {
                        int hi = i + 2 < len ? hex(seg[i + 1]) : -1, lo = i + 2 < len ? hex(seg[i + 2]) : -1;
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        c = (char)(hi * 16 + lo);
                        i += 2;
                        if (c == '\0' || c == '/')
                                return -EINVAL;
                }
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                out[n++] = c;
        }
        out[n] = '\0';
        return 0;
}

CgRouteMatch cg_route_match(const char *pattern, const char *path, char holes[CG_ROUTE_HOLES][CG_NAME_BUF + 1]) {
        size_t h = 0;
        bool bad = false;
        while (*pattern && *path) {
                if (*pattern != '/' || *path != '/')
                        return CG_ROUTE_NO;
                pattern++, path++;
                size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
                if (plen == 2 && strncmp(pattern, "{}", 2) == 0) {
                        if (slen == 0 || h == CG_ROUTE_HOLES)
                                return CG_ROUTE_NO;
                        int r = decode_segment(path, slen, holes[h++], CG_NAME_BUF + 1);
                        if (r == -ENAMETOOLONG)
                                return CG_ROUTE_NO;
                        bad = bad || r < 0;
                } else if (plen != slen || strncmp(pattern, path, plen) != 0)
                        return CG_ROUTE_NO;
                pattern += plen, path += slen;
        }
        return *pattern || *path ? CG_ROUTE_NO : bad ? CG_ROUTE_BAD : CG_ROUTE_YES;
}
