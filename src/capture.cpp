// capture.cpp - table-change capture: the statement-level trigger that turns
// a statement's transition tables into stream messages, appended through the
// stream core (stream::append_messages) in the writer's transaction.
//
// Per statement: one SPI query for the capture's configuration (as the
// schema owner), then per row only C: project the row onto the captured
// columns, to_jsonb, key text; set-wise a single SPI query for the
// customisation hook (run as the hook's owner); rows go to the stream in
// chunks with table_multi_insert. No per-row SPI, no PL/pgSQL.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "pgstreamx/args.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/row_json.hpp"
#include "pgstreamx/spi.hpp"
#include "pgstreamx/stream.hpp"

namespace pgstreamx::capture {

namespace {

constexpr int64 chunk_rows = 1000;  // rows converted and appended at a time

struct Config {
    std::string stream;
    std::vector<std::string> columns, exclude, key;
    bool has_columns = false;
    Oid hook_oid = InvalidOid;  // none: InvalidOid; name and owner looked up when it runs
    Oid captured = InvalidOid;  // the captured table: this one or the ancestor it belongs to
};

std::vector<std::string> text_array(uint64 row, int col) {
    std::vector<std::string> out;
    bool isnull = false;
    Datum d = spi::value(row, col, &isnull);
    if (isnull) return out;
    Datum *elems = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    pg_call([&]() {
        deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    });
    for (int i = 0; i < n; i++)
        if (!nulls[i]) {
            const char *c = pg_call([&]() { return TextDatumGetCString(elems[i]); });
            out.emplace_back(c);
        }
    return out;
}

// Per backend: the configuration each capture trigger (by its OID) stands
// for. capture_table/uncapture_table create/drop the triggers with the
// catalog row, so a changed capture comes with new trigger OIDs; an entry is
// also looked up again when the table it was found for is no longer the
// firing table or one of its ancestors (DETACH/ATTACH).
std::unordered_map<Oid, Config> *configs = nullptr;

// ALTER TABLE on a captured table (a column renamed or dropped changes its
// column options, sql/pgstreamx--0.1.0.sql, _capture_follow_columns)
// invalidates the table's relcache entry in every backend: the cached
// configurations of that table go with it. Called by PostgreSQL; erasing
// from the map does not throw.
void forget_configs(Datum, Oid relid) {
    if (!configs) return;
    for (auto it = configs->begin(); it != configs->end();)
        it = (relid == InvalidOid || it->second.captured == relid) ? configs->erase(it) : std::next(it);
}

// The capture of the firing table: itself or its nearest captured ancestor
// (chain[0] is the table, then its ancestors up to the root).
bool config_for(const std::vector<Oid> &chain, Config &cfg) {
    static const Oid types[] = {OIDARRAYOID};
    SPIPlanPtr p = spi::plan(
        "SELECT c.stream, c.columns, c.exclude_columns, c.key_columns, c.hook IS NOT NULL,"
        "       pg_catalog.to_regprocedure(c.hook), c.columns IS NOT NULL, c.tbl::pg_catalog.oid"
        " FROM pgstreamx.capture_config c"
        " WHERE c.tbl::pg_catalog.oid = ANY ($1)"
        " ORDER BY pg_catalog.array_position($1, c.tbl::pg_catalog.oid) LIMIT 1",
        1, types);
    Datum args[1];
    pg_call([&]() {
        Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * chain.size()));
        for (size_t i = 0; i < chain.size(); i++) elems[i] = ObjectIdGetDatum(chain[i]);
        args[0] = PointerGetDatum(construct_array(elems, static_cast<int>(chain.size()), OIDOID, sizeof(Oid), true,
                                                  TYPALIGN_INT));
    });
    if (spi::execute(p, args, nullptr, true, 1) == 0) return false;
    bool isnull = false;
    Datum st = spi::value(0, 1, &isnull);
    const char *stream_name = pg_call([&]() { return TextDatumGetCString(st); });
    cfg.stream = stream_name;
    cfg.columns = text_array(0, 2);
    cfg.exclude = text_array(0, 3);
    cfg.key = text_array(0, 4);
    const bool has_hook = DatumGetBool(spi::value(0, 5, &isnull));
    Datum o = spi::value(0, 6, &isnull);
    if (has_hook && isnull)
        // Fail closed: a hook that filtered rows must not silently stop filtering.
        throw Error(sqlstate::undefined_function, "the capture hook of this table no longer exists", {},
                    "Capture the table again: pgstreamx.uncapture_table(), then capture_table().");
    if (has_hook) cfg.hook_oid = DatumGetObjectId(o);
    cfg.has_columns = DatumGetBool(spi::value(0, 7, &isnull));
    cfg.captured = DatumGetObjectId(spi::value(0, 8, &isnull));
    return true;
}

