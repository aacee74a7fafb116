/* Usage history: GET /api/v1/groups/{name}/usage, /api/v1/reports/usage, /api/v1/ledger.
 * Query strings are parsed into typed values (cg-time.c) before anything is read. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cg-json.h"
#include "cg-name.h"
#include "cg-time.h"

#define DAY_USEC (UINT64_C(86400) * 1000000)

static int bad_query(CgError *err, const char *field, const char *what) {
        return cg_error_set(err, -EBADMSG, "invalid_query", field, "%s", what);
}

/* from and to (defaults: def_from before now, and now), checked: from < to. */
int api_query_range(const HttpRequest *req, const char *def_from, uint64_t *ret_from, uint64_t *ret_to, CgError *err) {
        uint64_t now = cg_now_usec(CLOCK_REALTIME);
        const char *f = http_query(req, "from"), *t = http_query(req, "to");
        if (cg_time_parse(f ? f : def_from, now, ret_from) < 0)
                return bad_query(err, "from",
                                 "from must be RFC 3339, seconds since the epoch, 'now' or -DURATION such as -1h");
        if (cg_time_parse(t ? t : "now", now, ret_to) < 0)
                return bad_query(err, "to", "to must be RFC 3339, seconds since the epoch, 'now' or -DURATION");
        if (*ret_from >= *ret_to)
                return bad_query(err, "from", "from must be before to");
        return 0;
}

/* ?group=NAME: a valid name, or NULL when absent. */
int api_query_group(const HttpRequest *req, const char **ret, CgError *err) {
        const char *g = http_query(req, "group");
        if (g && !cg_name_is_valid(g))
                return bad_query(err, "group", "group must be a group name");
        *ret = g;
        return 0;
}

/* A bucket as JSON: counters as their increase, gauges as {min, avg, max}. */
static json_t *point_json(const TsPoint *p, uint64_t step) {
        json_t *o = json_pack("{s:o,s:I,s:I}", "time", cg_json_time(p->ts), "samples", (json_int_t)p->n, "frozen_usec",
                              (json_int_t)p->frozen_usec);
        for (CgStat k = 0; k < _CG_STAT_COUNT; k++) {
                if (!(p->have & (1u << k)))
                        continue;
                if (cg_stat_is_counter(k))
                        api_stat_set(o, k, json_integer((json_int_t)p->inc[k]));
                else
                        api_stat_set(o, k,
                                     json_pack("{s:o,s:o,s:o}", "min", api_stat_number(p->min[k]), "avg",
                                               api_stat_number(p->avg[k]), "max", api_stat_number(p->max[k])));
        }
        /* CPU in CPUs over the bucket (1.0 = one CPU busy the whole step): what a chart plots. */
        if (p->have & (1u << CG_STAT_CPU_USAGE_USEC))
                json_object_set_new(json_object_get(o, "cpu"), "cores",
                                    json_real((double)p->inc[CG_STAT_CPU_USAGE_USEC] / (double)step));
        return o;
}

void api_groups_usage(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        uint64_t from, to, step = 0;
        const char *s = http_query(req, "step");
        int r = cg_name_is_valid(name) ? 0 : cg_error_set(&err, -ENOENT, "not_found", NULL, "no such group");
        if (r >= 0)
                r = api_query_range(req, "-1h", &from, &to, &err);
        if (r >= 0 && s && cg_duration_parse(s, &step) < 0)
                r = bad_query(&err, "step", "step must be a duration such as 10s, 1m or 1h");
        if (r >= 0) {
                /* A deleted group's history is still there: only a name never seen is 404. */
                GroupView v;
                CgError ignored = {0};
                if (groups_get(api->groups, name, &v, &ignored) >= 0)
                        group_view_clear(&v);
                else if (acct_knows_group(api->acct, name) <= 0)
                        r = cg_error_set(&err, -ENOENT, "not_found", NULL, "no such group");
        }
        TsPoint *pts = NULL;
        size_t n = 0;
        TsTier tier;
        if (r >= 0 && (r = acct_usage(api->acct, name, from, to, step, &tier, &step, &pts, &n)) < 0)
                cg_error_set(&err, r, "store_error", NULL, "reading the usage failed: %s", strerror(-r));
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, point_json(&pts[i], step));
        free(pts);
        api_reply_json(resp, 200,
                       json_pack("{s:s,s:o,s:o,s:I,s:s,s:o}", "group", name, "from", cg_json_time(from), "to",
                                 cg_json_time(to), "step_seconds", (json_int_t)(step / 1000000), "tier",
                                 ts_tier_name(tier), "points", arr));
}

