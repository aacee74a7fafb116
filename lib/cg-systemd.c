/* sd-bus client for systemd's manager (org.freedesktop.systemd1(5)). Calls run under the
 * caller's lock, one at a time; signals other than JobRemoved are read and dropped, so the
 * connection's queue never grows while the daemon is idle between calls. */
#include "cg-systemd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cg-util.h"

#define DEST           "org.freedesktop.systemd1"
#define PATH           "/org/freedesktop/systemd1"
#define MANAGER        "org.freedesktop.systemd1.Manager"
#define RECONNECT_USEC (10 * 1000000u) /* systemd re-executes in well under this */

struct CgSystemd {
        sd_bus *bus;
        bool private_socket;
        const char *waiting; /* the job path we wait for, or NULL */
        char result[32];     /* its result, once JobRemoved said so */
};

struct CgUnitCall {
        CgSystemd *sd;
        sd_bus_message *m;
        bool start;
        char unit[256];
        int r; /* the first append error: reported by run */
};

static void bus_freep(sd_bus **b) {
        if (*b)
                sd_bus_flush_close_unref(*b);
}

bool cg_systemd_available(void) {
        char comm[32] = "";
        FILE *f = fopen("/proc/1/comm", "re");
        if (f) {
                if (!fgets(comm, sizeof comm, f))
                        comm[0] = '\0';
                fclose(f);
        }
        if (strcmp(comm, "systemd\n") == 0)
                return true;
        /* Not PID 1 of this pid namespace, but a manager may still answer on its socket. */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = CG_SYSTEMD_PRIVATE_SOCKET};
        bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        return ok;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CgSystemd *sd = userdata;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (sd->waiting && strcmp(path, sd->waiting) == 0)
                snprintf(sd->result, sizeof sd->result, "%s", result);
        return 0;
}

static int connect_bus(CgSystemd *sd) {
        _cleanup_(bus_freep) sd_bus *bus = NULL;
        bool private_socket = true;
        int r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, "unix:path=" CG_SYSTEMD_PRIVATE_SOCKET);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) { /* not root, or an old manager: the system bus, through dbus-daemon */
                sd_bus_flush_close_unref(bus);
                bus = NULL;
                private_socket = false;
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return r;
        }
        /* Calls made with sd_bus_call_method() get our timeout too, not sd-bus's 25 s. */
        r = sd_bus_set_method_call_timeout(bus, CG_SYSTEMD_CALL_TIMEOUT_USEC);
        if (r < 0)
                return r;
        /* No sender filter: on the private socket messages carry none. */
        r = sd_bus_match_signal(bus, NULL, NULL, PATH, MANAGER, "JobRemoved", on_job_removed, sd);
        if (r < 0)
                return r;
        /* On the system bus the manager sends job signals to subscribers only; on the
         * private socket it sends them all to everyone anyway. */
        if (!private_socket && (r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "Subscribe", NULL, NULL, NULL)) < 0)
                return r;
        if (sd->bus)
                sd_bus_flush_close_unref(sd->bus);
        sd->bus = bus;
        bus = NULL;
        sd->private_socket = private_socket;
        return 0;
}

/* Reads what is pending; reconnects if the manager went away (daemon-reexec closes every
 * connection), retrying while it comes back. */
static int ensure_connected(CgSystemd *sd) {
        int r = 0;
        if (sd->bus && sd_bus_is_open(sd->bus) > 0) {
                while ((r = sd_bus_process(sd->bus, NULL)) > 0)
                        ;
                if (r >= 0 && sd_bus_is_open(sd->bus) > 0)
                        return 0;
        }
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + RECONNECT_USEC;
        for (;;) {
                r = connect_bus(sd);
                if (r >= 0 || cg_now_usec(CLOCK_MONOTONIC) >= deadline)
                        return r;
                usleep(50000);
        }
}

int cg_systemd_drain(CgSystemd *sd) {
        int r = 0;
        if (sd->bus)
                while ((r = sd_bus_process(sd->bus, NULL)) > 0)
                        ;
        return r; /* a closed connection is reopened by the next call */
}

