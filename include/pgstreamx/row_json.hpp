// row_json.hpp - a row's columns as a jsonb object, the same value
// to_jsonb(record) gives, built without to_jsonb's per-row work.
//
// to_jsonb(record) looks up every column's type category and output function
// again for every row (several syscache lookups per column), formats and
// re-parses numbers, and sorts the object's keys per row. Table capture
// converts every captured row, so it prepares the columns once per statement
// (init) and per row only converts values (encode): integers straight to
// numeric, text and varchar without a copy, dates and timestamps with
// JsonEncodeDateTime, other built-in scalars through their cached output
// function, keys in jsonb's storage order (core/jsonb_order.hpp) fixed once.
//
// Only built-in scalar types are converted here. A column whose value
// to_jsonb would convert otherwise (arrays, composites, json, jsonb, and
// types with an id >= FirstNormalObjectId, which may have a cast to json)
// makes init() return false: the caller then uses to_jsonb for the row.
// Domains are looked through, as to_jsonb does.
//
// init() is C++ (PostgreSQL errors come back as PgError); encode() is plain
// C that may raise: call it inside pg_call, with no live C++ objects.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::row_json {

struct Column;

struct Encoder {
    int n = 0;
    Column *cols = nullptr;      // in jsonb key order
    JsonbPair *pairs = nullptr;  // the object's pairs, keys set once
    JsonbValue object{};
};

// Prepares `e` for the attributes cols[0 .. ncols) (0-based) of `desc`, the
// keys being their names. Allocates in CurrentMemoryContext (the encoder
// lives as long as it and the descriptor do). Returns false
// if some column's type is not one this encoder converts.
bool init(Encoder &e, TupleDesc desc, const int *cols, int ncols);

// The row (values/isnull indexed like desc's attributes) as jsonb, allocated
// in CurrentMemoryContext. Equal to to_jsonb() of the projected row.
Datum encode(Encoder &e, const Datum *values, const bool *isnull);

}  // namespace pgstreamx::row_json