/* ---- reports ---- */

typedef struct Column {
        const char *name;
        double value;
} Column;

/* The report's columns, in CSV order: the same totals for every group and period. */
static size_t report_columns(const TsReportRow *row, Column *c) {
        const TsPoint *p = &row->use;
        size_t n = 0;
        c[n++] = (Column){"cpu_seconds", (double)p->inc[CG_STAT_CPU_USAGE_USEC] / 1e6};
        c[n++] = (Column){"memory_avg_bytes", (double)p->avg[CG_STAT_MEM_USAGE]};
        c[n++] = (Column){"memory_peak_bytes", (double)p->max[CG_STAT_MEM_USAGE]};
        c[n++] = (Column){"io_read_bytes", (double)p->inc[CG_STAT_IO_READ_BYTES]};
        c[n++] = (Column){"io_write_bytes", (double)p->inc[CG_STAT_IO_WRITE_BYTES]};
        c[n++] = (Column){"throttled_seconds", (double)p->inc[CG_STAT_CPU_THROTTLED_USEC] / 1e6};
        c[n++] = (Column){"oom_kills", (double)p->inc[CG_STAT_OOM_KILLS]};
        c[n++] = (Column){"frozen_seconds", (double)p->frozen_usec / 1e6};
        c[n++] = (Column){"samples", (double)p->n};
        return n;
}

static void time_text(uint64_t usec, char buf[static 21]) {
        if (usec)
                cg_time_format(usec, buf);
        else
                buf[0] = '\0';
}

static void reply_csv(HttpResponse *resp, const TsReportRow *rows, size_t n, TsPeriod by) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) {
                api_reply_error(resp, -ENOMEM, NULL);
                return;
        }
        Column c[16];
        size_t nc = report_columns(&(TsReportRow){0}, c);
        fputs("group,period,deleted_at", f);
        for (size_t i = 0; i < nc; i++)
                fprintf(f, ",%s", c[i].name);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
                char period[21], ended[21];
                time_text(by == TS_BY_NONE ? 0 : rows[i].period_usec, period);
                time_text(rows[i].ended_usec, ended);
                /* Group names are [a-z0-9_-]: nothing to quote. */
                fprintf(f, "%s,%s,%s", rows[i].group, period, ended);
                report_columns(&rows[i], c);
                for (size_t k = 0; k < nc; k++)
                        fprintf(f, c[k].value == (double)(uint64_t)c[k].value ? ",%.0f" : ",%.6f", c[k].value);
                fputc('\n', f);
        }
        fclose(f);
        api_reply_text(resp, 200, "text/csv; charset=utf-8", buf, len);
        http_response_header(resp, "Content-Disposition", "attachment; filename=\"cgwarden-usage.csv\"");
}

static json_t *report_json(const TsReportRow *rows, size_t n, TsPeriod by, uint64_t from, uint64_t to) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                Column c[16];
                size_t nc = report_columns(&rows[i], c);
                json_t *o = json_pack("{s:s,s:o,s:o}", "group", rows[i].group, "period",
                                      by == TS_BY_NONE ? json_null() : cg_json_time(rows[i].period_usec), "deleted_at",
                                      rows[i].ended_usec ? cg_json_time(rows[i].ended_usec) : json_null());
                for (size_t k = 0; k < nc; k++)
                        json_object_set_new(o, c[k].name,
                                            c[k].value == (double)(uint64_t)c[k].value
                                                ? json_integer((json_int_t)c[k].value)
                                                : json_real(c[k].value));
                json_array_append_new(arr, o);
        }
        static const char *const bys[] = {"none", "day", "week", "month"};
        return json_pack("{s:o,s:o,s:s,s:o}", "from", cg_json_time(from), "to", cg_json_time(to), "by", bys[by], "rows",
                         arr);
}

/* ?group=A,B,…: up to 256 group names (a dashboard's choice), checked and handed to the
 * store as they are; absent means every group. */