bool contains(const std::vector<std::string> &v, const char *name) {
    for (const std::string &s : v)
        if (s == name) return true;
    return false;
}

// Which attributes (0-based) of `desc` go into the payload / the key.
void choose_columns(TupleDesc desc, const Config &cfg, std::vector<int> &payload, std::vector<int> &key) {
    for (int i = 0; i < desc->natts; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        if (a->attisdropped) continue;
        const char *name = NameStr(a->attname);
        if ((!cfg.has_columns || contains(cfg.columns, name)) && !contains(cfg.exclude, name)) payload.push_back(i);
    }
    for (const std::string &k : cfg.key)
        for (int i = 0; i < desc->natts; i++) {
            Form_pg_attribute a = TupleDescAttr(desc, i);
            if (!a->attisdropped && k == NameStr(a->attname)) key.push_back(i);
        }
}

// A blessed record type holding the attributes `cols` of `desc`.
TupleDesc projection(TupleDesc desc, const int *cols, int n) {
    TupleDesc d = CreateTemplateTupleDesc(n);
    for (int i = 0; i < n; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, cols[i]);
        TupleDescInitEntry(d, static_cast<AttrNumber>(i + 1), NameStr(a->attname), a->atttypid, a->atttypmod, 0);
        TupleDescInitEntryCollation(d, static_cast<AttrNumber>(i + 1), a->attcollation);
    }
    return BlessTupleDesc(d);
}

// What one trigger call converts: everything here is palloc'd or plain.
struct Work {
    TupleDesc source;          // the transition tables' row type
    TupleDesc payload_desc;    // projection onto the captured columns
    TupleDesc key_desc;        // projection onto the key columns (multi-column keys)
    const int *payload_cols;
    int npayload;
    const int *key_cols;
    int nkey;
    FmgrInfo to_jsonb;         // to_jsonb(record)
    FmgrInfo key_output;       // output function of a single key column
    Datum *values;             // scratch, source->natts
    bool *nulls;
    row_json::Encoder payload_json;  // the payload columns, when all are of types it converts
    bool fast_payload;
};

void init_work(Work &w, TupleDesc source, const std::vector<int> &pcols, const std::vector<int> &kcols) {
    w.source = source;
    w.payload_cols = pcols.data();
    w.npayload = static_cast<int>(pcols.size());
    w.key_cols = kcols.data();
    w.nkey = static_cast<int>(kcols.size());
    w.payload_desc = projection(source, w.payload_cols, w.npayload);
    w.key_desc = w.nkey > 1 ? projection(source, w.key_cols, w.nkey) : nullptr;
    fmgr_info(F_TO_JSONB, &w.to_jsonb);
    // to_jsonb finds its argument's type in its call expression.
    w.to_jsonb.fn_expr = reinterpret_cast<Node *>(makeFuncExpr(
        F_TO_JSONB, JSONBOID, list_make1(makeNullConst(RECORDOID, -1, InvalidOid)), InvalidOid, InvalidOid,
        COERCE_EXPLICIT_CALL));
    if (w.nkey == 1) {
        Oid fn;
        bool varlena;
        getTypeOutputInfo(TupleDescAttr(source, w.key_cols[0])->atttypid, &fn, &varlena);
        fmgr_info(fn, &w.key_output);
    }
    w.values = static_cast<Datum *>(palloc(sizeof(Datum) * static_cast<Size>(source->natts)));
    w.nulls = static_cast<bool *>(palloc(sizeof(bool) * static_cast<Size>(source->natts)));
}

