# tcpscope build. Outputs go to build/. V=1 shows commands, SANITIZE=1 adds
# ASan+UBSan to user code, DEBUG=1 builds user code with -O0.
# ARCH=arm64 on another machine cross-builds into build/arm64/ with
# CROSS_COMPILE (default aarch64-linux-gnu-) and the arm64 vmlinux.h.
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH      := $(HOST_ARCH)
TRIPLE_x86   := x86_64-linux-gnu
TRIPLE_arm64 := aarch64-linux-gnu
VMLINUX_x86   := x86_64
VMLINUX_arm64 := arm64
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= $(TRIPLE_$(ARCH))-
OUTPUT    ?= build/$(ARCH)
endif
ifneq ($(CROSS_COMPILE),)
ifeq ($(origin CC),default)
CC        := $(CROSS_COMPILE)gcc
endif
endif
OUTPUT    ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PREFIX    ?= /usr/local
DESTDIR   ?=
VMLINUX   := vmlinux/$(VMLINUX_$(ARCH))
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARNINGS  := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
             -Wstrict-prototypes -Wundef -Werror
CFLAGS    ?= -O2 -g
ifeq ($(DEBUG),1)
CFLAGS    := -O0 -g
endif
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARNINGS) -D_GNU_SOURCE \
              -DTCPSCOPE_VERSION='"$(VERSION)"' -Iinclude -Isrc -I$(OUTPUT) -MMD -MP