int cg_systemd_open(CgSystemd **ret, CgError *err) {
        CgSystemd *sd = calloc(1, sizeof *sd);
        if (!sd)
                return -ENOMEM;
        int r = connect_bus(sd);
        if (r < 0) {
                cg_systemd_free(sd);
                return cg_error_set(err, r, "systemd_unavailable", NULL,
                                    "cannot reach systemd on " CG_SYSTEMD_PRIVATE_SOCKET " or the system bus: %s",
                                    strerror(-r));
        }
        *ret = sd;
        return 0;
}

void cg_systemd_free(CgSystemd *sd) {
        if (!sd)
                return;
        if (sd->bus)
                sd_bus_flush_close_unref(sd->bus);
        free(sd);
}

const char *cg_systemd_transport(const CgSystemd *sd) {
        return sd->private_socket ? "private socket" : "system bus";
}

int cg_systemd_escape(const char *s, char *buf, size_t size) {
        size_t n = 0;
        for (size_t i = 0; s[i]; i++) {
                unsigned char c = (unsigned char)s[i];
                bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                            c == '_' || (c == '.' && i > 0);
                int w = keep ? snprintf(buf + n, size - n, "%c", c) : snprintf(buf + n, size - n, "\\x%02x", c);
                if (w < 0 || (size_t)w >= size - n)
                        return -ENAMETOOLONG;
                n += (size_t)w;
        }
        if (n == 0 && size > 0)
                buf[0] = '\0';
        return (int)n;
}

/* systemd's D-Bus error names (org.freedesktop.systemd1(5)) as errnos. */
static int bus_errno(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                return -ENOENT;
        if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
                return -EEXIST;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS) ||
            sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchProcess"))
                return -EINVAL;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NOT_SUPPORTED))
                return -EOPNOTSUPP;
        return r < 0 ? r : -EIO;
}

static int call_error(CgError *err, const char *what, const char *unit, const sd_bus_error *e, int r) {
        int e_no = bus_errno(e, r);
        const char *code = e_no == -EINVAL       ? "systemd_refused"
                           : e_no == -EOPNOTSUPP ? "not_supported"
                           : e_no == -EEXIST     ? "unit_exists"
                                                 : "systemd_error";
        return cg_error_set(err, e_no, code, NULL, "systemd %s %s: %s", what, unit,
                            e && e->message ? e->message : strerror(-r));
}

/* Runs the bus until JobRemoved names `job`, or the deadline. */
static int wait_job(CgSystemd *sd, const char *job, const char *unit, CgError *err) {
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + CG_SYSTEMD_JOB_TIMEOUT_USEC;
        sd->waiting = job;
        sd->result[0] = '\0';
        int r = 0;
        while (!sd->result[0]) {
                r = sd_bus_process(sd->bus, NULL);
                if (r > 0)
                        continue;
                uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
                if (r < 0 || now >= deadline)
                        break;
                r = sd_bus_wait(sd->bus, deadline - now);
                if (r < 0)
                        break;
        }
        sd->waiting = NULL;
        if (!sd->result[0])
                return cg_error_set(err, r < 0 ? r : -ETIMEDOUT, "systemd_error", NULL,
                                    "the job for %s did not finish: %s", unit,
                                    r < 0 ? strerror(-r) : "timed out after 30 s");
        if (strcmp(sd->result, "done") != 0)
                return cg_error_set(err, -EIO, "systemd_job_failed", NULL, "the job for %s ended \"%s\"", unit,
                                    sd->result);
        return 0;
}

