#include "cg-blkdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cg-io.h"

/* /sys/dev/block/M:m/partition exists for partitions; the disk is the directory above. */
static int whole_disk(uint32_t *major, uint32_t *minor) {
        char path[128], dev[32];
        snprintf(path, sizeof path, "/sys/dev/block/%" PRIu32 ":%" PRIu32 "/partition", *major, *minor);
        if (access(path, F_OK) < 0)
                return 0;
        snprintf(path, sizeof path, "/sys/dev/block/%" PRIu32 ":%" PRIu32 "/../dev", *major, *minor);
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        bool ok = fgets(dev, sizeof dev, f) != NULL;
        fclose(f);
        dev[strcspn(dev, "\n")] = '\0';
        return ok && cg_io_device_parse(dev, major, minor) == 0 ? 1 : -EBADMSG;
}

int cg_blkdev_resolve(const char *spec, const char *field, uint32_t *ret_major, uint32_t *ret_minor, CgError *err) {
        uint32_t major, minor;
        char path[128];
        if (spec[0] == '/') {
                struct stat st;
                if (strlen(spec) > 255 || stat(spec, &st) < 0 || !S_ISBLK(st.st_mode))
                        return cg_error_set(err, -EINVAL, "unknown_device", field, "not a block device");
                major = major(st.st_rdev);
                minor = minor(st.st_rdev);
                if (whole_disk(&major, &minor) < 0)
                        return cg_error_set(err, -EINVAL, "unknown_device", field,
                                            "cannot find the disk of that partition");
        } else if (cg_io_device_parse(spec, &major, &minor) < 0)
                return cg_error_set(err, -EINVAL, "invalid_value", field,
                                    "a device is \"major:minor\" or an absolute /dev path");
        snprintf(path, sizeof path, "/sys/dev/block/%" PRIu32 ":%" PRIu32, major, minor);
        if (access(path, F_OK) < 0)
                return cg_error_set(err, -EINVAL, "unknown_device", field, "no such block device on this host");
        if (spec[0] != '/' && whole_disk(&(uint32_t){major}, &(uint32_t){minor}) != 0)
                return cg_error_set(err, -EINVAL, "not_a_disk", field,
                                    "that is a partition; I/O limits apply to whole disks");
        *ret_major = major;
        *ret_minor = minor;
        return 0;
}
