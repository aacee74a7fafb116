/* /api/v1/groups: parse → group service → serialise. */
#include <limits.h>
#include <string.h>

#include "api.h"
#include "processes.h"
#include "cg-json.h"
#include "cg-name.h"

static json_t *group_json(const GroupView *v) {
        json_t *pids = json_array();
        for (size_t i = 0; i < v->npids; i++)
                json_array_append_new(pids, json_integer(v->pids[i]));
        return json_pack("{s:s,s:o,s:s,s:o,s:o,s:o}", "name", v->g.name, "parent",
                         v->g.parent[0] ? json_string(v->g.parent) : json_null(), "state",
                         cg_freeze_state_name(v->state), "limits", cg_json_from_limits(&v->g.limits), "pids", pids,
                         "created_at", cg_json_time(v->g.created_usec));
}

static void reply_group(HttpResponse *resp, unsigned status, int r, GroupView *v, const CgError *err) {
        if (r < 0) {
                api_reply_error(resp, r, err);
                return;
        }
        api_reply_json(resp, status, group_json(v));
        group_view_clear(v);
}

/* A {name} that is not a valid name cannot name a group: 404 before it goes anywhere. */
static bool known_shape(const char *name, HttpResponse *resp) {
        if (cg_name_is_valid(name))
                return true;
        api_reply_error(resp, -ENOENT, &(CgError){"not_found", "no such group", ""});
        return false;
}

static int only_keys(json_t *body, const char *const *allowed, CgError *err) {
        const char *key;
        json_t *v;
        json_object_foreach (body, key, v) {
                bool ok = false;
                for (size_t i = 0; allowed[i]; i++)
                        ok = ok || strcmp(key, allowed[i]) == 0;
                if (!ok) {
                        char ptr[80];
                        /* The key itself is user input: name it only if it is short and plain. */
                        snprintf(ptr, sizeof ptr, "/%s", strlen(key) < 40 && cg_name_is_valid(key) ? key : "");
                        return cg_error_set(err, -EINVAL, "unknown_field", ptr, "unknown field in the request body");
                }
        }
        return 0;
}

void api_groups_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        GroupView *v = NULL;
        size_t n = 0;
        int r = groups_list(api->groups, &v, &n, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                json_array_append_new(arr, group_json(&v[i]));
                group_view_clear(&v[i]);
        }
        free(v);
        api_reply_json(resp, 200, json_pack("{s:o}", "groups", arr));
}

void api_groups_create(Api *api, const HttpRequest *req, const char *unused, const char *id, HttpResponse *resp) {
        static const char *const allowed[] = {"name", "parent", "limits", NULL};
        CgError err = {0};
        CgLimits limits = {0};
        GroupView v;
        json_t *body = api_body_object(req, resp);
        if (!body)
                return;
        json_t *name = json_object_get(body, "name"), *parent = json_object_get(body, "parent"),
               *lim = json_object_get(body, "limits");
        int r = only_keys(body, allowed, &err);
        if (r >= 0 && !cg_json_plain_string(name))
                r = cg_error_set(&err, -EINVAL, "invalid_name", "/name", "name is required and must be a string");
        if (r >= 0 && parent && !json_is_null(parent) && !cg_json_plain_string(parent))
                r = cg_error_set(&err, -EINVAL, "invalid_name", "/parent", "parent must be a group name or null");
        if (r >= 0 && lim && !json_is_null(lim))
                r = cg_json_to_limits(lim, false, "/limits", &limits, &err);
        if (r >= 0)
                r = groups_create(api->groups, json_string_value(name),
                                  json_is_string(parent) ? json_string_value(parent) : NULL, &limits, &v, &err);
        json_decref(body);
        reply_group(resp, 201, r, &v, &err);
}

void api_groups_get(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        GroupView v;
        if (!known_shape(name, resp))
                return;
        int r = groups_get(api->groups, name, &v, &err);
        reply_group(resp, 200, r, &v, &err);
}