Datum row_jsonb(Work &w, TupleDesc desc, const int *cols, int n, TupleTableSlot *slot) {
    for (int i = 0; i < n; i++) {
        w.values[i] = slot->tts_values[cols[i]];
        w.nulls[i] = slot->tts_isnull[cols[i]];
    }
    HeapTuple t = heap_form_tuple(desc, w.values, w.nulls);
    return FunctionCall1(&w.to_jsonb, HeapTupleGetDatum(t));
}

// A row's payload (new or old row): the encoder when every payload column
// is of a type it converts, else to_jsonb of the projection.
Datum payload_jsonb(Work &w, TupleTableSlot *slot) {
    if (w.fast_payload) return row_json::encode(w.payload_json, slot->tts_values, slot->tts_isnull);
    return row_jsonb(w, w.payload_desc, w.payload_cols, w.npayload, slot);
}

// The key as text: a single column's text form, or the JSON of several.
text *row_key(Work &w, TupleTableSlot *slot) {
    if (w.nkey == 0) return nullptr;
    if (w.nkey == 1) {
        if (slot->tts_isnull[w.key_cols[0]]) return nullptr;
        return cstring_to_text(OutputFunctionCall(&w.key_output, slot->tts_values[w.key_cols[0]]));
    }
    Jsonb *j = DatumGetJsonbP(row_jsonb(w, w.key_desc, w.key_cols, w.nkey, slot));
    return cstring_to_text(JsonbToCString(nullptr, &j->root, static_cast<int>(VARSIZE(j))));
}

Datum jsonb_from(StringInfo s) { return DirectFunctionCall1(jsonb_in, CStringGetDatum(s->data)); }

// Headers shared by all rows of a statement, without the closing brace. The
// table and the operation are in the topic (<schema>.<table>.<op>), not
// repeated here: every captured row stores its headers, and at ~40 bytes
// they were an eighth of a message row.
void common_headers(StringInfo s, uint64 xid, int64 statement) {
    appendStringInfo(s, "{\"xid\": \"" UINT64_FORMAT "\", \"statement\": " INT64_FORMAT, xid, statement);
}

// The headers of a statement's events that carry nothing per row (all but
// updates), as jsonb.
Datum statement_headers(uint64 xid, int64 statement) {
    StringInfoData h;
    initStringInfo(&h);
    common_headers(&h, xid, statement);
    appendStringInfoChar(&h, '}');
    return jsonb_from(&h);
}

// Per-backend statement counter within the current top-level transaction.
uint64 counter_xid = 0;
int64 counter = 0;

int64 next_statement(uint64 xid) {
    if (counter_xid != xid) {
        counter_xid = xid;
        counter = 0;
    }
    return ++counter;
}

// The tables whose truncate event the current TRUNCATE statement has
// emitted. PostgreSQL fires the AFTER TRUNCATE triggers of a statement one
// after the other, the named tables first and then their partitions, with
// nothing in between but other triggers: a partition whose ancestor is noted
// for the same transaction, subtransaction and command is covered by the
// ancestor's event. The command id is taken after the event is appended
// (which may advance it), so the next statement never matches. Should
// another AFTER TRUNCATE trigger advance it in between, a partition gets an
// event of its own as well: one too many, never one too few.
struct TruncateMark {
    uint64 xid;
    SubTransactionId sub;
    CommandId cid;
    int n;
    struct {
        Oid table;     // the table truncated
        Oid captured;  // the capture it belongs to
    } tables[64];      // full: later tables are not noted (their partitions get events)
};
TruncateMark truncated = {0, InvalidSubTransactionId, InvalidCommandId, 0, {}};

