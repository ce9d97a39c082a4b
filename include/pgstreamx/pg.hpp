// pg.hpp - the ONLY header of pgstreamx that includes PostgreSQL headers.
//
// Rules (see docs/architecture.md):
//  * C++ standard headers come first, PostgreSQL headers last: libstdc++'s
//    <cstdio> #undefs the snprintf/vsnprintf macros of port.h when it is
//    included after them.
//  * PostgreSQL defines macros named ERROR, LOG, INFO, WARNING, DEBUG1, Min,
//    Max ...: never use those names as C++ identifiers in our code.
//  * c.h implements AssertVariableIsOfType with __builtin_types_compatible_p,
//    which only exists in C. We redefine it below with decltype, so that
//    lib/ilist.h's dlist_foreach/dlist_container and friends work in C++.
#pragma once

// ---- C++ standard library first --------------------------------------------
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// ---- PostgreSQL last ---------------------------------------------------------
extern "C" {
#include "postgres.h"
}

#undef AssertVariableIsOfType
#undef AssertVariableIsOfTypeMacro
#define AssertVariableIsOfType(varname, typename)                                            \
    static_assert(std::is_same<std::remove_cv_t<std::remove_reference_t<decltype(varname)>>, \
                               typename>::value,                                             \
                  CppAsString(varname) " does not have type " CppAsString(typename))
#define AssertVariableIsOfTypeMacro(varname, typename)                                          \
    ((void)({                                                                                   \
        static_assert(std::is_same<std::remove_cv_t<std::remove_reference_t<decltype(varname)>>, \
                                   typename>::value,                                            \
                      CppAsString(varname) " does not have type " CppAsString(typename));       \
    }))

// PG 15 defines PGDLLEXPORT as nothing outside Windows. pgstreamx is built
// with -fvisibility=hidden (its C++ symbols must not clash with other
// libraries loaded RTLD_GLOBAL), so the symbols PostgreSQL looks up
// (PG_MODULE_MAGIC, _PG_init, PG_FUNCTION_INFO_V1 functions, worker entry
// points) are exported explicitly.
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))

extern "C" {
#include "access/detoast.h"
#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_namespace.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "port/atomics.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/spin.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "common/jsonapi.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "nodes/execnodes.h"
// background worker, launcher and utility hook (src/worker.cpp)
#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "parser/parsetree.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}
