/* What the benchmark programs share: the median of a set of timings. */
#pragma once

#include <stdint.h>
#include <stdlib.h>

static inline int bench_cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* The median of n timings in µs, in ms; sorts v. */
static inline double median_ms(uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, bench_cmp_u64);
        return (n % 2 ? (double)v[n / 2] : (double)(v[n / 2 - 1] + v[n / 2]) / 2) / 1000.0;
}
