/* What the CLI's command files share. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "cg-util.h"
#include "http-client.h"

typedef struct Cli {
        Client client;
        bool json;
        char token[128];
} Cli;

/* Prints "cgwarden: ..." and returns code. */
int die(int code, const char *fmt, ...) _printf_(2, 3);
/* A request whose answer is printed with print (or as JSON with --json); the exit status. */
int call(Cli *cli, const char *method, const char *path, json_t *body, void (*print)(json_t *));
/* A request whose JSON answer goes to *ret (0), or an error printed (exit status). */
int call_json(Cli *cli, const char *method, const char *path, json_t *body, json_t **ret);
/* A GET whose text answer goes to *ret. */
int call_text(Cli *cli, const char *path, char **ret);

/* top: the exit status, or -1 if argv[0] is not "top". */
int cli_top(Cli *cli, int argc, char **argv);
/* run, ps, kill, logs: the exit status, or -1 if argv[0] is none of them. */
int cli_processes(Cli *cli, int argc, char **argv);
/* usage, report, events: the exit status, or -1 if argv[0] is none of them. */
int cli_usage(Cli *cli, int argc, char **argv);
