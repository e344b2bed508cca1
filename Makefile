# Makefile: builds epcache (ref/), cachetorture (harness/), the broken
# variants of the reference, the tests, the fuzzers and the bench.
#
#   make            build everything into $(BUILD)/
#   make run        run the whole scenario suite against the reference
#   make check      every test
#   make check-san SAN=1   unit suites and quick integration tests under
#                   ASan and UBSan (what CI adds to make check)
#   make bench      measure, and rewrite the table in BENCH.md
#   make fuzz       run the libFuzzer targets (FUZZ_SECONDS each)
#   make install    PREFIX=/usr/local DESTDIR=...
#   make lint       clang-format check, cppcheck, banned functions

CC       ?= cc
CFLAGS   ?= -O2 -g
CPPFLAGS ?=
LDFLAGS  ?=
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
SAN      ?= 0
PYTHON   ?= /usr/bin/python3

ifeq ($(SAN),1)
BUILD    ?= build-san
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD    ?= build
SANFLAGS  =
endif

STD   = -std=c11 -D_GNU_SOURCE
WARN  = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) $(SANFLAGS)

# pkg-config is asked lazily (recursive '='), after tools/deps.sh ran.
PC_CFLAGS  = $(shell pkg-config --cflags jansson check 2>/dev/null)
JANSSON    = $(shell pkg-config --libs jansson 2>/dev/null)
CHECKLIBS  = $(shell pkg-config --libs check 2>/dev/null)

DEPS_OK = $(BUILD)/.deps-ok

REF_LIB_SRC = $(filter-out ref/main.c,$(wildcard ref/*.c))
REF_LIB_OBJ = $(REF_LIB_SRC:%.c=$(BUILD)/%.o)
# The harness is one level of folders by stage (util/, load/, world/, ...),
# with a few modules still at the top; every one of them goes into
# libharness.a, objects mirroring the tree under $(BUILD)/harness/. The
# command's main() is harness/cmd/main.c once it has moved there.
HAR_MAIN_SRC = $(firstword $(wildcard harness/cmd/main.c) harness/main.c)
HAR_LIB_SRC = $(filter-out harness/main.c harness/cmd/main.c,$(wildcard harness/*.c harness/*/*.c))
HAR_LIB_OBJ = $(HAR_LIB_SRC:%.c=$(BUILD)/%.o)
# Harness includes are written relative to harness/: "util/strbuf.h".
HAR_INC = -Iharness

# The broken variants: one documented flaw each (ref/flaw.h, tests/variants.tsv).
VARIANTS = stamp-after-scan cache-mtime no-guard mtime-only-key whole-second-key \
	forward-only in-place-write tmpdir-copy blocking-lock exit-on-damage leak-tmp \
	fail-without-home index-skip never-hits deep-dirs-only waits-to-settle no-rescan
VARIANT_BINS = $(VARIANTS:%=$(BUILD)/variants/epcache-%)

REF_TESTS = $(patsubst tests/ref/%.c,$(BUILD)/tests/ref/%,$(wildcard tests/ref/check_*.c))
HAR_TESTS = $(patsubst tests/harness/%.c,$(BUILD)/tests/harness/%,$(wildcard tests/harness/check_*.c))

BINS = $(BUILD)/epcache $(BUILD)/libepcache.a $(BUILD)/cachetorture $(BUILD)/ctbench

.PHONY: all run check check-unit check-san bench fuzz install uninstall lint clean deps variants
all: $(BINS) variants

variants: $(VARIANT_BINS)

deps: $(DEPS_OK)
$(DEPS_OK):
	@sh tools/deps.sh test
	@mkdir -p $(@D) && touch $@