bool same_statement(uint64 xid) {
    return truncated.xid == xid && truncated.sub == GetCurrentSubTransactionId() &&
           truncated.cid == GetCurrentCommandId(false);
}

// Covered: an ancestor was truncated in this statement and emitted its event
// for the same capture (a table captured by itself and attached as a
// partition of another captured table still gets its own).
bool truncate_covered(uint64 xid, const std::vector<Oid> &chain, Oid captured) {
    if (!same_statement(xid)) return false;
    for (size_t i = 1; i < chain.size(); i++)
        for (int k = 0; k < truncated.n; k++)
            if (truncated.tables[k].table == chain[i] && truncated.tables[k].captured == captured) return true;
    return false;
}

void note_truncate(uint64 xid, Oid relid, Oid captured) {
    if (!same_statement(xid)) truncated.n = 0;
    truncated.xid = xid;
    truncated.sub = GetCurrentSubTransactionId();
    truncated.cid = GetCurrentCommandId(false);
    if (truncated.n < static_cast<int>(lengthof(truncated.tables)))
        truncated.tables[truncated.n++] = {relid, captured};
}

// The customisation hook, set-wise: one query per chunk, run as the hook's
// owner (never the writer, never the extension's owner). Rewrites payloads
// (a NULL payload keeps the default) and drops the rows it does not emit
// (emit false). Returns how many messages are left, compacted in order.
int64 apply_hook(const Config &cfg, const char *op, stream::Message *msgs, const Datum *new_rows,
                 const Datum *old_rows, int64 n, MemoryContext keep) {
    // The hook's name and owner now (not when it was captured); never run
    // as a superuser. Called by its current name: a renamed hook is found,
    // an ambiguous one fails (nothing is emitted unfiltered).
    Oid owner = InvalidOid;
    bool super = false;
    const char *nsp = nullptr, *name = nullptr;
    const Oid hook_oid = cfg.hook_oid;
    pg_call([&]() {
        HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(hook_oid));
        if (!HeapTupleIsValid(tup))
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION), errmsg("the capture hook no longer exists"),
                            errhint("Capture the table again with pgstreamx.uncapture_table() and capture_table().")));
        Form_pg_proc f = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup));
        owner = f->proowner;
        nsp = quote_identifier(get_namespace_name(f->pronamespace));
        name = quote_identifier(pstrdup(NameStr(f->proname)));
        ReleaseSysCache(tup);
        super = superuser_arg(owner);
    });
    if (super)
        throw Error(sqlstate::insufficient_privilege, "the capture hook is owned by a superuser",
                    "The hook runs with its owner's rights inside every writer's transaction.",
                    "ALTER FUNCTION ... OWNER TO a role without superuser rights.");
    const std::string sql = std::string("SELECT h.payload, h.emit FROM unnest($2, $3) WITH ORDINALITY AS u(n, o, i)"
                                        " CROSS JOIN LATERAL ") +
                            nsp + "." + name + "($1, u.n, u.o) AS h ORDER BY u.i";
    // Its own SPI connection: arguments and results go with it at the end
    // of the chunk (the kept payloads are copied into `keep` first).
    spi::Scope scope;
    static const Oid types[] = {TEXTOID, JSONBARRAYOID, JSONBARRAYOID};
    SPIPlanPtr p = spi::plan(sql, 3, types);
    Datum args[3];
    pg_call([&]() {
        bool *nn = static_cast<bool *>(palloc(sizeof(bool) * static_cast<Size>(n)));
        bool *on = static_cast<bool *>(palloc(sizeof(bool) * static_cast<Size>(n)));
        for (int64 i = 0; i < n; i++) {
            nn[i] = new_rows[i] == Datum(0);
            on[i] = old_rows[i] == Datum(0);
        }
        int dims[1] = {static_cast<int>(n)};
        int lbs[1] = {1};
        args[0] = CStringGetTextDatum(op);
        args[1] = PointerGetDatum(construct_md_array(const_cast<Datum *>(new_rows), nn, 1, dims, lbs, JSONBOID, -1,
                                                     false, TYPALIGN_INT));
        args[2] = PointerGetDatum(construct_md_array(const_cast<Datum *>(old_rows), on, 1, dims, lbs, JSONBOID, -1,
                                                     false, TYPALIGN_INT));
    });
    Oid saved_user = InvalidOid;
    int saved_sec = 0;
    GetUserIdAndSecContext(&saved_user, &saved_sec);
    SetUserIdAndSecContext(owner, saved_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    uint64 got = 0;
    try {
        got = spi::execute(p, args, nullptr, false);
    } catch (...) {
        SetUserIdAndSecContext(saved_user, saved_sec);
        throw;
    }
    SetUserIdAndSecContext(saved_user, saved_sec);
    if (got != static_cast<uint64>(n))
        throw Error(sqlstate::internal_error, "the capture hook returned " + std::to_string(got) + " rows for " +
                                                  std::to_string(n));
    int64 kept = 0;
    for (int64 i = 0; i < n; i++) {
        bool pnull = false, enull = false;
        Datum payload = spi::value(static_cast<uint64>(i), 1, &pnull);
        Datum emit = spi::value(static_cast<uint64>(i), 2, &enull);
        if (enull || !DatumGetBool(emit)) continue;  // emitted only when the hook says true
        msgs[kept] = msgs[i];
        if (!pnull)
            msgs[kept].payload = pg_call([&]() {
                MemoryContext old = MemoryContextSwitchTo(keep);
                Datum copy = PointerGetDatum(PG_DETOAST_DATUM_COPY(payload));
                MemoryContextSwitchTo(old);
                return copy;
            });
        kept++;
    }
    return kept;
}

}  // namespace

}  // namespace pgstreamx::capture

