/* The shim copies the command's stdout and stderr from pipes into the log files, so that a
 * chatty process cannot fill the state directory: past max_bytes a stream's file is renamed
 * to NAME.1 (the one before is dropped) and a new one begun, as logrotate's "rotate 1" does.
 * At most 2 × max_bytes per stream stay on disk. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct LogStream {
        int in;           /* the pipe's read end */
        int out;          /* the current file */
        uint64_t size;    /* its size */
        const char *name; /* "12.stdout", in dir_fd */
} LogStream;

/* Copies until the process behind pidfd has ended and its pipes are drained (or, with
 * writers left behind it, emptied). Returns 0, or -errno if a file could not be rotated; the
 * stream then goes on into the file it had. */
int logs_relay(LogStream *streams, size_t n, int pidfd, uint64_t max_bytes, int dir_fd);
