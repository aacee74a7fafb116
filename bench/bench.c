/* cgwarden-bench: the API's cost against the raw cgroupfs floor, measured in one run.
 * Usage: cgwarden-bench --socket PATH --raw-root NAME --api-root NAME --db-dir DIR [--rounds N]
 *        cgwarden-bench --systemd --socket PATH --raw-root NAME [--rounds N]
 * (bench/run.sh starts a daemon on its own root and calls this; with --systemd, inside a
 * systemd sandbox against a daemon on the systemd driver.) Prints medians and ratios. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-devices.h"
#include "cg-fs.h"
#include "cg-systemd.h"
#include "bench-util.h"
#include "cg-util.h"
#include "walls.h"
#include "caps.h"
#include "seccomp-profile.h"

static const char *const controllers[] = {"cpu", "cpuacct", "cpuset", "memory", "blkio", "devices", "freezer", "pids"};
static char hier[8][256];
static size_t nhier;
static const char *raw_root, *api_root, *sock, *db_dir;
static CURL *curl;

static void die(const char *what) {
        fprintf(stderr, "cgwarden-bench: %s: %s\n", what, strerror(errno));
        exit(1);
}

/* Distinct hierarchies (co-mounted controllers share one). */
static void discover(void) {
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                char p[PATH_MAX], real[PATH_MAX];
                snprintf(p, sizeof p, "/sys/fs/cgroup/%s", controllers[i]);
                if (!realpath(p, real) || strlen(real) >= sizeof hier[0])
                        continue;
                bool seen = false;
                for (size_t j = 0; j < nhier; j++)
                        seen = seen || strcmp(hier[j], real) == 0;
                if (!seen)
                        memcpy(hier[nhier++], real, strlen(real) + 1);
        }
}

static void must_write(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
                die(path);
        close(fd);
}

static void copy_file(const char *from, const char *to) {
        char buf[256];
        int fd = open(from, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n < 0)
                die(from);
        close(fd);
        buf[n] = '\0';
        must_write(to, buf);
}

/* ---- the floor: raw cgroupfs from C, the way a hand-written tool would ---- */

static void raw_create(const char *name) {
        char p[PATH_MAX], q[PATH_MAX];
        for (size_t i = 0; i < nhier; i++) {
                snprintf(p, sizeof p, "%s/%s/%s", hier[i], raw_root, name);
                if (mkdir(p, 0755) < 0)
                        die(p);
                if (strstr(hier[i], "cpuset")) {
                        snprintf(q, sizeof q, "%s/%s/cpuset.cpus", hier[i], raw_root);
                        snprintf(p, sizeof p, "%s/%s/%s/cpuset.cpus", hier[i], raw_root, name);
                        copy_file(q, p);
                        snprintf(q, sizeof q, "%s/%s/cpuset.mems", hier[i], raw_root);
                        snprintf(p, sizeof p, "%s/%s/%s/cpuset.mems", hier[i], raw_root, name);
                        copy_file(q, p);
                }
        }
        snprintf(p, sizeof p, "/sys/fs/cgroup/memory/%s/%s/memory.limit_in_bytes", raw_root, name);
        must_write(p, "268435456");
        snprintf(p, sizeof p, "/sys/fs/cgroup/cpu/%s/%s/cpu.cfs_quota_us", raw_root, name);
        must_write(p, "50000");
}

static void raw_remove(const char *root, const char *name) {
        char p[PATH_MAX];
        for (size_t i = 0; i < nhier && name; i++) { /* a start's device leaf first */
                snprintf(p, sizeof p, "%s/%s/%s/.proc-0", hier[i], root, name);
                if (rmdir(p) < 0 && errno != ENOENT)
                        die(p);
        }
        for (size_t i = 0; i < nhier; i++) {
                snprintf(p, sizeof p, "%s/%s%s%s", hier[i], root, name ? "/" : "", name ? name : "");
                if (rmdir(p) < 0 && errno != ENOENT)
                        die(p);
        }
}

