/* Block devices named by users: "8:0" or "/dev/sda1", checked against /sys/dev/block and
 * resolved to the whole disk, which is what blk-throttle and io.max act on. */
#pragma once

#include <stdint.h>

#include "cg-error.h"

/* field is the JSON pointer for errors. Returns 0 or -EINVAL ("unknown_device",
 * "not_a_disk") with *err. */
int cg_blkdev_resolve(const char *spec, const char *field, uint32_t *ret_major, uint32_t *ret_minor, CgError *err);
