/* The dashboard's built files, compiled in by web/gen-assets.sh (see the Makefile). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct WebAsset {
        const char *path; /* "/index.html", "/static/<hash>/app.js" */
        const char *content_type;
        const char *etag; /* quoted, from the file's content */
        bool immutable;   /* under /static/<hash>/: its content never changes */
        const unsigned char *data;
        size_t size;
} WebAsset;

extern const WebAsset web_assets[]; /* ends with a zeroed entry */
