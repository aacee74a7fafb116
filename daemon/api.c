#include "api.h"
#include "cg-route.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef void (*Handler)(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);

static void health(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);

/* "{}" matches one path segment, handed to the handler as `name`. */
static const struct Route {
        const char *method;
        const char *pattern;
        Handler handler;
        bool anonymous;
} routes[] = {
    {"GET", "/healthz", health, true},
    {"GET", "/metrics", api_metrics, false},
    {"GET", "/api/v1/groups", api_groups_list, false},
    {"POST", "/api/v1/groups", api_groups_create, false},
    {"GET", "/api/v1/groups/{}", api_groups_get, false},
    {"DELETE", "/api/v1/groups/{}", api_groups_delete, false},
    {"PATCH", "/api/v1/groups/{}/limits", api_groups_limits, false},
    {"GET", "/api/v1/groups/{}/stats", api_groups_stats, false},
    {"GET", "/api/v1/stats", api_stats_all, false},
    {"GET", "/api/v1/groups/{}/usage", api_groups_usage, false},
    {"GET", "/api/v1/reports/usage", api_reports_usage, false},
    {"GET", "/api/v1/ledger", api_ledger, false},
    {"GET", "/api/v1/events", api_events_list, false},
    {"GET", "/api/v1/events/stream", api_events_stream, false},
    {"POST", "/api/v1/groups/{}/freeze", api_groups_freeze, false},
    {"POST", "/api/v1/groups/{}/thaw", api_groups_thaw, false},
    {"POST", "/api/v1/groups/{}/attach", api_groups_attach, false},
    {"GET", "/api/v1/groups/{}/processes", api_processes_list, false},
    {"POST", "/api/v1/groups/{}/processes", api_processes_start, false},
    {"GET", "/api/v1/groups/{}/processes/{}", api_processes_get, false},
    {"POST", "/api/v1/groups/{}/processes/{}/signal", api_processes_signal, false},
    {"GET", "/api/v1/groups/{}/processes/{}/log", api_processes_log, false},
};

static int status_of(int r) {
        switch (-r) {
        case EBADMSG: return 400;
        case EACCES: return 401;
        case EPERM: return 403;
        case ENOENT: return 404;
        case EEXIST:
        case ENOTEMPTY:
        case EBUSY: return 409;
        case E2BIG: return 413;
        case EINVAL:
        case ERANGE:
        case ESRCH:
        case ENXIO:
        case ELOOP:
        case EOPNOTSUPP: return 422;
        default: return 500;
        }
}

void api_reply_json(HttpResponse *resp, unsigned status, json_t *body) {
        resp->status = status;
        resp->content_type = "application/json";
        resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
        resp->len = resp->body ? strlen(resp->body) : 0;
        json_decref(body);
        http_response_header(resp, "Cache-Control", "no-store");
        if (body && !resp->body)
                resp->status = 500;
}

json_t *api_stat_number(uint64_t v) {
        return v == UINT64_MAX ? json_string("max") : json_integer((json_int_t)v);
}

void api_stat_set(json_t *o, CgStat k, json_t *v) {
        json_t *sec = json_object_get(o, cg_stat_section(k));
        if (!sec)
                json_object_set_new(o, cg_stat_section(k), sec = json_object());
        json_object_set_new(sec, cg_stat_key(k), v);
}

void api_reply_text(HttpResponse *resp, unsigned status, const char *content_type, char *body, size_t len) {
        resp->status = status;
        resp->content_type = content_type;
        resp->body = body;
        resp->len = len;
        http_response_header(resp, "Cache-Control", "no-store");
}

static void reply_error_code(HttpResponse *resp, unsigned status, const char *code, const char *message,
                             const char *field) {
        json_t *e = json_pack("{s:{s:s,s:s,s:o}}", "error", "code", code, "message", message, "field",
                              field && field[0] ? json_string(field) : json_null());
        api_reply_json(resp, status, e);
}

