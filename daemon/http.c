/* libmicrohttpd, in its epoll mode with a small thread pool: epoll scales to the connection
 * limit without a thread each, and a pool of 2 (one per core here) keeps a slow request
 * (a freeze waits for the kernel) from stalling every other client. We bind the sockets
 * ourselves so the unix socket gets its mode and a TCP port 0 can be reported. */
#include "http.h"

#include <arpa/inet.h>
#include <unistd.h>
#include <time.h>
#include <poll.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cg-util.h"

typedef struct Stream Stream;
typedef struct Conn Conn;

/* One open connection. Each request must arrive whole within request_deadline_sec of the
 * connection's start or of its previous answer (not reset by each byte, as libmicrohttpd's
 * idle timeout is): the reaper shuts a connection that is late, so slow or idle clients
 * cannot hold the connection slots that others need. */
struct Conn {
        int fd;
        ino_t ino; /* the socket's inode: shutdown() only if fd is still this socket */
        HttpTransport transport;
        uint64_t since; /* CLOCK_MONOTONIC µs */
        bool busy;      /* its request is being answered (or streamed) */
        bool shut;
        Stream *stream; /* its event stream, while one is open */
        Conn *prev, *next;
};

struct HttpServer {
        struct MHD_Daemon *tcp, *unix_;
        int tcp_fd, unix_fd;
        uint16_t port;
        char socket_path[108];
        HttpHandler handler;
        void *app;
        size_t body_max;
        /* Streams waiting (suspended) for http_wake(); wake_seq moves at every wake. */
        pthread_mutex_t stream_lock;
        Stream *waiting;
        uint64_t wake_seq;
        bool closing;
        /* Open connections (conn_lock), for the request deadline and the stream cap. */
        pthread_mutex_t conn_lock;
        Conn *conns;
        unsigned streams[2]; /* open event streams per transport */
        unsigned stream_max, request_deadline_sec;
        pthread_t reaper;
        bool reaper_started;
        int reaper_stop[2]; /* a pipe: closing the write end stops the reaper at once */
};

/* A streamed response on one connection. It is on `waiting` exactly while suspended. */
struct Stream {
        HttpServer *server;
        HttpTransport transport;
        bool gone;   /* the client closed: end at the next read (under conn_lock) */
        Conn *track; /* its connection's entry, until either goes (under conn_lock) */
        struct MHD_Connection *conn;
        ssize_t (*read)(void *cls, char *buf, size_t max);
        void (*free)(void *cls);
        void *cls;
        Stream *next;
};

typedef struct Listener {
        HttpServer *server;
        HttpTransport transport;
} Listener;

static Listener listeners[2]; /* tcp, unix: one server per process */

typedef struct Pending {
        char *raw_path; /* as the client sent it, before libmicrohttpd decodes it */
        char *body;
        size_t len;
        bool started, too_large;
} Pending;

/* libmicrohttpd decodes the path before the handler sees it, so "%2F" in a name would be a
 * slash and "%00" would end it: routing must see the path as sent (api.c decodes each
 * segment itself). This callback gets the URI first; what it returns is the request's state. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
        (void)cls, (void)conn;
        Pending *p = calloc(1, sizeof *p);
        if (p)
                p->raw_path = strndup(uri, strcspn(uri, "?"));
        return p;
}

/* RFC 9112 6.3: Content-Length values that differ make the message length unknowable: 400. */
static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        const char **first = cls;
        (void)kind;
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
                return MHD_YES;
        if (!*first)
                *first = value;
        else if (strcmp(*first, value) != 0)
                *first = "";
        return MHD_YES;
}

const char *http_header(const HttpRequest *req, const char *name) {
        return MHD_lookup_connection_value(req->impl, MHD_HEADER_KIND, name);
}

const char *http_query(const HttpRequest *req, const char *name) {
        return MHD_lookup_connection_value(req->impl, MHD_GET_ARGUMENT_KIND, name);
}

void http_response_header(HttpResponse *resp, const char *name, const char *value) {
        if (resp->nheaders < ELEMENTSOF(resp->headers)) {
                resp->headers[resp->nheaders][0] = name;
                resp->headers[resp->nheaders][1] = value;
                resp->nheaders++;
        }
}

static Conn *conn_of(struct MHD_Connection *conn);

