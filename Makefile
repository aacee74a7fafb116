# cgwarden — see README.md. `make` builds, `make check` tests, `make run` runs the daemon.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
SANITIZE ?= 0
VERSION := 0.3.0

# Debian packages a fresh Debian 12 machine needs to build, run and test.
DEB_PACKAGES := build-essential pkg-config curl systemd util-linux dbus clang-format clang libclang-rt-14-dev qemu-system-x86 xz-utils busybox-static libcgroup-dev libsystemd-dev libsqlite3-dev \
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev libseccomp-dev chromium sqlite3
PKGS := libcgroup libsystemd sqlite3 libmicrohttpd jansson libcurl libseccomp

# Lazy on purpose: pkg-config runs only once `make deps` has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CLI_LIBS = $(shell pkg-config --libs jansson libcurl)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
ifeq ($(SANITIZE),1)
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),fuzz)
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(CFLAGS) $(WARN) -D_GNU_SOURCE -DCGWARDEN_VERSION='"$(VERSION)"' -Ilib -I$(BUILD)/gen \
	$(PKG_CFLAGS) -MMD -MP

LIB_SRC := $(wildcard lib/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
CLI_SRC := $(wildcard cli/*.c)
INIT_SRC := $(wildcard init/*.c)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/store-migrations.o
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/web-assets.o
WEB_FILES := $(sort $(wildcard web/*))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
INIT_OBJ := $(INIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/%)

.PHONY: all deps run check test-build fuzz-build v2vm-image unit integration bench install lint format check-format clean
all: $(BUILD)/cgwardend $(BUILD)/cgwarden-init $(BUILD)/cgwarden $(BUILD)/cgwarden-bench $(BUILD)/cgwarden-bench-sampling

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The start floor (bench/walls.c) calls cgwarden-init's modules.
$(BUILD)/obj/bench/walls.o: ALL_CFLAGS += -Iinit

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Idaemon -c $< -o $@

# Each schema/NNN-*.sql becomes one migration string, in file name order.
$(BUILD)/gen/store-migrations.c: $(sort $(wildcard schema/*.sql)) Makefile
	@mkdir -p $(@D)
	{ echo '#include "store-migrate.h"'; echo 'const char *const store_migrations[] = {'; \
	  for f in $(sort $(wildcard schema/*.sql)); do \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; echo ','; done; \
	  echo '};'; echo 'const size_t store_migrations_count = sizeof store_migrations / sizeof *store_migrations;'; \
	} > $@.tmp && mv $@.tmp $@

# The dashboard (web/ and uPlot from node_modules) is compiled into the daemon: nothing to
# find or fetch at run time. $(BUILD)/web/ holds the built files as served.
$(BUILD)/gen/web-assets.c: $(WEB_FILES) package-lock.json Makefile
	web/gen-assets.sh $(BUILD)

$(BUILD)/libcgwarden.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/cgwardend: $(DAEMON_OBJ) $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

# The first image of every started process (init/): the daemon execs it in the shim, so
# nothing of the daemon reaches a container. It needs libc alone, so the release build is
# static: no loader, no library to map, at every start (sanitizer builds cannot be static).
INIT_STATIC := $(if $(filter 0,$(SANITIZE)),-static,)
$(BUILD)/cgwarden-init: $(INIT_OBJ) $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) $(INIT_STATIC) -o $@ $^

# The attacks the confinement suite runs inside containers: static (a busybox rootfs has no
# libraries) and without sanitizers (it is the tenant, not our code).
$(BUILD)/cgwarden-attack: tests/attack/cgwarden-attack.c
	$(CC) -static -O1 -g $(WARN) -o $@ $<

$(BUILD)/cgwarden: $(CLI_OBJ) $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) -lm

# The start floor does cgwarden-init's work in-process (bench/walls.c), with its modules.
INIT_LIB_OBJ := $(filter-out $(BUILD)/obj/init/cgwarden-init.o,$(INIT_OBJ))
$(BUILD)/cgwarden-bench: $(BUILD)/obj/bench/bench.o $(BUILD)/obj/bench/walls.o $(INIT_LIB_OBJ) $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/cgwarden-bench-sampling: $(BUILD)/obj/bench/sampling.o $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/test-%: $(BUILD)/obj/tests/unit/test-%.o $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lm

$(BUILD)/fuzz-%: $(BUILD)/obj/tests/fuzz/fuzz-%.o $(BUILD)/libcgwarden.a
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

# Installs whatever Debian package is missing (needs root, as the daemon does), Node.js and
# npm if there is no npm, then the npm packages package-lock.json pins (uPlot, playwright-core).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing </dev/null; \
	fi
	@cmp -s package-lock.json node_modules/.cgwarden-lock 2>/dev/null || \
	  { npm ci --no-audit --no-fund </dev/null && cp package-lock.json node_modules/.cgwarden-lock; }

run: deps
	$(MAKE) --no-print-directory all
	$(BUILD)/cgwardend --print-dashboard-url

test-build:
	$(MAKE) --no-print-directory BUILD=build/test SANITIZE=1 build/test/cgwardend build/test/cgwarden-init build/test/cgwarden \
	  build/test/cgwarden-attack \
	  $(UNIT_SRC:tests/unit/%.c=build/test/%)

# libFuzzer targets, built with clang (the parsers are plain C, so both compilers see them).
fuzz-build:
	$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang SANITIZE=fuzz $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

# A small VM with Debian's kernel booted with cgroup_no_v1=all (tests/v2vm/README.md): the
# integration suite runs there against the cgroup v2 driver. Built once, kept in build/.
V2VM_DIR ?= build/v2vm
v2vm-image:
	@if [ ! -f $(V2VM_DIR)/vmlinuz ] || [ ! -x $(V2VM_DIR)/base/init ]; then \
	  tests/v2vm/cgroup-v2-vm.sh build $(V2VM_DIR) || \
	  { apt-get update -qq && tests/v2vm/cgroup-v2-vm.sh build $(V2VM_DIR); }; fi

check: deps
	$(MAKE) --no-print-directory all lint check-format
	$(MAKE) --no-print-directory test-build fuzz-build v2vm-image
	V2VM_DIR=$(V2VM_DIR) tests/run-all.sh build/test build/fuzz

# The benchmark's peer: Debian's crun (not needed to build, run or test).
BENCH_PACKAGES := crun
bench: deps
	@command -v crun >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES) </dev/null; }
	$(MAKE) --no-print-directory all
	bench/run.sh $(BUILD)

install: $(BUILD)/cgwardend $(BUILD)/cgwarden-init $(BUILD)/cgwarden
	install -Dm755 $(BUILD)/cgwardend $(DESTDIR)$(PREFIX)/sbin/cgwardend
	install -Dm755 $(BUILD)/cgwarden-init $(DESTDIR)$(PREFIX)/sbin/cgwarden-init
	install -Dm755 $(BUILD)/cgwarden $(DESTDIR)$(PREFIX)/bin/cgwarden
	install -Dm644 units/cgwardend.service $(DESTDIR)$(PREFIX)/lib/systemd/system/cgwardend.service
	sed -i -e 's|@SBINDIR@|$(PREFIX)/sbin|' -e 's|@DOCDIR@|$(PREFIX)/share/doc/cgwarden|' \
	  $(DESTDIR)$(PREFIX)/lib/systemd/system/cgwardend.service
	install -Dm644 README.md $(DESTDIR)$(PREFIX)/share/doc/cgwarden/README.md
	install -Dm644 schema/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/cgwarden/openapi.yaml

# Each third-party header belongs to exactly one module (STYLE.md); the store is store.c (desired
# state) and store-ts.c (accounting), two connections to one database.
lint:
	@fail=0; for pair in libcgroup.h:lib/cg-driver-v1.c sqlite3.h:lib/store*.c microhttpd.h:daemon/http.c \
	  curl/curl.h:cli/http-client.c systemd/sd-bus.h:lib/cg-systemd.c seccomp.h:lib/seccomp-profile.c; do \
	  h=$${pair%%:*}; owner=$${pair#*:}; \
	  for f in $$(grep -l "#include <$$h>" lib/*.c lib/*.h daemon/*.c daemon/*.h cli/*.c cli/*.h init/*.c init/*.h bench/*.c 2>/dev/null); do \
	    case "$$f" in $$owner|bench/*) ;; *) echo "lint: $$f includes <$$h>; only $$owner may"; fail=1;; esac; \
	  done; done; exit $$fail

format:
	clang-format -i lib/*.[ch] daemon/*.[ch] cli/*.[ch] init/*.[ch] tests/unit/*.c tests/fuzz/*.c bench/*.[ch]

check-format:
	clang-format --dry-run --Werror lib/*.[ch] daemon/*.[ch] cli/*.[ch] init/*.[ch] tests/unit/*.c tests/fuzz/*.c bench/*.[ch]

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
