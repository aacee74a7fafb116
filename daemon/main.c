/* cgwardend: owns a cgroup subtree and serves the REST API. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "accounting.h"
#include "api.h"
#include "auth.h"
#include "cg-time.h"
#include "cg-util.h"
#include "cg-driver.h"
#include "cg-limits.h"
#include "cg-name.h"
#include "groups.h"
#include "processes.h"
#include "http.h"
#include "store.h"
#include "token.h"
#include "trust.h"

typedef struct Options {
        const char *listen;
        const char *socket_path;
        const char *db_path;
        const char *root;
        const char *driver;
        const char *token_file;
        const char *state_dir;
        const char *init_exe;
        uint32_t userns_first, userns_count;
        uint64_t log_max_bytes;
        bool print_url;
        AcctConfig acct;
        const char *allow_hosts[AUTH_ALLOW_HOSTS_MAX];
        size_t n_allow_hosts;
} Options;

static void usage(FILE *f) {
        fputs("usage: cgwardend [--listen ADDR:PORT|none] [--socket PATH|none] [--db PATH] [--root NAME]\n"
              "                 [--driver auto|cgroupfs|systemd] [--token-file PATH] [--state-dir DIR] "
              "[--print-dashboard-url]\n"
              "                 [--interval DURATION] [--keep-raw D] [--keep-1m D] [--keep-1h D] [--keep-1d D]\n"
              "                 [--throttle-ratio R] [--pressure-ratio R] [--init-binary PATH]\n"
              "                 [--userns-range FIRST:COUNT] [--log-max SIZE] [--allow-host NAME]...\n"
              "defaults: --listen 127.0.0.1:8470 --socket /run/cgwarden/cgwarden.sock\n"
              "          --db /var/lib/cgwarden/cgwarden.db --root cgwarden --driver auto\n"
              "          --token-file /var/lib/cgwarden/admin.token --state-dir /var/lib/cgwarden\n"
              "          --interval 10s --keep-raw 24h --keep-1m 30d --keep-1h 400d --keep-1d 1830d\n"
              "          --throttle-ratio 0.25 --pressure-ratio 0.10\n"
              "          --init-binary: cgwarden-init beside cgwardend\n"
              "          --userns-range 2147483648:2147418112 (host ids for user namespaces, 65536 each)\n"
              "          --log-max 16M (each process's stdout and stderr, rotated once past it)\n"
              "          --allow-host: needed for a --listen beyond loopback, once per name clients use\n",
              f);
}

#define USEC UINT64_C(1000000)

static int option_error(const char *msg) {
        fprintf(stderr, "cgwardend: %s\n", msg);
        return -EINVAL;
}

static int parse_ratio(const char *s, double *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !(v > 0 && v <= 1))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "FIRST:COUNT": host ids for user namespaces; FIRST > 0 (root stays root's), the range
 * below 2^32 - 1 (the invalid id), COUNT whole ranges of 65536. */
static int parse_userns_range(const char *s, uint32_t *ret_first, uint32_t *ret_count) {
        char *end;
        errno = 0;
        unsigned long long first = strtoull(s, &end, 10);
        if (errno || end == s || *end != ':' || s[0] == '-')
                return -EINVAL;
        const char *c = end + 1;
        unsigned long long count = strtoull(c, &end, 10);
        if (errno || end == c || *end || c[0] == '-' || first == 0 || count == 0 || count % 65536 ||
            first + count > UINT32_MAX)
                return -EINVAL;
        *ret_first = (uint32_t)first;
        *ret_count = (uint32_t)count;
        return 0;
}