static int query_group_list(const HttpRequest *req, const char **ret, CgError *err) {
        const char *list = http_query(req, "group"), *s = list;
        for (size_t n = 0; s && *s; n++) {
                char name[CG_NAME_BUF];
                size_t len = strcspn(s, ",");
                if (n == 256)
                        return bad_query(err, "group", "group lists at most 256 groups");
                if (len >= sizeof name)
                        return bad_query(err, "group", "group must be group names separated by commas");
                memcpy(name, s, len);
                name[len] = '\0';
                if (!cg_name_is_valid(name))
                        return bad_query(err, "group", "group must be group names separated by commas");
                s += len + (s[len] == ',');
        }
        *ret = list && *list ? list : NULL;
        return 0;
}

void api_reports_usage(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        static const char *const bys[] = {"none", "day", "week", "month"};
        CgError err = {0};
        uint64_t from, to;
        const char *groups = NULL, *by_s = http_query(req, "by"), *format = http_query(req, "format");
        TsPeriod by = TS_BY_NONE;
        bool csv = false;
        int r = api_query_range(req, "-30d", &from, &to, &err);
        if (r >= 0)
                r = query_group_list(req, &groups, &err);
        if (r >= 0 && by_s) {
                r = bad_query(&err, "by", "by must be none, day, week or month");
                for (size_t i = 0; i < ELEMENTSOF(bys); i++)
                        if (strcmp(by_s, bys[i]) == 0) {
                                by = (TsPeriod)i;
                                r = 0;
                        }
        }
        if (r >= 0 && format) {
                csv = strcmp(format, "csv") == 0;
                if (!csv && strcmp(format, "json") != 0)
                        r = bad_query(&err, "format", "format must be json or csv");
        }
        TsReportRow *rows = NULL;
        size_t n = 0;
        if (r >= 0 && (r = acct_report(api->acct, from, to, groups, by, &rows, &n)) < 0)
                cg_error_set(&err, r, "store_error", NULL, "reading the report failed: %s", strerror(-r));
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        if (csv)
                reply_csv(resp, rows, n, by);
        else
                api_reply_json(resp, 200, report_json(rows, n, by, from, to));
        free(rows);
}

/* ---- the ledger ---- */

void api_ledger(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        uint64_t from, to;
        const char *group = NULL;
        int r = api_query_range(req, "-30d", &from, &to, &err);
        if (r >= 0)
                r = api_query_group(req, &group, &err);
        TsLedgerRow *rows = NULL;
        size_t n = 0;
        if (r >= 0 && (r = acct_ledger(api->acct, from, to, group, &rows, &n)) < 0)
                cg_error_set(&err, r, "store_error", NULL, "reading the ledger failed: %s", strerror(-r));
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                const TsLedgerRow *l = &rows[i];
                json_t *o =
                    json_pack("{s:I,s:s,s:s,s:o,s:o,s:I,s:I}", "id", (json_int_t)l->id, "kind", l->kind, "group",
                              l->group, "started_at", cg_json_time(l->started_usec), "ended_at",
                              cg_json_time(l->ended_usec), "lifetime_usec",
                              (json_int_t)(l->ended_usec - l->started_usec), "frozen_usec", (json_int_t)l->frozen_usec);
                if (l->process_id)
                        json_object_set_new(o, "process_id", json_integer(l->process_id));
                static const struct {
                        CgStat s;
                        const char *key;
                } cols[] = {{CG_STAT_CPU_USAGE_USEC, "cpu_usec"},
                            {CG_STAT_MEM_PEAK, "memory_peak"},
                            {CG_STAT_IO_READ_BYTES, "io_read_bytes"},
                            {CG_STAT_IO_WRITE_BYTES, "io_write_bytes"},
                            {CG_STAT_OOM_KILLS, "oom_kills"}};
                for (size_t k = 0; k < ELEMENTSOF(cols); k++)
                        if (l->total.have & (1u << cols[k].s))
                                json_object_set_new(o, cols[k].key, json_integer((json_int_t)l->total.v[cols[k].s]));
                json_t *detail = l->detail ? json_loads(l->detail, 0, NULL) : NULL;
                if (detail)
                        json_object_set_new(o, "detail", detail);
                json_array_append_new(arr, o);
                free(l->detail);
        }
        free(rows);
        api_reply_json(resp, 200, json_pack("{s:o}", "entries", arr));
}
