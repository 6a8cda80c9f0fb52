# airca: build, install dependencies, test, demo, fuzz, bench.
#
#   make          build/airca (release build); never installs anything
#   make deps     install every Debian package needed to build and test
#   make test     sanitizer build (ASan+UBSan, -Werror) + unit, integration, tui tests
#   make demo     a narrated ceremony on a fresh SoftHSM token in a temp home
#   make fuzz     libFuzzer harnesses, bounded time (clang)
#   make mutate   every mutant of tests/mutants/mutants.tsv against its tests
#                 (release build; a table and the mutation score; minutes)
#   make faults   ENOSPC/EIO/SIGKILL at every Nth write, fsync, rename, open
#                 of the commands that write (tests/faults/; long)
#   make bench    benchmarks beside their peers (never fail)
#   make install  PREFIX (default /usr/local) and DESTDIR honoured
#   make deb      the Debian package, in build/deb-pkg/ (debian/, debhelper)
#   make test-deb builds it, lintian, runs the packaged demo (minutes: not in 'make test')
#   make test-tokens  integration tests again on openCryptoki and a swtpm
#                 (AIRCA_TEST_TOKEN; minutes: not in 'make test')

# Every Debian package airca needs to build, test, fuzz and bench.  The
# last two lines are for tests only: the openCryptoki and TPM 2.0 (swtpm) tokens
# of tests/integration/token-*.sh, and Go for go-factory.sh.
DEB_PKGS = pkg-config libssl-dev openssl libp11-dev libengine-pkcs11-openssl \
	p11-kit libp11-kit-dev softhsm2 opensc libjansson-dev libinih-dev \
	libqrencode-dev libncurses-dev libpkcs11-helper1-dev tmux faketime \
	libfaketime gnutls-bin iproute2 clang libclang-rt-14-dev time \
	python3 util-linux strace gdb dpkg-dev debhelper fakeroot lintian \
	opencryptoki libtpm2-pkcs11-1 libtpm2-pkcs11-tools swtpm tpm2-abrmd \
	tpm2-tools dbus-daemon \
	golang-go \
	libgfshare-dev

PKGS     = libp11 jansson inih libqrencode p11-kit-1 libgfshare
TUI_PKGS = ncursesw

CC      ?= cc
BUILD   ?= build
VERSION  = 0.1.0

# Where 'make install' puts things; DESTDIR is prepended at install time
# only (packaging).  The binary looks for its data beside itself first
# (<bin>/../share/airca), then at DATADIR, compiled in.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/airca
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/airca
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

WARN    = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wno-deprecated-declarations -Werror
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -DAIRCA_VERSION='"$(VERSION)"' \
	  $(WARN) -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
OPT     ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypto -lpthread
TUI_LIBS = $(shell pkg-config --libs $(TUI_PKGS) 2>/dev/null)