static int parse_options(int argc, char **argv, Options *o) {
        static const struct option longopts[] = {
            {"listen", required_argument, NULL, 'l'},
            {"socket", required_argument, NULL, 's'},
            {"db", required_argument, NULL, 'd'},
            {"root", required_argument, NULL, 'r'},
            {"driver", required_argument, NULL, 'D'},
            {"token-file", required_argument, NULL, 't'},
            {"state-dir", required_argument, NULL, 'S'},
            {"print-dashboard-url", no_argument, NULL, 'p'},
            {"interval", required_argument, NULL, 'i'},
            {"keep-raw", required_argument, NULL, '0'},
            {"keep-1m", required_argument, NULL, '1'},
            {"keep-1h", required_argument, NULL, '2'},
            {"keep-1d", required_argument, NULL, '3'},
            {"throttle-ratio", required_argument, NULL, 'T'},
            {"pressure-ratio", required_argument, NULL, 'P'},
            {"init-binary", required_argument, NULL, 'I'},
            {"userns-range", required_argument, NULL, 'U'},
            {"log-max", required_argument, NULL, 'L'},
            {"allow-host", required_argument, NULL, 'H'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {0},
        };
        *o = (Options){"127.0.0.1:8470",
                       "/run/cgwarden/cgwarden.sock",
                       "/var/lib/cgwarden/cgwarden.db",
                       "cgwarden",
                       "auto",
                       "/var/lib/cgwarden/admin.token",
                       "/var/lib/cgwarden",
                       NULL,
                       UINT32_C(2147483648),
                       UINT32_C(2147418112),
                       16 << 20,
                       false,
                       {0},
                       {NULL},
                       0};
        o->acct = (AcctConfig){
            .interval_usec = 10 * USEC,
            .keep = {.keep_usec = {86400 * USEC, 30 * 86400 * USEC, 400 * 86400 * USEC, 1830 * 86400 * USEC}},
            .throttle_ratio = 0.25,
            .pressure_ratio = 0.10};
        int c;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case 'l': o->listen = strcmp(optarg, "none") == 0 ? NULL : optarg; break;
                case 's': o->socket_path = strcmp(optarg, "none") == 0 ? NULL : optarg; break;
                case 'd': o->db_path = optarg; break;
                case 'r': o->root = optarg; break;
                case 'D': o->driver = optarg; break;
                case 't': o->token_file = optarg; break;
                case 'S': o->state_dir = optarg; break;
                case 'p': o->print_url = true; break;
                case 'i':
                        if (cg_duration_parse(optarg, &o->acct.interval_usec) < 0 ||
                            o->acct.interval_usec > 3600 * USEC)
                                return option_error("--interval takes a duration from 1s to 1h, such as 10s");
                        break;
                case '0':
                case '1':
                case '2':
                case '3':
                        if (cg_duration_parse(optarg, &o->acct.keep.keep_usec[c - '0']) < 0)
                                return option_error("--keep-* take a duration such as 24h, 30d or 400d");
                        break;
                case 'T':
                case 'P':
                        if (parse_ratio(optarg, c == 'T' ? &o->acct.throttle_ratio : &o->acct.pressure_ratio) < 0)
                                return option_error(
                                    "--throttle-ratio and --pressure-ratio take a number above 0, at most 1");
                        break;
                case 'I': o->init_exe = optarg; break;
                case 'U':
                        if (parse_userns_range(optarg, &o->userns_first, &o->userns_count) < 0)
                                return option_error("--userns-range takes FIRST:COUNT, COUNT a multiple of 65536 "
                                                    "and FIRST above 0, within 32-bit ids");
                        break;
                case 'L':
                        if (cg_limits_parse_size(optarg, &o->log_max_bytes) < 0 || o->log_max_bytes < 4096)
                                return option_error("--log-max takes a size of at least 4K, such as 16M");
                        break;
                case 'H':
                        if (!auth_host_name_valid(optarg) || o->n_allow_hosts == AUTH_ALLOW_HOSTS_MAX)
                                return option_error("--allow-host takes a host name or address (letters, digits, "
                                                    "'.', '-', ':', '[' and ']'; at most 8 of them)");
                        o->allow_hosts[o->n_allow_hosts++] = optarg;
                        break;
                case 'h': usage(stdout); exit(0);
                case 'V': puts("cgwardend " CGWARDEN_VERSION); exit(0);
                default: usage(stderr); return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "cgwardend: unexpected argument\n");
                return -EINVAL;
        }
        if (!cg_name_is_valid(o->root)) {
                fprintf(stderr, "cgwardend: --root must match ^[a-z0-9][a-z0-9_-]{0,62}$\n");
                return -EINVAL;
        }
        /* Events and the ledger live as long as the minutes and the hours. */
        o->acct.keep.events_usec = o->acct.keep.keep_usec[TS_1M];
        o->acct.keep.ledger_usec = o->acct.keep.keep_usec[TS_1H];
        /* Beyond loopback, the Host header is what stops a web page elsewhere from reaching the
         * API through DNS rebinding: the names it may carry must be given. */
        if (o->listen && !auth_listen_is_loopback(o->listen) && o->n_allow_hosts == 0) {
                fprintf(stderr,
                        "cgwardend: --listen %s is reachable beyond this machine: name each host name clients "
                        "use for it with --allow-host NAME (the Host header is checked against them)\n",
                        o->listen);
                return -EINVAL;
        }
        if (!o->listen && !o->socket_path) {
                fprintf(stderr, "cgwardend: with neither --listen nor --socket nobody could reach the daemon\n");
                return -EINVAL;
        }
        return 0;
}

