/* The dashboard's static files, with a strict Content-Security-Policy: only our own
 * scripts, styles and API; no inline code, no frames, nothing from elsewhere.
 *
 * Caching: /static/<hash>/ files never change, so a browser keeps them for a year without
 * asking; index.html names the current hash and is revalidated on every load by its ETag. */
#include <string.h>

#include "api.h"
#include "web-assets.h"

#define CSP                                                                                             \
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " \
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const WebAsset *find_asset(const char *path) {
        /* Every page of the dashboard is index.html; its router reads the fragment. */
        if (strcmp(path, "/") == 0)
                path = "/index.html";
        for (const WebAsset *a = web_assets; a->path; a++)
                if (strcmp(a->path, path) == 0)
                        return a;
        return NULL;
}

/* If-None-Match: a list of quoted tags, or "*". */
static bool etag_matches(const char *header, const char *etag) {
        return header && (strcmp(header, "*") == 0 || strstr(header, etag));
}

bool api_web_serve(const HttpRequest *req, HttpResponse *resp) {
        const WebAsset *a = find_asset(req->path);
        if (!a)
                return false;
        if (etag_matches(http_header(req, "If-None-Match"), a->etag)) {
                resp->status = 304;
        } else {
                resp->body = malloc(a->size ? a->size : 1);
                if (!resp->body)
                        return false;
                memcpy(resp->body, a->data, a->size);
                resp->len = a->size;
                resp->status = 200;
                resp->content_type = a->content_type;
        }
        http_response_header(resp, "ETag", a->etag);
        http_response_header(resp, "Cache-Control", a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
        http_response_header(resp, "Content-Security-Policy", CSP); /* the rest: http.c, on every response */
        return true;
}