LDLIBS    := -lbpf -lelf -lz -lpthread -lm
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I$(VMLINUX) -Iinclude -Ibpf

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# src/<subsystem>/*.c; only the tracer's objects include the skeleton.
SRCS      := $(wildcard src/*/*.c)
OBJS      := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(SRCS))
LIB_OBJS  := $(filter-out $(OUTPUT)/obj/cli/main.o,$(OBJS))
TRACER_OBJS := $(filter $(OUTPUT)/obj/tracer/%.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%.o,$(UNIT_SRCS))

.PHONY: all clean test test-arm64 test-all test-vm-full unit install uninstall bench fuzz format format-check FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/tcpscope

$(OUTPUT) $(OUTPUT)/obj $(OUTPUT)/unit:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c include/tcpscope.h $(wildcard bpf/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Objects depend on the flags they were built with: `make SANITIZE=1` after
# a plain `make` rebuilds everything.
$(OUTPUT)/.flags: FORCE | $(OUTPUT)
	$(Q)echo '$(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(ALL_CFLAGS) $(LDFLAGS)' > $@

$(OUTPUT)/obj/%.o: src/%.c $(OUTPUT)/.flags
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(TRACER_OBJS): $(SKELS)

$(OUTPUT)/unit/%.o: tests/unit/%.c $(OUTPUT)/.flags | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c $< -o $@

# The HTML report's stylesheet and drawing code, as C strings.
$(OUTPUT)/report_assets.h: src/report/report.css src/report/report.js | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)for f in $^; do echo "static const char $$(basename $$f | tr . _)[] ="; \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; echo ";"; \
	done > $@

$(OUTPUT)/obj/report/report.o: $(OUTPUT)/report_assets.h

$(OUTPUT)/tcpscope: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Unit tests take from an archive only the objects they use: no command
# line, no tracer.
UNIT_LIB  := $(OUTPUT)/unit/libtcpscope.a
$(UNIT_LIB): $(filter-out $(OUTPUT)/obj/cli/%,$(OBJS)) | $(OUTPUT)/unit
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# No libbpf: a unit test that pulls in the tracer fails to link.
$(OUTPUT)/unit-tests: $(UNIT_OBJS) $(UNIT_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lpthread -lm -o $@

unit: $(OUTPUT)/unit-tests

# libFuzzer targets (clang only): the parsers and the event decoder, with
# ASan+UBSan. Each procfs target is fuzz_procfs.c built for one parser.
FUZZ_CC     := $(CLANG)
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARNINGS) -D_GNU_SOURCE \
               -DTCPSCOPE_VERSION='"$(VERSION)"' -Iinclude -Isrc -I$(OUTPUT) -Itests/fuzz -MMD -MP \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_PROCFS := snmp snmp6 sockstat softnet sysctl
FUZZ_NAMES  := cli addr sockdiag events $(addprefix procfs_,$(FUZZ_PROCFS))
FUZZ_BINS   := $(addprefix $(OUTPUT)/fuzz/,$(FUZZ_NAMES))
FUZZ_LIB    := $(patsubst src/%.c,$(OUTPUT)/fuzz/obj/%.o,$(filter-out src/cli/main.c,$(SRCS)))

$(filter $(OUTPUT)/fuzz/obj/tracer/%.o,$(FUZZ_LIB)): $(SKELS)
$(OUTPUT)/fuzz/obj/report/report.o: $(OUTPUT)/report_assets.h

$(OUTPUT)/fuzz/obj:
	$(Q)mkdir -p $@

$(OUTPUT)/fuzz/obj/%.o: src/%.c $(OUTPUT)/.flags | $(OUTPUT)/fuzz/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUTPUT)/fuzz/obj/fuzz_%.o: tests/fuzz/fuzz_%.c $(OUTPUT)/.flags | $(OUTPUT)/fuzz/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c $< -o $@

$(OUTPUT)/fuzz/obj/fuzz_procfs_%.o: tests/fuzz/fuzz_procfs.c $(OUTPUT)/.flags | $(OUTPUT)/fuzz/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DPARSER=$(shell echo $* | tr a-z A-Z) \
		-c $< -o $@

$(OUTPUT)/fuzz/%: $(OUTPUT)/fuzz/obj/fuzz_%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

fuzz: $(FUZZ_BINS)

# The whole suite: unit tests, then (as root) the integration tests;
# VM=debian12 also runs the kernel-facing ones in Debian 12's kernel under
# QEMU (tests/vm/run), in the same count.
test: all unit
	$(Q)tests/run $(if $(VM),--vm $(VM) $(if $(VM_ARCH),--arch $(VM_ARCH)))

# The arm64 cross build's smoke run in Debian 12's arm64 kernel under
# qemu-system-aarch64 (2-5 min; scripts/install-deps.sh --arm64).
test-arm64:
	$(Q)tests/vm/run --arch arm64

# In one count: this machine's kernel, then Debian 12's 6.1 under QEMU:
# x86_64's CI set (tests/vm/run's VM_CI) and arm64's smoke
# set (what CI runs). VM_ARCH=arm64 leaves x86_64 out.
VM_ARCH ?= x86_64,arm64
test-all: all unit
	$(Q)tests/run --vm debian12 --arch $(VM_ARCH)

# Every tracer script in Debian 12's x86_64 6.1 under QEMU (tests/vm/run
# --full: 30+ min on 2 loaded cores without KVM; docs/kernels.md).
test-vm-full: all
	$(Q)tests/vm/run --kernel debian12 --arch x86_64 --full

# The C sources in .clang-format's style; scripts/lint.sh fails on any
# file it would change.
FORMAT_SRCS = $(wildcard src/*/*.[ch] include/*.h bpf/*.c bpf/*.h tests/unit/*.[ch] \
		tests/fuzz/*.c bench/*.c)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

bench: all
	$(Q)bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/doc/tcpscope
	install -m 0755 $(OUTPUT)/tcpscope $(DESTDIR)$(PREFIX)/sbin/tcpscope
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/tcpscope/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 docs/tcpscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcpscope.8
	install -m 0644 scripts/completion/tcpscope.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpscope

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/tcpscope
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/tcpscope
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/tcpscope.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpscope

clean:
	rm -rf $(OUTPUT)

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(wildcard $(OUTPUT)/fuzz/obj/*.d)
