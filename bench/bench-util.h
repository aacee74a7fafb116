/* What the benchmark programs share: the median of a set of timings, and a kept-alive
 * connection to a daemon's unix socket. */
#pragma once

#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static inline int bench_cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* The median of n timings in µs, in ms; sorts v. */
static inline double median_ms(uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, bench_cmp_u64);
        return (n % 2 ? (double)v[n / 2] : (double)(v[n / 2 - 1] + v[n / 2]) / 2) / 1000.0;
}

static inline size_t bench_discard(char *ptr, size_t size, size_t nmemb, void *ud) {
        return size * nmemb;
}

/* One easy handle to the daemon at sock, kept alive across requests; NULL if curl fails. */
static inline CURL *bench_client(const char *sock) {
        static struct curl_slist *hdrs;
        CURL *c = curl_easy_init();
        if (!c)
                return NULL;
        if (!hdrs)
                hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_discard);
        return c;
}

/* One request; the HTTP status, or -1 if it could not be made. */
static inline long bench_request(CURL *c, const char *method, const char *path, const char *body) {
        char url[512];
        long status = 0;
        snprintf(url, sizeof url, "http://localhost%s", path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
        if (curl_easy_perform(c) != CURLE_OK)
                return -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        return status;
}
