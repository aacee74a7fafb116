/* Small shared helpers: cleanup attributes, ownership transfer, clocks. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f)    __attribute__((cleanup(f)))
#define _cleanup_free_  _cleanup_(cg_freep)
#define _cleanup_close_ _cleanup_(cg_closep)
#define _unused_        __attribute__((unused))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void cg_freep(void *p) {
        free(*(void **)p);
}

static inline void cg_closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -EBADF;
}

/* Hand ownership on: returns the value and leaves the variable empty. */
#define TAKE_PTR(p)                     \
        ({                              \
                __typeof__(p) _p = (p); \
                (p) = NULL;             \
                _p;                     \
        })
#define TAKE_FD(fd)             \
        ({                      \
                int _fd = (fd); \
                (fd) = -EBADF;  \
                _fd;            \
        })

/* Creates the directory that will hold `path` (one level, mode 0700, existing is fine).
 * Returns 0 or -errno. */
int cg_mkdir_parent(const char *path);

/* The fields of /proc/PID/stat after the command name (which may hold spaces and
 * parentheses), starting at the state letter; NULL if the process is gone. */
const char *cg_proc_stat(pid_t pid, char *buf, size_t size);

static inline uint64_t cg_now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
