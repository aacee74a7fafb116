/* Talking to systemd (PID 1) over sd-bus: connect, call with a timeout, wait until a job is
 * done, and reconnect after systemd re-executes. The only module that includes sd-bus; the
 * systemd driver (cg-driver-systemd.c) decides what to ask for. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg-error.h"

#define CG_SYSTEMD_PRIVATE_SOCKET    "/run/systemd/private"
#define CG_SYSTEMD_CALL_TIMEOUT_USEC (10 * 1000000u)
#define CG_SYSTEMD_JOB_TIMEOUT_USEC  (30 * 1000000u)

typedef struct CgSystemd CgSystemd;
typedef struct CgUnitCall CgUnitCall;

/* Whether systemd manages this machine: PID 1 is systemd, or its private socket answers. */
bool cg_systemd_available(void);

/* Connects as systemctl does: the private socket first, then the system bus. */
int cg_systemd_open(CgSystemd **ret, CgError *err);
void cg_systemd_free(CgSystemd *sd);
/* "private socket" or "system bus": how we are connected, for the log. */
const char *cg_systemd_transport(const CgSystemd *sd);

/* One unit name component as systemd-escape writes it: [A-Za-z0-9:_.] stay (a leading '.'
 * does not), everything else becomes \xNN, so "my-app" cannot read as a child of "my". */
int cg_systemd_escape(const char *s, char *buf, size_t size);

/* A call being built: StartTransientUnit(unit, "fail", properties, no aux units) or
 * SetUnitProperties(unit, runtime = true, properties). Add properties, then run it. */
int cg_unit_call_new(CgSystemd *sd, bool start, const char *unit, CgUnitCall **ret, CgError *err);
int cg_unit_add_u64(CgUnitCall *c, const char *prop, uint64_t v);
int cg_unit_add_bool(CgUnitCall *c, const char *prop, bool v);
int cg_unit_add_str(CgUnitCall *c, const char *prop, const char *v);
int cg_unit_add_pid(CgUnitCall *c, pid_t pid);                                                   /* PIDs=[pid] */
int cg_unit_add_str_pairs(CgUnitCall *c, const char *prop, const char *const (*v)[2], size_t n); /* a(ss) */
int cg_unit_add_str_u64(CgUnitCall *c, const char *prop, const char *const *s, const uint64_t *v, size_t n); /* a(st) */
int cg_unit_add_bytes(CgUnitCall *c, const char *prop, const uint8_t *v, size_t n);                          /* ay */
/* Sends the call and frees it; a start returns once its job is done (any other job result is
 * an error with systemd's word for it). -EEXIST: the unit exists already. */
int cg_unit_call_run(CgUnitCall *c, CgError *err);
void cg_unit_call_free(CgUnitCall *c);

/* Reads and drops what systemd sent since the last call, without waiting: on the private
 * socket it sends every signal to every client, and unread ones pile up in PID 1. */
int cg_systemd_drain(CgSystemd *sd);

/* StopUnit and wait for the job; a unit systemd does not know is already stopped. */
int cg_systemd_stop(CgSystemd *sd, const char *unit, CgError *err);
/* FreezeUnit / ThawUnit: they return once the kernel confirmed (unified hierarchy only). */
int cg_systemd_freeze(CgSystemd *sd, const char *unit, bool freeze, CgError *err);
/* The unit's ActiveState ("active", "inactive", "failed", ...); -ENOENT if not loaded. */
int cg_systemd_active_state(CgSystemd *sd, const char *unit, char *buf, size_t size);
/* ListUnitsByPatterns(any state, patterns): how many loaded units match. */
int cg_systemd_count_units(CgSystemd *sd, const char *const *patterns, CgError *err);