int cg_unit_call_new(CgSystemd *sd, bool start, const char *unit, CgUnitCall **ret, CgError *err) {
        int r = ensure_connected(sd);
        if (r < 0)
                return cg_error_set(err, r, "systemd_unavailable", NULL, "cannot reach systemd: %s", strerror(-r));
        CgUnitCall *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        *c = (CgUnitCall){.sd = sd, .start = start};
        snprintf(c->unit, sizeof c->unit, "%s", unit);
        r = sd_bus_message_new_method_call(sd->bus, &c->m, DEST, PATH, MANAGER,
                                           start ? "StartTransientUnit" : "SetUnitProperties");
        if (r >= 0)
                r = start ? sd_bus_message_append(c->m, "ss", unit, "fail")
                          : sd_bus_message_append(c->m, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(c->m, 'a', "(sv)");
        if (r < 0) {
                cg_unit_call_free(c);
                return cg_error_set(err, r, "systemd_error", NULL, "building a call: %s", strerror(-r));
        }
        *ret = c;
        return 0;
}

void cg_unit_call_free(CgUnitCall *c) {
        if (!c)
                return;
        sd_bus_message_unref(c->m);
        free(c);
}

static int note(CgUnitCall *c, int r) {
        if (r < 0 && c->r == 0)
                c->r = r;
        return r;
}

int cg_unit_add_u64(CgUnitCall *c, const char *prop, uint64_t v) {
        return note(c, sd_bus_message_append(c->m, "(sv)", prop, "t", v));
}

int cg_unit_add_bool(CgUnitCall *c, const char *prop, bool v) {
        return note(c, sd_bus_message_append(c->m, "(sv)", prop, "b", (int)v));
}

int cg_unit_add_str(CgUnitCall *c, const char *prop, const char *v) {
        return note(c, sd_bus_message_append(c->m, "(sv)", prop, "s", v));
}

int cg_unit_add_pid(CgUnitCall *c, pid_t pid) {
        return note(c, sd_bus_message_append(c->m, "(sv)", "PIDs", "au", 1, (uint32_t)pid));
}

/* (s v:a(TYPE)) with n entries, each appended by fn. */
static int open_array_prop(CgUnitCall *c, const char *prop, const char *vsig, const char *asig) {
        int r = sd_bus_message_open_container(c->m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(c->m, "s", prop);
        if (r >= 0)
                r = sd_bus_message_open_container(c->m, 'v', vsig);
        if (r >= 0)
                r = sd_bus_message_open_container(c->m, 'a', asig);
        return note(c, r);
}

static int close_array_prop(CgUnitCall *c) {
        int r = 0;
        for (int i = 0; i < 3 && r >= 0; i++)
                r = sd_bus_message_close_container(c->m);
        return note(c, r);
}

int cg_unit_add_str_pairs(CgUnitCall *c, const char *prop, const char *const (*v)[2], size_t n) {
        int r = open_array_prop(c, prop, "a(ss)", "(ss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = note(c, sd_bus_message_append(c->m, "(ss)", v[i][0], v[i][1]));
        return r < 0 ? r : close_array_prop(c);
}

int cg_unit_add_str_u64(CgUnitCall *c, const char *prop, const char *const *s, const uint64_t *v, size_t n) {
        int r = open_array_prop(c, prop, "a(st)", "(st)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = note(c, sd_bus_message_append(c->m, "(st)", s[i], v[i]));
        return r < 0 ? r : close_array_prop(c);
}

int cg_unit_add_bytes(CgUnitCall *c, const char *prop, const uint8_t *v, size_t n) {
        int r = sd_bus_message_open_container(c->m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(c->m, "s", prop);
        if (r >= 0)
                r = sd_bus_message_open_container(c->m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(c->m, 'y', v, n);
        for (int i = 0; i < 2 && r >= 0; i++)
                r = sd_bus_message_close_container(c->m);
        return note(c, r);
}

int cg_unit_call_run(CgUnitCall *c, CgError *err) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        CgSystemd *sd = c->sd;
        char job[256] = "";
        int r = c->r;
        if (r >= 0)
                r = sd_bus_message_close_container(c->m);
        if (r >= 0 && c->start)
                r = sd_bus_message_append(c->m, "a(sa(sv))", 0);
        if (r < 0) {
                r = cg_error_set(err, r, "systemd_error", NULL, "building the call for %s: %s", c->unit, strerror(-r));
                goto out;
        }
        r = sd_bus_call(sd->bus, c->m, CG_SYSTEMD_CALL_TIMEOUT_USEC, &e, &reply);
        if (r < 0) {
                r = call_error(err, c->start ? "StartTransientUnit" : "SetUnitProperties", c->unit, &e, r);
                goto out;
        }
        if (c->start) {
                const char *path;
                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0) {
                        r = cg_error_set(err, r, "systemd_error", NULL, "reading the job of %s: %s", c->unit,
                                         strerror(-r));
                        goto out;
                }
                snprintf(job, sizeof job, "%s", path);
                r = wait_job(sd, job, c->unit, err);
        }
out:
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        cg_unit_call_free(c);
        return r;
}

int cg_systemd_stop(CgSystemd *sd, const char *unit, CgError *err) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char job[256];
        int r = ensure_connected(sd);
        if (r < 0)
                return cg_error_set(err, r, "systemd_unavailable", NULL, "cannot reach systemd: %s", strerror(-r));
        r = sd_bus_call_method(sd->bus, DEST, PATH, MANAGER, "StopUnit", &e, &reply, "ss", unit, "replace");
        if (r < 0) {
                r = bus_errno(&e, r) == -ENOENT ? 0 : call_error(err, "StopUnit", unit, &e, r);
        } else if ((r = sd_bus_message_read(reply, "o", &path)) >= 0) {
                snprintf(job, sizeof job, "%s", path);
                r = wait_job(sd, job, unit, err);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return r;
}

int cg_systemd_freeze(CgSystemd *sd, const char *unit, bool freeze, CgError *err) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = ensure_connected(sd);
        if (r < 0)
                return cg_error_set(err, r, "systemd_unavailable", NULL, "cannot reach systemd: %s", strerror(-r));
        r = sd_bus_call_method(sd->bus, DEST, PATH, MANAGER, freeze ? "FreezeUnit" : "ThawUnit", &e, NULL, "s", unit);
        if (r < 0)
                r = call_error(err, freeze ? "FreezeUnit" : "ThawUnit", unit, &e, r);
        sd_bus_error_free(&e);
        return r;
}

static int unit_property(CgSystemd *sd, const char *unit, const char *prop, char *buf, size_t size) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char *v = NULL;
        int r = ensure_connected(sd);
        if (r < 0)
                return r;
        r = sd_bus_call_method(sd->bus, DEST, PATH, MANAGER, "GetUnit", &e, &reply, "s", unit);
        if (r < 0)
                r = bus_errno(&e, r);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                r = sd_bus_get_property_string(sd->bus, DEST, path, "org.freedesktop.systemd1.Unit", prop, &e, &v);
                if (r < 0)
                        r = bus_errno(&e, r);
        }
        if (r >= 0)
                snprintf(buf, size, "%s", v);
        free(v);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return r;
}

int cg_systemd_active_state(CgSystemd *sd, const char *unit, char *buf, size_t size) {
        return unit_property(sd, unit, "ActiveState", buf, size);
}

int cg_systemd_count_units(CgSystemd *sd, const char *const *patterns, CgError *err) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        int r = ensure_connected(sd), n = 0;
        if (r >= 0)
                r = sd_bus_message_new_method_call(sd->bus, &m, DEST, PATH, MANAGER, "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]){NULL});
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **)patterns);
        if (r >= 0 && (r = sd_bus_call(sd->bus, m, CG_SYSTEMD_CALL_TIMEOUT_USEC, &e, &reply)) < 0)
                r = call_error(err, "ListUnitsByPatterns", "", &e, r);
        else if (r >= 0 && (r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)")) >= 0) {
                const char *s[8];
                uint32_t job;
                while ((r = sd_bus_message_read(reply, "(ssssssouso)", &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6],
                                                &job, &s[7], &s[7])) > 0)
                        n++;
        }
        if (r < 0 && err && !err->code[0])
                cg_error_set(err, r, "systemd_error", NULL, "listing units: %s", strerror(-r));
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r < 0 ? r : n;
}
