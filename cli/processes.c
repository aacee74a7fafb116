/* cgwarden run | ps | kill | logs */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-name.h"
#include "cli.h"

static void print_ps(json_t *j) {
        size_t i;
        json_t *p;
        printf("%-6s %-8s %-6s %-8s %-6s %-20s %s\n", "ID", "PID", "NSPID", "STATE", "EXIT", "STARTED", "COMMAND");
        json_array_foreach (json_object_get(j, "processes"), i, p) {
                char exitbuf[16] = "-", cmd[256] = "";
                json_t *code = json_object_get(p, "exit_code"), *sig = json_object_get(p, "signal"), *a;
                if (json_is_integer(code))
                        snprintf(exitbuf, sizeof exitbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(code));
                else if (json_is_integer(sig))
                        snprintf(exitbuf, sizeof exitbuf, "SIG%" JSON_INTEGER_FORMAT, json_integer_value(sig));
                size_t k, n = 0;
                json_array_foreach (json_object_get(p, "argv"), k, a)
                        n += (size_t)snprintf(cmd + n, n < sizeof cmd ? sizeof cmd - n : 0, "%s%s", k ? " " : "",
                                              json_string_value(a));
                printf("%-6" JSON_INTEGER_FORMAT " %-8" JSON_INTEGER_FORMAT " %-6" JSON_INTEGER_FORMAT
                       " %-8s %-6s %-20s %s\n",
                       json_integer_value(json_object_get(p, "id")), json_integer_value(json_object_get(p, "pid")),
                       json_integer_value(json_object_get(p, "ns_pid")), json_string_value(json_object_get(p, "state")),
                       exitbuf, json_string_value(json_object_get(p, "started_at")), cmd);
        }
}

static void print_one(json_t *p) {
        printf("process %" JSON_INTEGER_FORMAT " (pid %" JSON_INTEGER_FORMAT "): %s\n",
               json_integer_value(json_object_get(p, "id")), json_integer_value(json_object_get(p, "pid")),
               json_string_value(json_object_get(p, "state")));
}

/* Polls until the process ends; its exit code, or 128 + the signal, like a shell. */
static int wait_for(Cli *cli, const char *group, json_int_t id) {
        char path[256];
        snprintf(path, sizeof path, "/api/v1/groups/%s/processes/%" JSON_INTEGER_FORMAT, group, id);
        for (;;) {
                json_t *p = NULL;
                int r = call_json(cli, "GET", path, NULL, &p);
                if (r)
                        return r;
                if (strcmp(json_string_value(json_object_get(p, "state")), "running") != 0) {
                        json_t *code = json_object_get(p, "exit_code"), *sig = json_object_get(p, "signal");
                        int rc = json_is_integer(code)  ? (int)json_integer_value(code)
                                 : json_is_integer(sig) ? 128 + (int)json_integer_value(sig)
                                                        : 255;
                        json_decref(p);
                        return rc;
                }
                json_decref(p);
                usleep(100000);
        }
}

/* --cap-add NET_ADMIN,SYS_TIME (repeatable): appended to the list under key. */
static void append_list(json_t *body, const char *key, const char *csv) {
        json_t *list = json_object_get(body, key);
        if (!list) {
                list = json_array();
                json_object_set_new(body, key, list);
        }
        char *copy = strdup(csv), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(list, json_string(t));
        free(copy);
}

/* Docker's spellings: seccomp=unconfined, no-new-privileges[=false]. */
static int security_opt(json_t *body, const char *opt) {
        if (strcmp(opt, "seccomp=unconfined") == 0 || strcmp(opt, "seccomp=default") == 0)
                return json_object_set_new(body, "seccomp", json_string(opt + 8));
        if (strcmp(opt, "no-new-privileges") == 0 || strcmp(opt, "no-new-privileges=true") == 0 ||
            strcmp(opt, "no-new-privileges:true") == 0)
                return json_object_set_new(body, "no_new_privileges", json_true());
        if (strcmp(opt, "no-new-privileges=false") == 0 || strcmp(opt, "no-new-privileges:false") == 0)
                return json_object_set_new(body, "no_new_privileges", json_false());
        return -EINVAL;
}

