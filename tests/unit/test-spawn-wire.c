/* The spec the daemon hands cgwarden-init across its exec (spawn-wire.h): every field comes
 * back as sent, and anything truncated or garbled is refused, never half-read. Plus the
 * capability names the API takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "spawn-wire.h"

static char *const argv_[] = {"/bin/sh", "-c", "echo hi", NULL};
static char *const env_[] = {"PATH=/bin", "A=b c", NULL};
static const SpawnMount mounts_[] = {{"/srv/data", "/data", true}, {"/etc/hosts", "/etc/hosts", false}};
static const unsigned char bpf_[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static SpawnSpec full(void) {
        return (SpawnSpec){.argv = argv_,
                           .env = env_,
                           .cwd = "/tmp",
                           .uid = 65534,
                           .gid = 65534,
                           .ns = SPAWN_NS_DEFAULT | SPAWN_NS_USER,
                           .flags = SPAWN_SECCOMP | SPAWN_NO_NEW_PRIVS | SPAWN_READONLY_ROOTFS,
                           .caps = caps_default,
                           .hostname = "box",
                           .rootfs = "/srv/rootfs",
                           .userns_base = 2147549184u,
                           .mounts = mounts_,
                           .n_mounts = 2,
                           .log_max_bytes = 16 << 20,
                           .seccomp_bpf = bpf_,
                           .seccomp_len = sizeof bpf_,
                           .status_name = "12.status"};
}

static void round_trip(void **state) {
        SpawnSpec s = full();
        char *buf;
        size_t len;
        SpawnWire w;
        assert_int_equal(spawn_wire_encode(&s, &buf, &len), 0);
        assert_int_equal(spawn_wire_decode(buf, len, &w), 0);
        for (size_t i = 0; argv_[i]; i++)
                assert_string_equal(w.spec.argv[i], argv_[i]);
        assert_null(w.spec.argv[3]);
        assert_string_equal(w.spec.env[1], "A=b c");
        assert_null(w.spec.env[2]);
        assert_string_equal(w.spec.cwd, "/tmp");
        assert_string_equal(w.spec.hostname, "box");
        assert_string_equal(w.spec.rootfs, "/srv/rootfs");
        assert_string_equal(w.spec.status_name, "12.status");
        assert_int_equal(w.spec.uid, 65534);
        assert_int_equal(w.spec.ns, s.ns);
        assert_int_equal(w.spec.flags, s.flags);
        assert_true(w.spec.caps == caps_default);
        assert_int_equal(w.spec.userns_base, 2147549184u);
        assert_true(w.spec.log_max_bytes == 16 << 20);
        assert_int_equal(w.spec.n_mounts, 2);
        assert_string_equal(w.spec.mounts[0].source, "/srv/data");
        assert_string_equal(w.spec.mounts[0].target, "/data");
        assert_true(w.spec.mounts[0].readonly);
        assert_false(w.spec.mounts[1].readonly);
        assert_int_equal(w.spec.seccomp_len, sizeof bpf_);
        assert_memory_equal(w.spec.seccomp_bpf, bpf_, sizeof bpf_);
        spawn_wire_done(&w);
        free(buf);
}

static void refuses_garbage(void **state) {
        SpawnSpec s = full();
        char *buf;
        size_t len;
        SpawnWire w;
        assert_int_equal(spawn_wire_encode(&s, &buf, &len), 0);
        /* Every truncation is refused: a record cut short, or a required one missing. */
        for (size_t cut = 0; cut < len; cut++)
                assert_int_equal(spawn_wire_decode(buf, cut, &w), -EBADMSG);
        buf[9] ^= 0x20; /* the magic */
        assert_int_equal(spawn_wire_decode(buf, len, &w), -EBADMSG);
        free(buf);
        /* A seccomp flag without its filter, a status name with a slash, a mount path with a
         * newline: each refused. */
        s.seccomp_bpf = NULL;
        assert_int_equal(spawn_wire_encode(&s, &buf, &len), 0);
        assert_int_equal(spawn_wire_decode(buf, len, &w), -EBADMSG);
        free(buf);
        s = full();
        s.status_name = "../x";
        assert_int_equal(spawn_wire_encode(&s, &buf, &len), 0);
        assert_int_equal(spawn_wire_decode(buf, len, &w), -EBADMSG);
        free(buf);
        s = full();
        SpawnMount bad[] = {{"/a\nb", "/x", false}};
        s.mounts = bad;
        s.n_mounts = 1;
        assert_int_equal(spawn_wire_encode(&s, &buf, &len), -EINVAL);
}

static void capability_names(void **state) {
        assert_int_equal(caps_from_name("SYS_ADMIN"), 21);
        assert_int_equal(caps_from_name("CAP_SYS_ADMIN"), 21);
        assert_int_equal(caps_from_name("net_admin"), 12);
        assert_int_equal(caps_from_name("CHECKPOINT_RESTORE"), 40);
        assert_int_equal(caps_from_name("SYS_WIZARD"), -EINVAL);
        assert_int_equal(caps_from_name(""), -EINVAL);
        assert_string_equal(caps_name(29), "AUDIT_WRITE");
        assert_null(caps_name(41));
        /* Docker's default set, as /proc/self/status shows it: CapEff 00000000a80425fb. */
        assert_true(caps_default == UINT64_C(0xa80425fb));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(round_trip),
            cmocka_unit_test(refuses_garbage),
            cmocka_unit_test(capability_names),
        };
        return cmocka_run_group_tests_name("spawn-wire", tests, NULL, NULL);
}