/* libmicrohttpd asks for more of a stream: what the reader has, or suspend until a wake.
 * The wake sequence is read before the reader runs, so a wake that comes while it looks is
 * never lost: the connection is suspended only if nothing was woken since. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
        Stream *st = cls;
        HttpServer *s = st->server;
        pthread_mutex_lock(&s->stream_lock);
        uint64_t seq = s->wake_seq;
        bool closing = s->closing;
        pthread_mutex_unlock(&s->stream_lock);
        pthread_mutex_lock(&s->conn_lock);
        closing = closing || st->gone;
        pthread_mutex_unlock(&s->conn_lock);
        if (closing)
                return MHD_CONTENT_READER_END_OF_STREAM;
        ssize_t n = st->read(st->cls, buf, max);
        if (n != 0)
                return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&s->stream_lock);
        if (s->wake_seq == seq && !s->closing) {
                st->next = s->waiting;
                s->waiting = st;
                MHD_suspend_connection(st->conn);
        }
        pthread_mutex_unlock(&s->stream_lock);
        return 0;
}

static void stream_free(void *cls) {
        Stream *st = cls;
        pthread_mutex_lock(&st->server->conn_lock);
        st->server->streams[st->transport]--;
        if (st->track)
                st->track->stream = NULL;
        pthread_mutex_unlock(&st->server->conn_lock);
        st->free(st->cls);
        free(st);
}

void http_wake(void *server) {
        HttpServer *s = server;
        if (!s)
                return;
        pthread_mutex_lock(&s->stream_lock);
        s->wake_seq++;
        for (Stream *st = s->waiting; st; st = st->next)
                MHD_resume_connection(st->conn);
        s->waiting = NULL;
        pthread_mutex_unlock(&s->stream_lock);
}

static struct MHD_Response *stream_response(struct MHD_Connection *conn, HttpServer *s, HttpTransport t,
                                            HttpResponse *r) {
        Stream *st = calloc(1, sizeof *st);
        struct MHD_Response *m = NULL;
        if (st) {
                *st = (Stream){s, t, false, NULL, conn, r->stream_read, r->stream_free, r->stream_cls, NULL};
                m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, st, stream_free);
        }
        pthread_mutex_lock(&s->conn_lock);
        if (!m) { /* its slot, taken by stream_slot_take(), back */
                s->streams[t]--;
                pthread_mutex_unlock(&s->conn_lock);
                free(st);
                r->stream_free(r->stream_cls);
                return NULL;
        }
        Conn *c = conn_of(conn);
        if (c) {
                c->stream = st;
                st->track = c;
        }
        pthread_mutex_unlock(&s->conn_lock);
        return m;
}

/* Event streams live long: they have a cap of their own per transport, so that idle streams
 * cannot take every connection; past it, 503 and the connection closes. A slot taken here is
 * given back by stream_free (or by stream_response when it fails). */
static bool stream_slot_take(HttpServer *s, HttpTransport t) {
        pthread_mutex_lock(&s->conn_lock);
        bool ok = s->streams[t] < s->stream_max;
        if (ok)
                s->streams[t]++;
        pthread_mutex_unlock(&s->conn_lock);
        return ok;
}

/* s: the server, for a streamed response; NULL for a buffered one. */
static enum MHD_Result send_response(struct MHD_Connection *conn, HttpServer *s, HttpTransport t, HttpResponse *r) {
        struct MHD_Response *m =
            r->stream_read ? stream_response(conn, s, t, r)
                           : MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                                             r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!m) {
                if (!r->stream_read)
                        free(r->body);
                return MHD_NO;
        }
        if (r->content_type)
                MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        /* On every response, errors and JSON too: no sniffing, no framing, no referrer, no
         * reading from another origin; a CSP allowing nothing where the handler set none. */
        MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(m, "X-Frame-Options", "DENY");
        MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(m, "Cross-Origin-Resource-Policy", "same-origin");
        bool csp = false;
        for (size_t i = 0; i < r->nheaders; i++) {
                MHD_add_response_header(m, r->headers[i][0], r->headers[i][1]);
                csp = csp || strcasecmp(r->headers[i][0], "Content-Security-Policy") == 0;
        }
        if (!csp)
                MHD_add_response_header(m, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        enum MHD_Result ret = MHD_queue_response(conn, r->status, m);
        MHD_destroy_response(m);
        return ret;
}

/* An answer from this layer, before any handler: the error body (message: our own text,
 * no quoting needed), and the connection closed after it. */
