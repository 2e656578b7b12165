# ddmreport - build, test, demo.  `make demo` and `make test` are the two
# commands the README starts with.

CC      ?= cc
PKGS    := sqlite3 xlsxwriter libpcre2-8
# Computed when first used, not when make starts: on a fresh machine `deps`
# installs the libraries first, and the build runs in a sub-make after it.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wformat=2
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += -std=c11 $(WARN) $(OPT) $(PKG_CFLAGS) -Isrc -Ibuild -MMD -MP -pthread
LDLIBS  += $(PKG_LIBS) -lcsv -lm -pthread
ifeq ($(CI),true)
CFLAGS  += -Werror
endif

# Quiet output; V=1 shows full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD   := build
SRC     := $(wildcard src/*.c src/sources/*.c)
OBJ     := $(patsubst src/%.c,$(BUILD)/%.o,$(SRC)) $(BUILD)/embedded.o
LIBOBJ  := $(filter-out $(BUILD)/main.o,$(OBJ))
RES     := $(sort $(wildcard queries/*.sql queries/reports/*.sql queries/formats/*.fmt queries/formats/*.map templates/*.tmpl templates/*.map))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Fuzz targets: libFuzzer builds with clang (make fuzz); the saved corpus is
# replayed by gcc-built drivers in make test (build/tests/test_fuzz_*).
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY  := $(patsubst %,$(BUILD)/tests/test_fuzz_%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
# What `make demo` needs from Debian: the compiler and the four libraries
# (and the zone database; zlib1g-dev because libxlsxwriter's pkg-config
# file links -lz but libxlsxwriter-dev does not depend on it).  `make test`
# adds TEST_PKGS: openpyxl reads the workbooks, xmllint checks their XML,
# LibreOffice converts them to PDF and CSV and poppler reads the PDF,
# strace slows a run's renames down so a stop signal lands between them,
# sqlite3 and man check the rest.  CI adds CI_PKGS (format check,
# sanitizers, valgrind): make deps-ci.
DEB_PKGS  := build-essential pkg-config libsqlite3-dev libxlsxwriter-dev zlib1g-dev libcsv-dev libpcre2-dev tzdata
TEST_PKGS := python3 python3-openpyxl libxml2-utils sqlite3 man-db groff-base util-linux libreoffice-calc-nogui poppler-utils strace

CI_PKGS  := clang-format clang libclang-rt-14-dev valgrind git

.PHONY: all test unit e2e demo deps deps-test deps-ci check clean sanitize valgrind format check-format check-long fuzz coverage bench bench-quick install uninstall screenshots

# make install [PREFIX=/usr/local] [DESTDIR=staging dir] [BINDIR=...] [MANDIR=...]
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

all: ddmreport

ddmreport: $(OBJ)
	@echo "  LINK  $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(OBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	@mkdir -p $(@D)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/embed: src/tools/embed.c | $(BUILD)
	$(Q)$(CC) -std=c11 -O1 -o $@ $<

$(BUILD)/embedded.c: $(BUILD)/embed $(RES)
	@echo "  EMBED queries/ templates/"
	$(Q)$(BUILD)/embed $@ $(RES)

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJ) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIBOBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIBOBJ) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -DCORPUS='"tests/fuzz/corpus/$*"' -o $@ $< tests/fuzz/replay.c $(LIBOBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD):
	@mkdir -p $(BUILD)

# Installs what is missing from Debian's packages (as root), or says what to run.
deps:
	@missing=""; for p in $(DEB_PKGS) $(EXTRA_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages; run as root:"; \
	    echo "  apt-get update && apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

deps-test:
	$(Q)$(MAKE) --no-print-directory deps EXTRA_PKGS="$(TEST_PKGS)"

deps-ci:
	$(Q)$(MAKE) --no-print-directory deps EXTRA_PKGS="$(TEST_PKGS) $(CI_PKGS)"

unit: $(UNIT)

# test and demo install what is missing first, then build in a sub-make, so
# the link flags are read after the libraries exist.
test: deps-test
	$(Q)$(MAKE) --no-print-directory check

check: ddmreport $(UNIT) $(FUZZ_REPLAY)
	$(Q)LC_ALL=C TZ=UTC sh tests/run.sh

# The nightly job over the sample fleet, as of the samples' last night.
demo: deps
	$(Q)$(MAKE) --no-print-directory ddmreport
	@mkdir -p reports
	./ddmreport run --db reports/demo.db --out reports --as-of 2026-11-26T12:00:00Z --max-rejected 5% samples/
	@echo "reports written to reports/ (ddmreport.xlsx and one CSV per report); devices by classification:"
	@cut -d, -f1,2 reports/summary.csv | tail -n +2 | tr , ' ' \
	  | while read c n; do printf '  %-18s %5s\n' "$$c" "$$n"; done

# The README's PNGs of the Summary and a detail sheet, from samples/.
screenshots: deps-test
	$(Q)$(MAKE) --no-print-directory ddmreport
	sh docs/screenshots.sh

# Every figure of issue 10 as a ratio to a reference timed in the same run
# (sqlite3 .import, jq, pandas, a bare libxlsxwriter program), medians of 3
# whole-process runs, written to bench/RESULTS.md.  BENCH_DEVICES=100000
# picks a smaller fleet (see tests/bench/bench.py for the other settings).
BENCH_PKGS := python3 sqlite3 jq python3-pandas python3-xlsxwriter
bench: deps
	$(Q)$(MAKE) --no-print-directory deps EXTRA_PKGS="$(BENCH_PKGS)"
	$(Q)$(MAKE) --no-print-directory ddmreport
	$(Q)BENCH_RESULTS=$${BENCH_RESULTS-bench/RESULTS.md} /usr/bin/python3 tests/bench/bench.py

# CI: the same harness at 10,000 devices, one run per figure, 5 nights of
# history; prints the table, asserts no timing, writes no results file.
bench-quick: deps
	$(Q)$(MAKE) --no-print-directory deps EXTRA_PKGS="$(BENCH_PKGS)"
	$(Q)$(MAKE) --no-print-directory ddmreport
	$(Q)BENCH_DEVICES=10000 BENCH_HISTORY=2000 BENCH_NIGHTS=5 BENCH_RUNS=1 BENCH_RESULTS= \
	  /usr/bin/python3 tests/bench/bench.py

sanitize:
	$(MAKE) clean
	$(MAKE) test OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined"

# Every unit suite and end-to-end case under valgrind (slow: nightly tier).
# The kill and lock tests time the binary, so they run unwrapped.
valgrind: ddmreport $(UNIT) $(FUZZ_REPLAY)
	$(Q)LC_ALL=C TZ=UTC DDM_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" sh tests/run.sh

# Nightly tier: 20 kills on a 1,000,000-row export, then valgrind.
check-long: ddmreport $(UNIT) $(FUZZ_REPLAY)
	$(Q)LC_ALL=C TZ=UTC DDM_BIG_ROWS=1000000 DDM_KILLS=20 DDM_E2E_FILTER=test_reliability /usr/bin/python3 tests/e2e/runner.py
	$(MAKE) valgrind

# libFuzzer: each target for FUZZ_SECONDS, growing build/fuzz/corpus-NAME
# from the saved corpus; copy new crashers into tests/fuzz/corpus/NAME and
# they replay in make test.  One target: make fuzz FUZZ_TARGETS=json.
fuzz: $(BUILD)/embedded.c
	@mkdir -p $(BUILD)/fuzz
	$(Q)for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  $(FUZZ_CC) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(PKG_CFLAGS) -Isrc -Ibuild -o $(BUILD)/fuzz/$$t tests/fuzz/fuzz_$$t.c \
	    $(filter-out src/main.c,$(SRC)) $(BUILD)/embedded.c $(PKG_LIBS) -lcsv -lm || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
	    >$(BUILD)/fuzz/$$t.log 2>&1; rc=$$?; \
	  grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-" $(BUILD)/fuzz/$$t.log; \
	  test $$rc = 0 || exit 1; \
	done

# Line coverage with gcov over make test: overall and src/cell.c.
coverage:
	$(MAKE) clean
	$(MAKE) test OPT="-O0 -g --coverage" LDFLAGS="--coverage"
	$(Q)/usr/bin/python3 tests/coverage.py $(BUILD)

FORMAT_SRC := src/*.c src/*.h src/sources/*.c src/sources/*.h src/tools/*.c tests/unit/*.c tests/unit/*.h

format:
	clang-format -i $(FORMAT_SRC)

check-format:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf $(BUILD) ddmreport

install: ddmreport
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 ddmreport $(DESTDIR)$(BINDIR)/ddmreport
	install -m 0644 src/ddmreport.1 $(DESTDIR)$(MANDIR)/man1/ddmreport.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ddmreport $(DESTDIR)$(MANDIR)/man1/ddmreport.1

-include $(OBJ:.o=.d)
