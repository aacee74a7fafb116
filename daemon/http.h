/* The HTTP transport: libmicrohttpd behind a small interface, so nothing else sees it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg-error.h"

typedef enum HttpTransport {
        HTTP_TCP,
        HTTP_UNIX,
} HttpTransport;

typedef struct HttpRequest {
        const char *method;
        const char *path; /* as sent (still percent-encoded), without the query string */
        const char *body; /* NUL-terminated; body_len excludes the NUL */
        size_t body_len;
        HttpTransport transport;
        uid_t peer_uid; /* unix socket only (SO_PEERCRED); (uid_t)-1 otherwise */
        void *impl;
} HttpRequest;

/* A request header or query argument, or NULL. */
const char *http_header(const HttpRequest *req, const char *name);
const char *http_query(const HttpRequest *req, const char *name);

typedef struct HttpResponse {
        unsigned status;
        char *body; /* malloc'd, owned by the response; may be NULL */
        size_t len;
        const char *content_type;
        const char *headers[8][2]; /* extra headers (static strings), name/value */
        size_t nheaders;
        /* A streamed body instead (Server-Sent Events): stream_read fills buf and returns the
         * bytes written, 0 when it has nothing yet (the connection then waits, costing no
         * thread, until http_wake()), or -1 to end the response. stream_free(stream_cls) is
         * called once the connection is done with it. */
        ssize_t (*stream_read)(void *cls, char *buf, size_t max);
        void (*stream_free)(void *cls);
        void *stream_cls;
} HttpResponse;

void http_response_header(HttpResponse *resp, const char *name, const char *value);

typedef void (*HttpHandler)(void *app, const HttpRequest *req, HttpResponse *resp);

typedef struct HttpConfig {
        const char *listen;      /* "ADDR:PORT" ("[::1]:8470" for IPv6), or NULL for no TCP */
        const char *socket_path; /* or NULL */
        size_t body_max;
        /* Each listener's own connection limit: the unix socket keeps capacity of its own. */
        unsigned tcp_connection_limit, unix_connection_limit;
        unsigned per_peer_limit;       /* per client address on TCP; 0: none (loopback) */
        unsigned stream_limit;         /* open event streams, per listener */
        unsigned request_deadline_sec; /* a request must arrive whole within this */
        unsigned timeout_sec;          /* idle, while an answer is being sent */
        unsigned threads;
} HttpConfig;

typedef struct HttpServer HttpServer;

/* Binds the listeners (a second daemon on the same port or socket fails here, before it
 * touches anything); connections wait in the backlog until http_serve() answers them. */
int http_bind(const HttpConfig *cfg, HttpHandler handler, void *app, HttpServer **ret, CgError *err);
int http_serve(HttpServer *s, const HttpConfig *cfg, CgError *err);
/* The TCP port actually bound (useful with port 0), or 0 without TCP. */
uint16_t http_port(const HttpServer *s);
void http_stop(HttpServer *s);
/* Lets every waiting stream read again (something new happened). Any thread; s may be NULL. */
void http_wake(void *s);