static enum MHD_Result early_error(struct MHD_Connection *conn, unsigned status, const char *code, const char *message,
                                   const char *retry_after) {
        HttpResponse r = {.status = status, .content_type = "application/json"};
        char buf[256];
        int n =
            snprintf(buf, sizeof buf, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"field\":null}}", code, message);
        r.body = strndup(buf, (size_t)n);
        r.len = r.body ? (size_t)n : 0;
        if (retry_after)
                http_response_header(&r, "Retry-After", retry_after);
        http_response_header(&r, "Connection", "close");
        return send_response(conn, NULL, HTTP_TCP, &r);
}

static enum MHD_Result too_large(struct MHD_Connection *conn, size_t max) {
        char msg[80];
        snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", max);
        return early_error(conn, 413, "body_too_large", msg, NULL);
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static Conn *conn_of(struct MHD_Connection *conn) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

/* A request being answered is not late; once answered, the next one's deadline starts. */
static void conn_set_busy(HttpServer *s, struct MHD_Connection *conn, bool busy) {
        Conn *c = conn_of(conn);
        if (!c)
                return;
        pthread_mutex_lock(&s->conn_lock);
        c->busy = busy;
        c->since = now_usec();
        pthread_mutex_unlock(&s->conn_lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        Listener *l = cls;
        HttpServer *s = l->server;
        pthread_mutex_lock(&s->conn_lock);
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                Conn *c = ci ? calloc(1, sizeof *c) : NULL;
                if (c) {
                        struct stat st;
                        *c = (Conn){.fd = ci->connect_fd,
                                    .ino = fstat(ci->connect_fd, &st) == 0 ? st.st_ino : 0,
                                    .transport = l->transport,
                                    .since = now_usec(),
                                    .next = s->conns};
                        if (s->conns)
                                s->conns->prev = c;
                        s->conns = c;
                }
                *socket_context = c;
        } else if (*socket_context) { /* closed: libmicrohttpd closes the fd only after this */
                Conn *c = *socket_context;
                if (c->stream)
                        c->stream->track = NULL;
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->conns = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                free(c);
                *socket_context = NULL;
        }
        pthread_mutex_unlock(&s->conn_lock);
}

/* Every 250 ms: shut the connections whose request is late (Conn). shutdown() makes
 * libmicrohttpd read EOF and close it in its own thread; conn_lock keeps the fd from being
 * closed (and reused) meanwhile. */
static void *reaper(void *arg) {
        HttpServer *s = arg;
        struct pollfd p = {.fd = s->reaper_stop[0], .events = POLLIN};
        while (poll(&p, 1, 250) == 0) {
                /* As an age, never as "now - deadline": a machine up for less than the
                 * deadline (a VM that just booted) would make that wrap round. And "now" is
                 * read under the lock: a connection that came or was answered in between
                 * would be younger than "now" and its age would wrap round too. */
                uint64_t deadline = (uint64_t)s->request_deadline_sec * 1000000u;
                bool wake = false;
                pthread_mutex_lock(&s->conn_lock);
                uint64_t now = now_usec();
                for (Conn *c = s->conns; c; c = c->next) {
                        struct stat st;
                        if (!c->busy && !c->shut && now > c->since && now - c->since > deadline &&
                            fstat(c->fd, &st) == 0 && st.st_ino == c->ino) {
                                (void)shutdown(c->fd, SHUT_RDWR);
                                c->shut = true;
                        }
                        /* A waiting stream is not polled by libmicrohttpd: a client gone
                         * would sit in CLOSE-WAIT until the next event. */
                        struct pollfd h = {.fd = c->fd, .events = POLLRDHUP};
                        if (c->stream && !c->stream->gone && poll(&h, 1, 0) > 0) {
                                c->stream->gone = true;
                                wake = true;
                        }
                }
                pthread_mutex_unlock(&s->conn_lock);
                if (wake)
                        http_wake(s);
        }
        return NULL;
}

/* libmicrohttpd's own messages, in the log's form; a client closing, resetting or timing out
 * its connection is ordinary traffic (a burst of them would flood the journal), not news. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        static const char *const ordinary[] = {"connection closure", "Connection reset", "socket is closed",
                                               "Failed to send",     "forcibly closed",  "timed out",
                                               "Broken pipe"};
        char msg[512];
        (void)cls;
        vsnprintf(msg, sizeof msg, fmt, ap);
        msg[strcspn(msg, "\n")] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(ordinary); i++)
                if (strstr(msg, ordinary[i]))
                        return;
        fprintf(stderr, "cgwardend: http: %s\n", msg);
}

static uid_t peer_uid(struct MHD_Connection *conn) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return (uid_t)-1;
        return cred.uid;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        Listener *l = cls;
        HttpServer *s = l->server;
        Pending *p = *con_cls;
        (void)url; /* decoded: p->raw_path is routed instead */