using namespace pgstreamx;
using namespace pgstreamx::capture;

// pgstreamx._capture_trigger(): AFTER ... FOR EACH STATEMENT on captured
// tables and their partitions (sql/pgstreamx--0.1.0.sql, "Table capture").
PGSTREAMX_FUNCTION(pgstreamx__capture_trigger) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        throw Error(sqlstate::feature_not_supported, "pgstreamx._capture_trigger() must be called as a trigger");
    TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
    const TriggerEvent ev = td->tg_event;
    if (!TRIGGER_FIRED_AFTER(ev) || !TRIGGER_FIRED_FOR_STATEMENT(ev))
        throw Error(sqlstate::feature_not_supported, "pgstreamx._capture_trigger() must be AFTER ... FOR EACH STATEMENT");
    const char *op = TRIGGER_FIRED_BY_INSERT(ev)   ? "insert"
                     : TRIGGER_FIRED_BY_UPDATE(ev) ? "update"
                     : TRIGGER_FIRED_BY_DELETE(ev) ? "delete"
                                                   : "truncate";
    const bool is_update = TRIGGER_FIRED_BY_UPDATE(ev), is_truncate = TRIGGER_FIRED_BY_TRUNCATE(ev);
    Tuplestorestate *primary = TRIGGER_FIRED_BY_DELETE(ev) ? td->tg_oldtable : td->tg_newtable;
    if (!is_truncate && (!primary || (is_update && !td->tg_oldtable)))
        throw Error(sqlstate::feature_not_supported, "pgstreamx capture triggers need their transition tables",
                    {}, "Create them with pgstreamx.capture_table().");
    // Statements that touch no row append nothing.
    if (!is_truncate && tuplestore_tuple_count(primary) == 0) return PointerGetDatum(nullptr);
    // Old and new rows are paired in step: both tables must hold the same
    // number (a BEFORE trigger suppressing the insert half of a
    // cross-partition update would shift every later pair).
    if (is_update && tuplestore_tuple_count(td->tg_oldtable) != tuplestore_tuple_count(primary))
        throw Error(sqlstate::feature_not_supported, "cannot capture an update whose old and new rows differ in number",
                    std::to_string(tuplestore_tuple_count(td->tg_oldtable)) + " old and " +
                        std::to_string(tuplestore_tuple_count(primary)) +
                        " new rows (a BEFORE INSERT trigger on a partition suppressed part of a row move?).",
                    "Update the rows within their partition, or uncapture the table.");

    Relation rel = td->tg_relation;
    const Oid relid = RelationGetRelid(rel);
    // The firing table and its ancestors, nearest first.
    std::vector<Oid> chain{relid};
    if (rel->rd_rel->relispartition) {
        List *ancestors = pg_call([&]() { return get_partition_ancestors(relid); });
        ListCell *lc;
        foreach (lc, ancestors) chain.push_back(lfirst_oid(lc));
    }

    // The catalog is read as the schema owner; nothing else runs with its
    // rights (the rows are converted as the writer, like any trigger: a
    // user-defined cast to json in a column type must not run as the owner).
    static bool registered = false;
    if (!registered) {
        pg_call([]() { CacheRegisterRelcacheCallback(forget_configs, Datum(0)); });
        registered = true;
    }
    if (!configs) configs = new std::unordered_map<Oid, Config>();
    const Oid tgoid = td->tg_trigger->tgoid;
    Config cfg;
    stream::Info s;
    {
        spi::Scope scope;
        auto it = configs->find(tgoid);
        if (it != configs->end() && std::find(chain.begin(), chain.end(), it->second.captured) == chain.end()) {
            configs->erase(it);  // detached or attached since: look again
            it = configs->end();
        }
        if (it == configs->end()) {
            Config fresh;
            if (!config_for(chain, fresh)) return PointerGetDatum(nullptr);  // not captured (any more)
            it = configs->emplace(tgoid, std::move(fresh)).first;
        }
        cfg = it->second;
        s = stream::lookup(cfg.stream);
    }
    const Oid captured = cfg.captured;
    const char *nsp = nullptr, *relname = nullptr;
    pg_call([&]() {
        nsp = get_namespace_name(get_rel_namespace(captured));
        relname = get_rel_name(captured);
    });
    if (!nsp || !relname) throw Error(sqlstate::undefined_object, "the captured table was dropped");
    const std::string table = std::string(nsp) + "." + relname;
    std::string topic = table + "." + op;
    for (char &c : topic) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    const uint64 xid = pg_call([]() { return U64FromFullTransactionId(GetTopFullTransactionId()); });
    // TRUNCATE of a table fires the truncate triggers of its partitions too:
    // one event for the table truncated, none for the partitions it covers.
    if (is_truncate && truncate_covered(xid, chain, cfg.captured)) return PointerGetDatum(nullptr);
    const int64 statement = next_statement(xid);

    Datum topic_d = pg_call([&]() { return CStringGetTextDatum(topic.c_str()); });
    if (is_truncate) {
        Datum headers = pg_call([&]() { return statement_headers(xid, statement); });
        // A partition truncated by itself: the captured table's topic, and
        // which partition in the payload.
        const char *part = relid == captured ? nullptr : pg_call([&]() {
            return psprintf("%s.%s", get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel));
        });
        Datum payload = pg_call([&]() {
            StringInfoData p;
            initStringInfo(&p);
            appendStringInfoString(&p, "{\"table\": ");
            escape_json(&p, table.c_str());
            if (part) {
                appendStringInfoString(&p, ", \"partition\": ");
                escape_json(&p, part);
            }
            appendStringInfoChar(&p, '}');
            return jsonb_from(&p);
        });
        stream::Message m{payload, Datum(0), nullptr, topic_d, headers};
        stream::append_messages(s, &m, 1, nullptr);
        note_truncate(xid, relid, captured);
        return PointerGetDatum(nullptr);
    }

    TupleDesc source = RelationGetDescr(rel);
    std::vector<int> pcols, kcols;
    choose_columns(source, cfg, pcols, kcols);
    Work w;
    pg_call([&]() { init_work(w, source, pcols, kcols); });
    w.fast_payload = row_json::init(w.payload_json, source, w.payload_cols, w.npayload);

    // Per chunk: the rows' payloads, keys, headers (and old rows for the hook).
    std::vector<stream::Message> msgs(static_cast<size_t>(chunk_rows));
    std::vector<Datum> new_rows(static_cast<size_t>(chunk_rows)), old_rows(static_cast<size_t>(chunk_rows));
    const bool large = tuplestore_tuple_count(primary) > 64;
    MemoryContext chunk_cxt = pg_call([large]() {
        // Large statements: one large block kept across resets. A chunk's
        // payloads are ~1 MB, and blocks given back to malloc each chunk came
        // back as fresh pages (page faults and kernel zeroing showed up at
        // ~5%). Small ones do not pay for it.
        if (!large) return AllocSetContextCreate(CurrentMemoryContext, "pgstreamx capture chunk", ALLOCSET_DEFAULT_SIZES);
        return AllocSetContextCreate(CurrentMemoryContext, "pgstreamx capture chunk", 2 * 1024 * 1024,
                                     2 * 1024 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
    });
    TupleTableSlot *slot = nullptr, *old_slot = nullptr;
    Datum shared_headers = 0;
    pg_call([&]() {
        slot = MakeSingleTupleTableSlot(source, &TTSOpsMinimalTuple);
        if (is_update) old_slot = MakeSingleTupleTableSlot(source, &TTSOpsMinimalTuple);
        tuplestore_rescan(primary);
        if (is_update) tuplestore_rescan(td->tg_oldtable);
        if (!is_update) shared_headers = statement_headers(xid, statement);
    });

    for (bool more = true; more;) {
        int64 n = 0;
        // Convert up to chunk_rows rows (plain C inside: no C++ objects are
        // created while PostgreSQL may raise).
        pg_call([&]() {
            MemoryContext old = MemoryContextSwitchTo(chunk_cxt);
            while (n < chunk_rows) {
                if (!tuplestore_gettupleslot(primary, true, false, slot)) {
                    more = false;
                    break;
                }
                slot_getallattrs(slot);
                Datum payload = payload_jsonb(w, slot);
                Datum headers = shared_headers;
                old_rows[n] = Datum(0);
                if (is_update) {
                    // Old and new rows are recorded in step, one pair per
                    // updated row (trigger.c, AfterTriggerSaveEvent).
                    if (!tuplestore_gettupleslot(td->tg_oldtable, true, false, old_slot))
                        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                                        errmsg("pgstreamx: update transition tables differ in length")));
                    slot_getallattrs(old_slot);
                    Datum old_json = payload_jsonb(w, old_slot);
                    old_rows[n] = old_json;
                    StringInfoData h;
                    initStringInfo(&h);
                    common_headers(&h, xid, statement);
                    appendStringInfoString(&h, ", \"changed\": [");
                    bool first = true;
                    for (int i = 0; i < w.npayload; i++) {
                        const int c = w.payload_cols[i];
                        Form_pg_attribute a = TupleDescAttr(source, c);
                        const bool same = slot->tts_isnull[c] == old_slot->tts_isnull[c] &&
                                          (slot->tts_isnull[c] ||
                                           datum_image_eq(slot->tts_values[c], old_slot->tts_values[c],
                                                          a->attbyval, a->attlen));
                        if (same) continue;
                        if (!first) appendStringInfoString(&h, ", ");
                        escape_json(&h, NameStr(a->attname));
                        first = false;
                    }
                    Jsonb *oj = DatumGetJsonbP(old_json);
                    appendStringInfoString(&h, "], \"old\": ");
                    appendStringInfoString(&h, JsonbToCString(nullptr, &oj->root, static_cast<int>(VARSIZE(oj))));
                    appendStringInfoChar(&h, '}');
                    headers = jsonb_from(&h);
                }
                new_rows[n] = TRIGGER_FIRED_BY_DELETE(ev) ? Datum(0) : payload;
                if (TRIGGER_FIRED_BY_DELETE(ev)) old_rows[n] = payload;
                msgs[n].payload = payload;
                msgs[n].payload_bytes = Datum(0);
                msgs[n].key = row_key(w, slot);
                msgs[n].topic = topic_d;
                msgs[n].headers = headers;
                n++;
            }
            MemoryContextSwitchTo(old);
        });
        if (n == 0) break;
        if (OidIsValid(cfg.hook_oid))
            n = apply_hook(cfg, op, msgs.data(), new_rows.data(), old_rows.data(), n, chunk_cxt);
        for (int64 i = 0; i < n; i++) stream::check_message(msgs[i]);
        stream::append_messages(s, msgs.data(), n, nullptr, /*pack=*/true);
        pg_call([&]() {
            // A tuplestore that spilled to disk hands out tuples palloc'd in
            // the current context (chunk_cxt) and owned by the slot: clear
            // the slots before the context goes.
            ExecClearTuple(slot);
            if (old_slot) ExecClearTuple(old_slot);
            MemoryContextReset(chunk_cxt);
        });
    }
    pg_call([&]() {
        ExecDropSingleTupleTableSlot(slot);
        if (old_slot) ExecDropSingleTupleTableSlot(old_slot);
        MemoryContextDelete(chunk_cxt);
    });
    return PointerGetDatum(nullptr);
}

