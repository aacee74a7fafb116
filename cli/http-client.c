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

int client_request(const Client *c, const char *method, const char *path, const char *body, long *ret_status,
                   char **ret_body, char *errbuf, size_t errsize) {
        char url[1024], auth[128];
        Buf b = {0};
        struct curl_slist *hdrs = NULL;
        CURL *h = curl_easy_init();
        if (!h)
                return -ENOMEM;
        snprintf(url, sizeof url, "%s%s", c->url ? c->url : "http://localhost", path);
        curl_easy_setopt(h, CURLOPT_URL, url);
        if (!c->url)
                curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
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
        if (rc != CURLE_OK) {
                snprintf(errbuf, errsize, "cannot reach cgwardend at %s%s: %s",
                         c->url ? "" : "unix:", c->url ? c->url : c->socket_path, curl_easy_strerror(rc));
                free(b.data);
                r = -ECONNREFUSED;
        } else {
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
                *ret_body = b.data ? b.data : strdup("");
        }
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        return r;
}