/* --volume SRC:DST[:ro|:rw] */
static int volume(json_t *body, const char *spec) {
        char *copy = strdup(spec), *dst = copy ? strchr(copy, ':') : NULL;
        if (!dst) {
                free(copy);
                return -EINVAL;
        }
        *dst++ = '\0';
        char *mode = strchr(dst, ':');
        if (mode)
                *mode++ = '\0';
        if (copy[0] != '/' || dst[0] != '/' || (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)) {
                free(copy);
                return -EINVAL;
        }
        json_t *list = json_object_get(body, "mounts");
        if (!list) {
                list = json_array();
                json_object_set_new(body, "mounts", list);
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:b}", "source", copy, "target", dst, "readonly",
                                              mode && strcmp(mode, "ro") == 0));
        free(copy);
        return 0;
}

static int cmd_run(Cli *cli, int argc, char **argv) {
        static const struct option opts[] = {
            {"ns", required_argument, NULL, 'n'},
            {"hostname", required_argument, NULL, 'h'},
            {"rootfs", required_argument, NULL, 'r'},
            {"env", required_argument, NULL, 'e'},
            {"cwd", required_argument, NULL, 'c'},
            {"user", required_argument, NULL, 'u'},
            {"wait", no_argument, NULL, 'w'},
            {"cap-add", required_argument, NULL, 'A'},
            {"cap-drop", required_argument, NULL, 'D'},
            {"security-opt", required_argument, NULL, 'S'},
            {"read-only", no_argument, NULL, 'R'},
            {"cgroupns", required_argument, NULL, 'C'},
            {"volume", required_argument, NULL, 'v'},
            {"log-max", required_argument, NULL, 'L'},
            {0},
        };
        json_t *body = json_object(), *env = json_object();
        bool wait = false;
        int c;
        if (argc < 2 || !cg_name_is_valid(argv[1])) {
                json_decref(body), json_decref(env);
                return die(2, "usage: cgwarden run NAME [OPTIONS] -- CMD [ARGS...]");
        }
        const char *group = argv[1];
        argc--, argv++; /* getopt takes NAME for the program name and scans what follows */
        optind = 0;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (c) {
                case 'n': {
                        json_t *ns = json_array();
                        char *copy = strdup(optarg), *save = NULL;
                        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                                json_array_append_new(ns, json_string(t));
                        free(copy);
                        json_object_set_new(body, "namespaces", ns);
                        break;
                }
                case 'h': json_object_set_new(body, "hostname", json_string(optarg)); break;
                case 'r': json_object_set_new(body, "rootfs", json_string(optarg)); break;
                case 'c': json_object_set_new(body, "cwd", json_string(optarg)); break;
                case 'u': json_object_set_new(body, "user", json_string(optarg)); break;
                case 'w': wait = true; break;
                case 'A':
                case 'D': append_list(body, c == 'A' ? "cap_add" : "cap_drop", optarg); break;
                case 'R': json_object_set_new(body, "readonly_rootfs", json_true()); break;
                case 'C': json_object_set_new(body, "cgroupns", json_string(optarg)); break;
                case 'L': json_object_set_new(body, "log_max_bytes", json_string(optarg)); break;
                case 'S':
                        if (security_opt(body, optarg) < 0) {
                                json_decref(body), json_decref(env);
                                return die(2, "--security-opt takes seccomp=unconfined|default or "
                                              "no-new-privileges[=true|false]");
                        }
                        break;
                case 'v':
                        if (volume(body, optarg) < 0) {
                                json_decref(body), json_decref(env);
                                return die(2, "--volume takes SRC:DST or SRC:DST:ro (absolute paths)");
                        }
                        break;
                case 'e': {
                        char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg) {
                                json_decref(body), json_decref(env);
                                return die(2, "--env takes KEY=VALUE");
                        }
                        *eq = '\0';
                        json_object_set_new(env, optarg, json_string(eq + 1));
                        break;
                }
                default: json_decref(body), json_decref(env); return 2;
                }
        }
        if (optind >= argc) {
                json_decref(body), json_decref(env);
                return die(2, "usage: cgwarden run NAME [OPTIONS] -- CMD [ARGS...]");
        }
        json_t *args = json_array();
        for (; optind < argc; optind++)
                json_array_append_new(args, json_string(argv[optind]));
        json_object_set_new(body, "argv", args);
        json_object_set_new(body, "env", env);
        char path[128];
        json_t *p = NULL;
        snprintf(path, sizeof path, "/api/v1/groups/%s/processes", group);
        int r = call_json(cli, "POST", path, body, &p);
        if (r)
                return r;
        json_int_t id = json_integer_value(json_object_get(p, "id"));
        if (cli->json) {
                json_dumpf(p, stdout, JSON_INDENT(2));
                putchar('\n');
        } else
                printf("%" JSON_INTEGER_FORMAT " %" JSON_INTEGER_FORMAT "\n", id,
                       json_integer_value(json_object_get(p, "pid")));
        fflush(stdout);
        json_decref(p);
        return wait ? wait_for(cli, group, id) : 0;
}