static void raw_wait_state(const char *group, const char *want) {
        char p[PATH_MAX], buf[32];
        snprintf(p, sizeof p, "/sys/fs/cgroup/freezer/%s", group);
        int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        useconds_t pause = 50;
        for (;;) {
                if (cg_fs_read_at(dfd, "freezer.state", buf, sizeof buf) < 0)
                        die("freezer.state");
                if (strcmp(buf, want) == 0)
                        break;
                usleep(pause);
                pause = pause * 2 > 10000 ? 10000 : pause * 2;
        }
        close(dfd);
}

static void raw_freeze(const char *group, bool freeze) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "/sys/fs/cgroup/freezer/%s/freezer.state", group);
        must_write(p, freeze ? "FROZEN" : "THAWED");
        raw_wait_state(group, freeze ? "FROZEN" : "THAWED");
}

/* ---- the API over its unix socket, one kept-alive connection ---- */

static void api(const char *method, const char *path, const char *body, long want) {
        long status = bench_request(curl, method, path, body);
        if (status < 0)
                die("request");
        if (status != want) {
                fprintf(stderr, "cgwarden-bench: %s %s answered %ld\n", method, path, status);
                exit(1);
        }
}

static void api_init(void) {
        if (!(curl = bench_client(sock)))
                die("curl");
}

/* ---- processes to freeze: forked into the group at birth, so no attach is timed ---- */

static pid_t *spawn_into(const char *group, size_t n) {
        char p[PATH_MAX], self[32], back[PATH_MAX];
        pid_t *pids = calloc(n, sizeof *pids);
        snprintf(p, sizeof p, "/sys/fs/cgroup/freezer/%s/cgroup.procs", group);
        snprintf(back, sizeof back, "/sys/fs/cgroup/freezer/cgroup.procs");
        snprintf(self, sizeof self, "%d", (int)getpid());
        must_write(p, self);
        for (size_t i = 0; i < n; i++) {
                pids[i] = fork();
                if (pids[i] < 0)
                        die("fork");
                if (pids[i] == 0) {
                        for (;;)
                                pause();
                }
        }
        must_write(back, self);
        return pids;
}

static void reap(pid_t *pids, size_t n) {
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
        for (size_t i = 0; i < n; i++)
                waitpid(pids[i], NULL, 0);
        free(pids);
}

typedef struct Row {
        const char *what;
        double raw_ms, api_ms, target;
} Row;

