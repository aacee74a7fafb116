#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cg-util.h"

/* NAME → NAME.1, and a new NAME: created O_EXCL|O_NOFOLLOW, so nothing planted there is
 * followed. */
static int rotate(LogStream *l, int dir_fd) {
        char old[256];
        snprintf(old, sizeof old, "%s.1", l->name);
        if (renameat(dir_fd, l->name, dir_fd, old) < 0)
                return -errno;
        int fd = openat(dir_fd, l->name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(l->out);
        l->out = fd;
        l->size = 0;
        return 0;
}

/* One read from the pipe into the file; 0 at EOF, 1 if more may come, -errno. */
static int copy(LogStream *l, uint64_t max_bytes, int dir_fd, int *ret_rotate_error) {
        char buf[65536];
        ssize_t n = read(l->in, buf, sizeof buf);
        if (n == 0)
                return 0;
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 1 : -errno;
        if (l->size > 0 && l->size + (uint64_t)n > max_bytes) {
                int r = rotate(l, dir_fd);
                if (r < 0)
                        *ret_rotate_error = r;
        }
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(l->out, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break; /* a full disk loses output, never the process */
                off += w;
        }
        l->size += (uint64_t)n;
        return 1;
}

int logs_relay(LogStream *streams, size_t n, int pidfd, uint64_t max_bytes, int dir_fd) {
        struct pollfd p[8];
        bool ended = false;
        int rotate_error = 0;
        size_t open_ = n;
        while (open_ > 0) {
                for (size_t i = 0; i < n; i++)
                        p[i] = (struct pollfd){.fd = streams[i].in, .events = POLLIN};
                p[n] = (struct pollfd){.fd = ended ? -1 : pidfd, .events = POLLIN};
                /* Once the process has ended, what its pipes still hold is taken and no more
                 * awaited: a child it left behind may keep them open for ever. */
                if (poll(p, n + 1, ended ? 0 : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (p[n].revents)
                        ended = true;
                bool any = false;
                for (size_t i = 0; i < n; i++) {
                        if (streams[i].in < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        any = true;
                        if (copy(&streams[i], max_bytes, dir_fd, &rotate_error) <= 0) {
                                close(streams[i].in);
                                streams[i].in = -1;
                                open_--;
                        }
                }
                if (ended && !any)
                        break;
        }
        return rotate_error;
}
