// spi.cpp - see include/pgstreamx/spi.hpp
#include "pgstreamx/spi.hpp"

#include <unordered_map>


namespace pgstreamx::spi {

namespace {
// Backend-lifetime plan cache, created on first use (no static initialisers).
std::unordered_map<std::string, SPIPlanPtr> *plans = nullptr;
}  // namespace

namespace {
Oid owner_oid = InvalidOid;  // owner of schema pgstreamx, looked up once per backend

Oid pgstreamx_owner() {
    if (OidIsValid(owner_oid)) return owner_oid;
    Oid nsp = get_namespace_oid("pgstreamx", false);
    HeapTuple tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "pgstreamx: cache lookup failed for schema %u", nsp);
    owner_oid = reinterpret_cast<Form_pg_namespace>(GETSTRUCT(tup))->nspowner;
    ReleaseSysCache(tup);
    return owner_oid;
}
}  // namespace

Scope::Scope() {
    pg_call([this]() {
        Oid owner = pgstreamx_owner();
        OverrideSearchPath path;
        path.schemas = NIL;
        path.addCatalog = true;
        path.addTemp = false;
        path.generation = 0;
        PushOverrideSearchPath(&path);
        GetUserIdAndSecContext(&saved_user_, &saved_sec_);
        SetUserIdAndSecContext(owner, saved_sec_ | SECURITY_LOCAL_USERID_CHANGE);
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pgstreamx: SPI_connect failed");
    });
}

Scope::~Scope() {
    if (std::uncaught_exceptions() == 0) SPI_finish();
    // Neither can fail here; on an ERROR path, transaction abort would also
    // restore both (AbortTransaction / AtEOXact_Namespace).
    SetUserIdAndSecContext(saved_user_, saved_sec_);
    PopOverrideSearchPath();
}

SPIPlanPtr plan(const std::string &sql, int nargs, const Oid *types, bool generic) {
    if (!plans) plans = new std::unordered_map<std::string, SPIPlanPtr>();
    auto it = plans->find(sql);
    if (it != plans->end()) return it->second;
    const char *text = sql.c_str();
    const int options = generic ? CURSOR_OPT_GENERIC_PLAN : 0;
    SPIPlanPtr p = pg_call([text, nargs, types, options]() {
        SPIPlanPtr prepared = SPI_prepare_cursor(text, nargs, const_cast<Oid *>(types), options);
        if (!prepared)
            elog(ERROR, "pgstreamx: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        if (SPI_keepplan(prepared) != 0) elog(ERROR, "pgstreamx: SPI_keepplan failed");
        return prepared;
    });
    try {
        plans->emplace(sql, p);
    } catch (...) {
        SPI_freeplan(p);
        throw;
    }
    return p;
}

uint64 execute(SPIPlanPtr p, const Datum *values, const char *nulls, bool read_only, long max_rows) {
    return pg_call([=]() {
        int rc = SPI_execute_plan(p, const_cast<Datum *>(values), nulls, read_only, max_rows);
        if (rc < 0) elog(ERROR, "pgstreamx: SPI_execute_plan failed: %s", SPI_result_code_string(rc));
        return SPI_processed;
    });
}

Datum value(uint64 row, int col, bool *isnull) {
    return pg_call([=]() {
        return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
    });
}

int64 int64_value(uint64 row, int col, int64 if_null) {
    bool isnull = false;
    Datum d = value(row, col, &isnull);
    return isnull ? if_null : DatumGetInt64(d);
}

int32 int32_value(uint64 row, int col, int32 if_null) {
    bool isnull = false;
    Datum d = value(row, col, &isnull);
    return isnull ? if_null : DatumGetInt32(d);
}

std::string qualified(const std::string &name) {
    const char *n = name.c_str();
    const char *q = pg_call([n]() { return quote_identifier(n); });
    return std::string("pgstreamx.") + q;
}

}  // namespace pgstreamx::spi
