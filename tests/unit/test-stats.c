/* The stat readers against fixtures in the kernels' own formats: v1 files copied from this
 * project's build host (kernel 6.18, hybrid), v2 ones in the formats of cgroup-v2.rst, each
 * written to a temporary directory and read through the real reader (open, pread, parse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cg-stats.h"

typedef struct File {
        const char *name, *text;
} File;

/* v1: memory.stat as the host's root group shows it (local and total_ lines). */
static const char v1_memory_stat[] = "cache 9355264\n"
                                     "rss 3305472\n"
                                     "rss_huge 0\n"
                                     "shmem 9084928\n"
                                     "mapped_file 7426048\n"
                                     "dirty 16384\n"
                                     "writeback 0\n"
                                     "workingset_refault_anon 0\n"
                                     "workingset_refault_file 7490\n"
                                     "swap 0\n"
                                     "swapcached 0\n"
                                     "pgpgin 1106598\n"
                                     "pgpgout 1103507\n"
                                     "pgfault 266264\n"
                                     "pgmajfault 15\n"
                                     "inactive_anon 0\n"
                                     "active_anon 1527808\n"
                                     "inactive_file 4096\n"
                                     "active_file 266240\n"
                                     "unevictable 10858496\n"
                                     "hierarchical_memory_limit 9223372036854771712\n"
                                     "hierarchical_memsw_limit 9223372036854771712\n"
                                     "total_cache 70651904\n"
                                     "total_rss 12865536\n"
                                     "total_rss_huge 0\n"
                                     "total_shmem 9084928\n"
                                     "total_mapped_file 15757312\n"
                                     "total_dirty 65536\n"
                                     "total_writeback 0\n"
                                     "total_workingset_refault_anon 0\n"
                                     "total_workingset_refault_file 561487\n"
                                     "total_swap 0\n"
                                     "total_swapcached 0\n"
                                     "total_pgpgin 18200243\n"
                                     "total_pgpgout 18182795\n"
                                     "total_pgfault 28777985\n"
                                     "total_pgmajfault 4866\n"
                                     "total_inactive_anon 9506816\n"
                                     "total_active_anon 1540096\n"
                                     "total_inactive_file 42328064\n"
                                     "total_active_file 19238912\n"
                                     "total_unevictable 10858496\n";

/* v1 blkio, several disks and operations: the sampler sums Read and Write over disks. */
static const char v1_blkio_bytes[] = "8:0 Read 4096\n"
                                     "8:0 Write 8192\n"
                                     "8:0 Sync 12288\n"
                                     "8:0 Async 0\n"
                                     "8:0 Discard 0\n"
                                     "8:0 Total 12288\n"
                                     "7:1 Read 100\n"
                                     "7:1 Write 0\n"
                                     "7:1 Total 100\n"
                                     "Total 12388\n";

