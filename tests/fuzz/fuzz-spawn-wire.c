/* libFuzzer target for the spec cgwarden-init decodes (spawn-wire.h). Whatever decodes must
 * hold together: argv non-empty and NULL-terminated, strings within the buffer, mounts with
 * absolute paths, a filter whose size is a whole number of instructions; and what decodes
 * encodes and decodes again to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spawn-wire.h"

static void check(int cond) {
        if (!cond)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SpawnWire w, again;
        char *buf;
        size_t len;
        if (spawn_wire_decode(data, size, &w) < 0)
                return 0;
        check(w.spec.argv && w.spec.argv[0] && w.spec.env && w.spec.status_name);
        for (size_t i = 0; i < w.spec.n_mounts; i++)
                check(w.spec.mounts[i].source[0] == '/' && w.spec.mounts[i].target[0] == '/');
        check(w.spec.seccomp_len % 8 == 0);
        check(spawn_wire_encode(&w.spec, &buf, &len) == 0);
        check(spawn_wire_decode(buf, len, &again) == 0);
        size_t n = 0;
        while (w.spec.argv[n]) {
                check(again.spec.argv[n] && strcmp(again.spec.argv[n], w.spec.argv[n]) == 0);
                n++;
        }
        check(!again.spec.argv[n] && again.spec.ns == w.spec.ns && again.spec.caps == w.spec.caps &&
              again.spec.n_mounts == w.spec.n_mounts && again.spec.seccomp_len == w.spec.seccomp_len);
        spawn_wire_done(&again);
        spawn_wire_done(&w);
        free(buf);
        return 0;
}
