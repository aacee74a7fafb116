/* Block I/O limits: io.weight and per-device throttles (io.max), as typed values. */
#pragma once

#include "cg-limits.h"

const char *cg_io_field_name(CgIoField f);
int cg_io_field_from_name(const char *name, CgIoField *ret);

/* A throttle value: bytes per second (a size such as "10M") for rbps/wbps, operations per
 * second for riops/wiops, or "max". Zero is refused (the kernels read it as "no limit" or
 * reject it). Returns 0, -EINVAL or -ERANGE. */
int cg_io_field_parse(CgIoField f, const char *s, uint64_t *ret);
/* The same range check for a JSON integer. */
int cg_io_field_check(uint64_t v);

/* "8:0" → 8, 0. Only the syntax: whether the disk exists is cg_blkdev_resolve()'s business. */
int cg_io_device_parse(const char *s, uint32_t *ret_major, uint32_t *ret_minor);

/* Canonical text of a list: "8:0 rbps=1048576 wiops=max;7:0 wbps=10" (fields with a value
 * only, devices sorted). Returns the length, or -ENOBUFS. */
int cg_io_max_format(const CgIoMax *list, size_t n, char *buf, size_t size);
/* Parses the canonical text, or the kernel's io.max (lines, all four fields, "max" for none:
 * a field at "max" is read as not set). Returns 0 or -EBADMSG/-E2BIG. */
int cg_io_max_parse(const char *s, CgIoMax *ret, uint32_t *ret_n);

/* The entry for a device in l, or NULL. */
CgIoMax *cg_io_max_find(CgIoMax *list, uint32_t n, uint32_t major, uint32_t minor);

/* Applies the io.max entries of patch (fields set or cleared, per device) to d. */
void cg_io_max_merge(CgLimits *d, const CgLimits *patch);

/* io.weight (1–10000, default 100) in v1's terms, as systemd maps it:
 * blkio.weight (CFQ, 10–1000, default 500) = weight * 5, clamped;
 * blkio.bfq.weight / io.bfq.weight (BFQ, 1–1000, default 100) = weight up to 100, then
 * linear to 1000 at 10000. */
uint64_t cg_io_weight_to_blkio(uint32_t weight);
uint64_t cg_io_weight_to_bfq(uint32_t weight);
