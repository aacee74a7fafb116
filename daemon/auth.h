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

#define AUTH_ALLOW_HOSTS_MAX 8

typedef struct Auth {
        char token[TOKEN_HEX_LEN + 1];
        char hosts[AUTH_ALLOW_HOSTS_MAX + 2][80]; /* Host values we answer to over TCP */
        size_t nhosts;
} Auth;

/* listen is the --listen value (or NULL), port the bound TCP port; the Host values answered
 * are the listen address (unless a wildcard), localhost and each of allow, with the port. */
void auth_init(Auth *a, const char *token, const char *listen, uint16_t port, const char *const *allow, size_t n_allow);
/* 127.0.0.0/8 or [::1]: a listener no other machine reaches. */
bool auth_listen_is_loopback(const char *listen);
/* A name for --allow-host: letters, digits, '.', '-', ':', '[', ']', at most 63. */
bool auth_host_name_valid(const char *name);

/* Decides who the request comes from. Returns 0 with *ret_role, -EPERM (403: foreign Host
 * or Origin, non-root peer) or -EACCES (401: no or wrong token), with *err filled. */
int auth_check(const Auth *a, const HttpRequest *req, AuthRole *ret_role, CgError *err);
