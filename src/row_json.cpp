// row_json.cpp - see include/pgstreamx/row_json.hpp
//
// Mirrors PostgreSQL 15's jsonb.c (jsonb_categorize_type, datum_to_jsonb)
// for the types it handles; sql/capture.sql checks every one against
// to_jsonb, including NaN, infinities, negative and extreme values.
#include "pgstreamx/row_json.hpp"

#include <string_view>
#include <vector>

#include "pgstreamx/core/jsonb_order.hpp"
#include "pgstreamx/error.hpp"

namespace pgstreamx::row_json {

enum class Kind : uint8 {
    boolean,    // true / false
    integer,    // int2, int4, int8: a numeric of the same value
    numeric,    // numeric: itself, NaN and infinities as their text
    floating,   // float4, float8: the output text as a number if it is one, else as a string
    datetime,   // date, timestamp, timestamptz: JsonEncodeDateTime
    text,       // text, varchar, bpchar: the value's bytes as the string
    output,     // any other built-in scalar: its output function's text
};

struct Column {
    int attnum;       // 0-based attribute of the source descriptor
    Kind kind;
    Oid base;         // the type, domains looked through
    FmgrInfo out;     // output function (numeric, floating, output)
    char *datebuf;    // MAXDATELEN + 1 bytes (datetime)
};

namespace {

// The Kind to_jsonb would use for a built-in scalar type, or false.
bool kind_of(Oid base, Kind &k) {
    switch (base) {
        case BOOLOID: k = Kind::boolean; return true;
        case INT2OID: case INT4OID: case INT8OID: k = Kind::integer; return true;
        case NUMERICOID: k = Kind::numeric; return true;
        case FLOAT4OID: case FLOAT8OID: k = Kind::floating; return true;
        case DATEOID: case TIMESTAMPOID: case TIMESTAMPTZOID: k = Kind::datetime; return true;
        case TEXTOID: case VARCHAROID: case BPCHAROID: k = Kind::text; return true;
        case JSONOID: case JSONBOID: return false;
        default: break;
    }
    // to_jsonb looks for a cast to json for types that are not built in.
    if (base >= FirstNormalObjectId) return false;
    if (OidIsValid(get_element_type(base)) || base == ANYARRAYOID || base == ANYCOMPATIBLEARRAYOID ||
        base == RECORDARRAYOID || type_is_rowtype(base))
        return false;
    k = Kind::output;
    return true;
}

// jsonb.c, checkStringLen.
void check_string_length(size_t len) {
    if (len > JENTRY_OFFLENMASK)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("string too long to represent as jsonb string"),
                        errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
                                  JENTRY_OFFLENMASK)));
}

void set_string(JsonbValue &v, char *s, size_t len) {
    check_string_length(len);
    v.type = jbvString;
    v.val.string.val = s;
    v.val.string.len = static_cast<int>(len);
}

void set_value(Column &c, JsonbValue &v, Datum d) {
    switch (c.kind) {
        case Kind::boolean:
            v.type = jbvBool;
            v.val.boolean = DatumGetBool(d);
            return;
        case Kind::integer: {
            const int64 i = c.base == INT2OID ? DatumGetInt16(d) : c.base == INT4OID ? DatumGetInt32(d) : DatumGetInt64(d);
            v.type = jbvNumeric;
            v.val.numeric = int64_to_numeric(i);
            return;
        }
        case Kind::numeric: {
            Numeric num = DatumGetNumeric(d);  // a 4-byte header copy if packed
            if (numeric_is_nan(num) || numeric_is_inf(num)) {
                char *s = OutputFunctionCall(&c.out, d);
                set_string(v, s, strlen(s));
            } else {
                v.type = jbvNumeric;
                v.val.numeric = num;
            }
            return;
        }
        case Kind::floating: {
            char *s = OutputFunctionCall(&c.out, d);
            const size_t len = strlen(s);
            if (IsValidJsonNumber(s, static_cast<int>(len))) {
                v.type = jbvNumeric;
                v.val.numeric = DatumGetNumeric(
                    DirectFunctionCall3(numeric_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
            } else {
                set_string(v, s, len);
            }
            return;
        }
        case Kind::datetime: {
            char *s = JsonEncodeDateTime(c.datebuf, d, c.base, nullptr);
            set_string(v, s, strlen(s));
            return;
        }
        case Kind::text: {
            text *t = DatumGetTextPP(d);
            set_string(v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
            return;
        }
        case Kind::output: {
            char *s = OutputFunctionCall(&c.out, d);
            set_string(v, s, strlen(s));
            return;
        }
    }
}

}  // namespace

bool init(Encoder &e, TupleDesc desc, const int *cols, int ncols) {
    std::vector<std::string_view> names;
    names.reserve(static_cast<size_t>(ncols));
    for (int i = 0; i < ncols; i++) names.emplace_back(NameStr(TupleDescAttr(desc, cols[i])->attname));
    const std::vector<int> order = jsonb_order::order(names);
    const int *ord = order.data();
    return pg_call([&]() {
        e.n = ncols;
        e.cols = static_cast<Column *>(palloc0(sizeof(Column) * static_cast<Size>(ncols > 0 ? ncols : 1)));
        e.pairs = static_cast<JsonbPair *>(palloc0(sizeof(JsonbPair) * static_cast<Size>(ncols > 0 ? ncols : 1)));
        for (int i = 0; i < ncols; i++) {
            Column &c = e.cols[i];
            const int src = cols[ord[i]];
            Form_pg_attribute a = TupleDescAttr(desc, src);
            c.attnum = src;
            c.base = getBaseType(a->atttypid);
            if (!kind_of(c.base, c.kind)) return false;
            if (c.kind == Kind::numeric || c.kind == Kind::floating || c.kind == Kind::output) {
                Oid fn;
                bool varlena;
                getTypeOutputInfo(c.base, &fn, &varlena);
                fmgr_info(fn, &c.out);
            }
            if (c.kind == Kind::datetime) c.datebuf = static_cast<char *>(palloc(MAXDATELEN + 1));
            JsonbPair &p = e.pairs[i];
            p.key.type = jbvString;
            p.key.val.string.val = NameStr(a->attname);
            p.key.val.string.len = static_cast<int>(strlen(NameStr(a->attname)));
            p.order = static_cast<uint32>(i);
        }
        e.object.type = jbvObject;
        e.object.val.object.nPairs = ncols;
        e.object.val.object.pairs = e.pairs;
        return true;
    });
}

Datum encode(Encoder &e, const Datum *values, const bool *isnull) {
    for (int i = 0; i < e.n; i++) {
        Column &c = e.cols[i];
        JsonbValue &v = e.pairs[i].value;
        if (isnull[c.attnum])
            v.type = jbvNull;
        else
            set_value(c, v, values[c.attnum]);
    }
    // JsonbValueToJsonb builds in a buffer of at least 1 kB: keep a copy of
    // the right size and give the buffer back for the next row.
    Jsonb *built = JsonbValueToJsonb(&e.object);
    Jsonb *j = static_cast<Jsonb *>(palloc(VARSIZE(built)));
    memcpy(j, built, VARSIZE(built));
    pfree(built);
    return JsonbPGetDatum(j);
}

}  // namespace pgstreamx::row_json
