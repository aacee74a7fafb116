/* The dashboard's static files, with a strict Content-Security-Policy: only our own
 * scripts, styles and API; no inline code, no frames, nothing from elsewhere. */
#include <string.h>

#include "api.h"
#include "web-assets.h"

#define CSP                                                                                             \
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " \
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

bool api_web_serve(const HttpRequest *req, HttpResponse *resp) {
        const char *path = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;
        for (const WebAsset *a = web_assets; a->path; a++) {
                if (strcmp(a->path, path) != 0)
                        continue;
                resp->body = malloc(a->size ? a->size : 1);
                if (!resp->body)
                        return false;
                memcpy(resp->body, a->data, a->size);
                resp->len = a->size;
                resp->status = 200;
                resp->content_type = a->content_type;
                http_response_header(resp, "Content-Security-Policy", CSP);
                http_response_header(resp, "Cache-Control", "no-cache");
                http_response_header(resp, "Referrer-Policy", "no-referrer");
                http_response_header(resp, "X-Frame-Options", "DENY");
                return true;
        }
        return false;
}
