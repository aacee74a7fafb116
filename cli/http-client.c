#include "http-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Buf {
        char *data;
        size_t len;
} Buf;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Buf *b = userdata;
        size_t n = size * nmemb;
        char *nd = realloc(b->data, b->len + n + 1);
        if (!nd)
                return 0;
        memcpy(nd + b->len, ptr, n);
        b->data = nd;
        b->len += n;
        b->data[b->len] = '\0';
        return n;
}

typedef struct Stream {
        CURL *h;
        Buf error;
        bool (*on_data)(void *cls, const char *data, size_t len);
        void *cls;
} Stream;

static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Stream *s = userdata;
        long status = 0;
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 400)
                return collect(ptr, size, nmemb, &s->error);
        return s->on_data(s->cls, ptr, size * nmemb) ? size * nmemb : 0;
}

static int perform(const Client *c, CURL *h, const char *method, const char *path, const char *body, long timeout,
                   long *ret_status, char *errbuf, size_t errsize);

int client_stream(const Client *c, const char *path, bool (*on_data)(void *cls, const char *data, size_t len),
                  void *cls, long *ret_status, char **ret_body, char *errbuf, size_t errsize) {
        CURL *h = curl_easy_init();
        if (!h)
                return -ENOMEM;
        Stream s = {h, {0}, on_data, cls};
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        int r = perform(c, h, "GET", path, NULL, 0, ret_status, errbuf, errsize);
        /* on_data asking to stop ends the transfer with a write error: that is a success. */
        if (r == -EPIPE)
                r = 0;
        if (r >= 0)
                *ret_body = s.error.data ? s.error.data : strdup("");
        else
                free(s.error.data);
        curl_easy_cleanup(h);
        return r;
}

int client_request(const Client *c, const char *method, const char *path, const char *body, long *ret_status,
                   char **ret_body, char *errbuf, size_t errsize) {
        Buf b = {0};
        CURL *h = curl_easy_init();
        if (!h)
                return -ENOMEM;
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        int r = perform(c, h, method, path, body, 60, ret_status, errbuf, errsize);
        if (r == -EPIPE) /* collect() could not grow the buffer */
                r = -ENOMEM, snprintf(errbuf, errsize, "out of memory reading the answer");
        if (r < 0)
                free(b.data);
        else
                *ret_body = b.data ? b.data : strdup("");
        curl_easy_cleanup(h);
        return r;
}

/* One request on h, whose write callback is set. timeout 0: none (a stream). */
static int perform(const Client *c, CURL *h, const char *method, const char *path, const char *body, long timeout,
                   long *ret_status, char *errbuf, size_t errsize) {
        char url[1024], auth[128];
        struct curl_slist *hdrs = NULL;
        snprintf(url, sizeof url, "%s%s", c->url ? c->url : "http://localhost", path);
        curl_easy_setopt(h, CURLOPT_URL, url);
        if (!c->url)
                curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        if (body) {
                hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        }
        if (c->url && c->token) {
                snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
                hdrs = curl_slist_append(hdrs, auth);
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        CURLcode rc = curl_easy_perform(h);
        int r = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
        if (rc == CURLE_WRITE_ERROR && *ret_status < 400)
                r = -EPIPE;
        else if (rc != CURLE_OK) {
                snprintf(errbuf, errsize, "cannot reach cgwardend at %s%s: %s",
                         c->url ? "" : "unix:", c->url ? c->url : c->socket_path, curl_easy_strerror(rc));
                r = -ECONNREFUSED;
        }
        curl_slist_free_all(hdrs);
        return r;
}
