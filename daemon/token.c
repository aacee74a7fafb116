#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-util.h"

static int read_token(const char *path, char *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_mode & 0077) {
                fprintf(stderr, "cgwardend: %s is readable by others (mode %03o); refusing it (chmod 600)\n", path,
                        st.st_mode & 0777);
                return -EPERM;
        }
        char buf[TOKEN_HEX_LEN + 2];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        int r = (int)n;
        while (r > 0 && buf[r - 1] == '\n')
                r--;
        buf[r] = '\0';
        if (r != TOKEN_HEX_LEN || strspn(buf, "0123456789abcdef") != TOKEN_HEX_LEN) {
                fprintf(stderr, "cgwardend: %s holds no token (one line of %d lowercase hex digits); refusing it\n",
                        path, TOKEN_HEX_LEN);
                return -EBADMSG;
        }
        memcpy(ret, buf, TOKEN_HEX_LEN + 1);
        return 0;
}

int token_load_or_create(const char *path, char *ret) {
        int r = read_token(path, ret);
        if (r != -ENOENT)
                return r;
        r = cg_mkdir_parent(path);
        if (r < 0)
                return r;
        unsigned char raw[32];
        if (getrandom(raw, sizeof raw, 0) != sizeof raw)
                return -EIO;
        for (size_t i = 0; i < sizeof raw; i++)
                snprintf(ret + 2 * i, 3, "%02x", raw[i]);
        /* O_EXCL: two daemons starting at once cannot both write a token. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return errno == EEXIST ? read_token(path, ret) : -errno;
        char line[TOKEN_HEX_LEN + 2];
        snprintf(line, sizeof line, "%s\n", ret);
        if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) < 0) {
                unlink(path);
                return -EIO;
        }
        return 0;
}

bool token_equal(const char *presented, size_t len, const char *expected) {
        /* The length is public (always 64); the bytes are compared without an early exit. */
        if (len != TOKEN_HEX_LEN)
                return false;
        unsigned char diff = 0;
        for (size_t i = 0; i < TOKEN_HEX_LEN; i++)
                diff |= (unsigned char)(presented[i] ^ expected[i]);
        return diff == 0;
}
