/* The REST API: a static route table, access checks, errno → HTTP status, JSON in and out.
 * Handlers parse into typed values, call the group service and serialise; nothing more. */
#pragma once

#include <jansson.h>

#include "accounting.h"
#include "auth.h"
#include "groups.h"
#include "http.h"

typedef struct Api {
        Groups *groups;
        Auth auth;
        const char *driver_name;
        const char *layout;
        uint32_t controllers;
        struct Processes *processes;
        Acct *acct;
} Api;

/* The HttpHandler for http_bind(); app is an Api. */
void api_handle(void *app, const HttpRequest *req, HttpResponse *resp);

/* Helpers for handlers. */
void api_reply_json(HttpResponse *resp, unsigned status, json_t *body); /* steals body */
void api_reply_error(HttpResponse *resp, int r, const CgError *err);
/* A usage value as JSON: its number, or "max" for none (UINT64_MAX). */
json_t *api_stat_number(uint64_t v);
/* Sets o[section of k][key of k] = v (taken), creating the section ("cpu", "memory", …). */
void api_stat_set(json_t *o, CgStat k, json_t *v);
/* A text body (malloc'd, taken) of the given type, not to be cached. */
void api_reply_text(HttpResponse *resp, unsigned status, const char *content_type, char *body, size_t len);
/* Parses the body as a JSON object; on failure replies 400 and returns NULL. */
json_t *api_body_object(const HttpRequest *req, HttpResponse *resp);

/* Serves the dashboard's compiled-in files (api-web.c); false if path is not one of them. */
bool api_web_serve(const HttpRequest *req, HttpResponse *resp);

/* Handlers (api-groups.c). name is the {name} path segment or NULL. */
void api_groups_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_create(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_get(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_stats(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_stats_all(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_metrics(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_limits(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_freeze(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_thaw(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_groups_attach(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
/* Handlers (api-processes.c); id is the {id} segment. */
void api_processes_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_processes_start(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_processes_get(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_processes_signal(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_processes_log(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
/* Handlers (api-usage.c, api-events.c). */
void api_groups_usage(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_reports_usage(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_ledger(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_events_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
void api_events_stream(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
/* Query helpers: ?from=&to= (def_from before now, and now; from < to), ?group=NAME. */
int api_query_range(const HttpRequest *req, const char *def_from, uint64_t *ret_from, uint64_t *ret_to, CgError *err);
int api_query_group(const HttpRequest *req, const char **ret, CgError *err);
void api_groups_delete(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp);