        if (!p || !p->raw_path)
                return MHD_NO; /* out of memory in on_uri */
        if (!p->started) {
                p->started = true;
                const char *cl = NULL;
                MHD_get_connection_values(conn, MHD_HEADER_KIND, count_length, &cl);
                if (cl && !cl[0])
                        return early_error(conn, 400, "bad_request", "conflicting Content-Length headers", NULL);
                unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
                /* A body a little over the limit is read and dropped before the 413, so the
                 * client is not reset mid-upload before it reads the answer; a huge one is cut off. */
                if (len > 16 * (unsigned long long)s->body_max)
                        return too_large(conn, s->body_max);
                p->too_large = len > s->body_max;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (!p->too_large && p->len + *upload_data_size <= s->body_max) {
                        char *nb = realloc(p->body, p->len + *upload_data_size + 1);
                        if (!nb)
                                return MHD_NO;
                        memcpy(nb + p->len, upload_data, *upload_data_size);
                        p->body = nb;
                        p->len += *upload_data_size;
                        p->body[p->len] = '\0';
                } else
                        p->too_large = true;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (p->too_large)
                return too_large(conn, s->body_max);

        HttpRequest req = {
            .method = method,
            .path = p->raw_path,
            .body = p->body ? p->body : "",
            .body_len = p->len,
            .transport = l->transport,
            .peer_uid = l->transport == HTTP_UNIX ? peer_uid(conn) : (uid_t)-1,
            .impl = conn,
        };
        conn_set_busy(s, conn, true);
        HttpResponse resp = {.status = 500};
        s->handler(s->app, &req, &resp);
        if (resp.stream_read && !stream_slot_take(s, l->transport)) {
                resp.stream_free(resp.stream_cls);
                return early_error(conn, 503, "unavailable", "too many event streams are open; try again later", "5");
        }
        return send_response(conn, s, l->transport, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
        Listener *l = cls;
        (void)toe;
        conn_set_busy(l->server, conn, false);
        Pending *p = *con_cls;
        if (p) {
                free(p->raw_path);
                free(p->body);
                free(p);
                *con_cls = NULL;
        }
}

static int bind_tcp(const char *listen_addr, uint16_t *ret_port, CgError *err) {
        char host[256];
        const char *colon = strrchr(listen_addr, ':');
        if (!colon || colon == listen_addr || (size_t)(colon - listen_addr) >= sizeof host)
                return cg_error_set(err, -EINVAL, "invalid_listen", NULL, "--listen takes ADDR:PORT");
        memcpy(host, listen_addr, (size_t)(colon - listen_addr));
        host[colon - listen_addr] = '\0';
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                memmove(host, host + 1, strlen(host));
                host[strlen(host) - 1] = '\0';
        }
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
        struct addrinfo *ai = NULL;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
                return cg_error_set(err, -EINVAL, "invalid_listen", NULL,
                                    "--listen needs a numeric address and port, such as 127.0.0.1:8470");
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
                int r = -errno;
                freeaddrinfo(ai);
                if (fd >= 0)
                        close(fd);
                return cg_error_set(err, r, "listen_failed", NULL, "cannot listen on %s: %s", listen_addr,
                                    strerror(-r));
        }
        freeaddrinfo(ai);
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        getsockname(fd, (struct sockaddr *)&ss, &len);
        *ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
        return fd;
}

/* A stale socket file is removed, but not one a running daemon still answers on. */
static int bind_unix(const char *path, CgError *err) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return cg_error_set(err, -ENAMETOOLONG, "invalid_socket", NULL, "--socket path is too long");
        strcpy(sa.sun_path, path);

        char dir[sizeof sa.sun_path];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return cg_error_set(err, -errno, "listen_failed", NULL, "mkdir %s: %m", dir);
        }
        _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0)
                return cg_error_set(err, -EADDRINUSE, "listen_failed", NULL, "another daemon answers on %s", path);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
                return cg_error_set(err, -EEXIST, "listen_failed", NULL,
                                    "%s is a %s, not a socket: remove it or choose another --socket", path,
                                    S_ISDIR(st.st_mode)   ? "directory"
                                    : S_ISLNK(st.st_mode) ? "symlink"
                                                          : "file");
        if (lstat(path, &st) == 0)
                unlink(path);

        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cg_error_set(err, -errno, "listen_failed", NULL, "socket: %m");
        /* Bind under a 0117 umask so the socket never exists with wider permissions. */
        mode_t old = umask(0117);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        if (r < 0 || chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
                r = -errno;
                close(fd);
                return cg_error_set(err, r, "listen_failed", NULL, "cannot listen on %s: %s", path, strerror(-r));
        }
        return fd;
}

