/* Events: GET /api/v1/events (a page of the stored ones) and GET /api/v1/events/stream
 * (Server-Sent Events: every new event with its id, so a client that reconnects with
 * Last-Event-ID misses none, and each sweep's usage as `event: usage`, so a dashboard needs
 * no polling). A waiting stream holds no thread: http.c suspends it until acct wakes it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cg-json.h"
#include "cg-name.h"
#include "cg-time.h"

#define PAGE_MAX       10000
#define STREAM_BATCH   200
#define KEEPALIVE_USEC (15 * UINT64_C(1000000))

static const char *const event_types[] = {
    "group_create", "group_delete", "freeze",      "thaw",      "limits",   "process_start", "process_exit",
    "oom",          "memory_max",   "memory_high", "throttled", "pressure", "drift",
};

static int parse_filters(const HttpRequest *req, const char **ret_group, const char **ret_type, CgError *err) {
        int r = api_query_group(req, ret_group, err);
        const char *t = http_query(req, "type");
        if (r < 0)
                return r;
        *ret_type = NULL;
        if (!t)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(event_types); i++)
                if (strcmp(t, event_types[i]) == 0) {
                        *ret_type = event_types[i];
                        return 0;
                }
        return cg_error_set(err, -EBADMSG, "invalid_query", "type", "type is not a known event type");
}

/* A non-negative integer query argument, at most max. */
static int query_uint(const HttpRequest *req, const char *name, uint64_t def, uint64_t max, uint64_t *ret,
                      CgError *err) {
        const char *v = http_query(req, name);
        char *end;
        *ret = def;
        if (!v)
                return 0;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-' || n > max)
                return cg_error_set(err, -EBADMSG, "invalid_query", name, "%s must be an integer from 0 to %" PRIu64,
                                    name, max);
        *ret = n;
        return 0;
}

/* Compact JSON text of j, which it takes. */
static char *dump(json_t *j) {
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        return s;
}

static json_t *event_json(const TsEvent *e) {
        json_t *details = json_loads(e->details, 0, NULL);
        return json_pack("{s:I,s:o,s:s,s:o,s:o}", "id", (json_int_t)e->id, "time", cg_json_time(e->ts), "type", e->type,
                         "group", e->group[0] ? json_string(e->group) : json_null(), "details",
                         details ? details : json_object());
}

void api_events_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        const char *group, *type, *since_s = http_query(req, "since");
        uint64_t since = 0, after = 0, limit = 0;
        int r = parse_filters(req, &group, &type, &err);
        if (r >= 0 && since_s && cg_time_parse(since_s, cg_now_usec(CLOCK_REALTIME), &since) < 0)
                r = cg_error_set(&err, -EBADMSG, "invalid_query", "since",
                                 "since must be RFC 3339, seconds since the epoch or -DURATION such as -1h");
        if (r >= 0)
                r = query_uint(req, "after", 0, INT64_MAX, &after, &err);
        if (r >= 0)
                r = query_uint(req, "limit", 1000, PAGE_MAX, &limit, &err);
        TsEvent *ev = NULL;
        size_t n = 0;
        if (r >= 0 && (r = acct_events(api->acct, (int64_t)after, since, group, type, limit, &ev, &n)) < 0)
                cg_error_set(&err, r, "store_error", NULL, "reading the events failed: %s", strerror(-r));
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, event_json(&ev[i]));
        ts_events_free(ev, n);
        api_reply_json(resp, 200, json_pack("{s:o}", "events", arr));
}

/* ---- the stream ---- */

typedef struct EventStream {
        Acct *acct;
        int64_t last_id;
        uint64_t usage_seq;
        char group[CG_NAME_BUF];
        const char *type;
        char *pending; /* formatted, not yet sent */
        size_t len, off;
        uint64_t last_write_usec;
} EventStream;

static void stream_free(void *cls) {
        EventStream *es = cls;
        free(es->pending);
        free(es);
}