/* Every path the daemon reads or makes, and each directory above it (trust.h): the
 * database (with SQLite's -wal and -shm beside it), the token file, the state directory and
 * the socket's directory; missing directories are made. */
static int check_paths(const Options *o, CgError *err) {
        char dir[PATH_MAX], p[PATH_MAX];
        static const char *const db_files[] = {"", "-wal", "-shm", "-journal"};
        const char *dirs_of[] = {o->db_path, o->token_file};
        for (size_t i = 0; i < ELEMENTSOF(dirs_of); i++) {
                snprintf(dir, sizeof dir, "%s", dirs_of[i]);
                char *slash = strrchr(dir, '/');
                if (slash && slash != dir) {
                        *slash = '\0';
                        int r = trust_mkdir(dir, false, err);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(db_files); i++) {
                snprintf(p, sizeof p, "%s%s", o->db_path, db_files[i]);
                int r = trust_check(p, err);
                if (r < 0)
                        return r;
        }
        int r = trust_check(o->token_file, err);
        if (r >= 0)
                r = trust_mkdir(o->state_dir, false, err);
        if (r >= 0 && o->socket_path) {
                snprintf(dir, sizeof dir, "%s", o->socket_path);
                char *slash = strrchr(dir, '/');
                if (slash && slash != dir) {
                        *slash = '\0';
                        r = trust_mkdir(dir, true, err);
                }
        }
        return r;
}

#define HTTP_STREAMS_MAX          64 /* event streams per listener (a dashboard tab holds one) */
#define HTTP_REQUEST_DEADLINE_SEC 10 /* from connect, or the last answer, to a whole request */
#define HTTP_PER_PEER_MAX         64 /* connections per client address, on a non-loopback listener */

/* Connection limits sized to the open-file limit (raised to its hard limit first), leaving
 * 512 descriptors for the daemon's own files: three quarters for TCP, a quarter for the unix
 * socket, so that neither can take the other's. */
static void size_connections(HttpConfig *hc) {
        struct rlimit rl;
        rlim_t n = 1024;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                if (rl.rlim_cur < rl.rlim_max) {
                        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
                        (void)setrlimit(RLIMIT_NOFILE, &rl);
                        (void)getrlimit(RLIMIT_NOFILE, &rl);
                }
                n = rl.rlim_cur == RLIM_INFINITY ? 65536 : rl.rlim_cur;
        }
        unsigned spare = n > 1024 ? (unsigned)(n - 512) : (unsigned)n / 2;
        hc->tcp_connection_limit = spare / 4 * 3;
        hc->unix_connection_limit = spare / 4;
        bool loopback = hc->listen && (strncmp(hc->listen, "127.", 4) == 0 || strncmp(hc->listen, "[::1]:", 6) == 0);
        hc->per_peer_limit = hc->listen && !loopback ? HTTP_PER_PEER_MAX : 0;
}

/* The listeners, once bound: a start that fails later closes them and removes the socket
 * file, so that nothing answers for a daemon that is not there. */
static HttpServer *bound;

static int fail(const char *what, int r, const CgError *err) {
        fprintf(stderr, "cgwardend: %s: %s\n", what, err && err->message[0] ? err->message : strerror(-r));
        http_stop(bound);
        bound = NULL;
        return 1;
}

