/* Who may use the API. Today one role, admin: root on the unix socket, or a TCP client with
 * the admin token. More tokens and roles slot in by returning other AuthRole values. */
#pragma once

#include <stdint.h>

#include "http.h"
#include "token.h"

typedef enum AuthRole {
        AUTH_ANONYMOUS, /* may only read /healthz */
        AUTH_ADMIN,
} AuthRole;

typedef struct Auth {
        char token[TOKEN_HEX_LEN + 1];
        char hosts[4][80]; /* Host values we answer to over TCP */
        size_t nhosts;
        bool any_host; /* listening on a wildcard address: the token alone decides */
} Auth;

/* listen is the --listen value (or NULL), port the bound TCP port. */
void auth_init(Auth *a, const char *token, const char *listen, uint16_t port);

/* Decides who the request comes from. Returns 0 with *ret_role, -EPERM (403: foreign Host
 * or Origin, non-root peer) or -EACCES (401: no or wrong token), with *err filled. */
int auth_check(const Auth *a, const HttpRequest *req, AuthRole *ret_role, CgError *err);