static Row bench_create(unsigned rounds) {
        uint64_t *raw = calloc(rounds, sizeof *raw), *api_t = calloc(rounds, sizeof *api_t);
        for (unsigned i = 0; i < rounds; i++) {
                char name[32], body[256], path[96];
                snprintf(name, sizeof name, "c%u", i);
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                raw_create(name);
                raw[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                raw_remove(raw_root, name);

                snprintf(body, sizeof body,
                         "{\"name\":\"%s\",\"limits\":{\"memory\":{\"max\":268435456},\"cpu\":{\"max\":0.5}}}", name);
                t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", "/api/v1/groups", body, 201);
                api_t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                snprintf(path, sizeof path, "/api/v1/groups/%s", name);
                api("DELETE", path, NULL, 204);
        }
        Row r = {"create group + memory and cpu limits", median_ms(raw, rounds), median_ms(api_t, rounds), 3.0};
        free(raw);
        free(api_t);
        return r;
}

static void bench_freeze(size_t nproc, unsigned rounds, Row *ret_freeze, Row *ret_thaw) {
        char raw_group[96], api_group[96], name[32], path[96], body[96];
        snprintf(name, sizeof name, "f%zu", nproc);
        snprintf(raw_group, sizeof raw_group, "%s/%s", raw_root, name);
        snprintf(api_group, sizeof api_group, "%s/%s", api_root, name);
        raw_create(name);
        snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
        api("POST", "/api/v1/groups", body, 201);
        pid_t *rp = spawn_into(raw_group, nproc), *ap = spawn_into(api_group, nproc);

        uint64_t *rf = calloc(rounds, 8), *rt = calloc(rounds, 8), *af = calloc(rounds, 8), *at = calloc(rounds, 8);
        for (unsigned i = 0; i < rounds; i++) {
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                raw_freeze(raw_group, true);
                rf[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                t0 = cg_now_usec(CLOCK_MONOTONIC);
                raw_freeze(raw_group, false);
                rt[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;

                snprintf(path, sizeof path, "/api/v1/groups/%s/freeze", name);
                t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", path, NULL, 200);
                af[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                snprintf(path, sizeof path, "/api/v1/groups/%s/thaw", name);
                t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", path, NULL, 200);
                at[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
        }
        static char fw[2][64], tw[2][64];
        int slot = nproc > 1;
        snprintf(fw[slot], sizeof fw[slot], "freeze, %zu process%s", nproc, nproc > 1 ? "es" : "");
        snprintf(tw[slot], sizeof tw[slot], "thaw, %zu process%s", nproc, nproc > 1 ? "es" : "");
        *ret_freeze = (Row){fw[slot], median_ms(rf, rounds), median_ms(af, rounds), 1.5};
        *ret_thaw = (Row){tw[slot], median_ms(rt, rounds), median_ms(at, rounds), 1.5};
        free(rf), free(rt), free(af), free(at);

        reap(rp, nproc);
        reap(ap, nproc);
        snprintf(path, sizeof path, "/api/v1/groups/%s?force=true", name);
        api("DELETE", path, NULL, 204);
        usleep(100000);
        raw_remove(raw_root, name);
}

/* The device wall of the floor as the daemon puts it up on v1: a leaf in the devices
 * hierarchy with runc's default list (cg_devices_process_default); its tasks file goes to
 * ret_tasks. Returns the µs it took. */
static uint64_t raw_device_leaf(const char *h, const char *name, char *ret_tasks) {
        char p[2048];
        uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
        snprintf(p, sizeof p, "%s/%s/%s/.proc-0", h, raw_root, name);
        if (mkdir(p, 0755) < 0)
                die(p);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || cg_fs_write_at(fd, "devices.deny", "a") < 0)
                die("devices.deny");
        for (size_t i = 0; i < cg_devices_process_default_n; i++) {
                char rule[64];
                cg_device_rule_format(&cg_devices_process_default[i], rule, sizeof rule);
                if (cg_fs_write_at(fd, "devices.allow", rule) < 0)
                        die("devices.allow");
        }
        close(fd);
        snprintf(ret_tasks, 4096, "%s/tasks", p);
        return cg_now_usec(CLOCK_MONOTONIC) - t0;
}

/* The floor of a container start: a fresh limited group, then a process that places itself
 * (writing 0 to tasks, the cheapest way in PERFORMANCE.md), with pid, mount, uts, ipc and net
 * namespaces and the same walls as the API's start (bench/walls.c: cgwarden-init's own
 * functions, in-process), execing /bin/true. Timed until the exec, as the API's answer is. */
static uint64_t raw_spawn(const char *name, const char *rootfs, unsigned walls) {
        char procs[8][4096];
        uint64_t leaf = 0;
        raw_create(name);
        for (size_t i = 0; i < nhier; i++) {
                snprintf(procs[i], sizeof procs[i], "%s/%s/%s/tasks", hier[i], raw_root, name);
                if ((walls & WALL_DEVICES) && strstr(hier[i], "/devices"))
                        leaf = raw_device_leaf(hier[i], name, procs[i]);
        }
        uint64_t t = walls_floor_start(procs, nhier, rootfs, walls);
        if (!t) {
                fprintf(stderr, "cgwarden-bench: the floor's start failed (walls %#x)\n", walls);
                exit(1);
        }
        return t + leaf;
}

/* Start rows: the floor with the walls, against create + start through the API (which puts
 * up the same walls by default). rootfs: a busybox tree, or NULL for the host's. */
static Row bench_spawn(const char *what, const char *rootfs, unsigned rounds) {
        uint64_t *raw = calloc(rounds, 8), *api_t = calloc(rounds, 8);
        char start[512];
        snprintf(start, sizeof start, "{\"argv\":[\"/bin/true\"]%s%s%s}", rootfs ? ",\"rootfs\":\"" : "",
                 rootfs ? rootfs : "", rootfs ? "\"" : "");
        for (unsigned i = 0; i < rounds; i++) {
                char name[32], body[256], path[128];
                snprintf(name, sizeof name, "s%s%u", rootfs ? "r" : "", i);
                raw[i] = raw_spawn(name, rootfs, WALLS_DEFAULT | (rootfs ? WALL_ROOTFS : 0));
                usleep(20000);
                raw_remove(raw_root, name);

                snprintf(body, sizeof body,
                         "{\"name\":\"%s\",\"limits\":{\"memory\":{\"max\":268435456},\"cpu\":{\"max\":0.5}}}", name);
                snprintf(path, sizeof path, "/api/v1/groups/%s/processes", name);
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", "/api/v1/groups", body, 201);
                api("POST", path, start, 201);
                api_t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                snprintf(path, sizeof path, "/api/v1/groups/%s?force=true", name);
                usleep(20000);
                api("DELETE", path, NULL, 204);
        }
        Row r = {what, median_ms(raw, rounds), median_ms(api_t, rounds), 2.0};
        free(raw);
        free(api_t);
        return r;
}

/* What each wall costs the floor: the same start with the walls added one by one, each a
 * median over `rounds`, printed with its increase over the row before. */
static void bench_walls(const char *rootfs, unsigned rounds) {
        static const struct {
                const char *what;
                unsigned walls;
        } steps[] = {
            {"namespaces alone (pid, mount, uts, ipc, net)", 0},
            {"+ capabilities cut, no_new_privs", WALL_CAPS},
            {"+ seccomp (Docker's profile, loaded)", WALL_CAPS | WALL_SECCOMP},
            {"+ cgroup namespace", WALL_CAPS | WALL_SECCOMP | WALL_CGROUPNS},
            {"+ nodev, fresh /dev, /sys ro, masked /proc", WALL_CAPS | WALL_SECCOMP | WALL_CGROUPNS | WALL_MOUNTS},
            {"+ a device leaf (runc's list, v1 devices.*)", WALLS_DEFAULT},
            {"+ rootfs: pivot, fresh /dev and /sys, cgroupfs", WALLS_DEFAULT | WALL_ROOTFS},
            {"+ user namespace (65536 ids)", WALLS_DEFAULT | WALL_ROOTFS | WALL_USERNS},
        };
        uint64_t *t = calloc(rounds > 10 ? rounds : 10, 8);
        double prev = 0;
        /* What the daemon does once per capability set, so that starts only load the filter. */
        for (unsigned i = 0; i < 10; i++) {
                void *bpf;
                size_t len;
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                if (seccomp_profile_bpf(caps_default, &bpf, &len) < 0)
                        die("seccomp_profile_bpf");
                t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                free(bpf);
        }
        printf("\ncompiling Docker's seccomp profile with libseccomp (once per capability set, in the daemon): "
               "%.3f ms (median of 10)\n",
               median_ms(t, 10));
        printf("\n%-50s %12s %12s\n", "what each wall costs the floor (median)", "start", "added");
        for (size_t k = 0; k < ELEMENTSOF(steps); k++) {
                if ((steps[k].walls & WALL_ROOTFS) && !rootfs)
                        break;
                for (unsigned i = 0; i < rounds; i++) {
                        char name[32];
                        snprintf(name, sizeof name, "w%zu-%u", k, i);
                        t[i] = raw_spawn(name, rootfs, steps[k].walls);
                        usleep(20000);
                        raw_remove(raw_root, name);
                }
                double m = median_ms(t, rounds);
                if (k == 0)
                        printf("%-50s %9.3f ms %12s\n", steps[k].what, m, "-");
                else
                        printf("%-50s %9.3f ms %+9.3f ms\n", steps[k].what, m, m - prev);
                prev = m;
        }
        free(t);
}

/* The peer: `crun run -d` of a bundle with the same namespaces and limits (bench/run.sh
 * builds it), the whole command timed as a user would run it, then `crun delete -f`. */
static int run_cmd(char *const argv[]) {
        pid_t p = fork();
        if (p == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, 0), dup2(null, 1), dup2(null, 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        int st = 0;
        waitpid(p, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static Row bench_crun(const char *bundle, unsigned rounds) {
        uint64_t *t = calloc(rounds, 8);
        for (unsigned i = 0; i < rounds; i++) {
                char id[32];
                snprintf(id, sizeof id, "cgwb-%d-%u", (int)getpid(), i);
                char *run[] = {"crun", "run", "-d", "--bundle", (char *)bundle, id, NULL};
                char *del[] = {"crun", "delete", "-f", id, NULL};
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                if (run_cmd(run) != 0) {
                        fprintf(stderr, "cgwarden-bench: crun run failed; no crun row\n");
                        free(t);
                        return (Row){NULL, 0, 0, 0};
                }
                t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                usleep(20000);
                run_cmd(del);
        }
        Row r = {"crun run -d, same namespaces and limits (peer)", 0, median_ms(t, rounds), 0};
        free(t);
        return r;
}

/* ---- the systemd driver against systemd itself, in the same manager ---- */

/* The floor: one StartTransientUnit of a slice with the same limits, its job awaited, as
 * the driver sends it (no HTTP, no database). */
static uint64_t sd_start_slice(CgSystemd *sd, const char *unit) {
        CgUnitCall *c = NULL;
        CgError err = {0};
        uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
        if (cg_unit_call_new(sd, true, unit, &c, &err) < 0)
                goto fail;
        cg_unit_add_bool(c, "MemoryAccounting", true);
        cg_unit_add_bool(c, "CPUAccounting", true);
        cg_unit_add_bool(c, "TasksAccounting", true);
        cg_unit_add_bool(c, "BlockIOAccounting", true);
        cg_unit_add_u64(c, "MemoryLimit", 268435456);
        cg_unit_add_u64(c, "CPUQuotaPerSecUSec", 500000);
        if (cg_unit_call_run(c, &err) < 0)
                goto fail;
        return cg_now_usec(CLOCK_MONOTONIC) - t0;
fail:
        fprintf(stderr, "cgwarden-bench: %s: %s\n", unit, err.message);
        exit(1);
}

static uint64_t time_cmd(char *const argv[]) {
        uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
        if (run_cmd(argv) != 0) {
                fprintf(stderr, "cgwarden-bench: %s failed\n", argv[0]);
                exit(1);
        }
        return cg_now_usec(CLOCK_MONOTONIC) - t0;
}

static void bench_systemd(unsigned rounds) {
        CgSystemd *sd = NULL;
        CgError err = {0};
        if (cg_systemd_open(&sd, &err) < 0) {
                fprintf(stderr, "cgwarden-bench: %s\n", err.message);
                exit(1);
        }
        uint64_t *floor_c = calloc(rounds, 8), *peer_c = calloc(rounds, 8), *api_c = calloc(rounds, 8);
        uint64_t *peer_s = calloc(rounds, 8), *api_s = calloc(rounds, 8);
        char unit[128], slice[128], name[32], body[256], path[128];
        /* The peer's processes go into a slice of their own, with the same limits. */
        snprintf(slice, sizeof slice, "%s-peer.slice", raw_root);
        sd_start_slice(sd, slice);
        api("POST", "/api/v1/groups",
            "{\"name\":\"box\",\"limits\":{\"memory\":{\"max\":268435456},\"cpu\":{\"max\":0.5}}}", 201);
        for (unsigned i = 0; i < rounds; i++) {
                snprintf(unit, sizeof unit, "%s-f%u.slice", raw_root, i);
                floor_c[i] = sd_start_slice(sd, unit);
                (void)cg_systemd_stop(sd, unit, NULL);

                char sl[160];
                snprintf(sl, sizeof sl, "--slice=%s", slice);
                char *peer[] = {"systemd-run",      "--quiet", "--scope",      sl,     "-p",
                                "MemoryLimit=256M", "-p",      "CPUQuota=50%", "true", NULL};
                peer_c[i] = time_cmd(peer);

                snprintf(name, sizeof name, "c%u", i);
                snprintf(body, sizeof body,
                         "{\"name\":\"%s\",\"limits\":{\"memory\":{\"max\":268435456},\"cpu\":{\"max\":0.5}}}", name);
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", "/api/v1/groups", body, 201);
                api_c[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                snprintf(path, sizeof path, "/api/v1/groups/%s", name);
                api("DELETE", path, NULL, 204);

                /* A process in the five namespaces, in a limited group: the peer is unshare(1)
                 * in a transient scope, timed to its end; ours until its exec. */
                char *peer_ns[] = {"systemd-run", "--quiet", "--scope", sl,       "unshare", "--pid", "--mount",
                                   "--uts",       "--ipc",   "--net",   "--fork", "true",    NULL};
                peer_s[i] = time_cmd(peer_ns);
                t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("POST", "/api/v1/groups/box/processes", "{\"argv\":[\"/bin/true\"]}", 201);
                api_s[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
        }
        api("DELETE", "/api/v1/groups/box?force=true", NULL, 204);
        (void)cg_systemd_stop(sd, slice, NULL);
        printf("\n%-44s %14s %14s %14s %8s\n", "systemd driver (median)", "sd-bus floor", "systemd-run", "cgwarden API",
               "API/run");
        double f = median_ms(floor_c, rounds), pc = median_ms(peer_c, rounds), ac = median_ms(api_c, rounds);
        double ps = median_ms(peer_s, rounds), as = median_ms(api_s, rounds);
        printf("%-44s %11.3f ms %11.3f ms %11.3f ms %7.2fx\n", "create a group with memory and cpu limits", f, pc, ac,
               ac / pc);
        printf("%-44s %14s %11.3f ms %11.3f ms %7.2fx\n", "start a process in 5 namespaces in a group", "-", ps, as,
               as / ps);
        printf("(%u rounds in one systemd; floor = StartTransientUnit of a slice with the limits, job awaited;\n"
               " systemd-run --scope -p MemoryLimit -p CPUQuota true for the create row, and\n"
               " systemd-run --scope unshare --pid --mount --uts --ipc --net --fork true for the start row,\n"
               " each timed as a user runs it; the API includes HTTP and the synchronous=FULL commit)\n",
               rounds);
        free(floor_c), free(peer_c), free(api_c), free(peer_s), free(api_s);
        cg_systemd_free(sd);
}

/* The price of durability on this disk: what one synchronous=FULL commit must at least wait for. */
static Row bench_fsync(unsigned rounds) {
        char path[PATH_MAX];
        uint64_t *t = calloc(rounds, 8);
        snprintf(path, sizeof path, "%s/fsync-probe", db_dir);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                die(path);
        char page[4096] = {0};
        for (unsigned i = 0; i < rounds; i++) {
                if (pwrite(fd, page, sizeof page, (off_t)(i % 16) * 4096) != sizeof page)
                        die("pwrite");
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                if (fdatasync(fd) < 0)
                        die("fdatasync");
                t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
        }
        close(fd);
        unlink(path);
        Row r = {"fdatasync, one 4 KiB page beside the database", 0, median_ms(t, rounds), 0};
        free(t);
        return r;
}

static Row bench_health(unsigned rounds) {
        uint64_t *t = calloc(rounds, 8);
        for (unsigned i = 0; i < rounds; i++) {
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                api("GET", "/healthz", NULL, 200);
                t[i] = cg_now_usec(CLOCK_MONOTONIC) - t0;
        }
        Row r = {"GET /healthz (HTTP round trip alone)", 0, median_ms(t, rounds), 0};
        free(t);
        return r;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
            {"socket", required_argument, NULL, 's'},
            {"raw-root", required_argument, NULL, 'r'},
            {"api-root", required_argument, NULL, 'a'},
            {"rounds", required_argument, NULL, 'n'},
            {"db-dir", required_argument, NULL, 'd'},
            {"systemd", no_argument, NULL, 'S'},
            {0},
        };
        bool systemd = false;
        unsigned rounds = 50;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's')
                        sock = optarg;
                else if (c == 'r')
                        raw_root = optarg;
                else if (c == 'a')
                        api_root = optarg;
                else if (c == 'd')
                        db_dir = optarg;
                else if (c == 'n')
                        rounds = (unsigned)strtoul(optarg, NULL, 10);
                else if (c == 'S')
                        systemd = true;
                else
                        return 2;
        }
        if (systemd && sock && raw_root && rounds > 0) {
                api_init();
                bench_systemd(rounds);
                curl_easy_cleanup(curl);
                return 0;
        }
        if (!sock || !raw_root || !api_root || !db_dir || rounds == 0) {
                fprintf(
                    stderr,
                    "usage: cgwarden-bench --socket PATH --raw-root NAME --api-root NAME --db-dir DIR [--rounds N]\n");
                return 2;
        }
        discover();
        for (size_t i = 0; i < nhier; i++) { /* the floor's own parent, like the daemon's root */
                char p[PATH_MAX], q[PATH_MAX];
                snprintf(p, sizeof p, "%s/%s", hier[i], raw_root);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        die(p);
                if (strstr(hier[i], "cpuset")) {
                        snprintf(q, sizeof q, "%s/cpuset.cpus", hier[i]);
                        snprintf(p, sizeof p, "%s/%s/cpuset.cpus", hier[i], raw_root);
                        copy_file(q, p);
                        snprintf(q, sizeof q, "%s/cpuset.mems", hier[i]);
                        snprintf(p, sizeof p, "%s/%s/cpuset.mems", hier[i], raw_root);
                        copy_file(q, p);
                }
        }
        api_init();

        Row rows[10];
        const char *bundle = getenv("CRUN_BUNDLE"), *rootfs = getenv("BENCH_ROOTFS");
        unsigned srounds = rounds > 30 ? 30 : rounds;
        rows[0] = bench_create(rounds);
        bench_freeze(1, rounds, &rows[1], &rows[2]);
        bench_freeze(1000, rounds > 20 ? 20 : rounds, &rows[3], &rows[4]);
        rows[5] = bench_health(rounds);
        rows[6] = bench_fsync(rounds);
        rows[7] = bench_spawn("start, default walls, host's filesystem", NULL, srounds);
        rows[8] = rootfs ? bench_spawn("start, default walls, busybox rootfs", rootfs, srounds) : (Row){NULL, 0, 0, 0};
        rows[9] = bundle ? bench_crun(bundle, srounds) : (Row){NULL, 0, 0, 0};

        printf("\n%-46s %12s %14s %8s %8s\n", "operation (median)", "raw cgroupfs", "cgwarden API", "ratio", "target");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                if (!rows[i].what)
                        continue;
                if (rows[i].raw_ms == 0) {
                        printf("%-46s %12s %11.3f ms %8s %8s\n", rows[i].what, "-", rows[i].api_ms, "-", "-");
                        continue;
                }
                double ratio = rows[i].api_ms / rows[i].raw_ms;
                printf("%-46s %9.3f ms %11.3f ms %7.2fx %6s%.1fx%s\n", rows[i].what, rows[i].raw_ms, rows[i].api_ms,
                       ratio, "<= ", rows[i].target, ratio <= rows[i].target ? "" : "  (missed)");
        }
        printf("(%u rounds; 1000-process rows %u rounds; API over the unix socket with one kept-alive connection;\n"
               " create includes the daemon's synchronous=FULL SQLite commit; a start is two requests, create with\n"
               " limits + start, timed until the exec; its floor does the same walls in-process (bench/walls.c);\n"
               " crun %s)\n",
               rounds, rounds > 20 ? 20 : rounds,
               rows[9].what ? "with Docker's capabilities, seccomp allowlist, no_new_privs, masked paths and a cgroup "
                              "namespace, in the same busybox rootfs"
                            : "not installed here");
        if (rows[9].what && rows[8].what)
                printf("cgwarden's start in a rootfs is %.1fx faster than crun's (target >= 5x)\n",
                       rows[9].api_ms / rows[8].api_ms);
        bench_walls(rootfs, srounds);
        raw_remove(raw_root, NULL);
        curl_easy_cleanup(curl);
        return 0;
}