/* {"time","cpu":{...},"memory":{...},"io":{...},"pids":{...}}: only what the host counts. */
static json_t *stats_json(const CgStats *s, uint64_t usec) {
        json_t *o = json_pack("{s:o}", "time", cg_json_time(usec));
        for (CgStat k = 0; k < _CG_STAT_COUNT; k++)
                if (s->have & (1u << k))
                        api_stat_set(o, k, api_stat_number(s->v[k]));
        return o;
}

/* GET /api/v1/stats: {"time","groups":[{"name","state",…STATS}]}, every group at once. */
void api_stats_all(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        GroupStats *all = NULL;
        size_t n = 0;
        CgError err = {0};
        uint64_t usec = cg_now_usec(CLOCK_REALTIME);
        int r = groups_stats_all(api->groups, &all, &n, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *groups = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *g = stats_json(&all[i].stats, usec);
                json_object_del(g, "time");
                json_object_set_new(g, "name", json_string(all[i].name));
                json_object_set_new(g, "state", json_string(all[i].frozen ? "FROZEN" : "THAWED"));
                json_array_append_new(groups, g);
        }
        free(all);
        api_reply_json(resp, 200, json_pack("{s:o,s:o}", "time", cg_json_time(usec), "groups", groups));
}

void api_groups_stats(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        CgStats s;
        uint64_t usec = 0;
        if (!known_shape(name, resp))
                return;
        int r = groups_stats(api->groups, name, &s, &usec, &err);
        if (r < 0)
                api_reply_error(resp, r, &err);
        else
                api_reply_json(resp, 200, stats_json(&s, usec));
}

void api_groups_limits(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        CgLimits patch = {0};
        GroupView v;
        if (!known_shape(name, resp))
                return;
        json_t *body = api_body_object(req, resp);
        if (!body)
                return;
        int r = cg_json_to_limits(body, true, "", &patch, &err);
        json_decref(body);
        if (r >= 0)
                r = groups_set_limits(api->groups, name, &patch, &v, &err);
        reply_group(resp, 200, r, &v, &err);
}

static void freeze_or_thaw(Api *api, const HttpRequest *req, const char *name, bool freeze, HttpResponse *resp) {
        CgError err = {0};
        GroupView v;
        if (!known_shape(name, resp))
                return;
        int r = groups_freeze(api->groups, name, freeze, &v, &err);
        reply_group(resp, 200, r, &v, &err);
}

void api_groups_freeze(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        freeze_or_thaw(api, req, name, true, resp);
}

void api_groups_thaw(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        freeze_or_thaw(api, req, name, false, resp);
}

void api_groups_attach(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        static const char *const allowed[] = {"pid", NULL};
        CgError err = {0};
        GroupView v;
        if (!known_shape(name, resp))
                return;
        json_t *body = api_body_object(req, resp);
        if (!body)
                return;
        json_t *pid = json_object_get(body, "pid");
        int r = only_keys(body, allowed, &err);
        if (r >= 0 && (!json_is_integer(pid) || json_integer_value(pid) <= 0 || json_integer_value(pid) > INT_MAX))
                r = cg_error_set(&err, -EINVAL, "invalid_value", "/pid", "pid must be a positive integer");
        if (r >= 0)
                r = processes_attachable(api->processes, (pid_t)json_integer_value(pid), &err);
        if (r >= 0)
                r = groups_attach(api->groups, name, (pid_t)json_integer_value(pid), &v, &err);
        json_decref(body);
        reply_group(resp, 200, r, &v, &err);
}

void api_groups_delete(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        if (!known_shape(name, resp))
                return;
        const char *force = http_query(req, "force");
        bool f = false;
        if (force && strcmp(force, "true") == 0)
                f = true;
        else if (force && strcmp(force, "false") != 0) {
                api_reply_error(resp, -EBADMSG, &(CgError){"invalid_query", "force must be true or false", "force"});
                return;
        }
        int r = groups_delete(api->groups, name, f, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        resp->status = 204;
}
