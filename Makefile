# SPDX-License-Identifier: BSD-2-Clause
# vdeliver - virtual mailbox delivery agent.
#
#   make            build build/vdeliver and build/vmap
#   make check      install missing build/test packages (make deps), build
#                   from scratch and run every test suite
#   make check SANITIZE=1   the same with ASan + UBSan (in build-san/)
#   make demo       deliver sample mail with the example configuration
#   make bench      benchmark (not part of check)
#   make install    honours PREFIX, DESTDIR, SYSCONFDIR

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
VERSION     = 0.9.0

CC         ?= cc
CFLAGS     ?= -O2 -g
WARN        = -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
              -Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN       += -Werror
endif
CPPFLAGS   += -D_GNU_SOURCE -Iinclude -DVDELIVER_VERSION='"$(VERSION)"' \
              -DSYSCONFDIR='"$(SYSCONFDIR)"'
# Berkeley DB (db.h) is needed to build; libdb itself is loaded with
# dlopen() when the first hash: or btree: map is opened (src/dynlib.c),
# like libmariadb below: a delivery with other maps never pays for it.
LIBS        = -ldl

# MySQL/MariaDB support, when the client's development files (headers,
# libmariadb.pc) are present.  Only the headers are used at build time:
# the library (libmariadb.so.3) is loaded with dlopen() when a mysql: map
# is first opened (src/map_mysql_lib.c), so a delivery that uses no
# mysql: map does not pay for loading it and its libssl/libcrypto.
HAVE_MARIADB := $(shell pkg-config --exists libmariadb 2>/dev/null && echo 1)
ifeq ($(HAVE_MARIADB),1)
CPPFLAGS += -DHAVE_MYSQL $(shell pkg-config --cflags libmariadb)
endif

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
# (The unit tests link libdb: check_map_db writes its fixtures directly.)

ifeq ($(SANITIZE),1)
BUILD      ?= build-san
CFLAGS     += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
else
BUILD      ?= build
endif

MAINS    = src/main.c src/vmap.c
LIBSRC   = $(filter-out $(MAINS),$(wildcard src/*.c))
ifneq ($(HAVE_MARIADB),1)
LIBSRC  := $(filter-out src/map_mysql%.c,$(LIBSRC))
endif
LIBOBJ   = $(LIBSRC:src/%.c=$(BUILD)/%.o)
CHECKSRC = $(wildcard tests/check_*.c)
CHECKBIN = $(CHECKSRC:tests/%.c=$(BUILD)/%)
HEADERS  = $(wildcard include/*.h src/*.h)

.PHONY: all check check-unit check-blackbox deps demo bench fuzz \
        check-valgrind install uninstall clean distclean

all: $(BUILD)/vdeliver $(BUILD)/vmap

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/%.o: src/%.c $(HEADERS) | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(BUILD)/libvdeliver.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BUILD)/vdeliver: $(BUILD)/main.o $(BUILD)/libvdeliver.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/vmap: $(BUILD)/vmap.o $(BUILD)/libvdeliver.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/check_%: tests/check_%.c tests/check_util.h $(BUILD)/libvdeliver.a
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) $(CFLAGS) $(WARN) -Itests -o $@ \
	    $< $(BUILD)/libvdeliver.a $(LDFLAGS) $(LIBS) $(CHECK_LIBS) -ldb

# Everything the build and the tests need on Debian 12, installed only
# when missing (apt-get as root).  Package scripts may not start system
# daemons (postfix, dovecot, mariadb): the tests run private instances.
DEPS = gcc make pkg-config libdb-dev db-util check libsubunit-dev \
       libmariadb-dev mariadb-server mariadb-client util-linux time \
       procps e2fsprogs postfix dovecot-core dovecot-imapd clang \
       libclang-rt-14-dev valgrind perl quota btrfs-progs \
       liblockfile-bin
deps:
	@missing=""; for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	        grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "missing packages:$$missing (run make deps as root)"; \
	        exit 1; \
	    fi; \
	    echo "installing:$$missing"; \
	    echo "postfix postfix/main_mailer_type select No configuration" | \
	        debconf-set-selections; \
	    prc=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
	        chmod 755 /usr/sbin/policy-rc.d; prc=1; fi; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $$missing; rc=$$?; \
	    [ -z "$$prc" ] || rm -f /usr/sbin/policy-rc.d; \
	    exit $$rc; \
	else \
	    echo "deps: all present"; \
	fi

check: deps
	rm -rf $(BUILD)
	$(MAKE) all $(CHECKBIN)
	BUILD=$(BUILD) sh tests/run_all.sh

check-unit: all $(CHECKBIN)
	BUILD=$(BUILD) sh tests/run_all.sh unit

check-blackbox: all
	BUILD=$(BUILD) sh tests/run_all.sh blackbox

demo: deps all
	sh conf/demo.sh $(BUILD)

bench: all
	sh tests/bench.sh $(BUILD)

# Longer libFuzzer runs than the bounded ones in make check.
fuzz: deps
	sh tests/fuzz.sh long

# The black-box suites with every vdeliver/vmap run under memcheck.
check-valgrind: all
	VALGRIND=1 BUILD=$(BUILD) sh tests/run_all.sh blackbox

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSCONFDIR)/vdeliver
	install -m 0755 $(BUILD)/vdeliver $(DESTDIR)$(SBINDIR)/vdeliver
	install -m 0755 $(BUILD)/vmap $(DESTDIR)$(BINDIR)/vmap
	install -m 0644 man/vdeliver.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/vdeliver.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/vmap.1 $(DESTDIR)$(MANDIR)/man1/
	test -e $(DESTDIR)$(SYSCONFDIR)/vdeliver/vdeliver.conf || \
	    install -m 0644 conf/vdeliver.conf \
	        $(DESTDIR)$(SYSCONFDIR)/vdeliver/vdeliver.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vdeliver $(DESTDIR)$(BINDIR)/vmap \
	    $(DESTDIR)$(MANDIR)/man8/vdeliver.8 \
	    $(DESTDIR)$(MANDIR)/man5/vdeliver.conf.5 \
	    $(DESTDIR)$(MANDIR)/man1/vmap.1

clean:
	rm -rf build build-san

distclean: clean
