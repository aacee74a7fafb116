/* The dashboard's static files, compiled in from web/ (see the Makefile). */
#pragma once

#include <stddef.h>

typedef struct WebAsset {
        const char *path; /* "/index.html" */
        const char *content_type;
        const unsigned char *data;
        size_t size;
} WebAsset;

extern const WebAsset web_assets[]; /* ends with a zeroed entry */
