/* Request paths to resources: the path as the client sent it, split into segments first,
 * then each segment percent-decoded on its own. Decoding first would let "%2F" move a name
 * into another segment and "%00" cut it short, so that a request for one name acts on
 * another; such segments are refused instead. */
#pragma once

#include <stddef.h>

#include "cg-name.h"

#define CG_ROUTE_HOLES 2

typedef enum CgRouteMatch {
        CG_ROUTE_NO,  /* another resource */
        CG_ROUTE_YES, /* holes filled */
        CG_ROUTE_BAD, /* the pattern's shape, but a {} segment holds %00, %2F or a broken escape */
} CgRouteMatch;

/* Matches path against pattern ("/api/v1/groups/{}/freeze") segment by segment; each "{}"
 * segment, decoded, goes to holes[i] (one longer than a name does not match). */
CgRouteMatch cg_route_match(const char *pattern, const char *path, char holes[CG_ROUTE_HOLES][CG_NAME_BUF + 1]);
