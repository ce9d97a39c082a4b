// args.hpp - reading SQL function arguments from C++ (shared by the areas'
// entry points): required values raise 22004 with the argument's name, and
// array arguments are deconstructed through pg_call.
#pragma once

#include <initializer_list>
#include <string>

#include "pgstreamx/error.hpp"

namespace pgstreamx::args {

inline std::string text_value(FunctionCallInfo fcinfo, int n) {
    // (detoasting and copying can raise: inside pg_call, which needs a
    // trivially copyable result)
    const char *c = pg_call([fcinfo, n]() { return static_cast<const char *>(text_to_cstring(PG_GETARG_TEXT_PP(n))); });
    return std::string(c);
}

inline std::string required_text(FunctionCallInfo fcinfo, int n, const char *what) {
    if (PG_ARGISNULL(n))
        throw Error(sqlstate::null_value_not_allowed, std::string(what) + " must not be null");
    return text_value(fcinfo, n);
}

inline int32 required_int32(FunctionCallInfo fcinfo, int n, const char *what) {
    if (PG_ARGISNULL(n))
        throw Error(sqlstate::null_value_not_allowed, std::string(what) + " must not be null");
    return PG_GETARG_INT32(n);
}

// Elements of a 1-D array argument (NULL array -> empty, nulls allowed).
struct Array {
    Datum *values = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    bool present = false;
};

inline Array array(FunctionCallInfo fcinfo, int argno, Oid elemtype) {
    Array a;
    if (PG_ARGISNULL(argno)) return a;
    a.present = true;
    Datum d = PG_GETARG_DATUM(argno);
    pg_call([&]() {
        ArrayType *arr = DatumGetArrayTypeP(d);
        if (ARR_NDIM(arr) > 1)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("batch arrays must be one-dimensional")));
        int16 typlen;
        bool typbyval;
        char typalign;
        get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
        deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &a.values, &a.nulls, &a.n);
    });
    return a;
}

// A batch call's arrays: at most `limit` messages (54000), and every other
// array, when given, as long as the first one (named `first`; 22023).
inline void check_batch(const char *first, int n, int limit, std::initializer_list<const Array *> others) {
    if (n > limit)
        throw Error(sqlstate::program_limit_exceeded, "batch is too large",
                    std::to_string(n) + " messages; the limit is " + std::to_string(limit) + ".",
                    "Split it into several calls.");
    for (const Array *a : others)
        if (a->present && a->n != n)
            throw Error(sqlstate::invalid_parameter_value, "batch arrays must have the same length",
                        std::string(first) + " has " + std::to_string(n) + " elements, another array has " +
                            std::to_string(a->n) + ".",
                        "Pass NULL instead of an array to leave a field empty for every message.");
}

}  // namespace pgstreamx::args