int main(int argc, char **argv) {
        Options o;
        CgError err = {0};
        Store *store = NULL;
        CgDriver *driver = NULL;
        Groups groups;
        HttpServer *http = NULL;
        Api api = {0};
        Processes processes;
        Acct acct;
        char token[TOKEN_HEX_LEN + 1];
        int r;

        if (parse_options(argc, argv, &o) < 0)
                return 2;
        if (geteuid() != 0) {
                fprintf(stderr, "cgwardend: must run as root (it manages cgroups)\n");
                return 1;
        }
        /* Signals are taken by sigwait() below; block them before any thread starts. */
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* Nothing found on disk is used unless root alone could have put it there, and one
         * daemon per database and root: checked and locked before anything else happens. */
        r = check_paths(&o, &err);
        if (r < 0)
                return fail("refusing to start", r, &err);
        r = trust_lock_instance(o.db_path, CGWARDEN_RUN_DIR, o.root, &err);
        if (r < 0)
                return fail("refusing to start", r, &err);
        r = token_load_or_create(o.token_file, token);
        if (r < 0)
                return fail(o.token_file, r, NULL);
        /* The listeners next: a daemon that cannot have its port stops before the kernel. */
        HttpConfig hc = {
            .listen = o.listen,
            .socket_path = o.socket_path,
            .body_max = 64 * 1024,
            .stream_limit = HTTP_STREAMS_MAX,
            .request_deadline_sec = HTTP_REQUEST_DEADLINE_SEC,
            .timeout_sec = 30,
            .threads = 2,
        };
        size_connections(&hc);
        r = http_bind(&hc, api_handle, &api, &http, &err);
        if (r < 0)
                return fail("http", r, &err);
        bound = http;

        r = store_open(o.db_path, &store, &err);
        if (r < 0)
                return fail(o.db_path, r, &err);
        r = cg_driver_open(o.driver, o.root, &driver, &err);
        if (r < 0)
                return fail("driver", r, &err);
        r = groups_init(&groups, store, driver);
        if (r < 0)
                return fail("init", r, NULL);
        r = groups_reconcile(&groups);
        if (r < 0)
                return fail("reconcile", r, NULL);
        r = acct_open(&acct, o.db_path, &o.acct, &groups, strcmp(driver->layout, "unified") == 0, &err);
        if (r < 0)
                return fail("accounting", r, &err);
        groups.acct = &acct;
        ProcessesConfig pc = {o.state_dir, o.init_exe, o.userns_first, o.userns_count, o.log_max_bytes};
        r = processes_init(&processes, &groups, &pc);
        if (r < 0)
                return fail("processes", r, NULL);

        api.groups = &groups;
        api.driver_name = driver->ops->name;
        api.layout = driver->layout;
        api.controllers = driver->controllers;
        api.processes = &processes;
        api.acct = &acct;
        r = http_serve(http, &hc, &err);
        if (r < 0)
                return fail("http", r, &err);
        auth_init(&api.auth, token, o.listen, http_port(http), o.allow_hosts, o.n_allow_hosts);
        if (o.listen && !auth_listen_is_loopback(o.listen)) {
                fprintf(stderr,
                        "cgwardend: the TCP API on %s is reachable beyond this machine (the token guards it); "
                        "Host must be one of:",
                        o.listen);
                for (size_t i = 0; i < api.auth.nhosts; i++)
                        fprintf(stderr, " %s", api.auth.hosts[i]);
                fputc('\n', stderr);
        }
        acct_set_wake(&acct, http_wake, http);
        r = acct_start(&acct);
        if (r < 0)
                return fail("sampler", r, NULL);

        fprintf(stderr, "cgwardend %s: driver %s (%s), root %s, database %s\n", CGWARDEN_VERSION, driver->ops->name,
                driver->layout, o.root, o.db_path);
        fprintf(stderr, "cgwardend: sampling every %.3g s; raw samples kept %" PRIu64 " h\n",
                (double)o.acct.interval_usec / 1e6, o.acct.keep.keep_usec[TS_RAW] / 3600 / USEC);
        if (driver->detail)
                fprintf(stderr, "cgwardend: %s\n", driver->detail);
        fprintf(stderr,
                "cgwardend: connections: %u on TCP (%s), %u on the socket; %u event streams each; a request must "
                "arrive whole within %u s\n",
                hc.tcp_connection_limit, hc.per_peer_limit ? "64 per client address" : "loopback: no per-address cap",
                hc.unix_connection_limit, hc.stream_limit, hc.request_deadline_sec);
        if (o.socket_path)
                fprintf(stderr, "cgwardend: listening on unix:%s\n", o.socket_path);
        if (o.listen) {
                char host[64];
                snprintf(host, sizeof host, "%.*s", (int)(strrchr(o.listen, ':') - o.listen), o.listen);
                fprintf(stderr, "cgwardend: listening on http://%s:%u\n", host, http_port(http));
                /* The token goes in the fragment, which browsers never send; this line goes to
                 * the terminal of whoever ran `make run`, not to the log. */
                if (o.print_url)
                        printf("dashboard: http://%s:%u/#token=%s\n", host, http_port(http), token);
        }
        fflush(stdout);
        sd_notify(0, "READY=1");

        /* SIGHUP (a log rotation, a reload by habit) changes nothing here: logs go to stderr
         * and every option is read at start. It is said, not fatal. */
        int sig;
        while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
                fprintf(stderr,
                        "cgwardend: SIGHUP: nothing to reload (options are read at start; restart to change them)\n");
        fprintf(stderr, "cgwardend: %s, shutting down; groups and their processes stay\n", strsignal(sig));
        sd_notify(0, "STOPPING=1");
        acct_set_wake(&acct, NULL, NULL);
        http_stop(http);
        processes_done(&processes);
        groups.acct = NULL;
        acct_close(&acct);
        groups_done(&groups);
        cg_driver_free(driver);
        store_close(store);
        return 0;
}