$(BUILD)/ref/%.o: ref/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(PC_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/harness/%.o: harness/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(PC_CFLAGS) $(HAR_INC) -MMD -MP -c -o $@ $<

$(BUILD)/libepcache.a: $(REF_LIB_OBJ)
	$(AR) rcs $@ $^

# Made afresh: a module that moved to a folder must not linger as a stale
# member, and two objects of the same name in different folders must not
# replace each other (ar matches members by file name alone).
$(BUILD)/libharness.a: $(HAR_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/epcache: $(BUILD)/ref/main.o $(BUILD)/libepcache.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON) -lpthread

$(BUILD)/cachetorture: $(HAR_MAIN_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libharness.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON) -lpthread -lm

# The bench links both sides on purpose: it times the reference's library
# against floors and the harness's checker against its target.
$(BUILD)/ctbench: $(BUILD)/tools/bench.o $(BUILD)/libepcache.a $(BUILD)/libharness.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON) -lpthread -lm

$(BUILD)/tools/%.o: tools/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(PC_CFLAGS) -Iref $(HAR_INC) -MMD -MP -c -o $@ $<

# One rule set per variant: the reference compiled with -DEPCACHE_FLAW=FLAW_<NAME>.
define variant_rules
$(BUILD)/variants/$(1)/%.o: ref/%.c | $(DEPS_OK)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(ALL_CFLAGS) $$(PC_CFLAGS) -DEPCACHE_FLAW=FLAW_$(2) -MMD -MP -c -o $$@ $$<
$(BUILD)/variants/epcache-$(1): $(patsubst ref/%.c,$(BUILD)/variants/$(1)/%.o,$(wildcard ref/*.c))
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(JANSSON) -lpthread
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v),$(shell echo $(v) | tr a-z- A-Z_))))

# Unit tests: Check suites, one per module.
$(BUILD)/tests/ref/%: tests/ref/%.c $(BUILD)/libepcache.a | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(PC_CFLAGS) -Iref -MMD -MP -o $@ $< $(BUILD)/libepcache.a $(CHECKLIBS) $(JANSSON) -lpthread

$(BUILD)/tests/harness/%: tests/harness/%.c $(BUILD)/libharness.a | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(PC_CFLAGS) $(HAR_INC) -MMD -MP -o $@ $< $(BUILD)/libharness.a $(CHECKLIBS) $(JANSSON) -lpthread -lm

run: all
	@mkdir -p results
	$(BUILD)/cachetorture run --impl '$(BUILD)/epcache' --scenario scenarios --out results/seed
	$(BUILD)/cachetorture run --impl '$(BUILD)/epcache --deep' --scenario scenarios --level strict --out results/strict

# `make check` is the README's test command and what .ci/run calls.
check: all $(REF_TESTS) $(HAR_TESTS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) SAN=$(SAN) sh tests/run.sh

# The unit suites alone, and (with SAN=1 in CI) the unit suites plus the
# quick integration tests: the sanitized harness and epcache run for real,
# without the minutes of scenarios that `check` already spent.
check-unit: $(BUILD)/epcache $(BUILD)/cachetorture $(REF_TESTS) $(HAR_TESTS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) SAN=$(SAN) CHECK_SCOPE=unit sh tests/run.sh

check-san: $(BUILD)/epcache $(BUILD)/cachetorture $(REF_TESTS) $(HAR_TESTS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) SAN=$(SAN) CHECK_SCOPE=quick sh tests/run.sh

bench: all
	@BUILD=$(BUILD) PYTHON=$(PYTHON) sh tools/bench.sh

FUZZ_SECONDS ?= 600
FUZZ_TARGETS = parse cachefile
fuzz: $(DEPS_OK)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz.sh $(FUZZ_TARGETS)

install: $(BUILD)/epcache $(BUILD)/libepcache.a
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/epcache $(DESTDIR)$(BINDIR)/epcache
	install -m 0644 $(BUILD)/libepcache.a $(DESTDIR)$(LIBDIR)/libepcache.a
	install -m 0644 ref/epcache.h $(DESTDIR)$(INCDIR)/epcache.h
	install -m 0644 ref/epcache.1 $(DESTDIR)$(MANDIR)/man1/epcache.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/epcache $(DESTDIR)$(LIBDIR)/libepcache.a \
		$(DESTDIR)$(INCDIR)/epcache.h $(DESTDIR)$(MANDIR)/man1/epcache.1

lint:
	@sh tools/lint.sh

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
