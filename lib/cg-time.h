/* Times and durations as users write them (query strings, CLI flags), parsed into
 * microseconds: the only parser of such strings. Pure, no I/O. */
#pragma once

#include <stdint.h>

/* The longest duration or distance into the past accepted: 10 years. */
#define CG_DURATION_MAX_USEC (UINT64_C(10) * 366 * 86400 * 1000000)

/* "90s", "15m", "1h", "30d", "2w" (a positive integer and one unit; s m h d w), or a plain
 * integer of seconds. Returns 0 or -EINVAL (bad form) / -ERANGE (0 or over 10 years). */
int cg_duration_parse(const char *s, uint64_t *ret_usec);

/* A point in time: "now", "-DURATION" (that long before now), an integer of seconds since
 * the epoch, or RFC 3339 ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00.5+01:00",
 * "2026-12-01" for midnight UTC). now_usec is CLOCK_REALTIME. Returns 0, -EINVAL or -ERANGE
 * (before 1970 or after 9999). */
int cg_time_parse(const char *s, uint64_t now_usec, uint64_t *ret_usec);

/* "2026-12-01T10:00:00Z" (seconds precision); buf needs 21 bytes. */
void cg_time_format(uint64_t usec, char buf[static 21]);
