# pgstreamx - PGXS build of a C++17 PostgreSQL extension.
#
#   make              build (zero warnings: -Wall -Wextra -Werror)
#   make install      install into the PostgreSQL found by $(PG_CONFIG)
#   make test         install what is missing, build, and run every suite
#   make quickstart   start a throw-away local server with pgstreamx and a demo
#   make stop         stop it
#   make bench        run the benchmark harness (bench/README.md)
#   make unit         unit tests of src/core/ only (no server)
#   make installcheck pg_regress + isolation against a running server (PGXS)

EXTENSION   = pgstreamx
MODULE_big  = pgstreamx
EXT_VERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" pgstreamx.control)

CORE_SRCS   = $(sort $(wildcard src/core/*.cpp))
GLUE_SRCS   = $(sort $(wildcard src/*.cpp))
OBJS        = $(GLUE_SRCS:.cpp=.o) $(CORE_SRCS:.cpp=.o)

# Install and upgrade scripts only (the other files in sql/ are regress inputs).
DATA        = $(sort $(wildcard sql/pgstreamx--*.sql))
DOCS        =

# PostgreSQL 15 (Debian's layout first; override with PG_CONFIG=...).
PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

# Server headers are system headers: their warnings are not ours; ours are errors.
PG_CPPFLAGS = -Iinclude -isystem $(shell $(PG_CONFIG) --includedir-server) \
              -DPGSTREAMX_VERSION='"$(EXT_VERSION)"'
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror \
              -fvisibility=hidden
SHLIB_LINK += -lstdc++

# pg_regress: every sql/*.sql that is not an install/upgrade script, with
# "extension" (which creates the extension) first.
REGRESS_ALL  = $(sort $(basename $(notdir $(filter-out $(DATA),$(wildcard sql/*.sql)))))
REGRESS      = extension $(filter-out extension,$(REGRESS_ALL))
REGRESS_OPTS = --inputdir=.
# pg_isolation_regress: test/specs/*.spec with test/expected/*.out.
ISOLATION      = $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test

override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
# The JIT bitcode step compiles .cpp with clang and ignores PG_CXXFLAGS.
COMPILE.cxx.bc += -std=c++17
else
# No server development files yet (fresh machine): `make test` and
# `make quickstart` install them; plain `make` says what is missing.
all install installcheck:
	@echo "pg_config not found: run 'make quickstart' or 'make test' (they install" \
	      "postgresql-server-dev-15), or pass PG_CONFIG=/path/to/pg_config" >&2; exit 1
endif

# ---- project commands ---------------------------------------------------------
.PHONY: test unit quickstart stop bench format

test:
	test/run.sh

unit:
	$(MAKE) -C test/unit run

quickstart:
	scripts/quickstart.sh start

stop:
	scripts/quickstart.sh stop

bench:
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# Lists for test/run.sh.
print-regress:
	@echo $(REGRESS)
print-isolation:
	@echo $(ISOLATION)
.PHONY: print-regress print-isolation