static const File v1_files[] = {
    {"cpuacct.usage", "1234567000\n"},
    {"cpuacct.stat", "user 153241\nsystem 41058\n"},
    {"cpu.stat", "nr_periods 40\nnr_throttled 30\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n"},
    {"memory.usage_in_bytes", "67108864\n"},
    {"memory.max_usage_in_bytes", "70000000\n"},
    {"memory.limit_in_bytes", "9223372036854771712\n"},
    {"memory.failcnt", "7\n"},
    {"memory.stat", v1_memory_stat},
    {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"},
    {"blkio.throttle.io_service_bytes_recursive", v1_blkio_bytes},
    {"blkio.throttle.io_serviced_recursive", "8:0 Read 3\n8:0 Write 5\n8:0 Total 8\nTotal 8\n"},
    {"pids.current", "4\n"},
    {"freezer.state", "FROZEN\n"},
    {NULL, NULL},
};

/* v2, in the formats of Documentation/admin-guide/cgroup-v2.rst. */
static const File v2_files[] = {
    {"cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\ncore_sched.force_idle_usec 0\n"
                 "nr_periods 10\nnr_throttled 4\nthrottled_usec 20000\nnr_bursts 0\nburst_usec 0\n"},
    {"memory.current", "1048576\n"},
    {"memory.peak", "2097152\n"},
    {"memory.max", "max\n"},
    {"memory.events", "low 0\nhigh 3\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n"},
    {"memory.stat", "anon 524288\nfile 262144\nkernel 4096\nshmem 0\nfile_mapped 0\n"},
    {"memory.swap.current", "0\n"},
    {"io.stat", "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n"},
    {"pids.current", "3\n"},
    {"cgroup.events", "populated 1\nfrozen 0\n"},
    {"cpu.pressure",
     "some avg10=0.00 avg60=0.00 avg300=0.00 total=1200\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=800\n"},
    {"memory.pressure",
     "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"},
    {"io.pressure",
     "some avg10=1.00 avg60=0.50 avg300=0.10 total=333\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=111\n"},
    {NULL, NULL},
};

static void read_fixture(const File *files, bool unified, CgStats *ret) {
        char dir[] = "/tmp/cgw-stats-XXXXXX";
        assert_non_null(mkdtemp(dir));
        for (const File *f = files; f->name; f++) {
                char path[256];
                snprintf(path, sizeof path, "%s/%s", dir, f->name);
                FILE *out = fopen(path, "we");
                assert_non_null(out);
                fputs(f->text, out);
                fclose(out);
        }
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        int dirs[_CG_CTRL_COUNT];
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++)
                dirs[c] = fd;
        CgStatReader *r = NULL;
        assert_int_equal(cg_stat_reader_open(dirs, unified, &r), 0);
        assert_int_equal(cg_stat_read(r, ret), 0);
        /* A second read of the same files (pread from 0) gives the same values. */
        CgStats again;
        assert_int_equal(cg_stat_read(r, &again), 0);
        assert_memory_equal(ret, &again, sizeof again);
        cg_stat_reader_free(r);
        close(fd);
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

#define HAS(s, k) ((s).have & (1u << (k)))

static void v1_values(void **state) {
        CgStats s;
        long tick = sysconf(_SC_CLK_TCK);
        read_fixture(v1_files, false, &s);
        assert_int_equal(s.v[CG_STAT_CPU_USAGE_USEC], 1234567);
        assert_int_equal(s.v[CG_STAT_CPU_USER_USEC], UINT64_C(153241) * 1000000 / (uint64_t)tick);
        assert_int_equal(s.v[CG_STAT_CPU_SYSTEM_USEC], UINT64_C(41058) * 1000000 / (uint64_t)tick);
        assert_int_equal(s.v[CG_STAT_CPU_PERIODS], 40);
        assert_int_equal(s.v[CG_STAT_CPU_THROTTLED_PERIODS], 30);
        assert_int_equal(s.v[CG_STAT_CPU_THROTTLED_USEC], 2500000);
        assert_int_equal(s.v[CG_STAT_MEM_USAGE], 67108864);
        assert_int_equal(s.v[CG_STAT_MEM_PEAK], 70000000);
        assert_true(s.v[CG_STAT_MEM_LIMIT] == UINT64_MAX); /* v1's PAGE_COUNTER_MAX is no limit */
        assert_int_equal(s.v[CG_STAT_MEM_FAILCNT], 7);
        assert_int_equal(s.v[CG_STAT_MEM_ANON], 12865536);
        assert_int_equal(s.v[CG_STAT_MEM_FILE], 70651904);
        assert_int_equal(s.v[CG_STAT_MEM_SWAP], 0);
        assert_int_equal(s.v[CG_STAT_OOM_KILLS], 2);
        assert_int_equal(s.v[CG_STAT_IO_READ_BYTES], 4196);
        assert_int_equal(s.v[CG_STAT_IO_WRITE_BYTES], 8192);
        assert_int_equal(s.v[CG_STAT_IO_READ_IOS], 3);
        assert_int_equal(s.v[CG_STAT_IO_WRITE_IOS], 5);
        assert_int_equal(s.v[CG_STAT_PIDS_CURRENT], 4);
        assert_int_equal(s.v[CG_STAT_FROZEN], 1);
        assert_false(HAS(s, CG_STAT_MEM_HIGH)); /* v1 has no memory.high */
        assert_false(HAS(s, CG_STAT_PSI_CPU_SOME_USEC));
}

static void v2_values(void **state) {
        CgStats s;
        read_fixture(v2_files, true, &s);
        assert_int_equal(s.v[CG_STAT_CPU_USAGE_USEC], 1500000);
        assert_int_equal(s.v[CG_STAT_CPU_USER_USEC], 1000000);
        assert_int_equal(s.v[CG_STAT_CPU_SYSTEM_USEC], 500000);
        assert_int_equal(s.v[CG_STAT_CPU_PERIODS], 10);
        assert_int_equal(s.v[CG_STAT_CPU_THROTTLED_PERIODS], 4);
        assert_int_equal(s.v[CG_STAT_CPU_THROTTLED_USEC], 20000);
        assert_int_equal(s.v[CG_STAT_MEM_USAGE], 1048576);
        assert_int_equal(s.v[CG_STAT_MEM_PEAK], 2097152);
        assert_true(s.v[CG_STAT_MEM_LIMIT] == UINT64_MAX);
        assert_int_equal(s.v[CG_STAT_MEM_FAILCNT], 5);
        assert_int_equal(s.v[CG_STAT_MEM_HIGH], 3);
        assert_int_equal(s.v[CG_STAT_OOM_KILLS], 1); /* oom_kill, not oom or oom_group_kill */
        assert_int_equal(s.v[CG_STAT_MEM_ANON], 524288);
        assert_int_equal(s.v[CG_STAT_MEM_FILE], 262144);
        assert_int_equal(s.v[CG_STAT_IO_READ_BYTES], 1459200 + 90430464);
        assert_int_equal(s.v[CG_STAT_IO_WRITE_BYTES], 314773504 + 299008000);
        assert_int_equal(s.v[CG_STAT_IO_READ_IOS], 192 + 8950);
        assert_int_equal(s.v[CG_STAT_IO_WRITE_IOS], 353 + 1252);
        assert_int_equal(s.v[CG_STAT_PIDS_CURRENT], 3);
        assert_int_equal(s.v[CG_STAT_FROZEN], 0);
        assert_true(HAS(s, CG_STAT_FROZEN));
        assert_int_equal(s.v[CG_STAT_PSI_CPU_SOME_USEC], 1200);
        assert_int_equal(s.v[CG_STAT_PSI_CPU_FULL_USEC], 800);
        assert_int_equal(s.v[CG_STAT_PSI_IO_SOME_USEC], 333);
        assert_int_equal(s.v[CG_STAT_PSI_IO_FULL_USEC], 111);
}

/* A file that is missing leaves its values out; empty per-disk files mean zero I/O. */
static void absent_and_empty(void **state) {
        static const File files[] = {{"pids.current", "9\n"}, {"io.stat", ""}, {NULL, NULL}};
        CgStats s;
        read_fixture(files, true, &s);
        assert_int_equal(s.v[CG_STAT_PIDS_CURRENT], 9);
        assert_true(HAS(s, CG_STAT_IO_READ_BYTES));
        assert_int_equal(s.v[CG_STAT_IO_READ_BYTES], 0);
        assert_false(HAS(s, CG_STAT_CPU_USAGE_USEC));
        assert_false(HAS(s, CG_STAT_MEM_USAGE));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(v1_values),
            cmocka_unit_test(v2_values),
            cmocka_unit_test(absent_and_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