// pgstreamx._outer_user() -> oid: the role the session acts as (after SET
// ROLE), unchanged by SECURITY DEFINER functions.
PGSTREAMX_FUNCTION(pgstreamx__outer_user) { PG_RETURN_OID(GetOuterUserId()); }

// Column options across ALTER TABLE (sql/pgstreamx--0.1.0.sql,
// _capture_on_alter_start / _capture_follow_columns): the attribute number
// of every named column, noted before the command and taken after it. Kept
// in backend memory, not in a setting a session could set, as a stack for
// ALTER TABLEs run by event triggers during another one. An entry of another
// transaction, or of a subtransaction that ended without taking it, is
// dropped.
namespace {

struct NotedColumns {
    LocalTransactionId lxid;
    SubTransactionId sub;
    std::string columns;  // {"<table oid>": {"<attnum>": "<name>"}}
};
std::vector<NotedColumns> *noted = nullptr;

void drop_stale_notes() {
    if (!noted) noted = new std::vector<NotedColumns>();
    const SubTransactionId sub = GetCurrentSubTransactionId();
    auto stale = [&](const NotedColumns &e) { return e.lxid != MyProc->lxid || e.sub > sub; };
    noted->erase(std::remove_if(noted->begin(), noted->end(), stale), noted->end());
}

}  // namespace

// pgstreamx._capture_columns_push(columns text)
PGSTREAMX_FUNCTION(pgstreamx__capture_columns_push) {
    std::string columns = args::required_text(fcinfo, 0, "columns");
    drop_stale_notes();
    noted->push_back(NotedColumns{MyProc->lxid, GetCurrentSubTransactionId(), std::move(columns)});
    PG_RETURN_VOID();
}

// pgstreamx._capture_columns_pop() -> text (NULL: nothing noted)
PGSTREAMX_FUNCTION(pgstreamx__capture_columns_pop) {
    drop_stale_notes();
    if (noted->empty() || noted->back().sub != GetCurrentSubTransactionId()) PG_RETURN_NULL();
    const std::string columns = std::move(noted->back().columns);
    noted->pop_back();
    PG_RETURN_DATUM(pg_call([&]() { return CStringGetTextDatum(columns.c_str()); }));
}
