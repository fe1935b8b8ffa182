# volley: one Makefile. Objects go to build/<variant>/, `V=1` shows full commands.
#   make            build ./volley
#   make test       install missing deps, build, run unit + integration tests
#   make demo       the main job against a local world
#   make tools      the test world's helpers in C: build/<variant>/delayproxy
#   make static     ./volley-static, with musl (ARCH=aarch64 or ARCH=armhf: cross builds)
#   make test-cross build the aarch64 and armhf static binaries, test them under qemu-user
#   make SANITIZE=address,undefined test   (or SANITIZE=thread)

CC       ?= cc
PREFIX   ?= /usr/local
SANITIZE ?=
comma    := ,
VARIANT  := $(if $(SANITIZE),$(subst $(comma),-,$(SANITIZE)),default)
BUILD    := build/$(VARIANT)

# mbedTLS 3.6, built from Debian's source package with third_party/mbedtls_config.h by
# tools/mbedtls.sh; its headers carry that configuration, so everything compiles against them.
MBEDTLS  := build/mbedtls
MBEDLIBS := $(MBEDTLS)/lib/libmbedtls.a $(MBEDTLS)/lib/libmbedx509.a $(MBEDTLS)/lib/libmbedcrypto.a

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -Iinclude -I$(MBEDTLS)/include \
            -MMD -MP -pthread
LDLIBS   := $(MBEDLIBS) -lcares -lpthread
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

SRCS     := $(wildcard src/*.c)
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o)
LIBOBJS  := $(filter-out $(BUILD)/main.o,$(OBJS))
UNITS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BIN      := $(if $(SANITIZE),$(BUILD)/volley,volley)
DELAYPROXY := $(BUILD)/delayproxy

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps deps-cross tools test test-cross unit integration demo bench stress fuzz fmt clean \
	asan install uninstall static
all: $(BIN)

$(BIN): $(OBJS)
	@echo "LINK $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libvolley.a: $(LIBOBJS)
	@echo "AR   $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(MBEDLIBS) | $(BUILD)
	@echo "CC   $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libvolley.a | $(BUILD)
	@mkdir -p $(BUILD)/tests
	@echo "CC   $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvolley.a -lcmocka $(LDLIBS)

# tools/delayproxy.c: one file, libc only (the latency world of the tests and make bench).
tools: $(DELAYPROXY)

$(DELAYPROXY): tools/delayproxy.c | $(BUILD)
	@echo "CC   $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD):
	@mkdir -p $@

# Rebuilt when volley's configuration or the script changes (the script itself skips a build it
# already has); the first build fetches the source package, so it needs the network.
$(MBEDLIBS) &: third_party/mbedtls_config.h tools/mbedtls.sh
	@V="$(V)" tools/mbedtls.sh
	@touch $(MBEDLIBS)

deps:
	@tools/deps.sh
	@V="$(V)" tools/mbedtls.sh

deps-cross:
	@tools/deps.sh cross
	@V="$(V)" tools/mbedtls.sh

unit: $(UNITS)
	@tools/run-unit.sh $(UNITS)

integration: $(BIN) $(DELAYPROXY)
	@VOLLEY=$(abspath $(BIN)) DELAYPROXY=$(abspath $(DELAYPROXY)) tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory unit integration

# The cross builds and their tests (tests/integration/t_static.sh for aarch64 and armhf, under
# qemu-user): a few minutes on a fresh machine, so .ci/run calls it after make test.
test-cross: deps-cross
	@$(MAKE) --no-print-directory all
	@VOLLEY=$(abspath $(BIN)) STATIC_ARCHES="aarch64 armhf" tests/integration/run.sh static

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all tools
	@DELAYPROXY=$(abspath $(DELAYPROXY)) tools/bench.sh

stress: deps
	@$(MAKE) --no-print-directory all
	@tools/stress.sh

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 30
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh

# One statically linked, stripped binary with musl (tools/static.sh): ./volley-static, or
# ./volley-static-aarch64 / ./volley-static-armhf with ARCH=aarch64 / ARCH=armhf (cross compilers
# from `make deps-cross`).
ARCH ?= x86_64
static:
	@V="$(V)" tools/static.sh $(ARCH)

asan:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined test

fmt:
	clang-format -i src/*.c include/*.h tests/*.c tests/fuzz/*.c tools/*.c

install: volley
	install -Dm755 volley $(DESTDIR)$(PREFIX)/bin/volley
	install -Dm644 volley.1 $(DESTDIR)$(PREFIX)/share/man/man1/volley.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/volley $(DESTDIR)$(PREFIX)/share/man/man1/volley.1

clean:
	rm -rf build volley volley-static volley-static-aarch64 volley-static-armhf

-include $(OBJS:.o=.d) $(UNITS:=.d) $(DELAYPROXY).d