/* `event: usage`: every group as the last sweep saw it (or only the filtered one). */
static void write_usage(EventStream *es, FILE *f, const AcctSnapshot *snap) {
        json_t *groups = json_array();
        for (size_t i = 0; i < snap->n; i++) {
                const SamplerRow *row = &snap->rows[i];
                const CgStats *s = &row->stats;
                if (es->group[0] && strcmp(es->group, row->name) != 0)
                        continue;
                json_t *g = json_pack("{s:s,s:b}", "name", row->name, "frozen", s->v[CG_STAT_FROZEN] != 0);
                static const struct {
                        CgStat stat;
                        const char *key;
                } gauges[] = {{CG_STAT_CPU_USAGE_USEC, "cpu_usage_usec"},
                              {CG_STAT_MEM_USAGE, "memory_usage"},
                              {CG_STAT_MEM_LIMIT, "memory_limit"},
                              {CG_STAT_PIDS_CURRENT, "pids"}};
                for (size_t k = 0; k < ELEMENTSOF(gauges); k++)
                        if (s->have & (1u << gauges[k].stat))
                                json_object_set_new(g, gauges[k].key, api_stat_number(s->v[gauges[k].stat]));
                if (row->has_rates) {
                        json_object_set_new(g, "cpu_cores", json_real(row->cpu_cores));
                        json_object_set_new(g, "io_read_bps", json_real(row->io_read_bps));
                        json_object_set_new(g, "io_write_bps", json_real(row->io_write_bps));
                }
                json_array_append_new(groups, g);
        }
        char *data = dump(json_pack("{s:o,s:o}", "time", cg_json_time(snap->ts), "groups", groups));
        if (data)
                fprintf(f, "event: usage\ndata: %s\n\n", data);
        free(data);
}

/* Formats what is new into es->pending: stored events first, then the newest sweep. */
static void refill(EventStream *es) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return;
        /* Ids up to hi are committed: when none of them passes the filters, skip past them. */
        int64_t hi = acct_last_event_id(es->acct);
        TsEvent *ev = NULL;
        size_t n = 0;
        if (hi > es->last_id && acct_events(es->acct, es->last_id, 0, es->group[0] ? es->group : NULL, es->type,
                                            STREAM_BATCH, &ev, &n) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        char *data = dump(event_json(&ev[i]));
                        if (data)
                                fprintf(f, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", ev[i].id, ev[i].type, data);
                        free(data);
                        es->last_id = ev[i].id;
                }
                if (n < STREAM_BATCH && es->last_id < hi)
                        es->last_id = hi;
                ts_events_free(ev, n);
        }
        AcctSnapshot *snap = acct_snapshot(es->acct);
        if (snap && snap->seq != es->usage_seq && !es->type) {
                es->usage_seq = snap->seq;
                write_usage(es, f, snap);
        }
        acct_snapshot_unref(es->acct, snap);
        uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
        if (ftell(f) == 0 && now - es->last_write_usec > KEEPALIVE_USEC)
                fputs(": keepalive\n\n", f); /* proxies and clients see the stream is alive */
        fclose(f);
        free(es->pending);
        es->pending = buf;
        es->len = len;
        es->off = 0;
        if (len)
                es->last_write_usec = now;
}

static ssize_t stream_read(void *cls, char *buf, size_t max) {
        EventStream *es = cls;
        if (es->off == es->len)
                refill(es);
        size_t n = es->len - es->off < max ? es->len - es->off : max;
        if (n)
                memcpy(buf, es->pending + es->off, n);
        es->off += n;
        return (ssize_t)n;
}

void api_events_stream(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        const char *group, *type;
        uint64_t last = 0;
        int r = parse_filters(req, &group, &type, &err);
        /* Resume after Last-Event-ID (what EventSource sends on reconnect), or ?last_event_id=. */
        const char *hdr = http_header(req, "Last-Event-ID");
        bool resume = hdr || http_query(req, "last_event_id");
        if (r >= 0 && hdr) {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(hdr, &end, 10);
                if (errno || end == hdr || *end || hdr[0] == '-' || v > INT64_MAX)
                        r = cg_error_set(&err, -EBADMSG, "invalid_header", "Last-Event-ID",
                                         "Last-Event-ID must be an event id");
                last = v;
        } else if (r >= 0)
                r = query_uint(req, "last_event_id", 0, INT64_MAX, &last, &err);
        EventStream *es = r >= 0 ? calloc(1, sizeof *es) : NULL;
        if (r >= 0 && !es)
                r = -ENOMEM;
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        es->acct = api->acct;
        /* Without a place to resume from, the stream starts with what happens next. */
        es->last_id = resume ? (int64_t)last : acct_last_event_id(api->acct);
        es->type = type;
        snprintf(es->group, sizeof es->group, "%s", group ? group : "");
        /* The first write goes out at once, so the client knows the stream is open. */
        es->pending = strdup(": cgwarden events\nretry: 2000\n\n");
        es->len = es->pending ? strlen(es->pending) : 0;
        resp->status = 200;
        resp->content_type = "text/event-stream; charset=utf-8";
        resp->stream_read = stream_read;
        resp->stream_free = stream_free;
        resp->stream_cls = es;
        http_response_header(resp, "Cache-Control", "no-store");
        http_response_header(resp, "X-Accel-Buffering", "no");
}
