#include "auth.h"

#include <stdio.h>
#include <string.h>

bool auth_listen_is_loopback(const char *listen) {
        return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]:", 6) == 0;
}

bool auth_host_name_valid(const char *name) {
        size_t n = strlen(name);
        return n > 0 && n < 64 &&
               strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

void auth_init(Auth *a, const char *token, const char *listen, uint16_t port, const char *const *allow,
               size_t n_allow) {
        *a = (Auth){0};
        snprintf(a->token, sizeof a->token, "%s", token);
        if (!listen)
                return;
        char host[64];
        const char *colon = strrchr(listen, ':');
        size_t hl = colon ? (size_t)(colon - listen) : 0;
        snprintf(host, sizeof host, "%.*s", (int)(hl < sizeof host ? hl : sizeof host - 1), listen);
        /* A wildcard address is no name a client uses: only the names given count there. */
        if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "[::]") != 0)
                snprintf(a->hosts[a->nhosts++], sizeof a->hosts[0], "%s:%u", host, port);
        snprintf(a->hosts[a->nhosts++], sizeof a->hosts[0], "localhost:%u", port);
        for (size_t i = 0; i < n_allow && i < AUTH_ALLOW_HOSTS_MAX; i++)
                snprintf(a->hosts[a->nhosts++], sizeof a->hosts[0], "%s:%u", allow[i], port);
}

static bool host_allowed(const Auth *a, const char *host) {
        for (size_t i = 0; host && i < a->nhosts; i++)
                if (strcasecmp(host, a->hosts[i]) == 0)
                        return true;
        return false;
}

/* A browser's Origin is "http://HOST:PORT"; anything else is another site's page. */
static bool origin_allowed(const Auth *a, const char *origin) {
        const char *prefix = "http://";
        return strncmp(origin, prefix, strlen(prefix)) == 0 && host_allowed(a, origin + strlen(prefix));
}

int auth_check(const Auth *a, const HttpRequest *req, AuthRole *ret_role, CgError *err) {
        const char *origin = http_header(req, "Origin");

        if (req->transport == HTTP_UNIX) {
                if (origin)
                        return cg_error_set(err, -EPERM, "forbidden_origin", NULL, "cross-origin requests are refused");
                if (req->peer_uid != 0)
                        return cg_error_set(err, -EPERM, "forbidden", NULL, "only root may use this socket");
                *ret_role = AUTH_ADMIN;
                return 0;
        }
        /* DNS rebinding: a page on evil.example resolving to 127.0.0.1 still says its own Host. */
        if (!host_allowed(a, http_header(req, "Host")))
                return cg_error_set(err, -EPERM, "forbidden_host", NULL,
                                    "the Host header names no address this daemon listens on");
        if (origin && !origin_allowed(a, origin))
                return cg_error_set(err, -EPERM, "forbidden_origin", NULL, "cross-origin requests are refused");

        const char *authz = http_header(req, "Authorization");
        const char *scheme = "Bearer ";
        if (!authz || strncasecmp(authz, scheme, strlen(scheme)) != 0) {
                *ret_role = AUTH_ANONYMOUS;
                return 0;
        }
        const char *tok = authz + strlen(scheme);
        if (!token_equal(tok, strlen(tok), a->token))
                return cg_error_set(err, -EACCES, "unauthorized", NULL, "the token is not valid");
        *ret_role = AUTH_ADMIN;
        return 0;
}
