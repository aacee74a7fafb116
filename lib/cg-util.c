#include "cg-util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cg_mkdir_parent(const char *path) {
        char dir[4096];
        if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
                return -ENAMETOOLONG;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        return mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}