/* Each listener gets its own connection limit, so the unix socket keeps capacity whatever
 * happens on TCP; a per-address cap on a non-loopback TCP listener (on loopback every client
 * shares one address, and the cap would let one client shut out the others). */
static struct MHD_Daemon *start_mhd(const HttpConfig *cfg, int fd, Listener *l) {
        unsigned limit = l->transport == HTTP_TCP ? cfg->tcp_connection_limit : cfg->unix_connection_limit;
        unsigned per_ip = l->transport == HTTP_TCP && cfg->per_peer_limit ? cfg->per_peer_limit : 0;
        return MHD_start_daemon(
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, l,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
            cfg->threads, MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
            MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_sec, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_END);
}

int http_bind(const HttpConfig *cfg, HttpHandler handler, void *app, HttpServer **ret, CgError *err) {
        HttpServer *s = calloc(1, sizeof *s);
        int r = 0;
        if (!s)
                return -ENOMEM;
        *s = (HttpServer){.tcp_fd = -EBADF,
                          .unix_fd = -EBADF,
                          .handler = handler,
                          .app = app,
                          .body_max = cfg->body_max,
                          .stream_max = cfg->stream_limit,
                          .request_deadline_sec = cfg->request_deadline_sec,
                          .reaper_stop = {-EBADF, -EBADF}};
        pthread_mutex_init(&s->stream_lock, NULL);
        pthread_mutex_init(&s->conn_lock, NULL);
        if (cfg->listen)
                r = s->tcp_fd = bind_tcp(cfg->listen, &s->port, err);
        if (r >= 0 && cfg->socket_path) {
                r = s->unix_fd = bind_unix(cfg->socket_path, err);
                if (r >= 0)
                        snprintf(s->socket_path, sizeof s->socket_path, "%s", cfg->socket_path);
        }
        if (r < 0) {
                http_stop(s);
                return r;
        }
        *ret = s;
        return 0;
}

int http_serve(HttpServer *s, const HttpConfig *cfg, CgError *err) {
        if (pipe2(s->reaper_stop, O_CLOEXEC) < 0)
                return cg_error_set(err, -errno, "listen_failed", NULL, "pipe: %m");
        int r = -pthread_create(&s->reaper, NULL, reaper, s);
        if (r < 0)
                return cg_error_set(err, r, "listen_failed", NULL, "starting the connection reaper: %s", strerror(-r));
        s->reaper_started = true;
        if (s->tcp_fd >= 0) {
                listeners[0] = (Listener){s, HTTP_TCP};
                s->tcp = start_mhd(cfg, s->tcp_fd, &listeners[0]);
                if (!s->tcp)
                        return cg_error_set(err, -EIO, "listen_failed", NULL, "libmicrohttpd did not start on %s",
                                            cfg->listen);
        }
        if (s->unix_fd >= 0) {
                listeners[1] = (Listener){s, HTTP_UNIX};
                s->unix_ = start_mhd(cfg, s->unix_fd, &listeners[1]);
                if (!s->unix_)
                        return cg_error_set(err, -EIO, "listen_failed", NULL, "libmicrohttpd did not start on %s",
                                            cfg->socket_path);
        }
        return 0;
}

uint16_t http_port(const HttpServer *s) {
        return s->port;
}

void http_stop(HttpServer *s) {
        if (!s)
                return;
        /* Suspended streams must be resumed to be closed: they end at their next read. */
        pthread_mutex_lock(&s->stream_lock);
        s->closing = true;
        pthread_mutex_unlock(&s->stream_lock);
        http_wake(s);
        if (s->tcp)
                MHD_stop_daemon(s->tcp);
        if (s->unix_)
                MHD_stop_daemon(s->unix_);
        if (s->reaper_started) {
                close(s->reaper_stop[1]);
                pthread_join(s->reaper, NULL);
                close(s->reaper_stop[0]);
        }
        if (s->tcp_fd >= 0)
                close(s->tcp_fd);
        if (s->unix_fd >= 0) {
                close(s->unix_fd);
                unlink(s->socket_path);
        }
        pthread_mutex_destroy(&s->stream_lock);
        pthread_mutex_destroy(&s->conn_lock);
        free(s);
}
