// spi.hpp - SPI from C++: a connection scope, cached prepared plans, and
// typed access to results. Every call that can raise goes through pg_call,
// so C++ objects may be alive around them.
#pragma once

#include <string>

#include "pgstreamx/error.hpp"


namespace pgstreamx::spi {

// SPI_connect on construction, SPI_finish on normal destruction. While an
// exception unwinds, SPI_finish is left to transaction abort (AtEOXact_SPI).
//
// Inside a Scope, SQL runs as the owner of schema pgstreamx (the extension's
// owner) with the search path overridden to pg_catalog alone: the entry
// points are SECURITY INVOKER (EXECUTE grants decide who may call them) and
// do what fmgr's SECURITY DEFINER + SET search_path would do, without its
// per-call GUC save/restore. Every relation in SPI SQL is schema-qualified.
class Scope {
public:
    Scope();
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

private:
    Oid saved_user_ = InvalidOid;
    int saved_sec_ = 0;
};

// A prepared, saved plan for `sql` with argument types `types`, cached for
// the life of the backend (plancache revalidates it after DDL). generic:
// always the generic plan (no planning per call: a custom plan of a query on
// a partitioned message table costs more to plan than to run).
SPIPlanPtr plan(const std::string &sql, int nargs, const Oid *types, bool generic = false);

// Executes a plan. nulls: nullptr or one char per argument, 'n' for NULL.
// Returns SPI_processed; rows are in SPI_tuptable until the scope ends.
uint64 execute(SPIPlanPtr plan, const Datum *values, const char *nulls, bool read_only,
               long max_rows = 0);

// Column `col` (1-based) of result row `row`; *isnull set.
Datum value(uint64 row, int col, bool *isnull);
int64 int64_value(uint64 row, int col, int64 if_null = 0);
int32 int32_value(uint64 row, int col, int32 if_null = 0);

// A schema-qualified, quoted identifier: pgstreamx."<name>" (the name is
// allow-listed before it gets here; quoting is the second line of defence).
std::string qualified(const std::string &name);

}  // namespace pgstreamx::spi
