/* The CLI's way to the daemon: libcurl over the unix socket or TCP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct Client {
        const char *socket_path; /* used when url is NULL */
        const char *url;         /* "http://127.0.0.1:8470" */
        const char *token;       /* sent as a bearer token over TCP */
} Client;

/* Performs one request. body may be NULL. Returns 0 with *ret_status and a malloc'd
 * *ret_body (NUL-terminated), or -errno with a one-line reason in errbuf. */
int client_request(const Client *c, const char *method, const char *path, const char *body, long *ret_status,
                   char **ret_body, char *errbuf, size_t errsize);

/* A GET whose body is handed to on_data as it arrives (an event stream), with no overall
 * timeout; on_data returns false to stop. An error answer (>= 400) is collected into
 * *ret_body instead. Returns 0 with *ret_status, or -errno with a reason in errbuf. */
int client_stream(const Client *c, const char *path, bool (*on_data)(void *cls, const char *data, size_t len),
                  void *cls, long *ret_status, char **ret_body, char *errbuf, size_t errsize);