# Core library sources (one concern per file) and the CLI commands.
# The core does not link the CLI: cmd.c (the table, cmd_run) is the CLI's.
CORE_SRCS = $(filter-out src/main.c src/cmd.c src/cmd-%.c, $(wildcard src/*.c))
CMD_SRCS  = src/main.c src/cmd.c $(wildcard src/cmd-*.c)
TUI_SRCS  = $(wildcard tui/*.c)

CORE_OBJS = $(CORE_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS  = $(CMD_SRCS:%.c=$(BUILD)/%.o)
TUI_OBJS  = $(TUI_SRCS:%.c=$(BUILD)/%.o)

UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

CFLAGS ?=
CFLAGS += $(BASE_CFLAGS) $(OPT)
LDFLAGS ?=

.PHONY: all bins deps check-deps test test-unit test-integration test-tui demo \
	fuzz faults bench clean install deb test-deb test-tokens mutate FORCE

all: check-deps $(BUILD)/airca

bins: $(BUILD)/airca $(UNIT_BINS) $(BUILD)/tests/gen-csrs $(BUILD)/tests/p11shim.so

# src/ is compiled without tui/ on its include path, so a core file that
# included a TUI header would not build; only tui/ sees tui/ and curses.
$(BUILD)/%.o: %.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tui/%.o: tui/%.c $(wildcard src/*.h tui/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Itui $(shell pkg-config --cflags $(TUI_PKGS) 2>/dev/null) -c $< -o $@

# DATADIR is compiled into datadir.o: rebuild it when DATADIR changes.
$(BUILD)/datadir.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(BUILD)/src/datadir.o: CFLAGS += -DAIRCA_DATADIR='"$(DATADIR)"'
$(BUILD)/src/datadir.o: $(BUILD)/datadir.flags
FORCE:

$(BUILD)/libairca.a: $(CORE_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/airca: $(CMD_OBJS) $(TUI_OBJS) $(BUILD)/libairca.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJS) $(TUI_OBJS) $(BUILD)/libairca.a \
		$(LIBS) $(TUI_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libairca.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libairca.a $(LIBS)

# Device requests in bulk, for the batch tests and bench (not a unit test).
$(BUILD)/tests/gen-csrs: tests/bench/gen-csrs.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $< -lcrypto

# The fault and latency injecting PKCS#11 module of the tests
# (tests/p11shim/README.md): built with the same flags, so under the
# sanitizer build it is instrumented too and loads into that airca.
$(BUILD)/tests/p11shim.so: tests/p11shim/p11shim.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl -lpthread

# Install missing Debian packages (as root, or through sudo).
deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# A plain 'make' only checks that the libraries are there and says how to
# get them; 'make deps' (and test, fuzz, which need every package of
# DEB_PKGS, not a sample: faketime, gnutls-bin) installs them.
check-deps:
	@pkg-config --exists $(PKGS) $(TUI_PKGS) 2>/dev/null || { \
		echo "airca: missing build libraries ($$(for p in $(PKGS) $(TUI_PKGS); do \
			pkg-config --exists $$p 2>/dev/null || printf ' %s' $$p; done) ): run 'make deps'" >&2; \
		exit 1; }

# Tests run on a sanitizer build in its own directory.
SAN_BUILD = build/san
SAN_OPT   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=undefined

# After the tests: every mutant's pattern still applies (a second), and a
# sample of the mutants (flag 'sample' in
# tests/mutants/mutants.tsv: the most dangerous, each against its own unit
# tests, on a scratch copy of build/san): one that survives fails the run.
test: deps
	$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) OPT="$(SAN_OPT)" bins
	AIRCA_BUILD=$(SAN_BUILD) tests/run.sh
	python3 tests/mutants/run.py --check
	python3 tests/mutants/run.py --sample --no-baseline \
		--build $(SAN_BUILD) --opt "$(SAN_OPT)"

# Every mutant on a scratch copy of the release build (faster to run than
# the sanitizer build; a mutant is judged by behaviour, not memory errors).
mutate: all bins
	python3 tests/mutants/run.py --build $(BUILD) --report $(BUILD)/mutants.md

demo: all
	AIRCA_DEMO_BIN=$(BUILD)/airca $(BUILD)/airca demo

fuzz: deps
	tests/fuzz/run.sh

# The integration tests that use only tests/lib.sh's helpers, again on the
# other token backends (tests/tokens.sh): make test runs token-*.sh only.
TOKEN_TESTS = sign device-ca lifecycle api-sign batch journal
test-tokens: deps
	$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) OPT="$(SAN_OPT)" bins
	@fails=0; for tok in opencryptoki tpm2; do for t in $(TOKEN_TESTS); do \
		log=$(SAN_BUILD)/test-logs/token-$$tok-$$t.log; mkdir -p $(SAN_BUILD)/test-logs; \
		if AIRCA_TEST_TOKEN=$$tok AIRCA_BUILD=$(SAN_BUILD) bash tests/integration/$$t.sh >$$log 2>&1; \
		then echo "ok   $$tok $$t"; else echo "FAIL $$tok $$t (log: $$log)"; fails=$$((fails + 1)); fi; \
	done; done; [ $$fails -eq 0 ]

# The full write-failure and kill sweep on the release build: a table and a
# summary line; tests/faults/known-failures lists what is not fixed yet.
faults: all $(BUILD)/tests/gen-csrs
	AIRCA_BUILD=$(BUILD) tests/faults/run.sh

bench: all
	tests/bench/run.sh

# Honours PREFIX (and BINDIR, DATADIR, MANDIR, DOCDIR) and DESTDIR.
DOCS = README.md docs/*.md docs/verify-journal.sh
# Builds what it installs but never runs 'make deps' (packaging calls it).
install: $(BUILD)/airca
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/hsm-profiles \
		$(DESTDIR)$(DATADIR)/ceremony-scripts $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/airca $(DESTDIR)$(BINDIR)/airca
	install -m 644 hsm-profiles/*.conf $(DESTDIR)$(DATADIR)/hsm-profiles/
	install -m 644 ceremony-scripts/*.ceremony $(DESTDIR)$(DATADIR)/ceremony-scripts/
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	if [ -f docs/completion/airca.bash ]; then \
		install -d $(DESTDIR)$(BASHCOMPDIR) && \
		install -m 644 docs/completion/airca.bash $(DESTDIR)$(BASHCOMPDIR)/airca; \
	fi

# The Debian package: debian/ drives this Makefile (debhelper compat 13).
# Built from a copy of the tree in build/deb-pkg/, so dpkg-buildpackage
# writes the .deb there and not beside the checkout; tests/pkg/deb.sh
# (make test-deb) checks it with lintian and runs the installed demo.
DEB_DIR = build/deb-pkg
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/airca-$(VERSION)
	tar -c --exclude=./build --exclude=./.git . | tar -x -C $(DEB_DIR)/airca-$(VERSION)
	cd $(DEB_DIR)/airca-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

test-deb:
	bash tests/pkg/deb.sh

clean:
	rm -rf build

# test-ceremony checks the shipped scripts against the real command table,
# so it links the command objects (all but main.o) as well, and the TUI's
# (the table lists 'tui').
CMD_NOMAIN_OBJS = $(filter-out $(BUILD)/src/main.o, $(CMD_OBJS))
$(BUILD)/tests/test-ceremony: tests/unit/test-ceremony.c tests/unit/check.h \
		$(CMD_NOMAIN_OBJS) $(TUI_OBJS) $(BUILD)/libairca.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(CMD_NOMAIN_OBJS) $(TUI_OBJS) \
		$(BUILD)/libairca.a $(LIBS) $(TUI_LIBS)

# test-core-link links every object of libairca.a (--whole-archive) and
# nothing else: the core must not refer to the CLI (cmd.c, cmd-*.c) or the TUI.
$(BUILD)/tests/test-core-link: tests/unit/test-core-link.c $(BUILD)/libairca.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $< -Wl,--whole-archive $(BUILD)/libairca.a \
		-Wl,--no-whole-archive $(LIBS)

# test-tui-input checks the TUI's input room alone (no curses, no core).
$(BUILD)/tests/test-tui-input: tests/unit/test-tui-input.c tests/unit/check.h \
		$(BUILD)/tui/tui-input.o $(BUILD)/libairca.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/unit -Itui -o $@ $< $(BUILD)/tui/tui-input.o \
		$(BUILD)/libairca.a $(LIBS)