static bool valid_id(const char *s) {
        return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19;
}

int cli_processes(Cli *cli, int argc, char **argv) {
        char path[256];
        const char *cmd = argv[0];
        if (strcmp(cmd, "run") == 0)
                return cmd_run(cli, argc, argv);
        if (strcmp(cmd, "ps") == 0) {
                if (argc != 2 || !cg_name_is_valid(argv[1]))
                        return die(2, "usage: cgwarden ps NAME");
                snprintf(path, sizeof path, "/api/v1/groups/%s/processes", argv[1]);
                return call(cli, "GET", path, NULL, print_ps);
        }
        if (strcmp(cmd, "kill") == 0 || strcmp(cmd, "logs") == 0) {
                static const struct option opts[] = {
                    {"signal", required_argument, NULL, 's'},
                    {"stderr", no_argument, NULL, 'e'},
                    {"tail", required_argument, NULL, 't'},
                    {0},
                };
                const char *sig = "TERM", *tail = NULL;
                bool err = false, kill_ = strcmp(cmd, "kill") == 0;
                int c;
                optind = 0;
                while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                        if (c == 's' && kill_)
                                sig = optarg;
                        else if (c == 'e' && !kill_)
                                err = true;
                        else if (c == 't' && !kill_ && strspn(optarg, "0123456789") == strlen(optarg) && optarg[0])
                                tail = optarg;
                        else
                                return die(2, "usage: cgwarden %s",
                                           kill_ ? "kill NAME ID [--signal SIG]"
                                                 : "logs NAME ID [--stderr] [--tail N]");
                }
                if (argc - optind != 2 || !cg_name_is_valid(argv[optind]) || !valid_id(argv[optind + 1]))
                        return die(2, "usage: cgwarden %s NAME ID", cmd);
                if (kill_) {
                        snprintf(path, sizeof path, "/api/v1/groups/%s/processes/%s/signal", argv[optind],
                                 argv[optind + 1]);
                        return call(cli, "POST", path, json_pack("{s:s}", "signal", sig), print_one);
                }
                char *text = NULL;
                snprintf(path, sizeof path, "/api/v1/groups/%s/processes/%s/log?stream=%s%s%s", argv[optind],
                         argv[optind + 1], err ? "stderr" : "stdout", tail ? "&tail=" : "", tail ? tail : "");
                int r = call_text(cli, path, &text);
                if (r)
                        return r;
                fputs(text, stdout);
                free(text);
                return 0;
        }
        return -1;
}