void api_reply_error(HttpResponse *resp, int r, const CgError *err) {
        int status = status_of(r);
        if (status == 500)
                fprintf(stderr, "cgwardend: internal error: %s (%s)\n", err && err->message[0] ? err->message : "-",
                        strerror(-r));
        if (err && err->code[0])
                reply_error_code(resp, (unsigned)status, err->code, err->message, err->field);
        else
                reply_error_code(resp, (unsigned)status, status == 500 ? "internal_error" : "error", strerror(-r),
                                 NULL);
        if (status == 401)
                http_response_header(resp, "WWW-Authenticate", "Bearer realm=\"cgwarden\"");
}

json_t *api_body_object(const HttpRequest *req, HttpResponse *resp) {
        json_error_t jerr;
        if (req->body_len == 0) {
                reply_error_code(resp, 400, "body_required", "this request needs a JSON object as its body", NULL);
                return NULL;
        }
        json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
                char msg[160];
                /* jansson's text may quote the input; say only where it broke. */
                snprintf(msg, sizeof msg, "the body is not valid JSON (line %d, column %d)", jerr.line, jerr.column);
                reply_error_code(resp, 400, "invalid_json", msg, NULL);
                return NULL;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                reply_error_code(resp, 400, "invalid_json", "the body must be a JSON object", NULL);
                return NULL;
        }
        return j;
}

static void health(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        json_t *ctl = json_array();
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++)
                if (api->controllers & (1u << c))
                        json_array_append_new(ctl, json_string(cg_controller_name(c)));
        api_reply_json(resp, 200,
                       json_pack("{s:s,s:s,s:s,s:s,s:o}", "status", "ok", "driver", api->driver_name, "version",
                                 CGWARDEN_VERSION, "layout", api->layout, "controllers", ctl));
}

static bool changes_state(const char *method) {
        return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* application/json, optionally with parameters ("; charset=utf-8"). */
static bool is_json(const char *ct) {
        size_t n = strlen("application/json");
        return ct && strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

void api_handle(void *app, const HttpRequest *req, HttpResponse *resp) {
        Api *api = app;
        CgError err = {0};
        AuthRole role;
        char holes[CG_ROUTE_HOLES][CG_NAME_BUF + 1] = {"", ""}, allow[64] = "";
        static __thread char allow_header[64];

        int r = auth_check(&api->auth, req, &role, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                CgRouteMatch m = cg_route_match(routes[i].pattern, req->path, holes);
                if (m == CG_ROUTE_NO)
                        continue;
                if (m == CG_ROUTE_BAD) {
                        reply_error_code(resp, 400, "invalid_path",
                                         "a path segment holds an encoded NUL or slash, or a broken escape", NULL);
                        return;
                }
                if (strcmp(routes[i].method, req->method) != 0) {
                        size_t n = strlen(allow);
                        snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", routes[i].method);
                        continue;
                }
                if (!routes[i].anonymous && role != AUTH_ADMIN) {
                        api_reply_error(
                            resp, -EACCES,
                            &(CgError){"unauthorized", "this request needs Authorization: Bearer <token>", ""});
                        return;
                }
                if (changes_state(req->method) && (req->body_len > 0 || http_header(req, "Content-Type")) &&
                    !is_json(http_header(req, "Content-Type"))) {
                        reply_error_code(resp, 415, "unsupported_media_type", "the body must be application/json",
                                         NULL);
                        return;
                }
                routes[i].handler(api, req, holes[0], holes[1], resp);
                return;
        }
        if ((strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) && api_web_serve(req, resp))
                return;
        if (allow[0]) {
                snprintf(allow_header, sizeof allow_header, "%s", allow);
                reply_error_code(resp, 405, "method_not_allowed", "this method is not allowed on this resource", NULL);
                http_response_header(resp, "Allow", allow_header);
                return;
        }
        reply_error_code(resp, 404, "not_found", "no such resource", NULL);
}
