// storage.cpp - see include/pgstreamx/storage.hpp
#include "pgstreamx/storage.hpp"

#include "pgstreamx/error.hpp"

namespace pgstreamx::storage {

namespace {

constexpr int64 multi_insert_batch = 1000;  // slots per table_multi_insert

void fill_slot(TupleTableSlot *slot, const Row &r) {
    ExecClearTuple(slot);
    Datum *v = slot->tts_values;
    bool *nl = slot->tts_isnull;
    v[0] = Int32GetDatum(r.segment);
    v[1] = Int32GetDatum(r.partition);
    v[2] = Int64GetDatum(r.seq);
    v[3] = TimestampTzGetDatum(r.appended_at);
    const Datum optional[5] = {r.topic, r.key, r.headers, r.payload, r.payload_bytes};
    for (int i = 0; i < 5; i++) {
        v[4 + i] = optional[i];
        nl[4 + i] = optional[i] == Datum(0);
    }
    v[9] = TimestampTzGetDatum(r.visible_at);
    nl[9] = r.visible_at == 0;
    nl[0] = nl[1] = nl[2] = nl[3] = false;
    ExecStoreVirtualTuple(slot);
}

// The expected shape, checked on every open: a message table changed by hand
// must not be written blindly.
bool has_message_shape(TupleDesc desc) {
    static const Oid types[columns] = {INT4OID, INT4OID,  INT8OID,  TIMESTAMPTZOID, TEXTOID,
                                       TEXTOID, JSONBOID, JSONBOID, BYTEAOID,       TIMESTAMPTZOID};
    if (desc->natts != columns) return false;
    for (int i = 0; i < columns; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        if (a->attisdropped || a->atttypid != types[i]) return false;
    }
    return true;
}

// Plain C: everything that can raise happens here, inside pg_call.
void insert_rows(Oid leaf, const Row *rows, int64 n) {
    Relation rel = try_table_open(leaf, RowExclusiveLock);
    if (!rel)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("the stream was dropped while appending to it"),
                        errhint("Create the stream again, or stop appending to it.")));
    TupleDesc desc = RelationGetDescr(rel);
    if (rel->rd_rel->relkind != RELKIND_RELATION || !has_message_shape(desc))
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("\"%s\" is not a pgstreamx message table", RelationGetRelationName(rel)),
                        errhint("Message tables must not be altered by hand; drop and re-create the stream.")));
    if (rel->trigdesc != nullptr)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("\"%s\" has triggers, which pgstreamx does not run", RelationGetRelationName(rel)),
                        errhint("Message tables are internal: consume the stream instead of adding triggers.")));

    EState *estate = CreateExecutorState();
    MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
    // Slots over an unpinned copy of the descriptor: a slot over the
    // relation's own one pins it in the resource owner, once per slot (up to
    // multi_insert_batch per call), which showed up at ~5% of a bulk capture.
    TupleDesc slot_desc = CreateTupleDescCopy(desc);
    ResultRelInfo *rri = makeNode(ResultRelInfo);
    InitResultRelInfo(rri, rel, 1, nullptr, 0);
    ExecOpenIndices(rri, false);
    const CommandId cid = GetCurrentCommandId(true);

    if (n == 1) {
        TupleTableSlot *slot = MakeSingleTupleTableSlot(slot_desc, &TTSOpsVirtual);
        fill_slot(slot, rows[0]);
        table_tuple_insert(rel, slot, cid, 0, nullptr);
        if (rri->ri_NumIndices > 0) ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
        ExecDropSingleTupleTableSlot(slot);
    } else {
        const int64 width = n < multi_insert_batch ? n : multi_insert_batch;
        TupleTableSlot **slots =
            static_cast<TupleTableSlot **>(palloc(sizeof(TupleTableSlot *) * static_cast<Size>(width)));
        for (int64 i = 0; i < width; i++) slots[i] = MakeSingleTupleTableSlot(slot_desc, &TTSOpsVirtual);
        BulkInsertState bistate = n > multi_insert_batch ? GetBulkInsertState() : nullptr;
        ExprContext *econtext = GetPerTupleExprContext(estate);
        for (int64 done = 0; done < n;) {
            const int64 k = n - done < width ? n - done : width;
            for (int64 i = 0; i < k; i++) fill_slot(slots[i], rows[done + i]);
            table_multi_insert(rel, slots, static_cast<int>(k), cid, 0, bistate);
            if (rri->ri_NumIndices > 0)
                for (int64 i = 0; i < k; i++) {
                    ExecInsertIndexTuples(rri, slots[i], estate, false, false, nullptr, NIL);
                    ResetExprContext(econtext);
                }
            done += k;
        }
        if (bistate) FreeBulkInsertState(bistate);
        for (int64 i = 0; i < width; i++) ExecDropSingleTupleTableSlot(slots[i]);
    }

    ExecCloseIndices(rri);
    MemoryContextSwitchTo(old);
    FreeExecutorState(estate);
    table_close(rel, NoLock);
}

}  // namespace

void insert(Oid leaf, const Row *rows, int64 n) {
    if (n <= 0) return;
    pg_call([=]() { insert_rows(leaf, rows, n); });
}

}  // namespace pgstreamx::storage
