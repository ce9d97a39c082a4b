// storage.cpp - see include/pgstreamx/storage.hpp
#include "pgstreamx/storage.hpp"

#include "pgstreamx/error.hpp"

namespace pgstreamx::storage {

namespace {

constexpr int64 multi_insert_batch = 1000;  // slots per table_multi_insert

// Forms the row's heap tuple once and hands it to the slot, which owns it:
// table_multi_insert / table_tuple_insert then take it as it is (a virtual
// slot would be copied twice, by materialize and again into a heap tuple).
void fill_slot(TupleTableSlot *slot, TupleDesc desc, const Row &r) {
    Datum v[columns];
    bool nl[columns];
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
    v[10] = Int32GetDatum(r.messages);
    nl[10] = r.messages == 0;
    nl[0] = nl[1] = nl[2] = nl[3] = false;
    ExecStoreHeapTuple(heap_form_tuple(desc, v, nl), slot, true);
}

// The expected shape, checked on every open: a message table changed by hand
// must not be written blindly.
bool has_message_shape(TupleDesc desc) {
    static const Oid types[columns] = {INT4OID, INT4OID,  INT8OID,  TIMESTAMPTZOID, TEXTOID,       TEXTOID,
                                       JSONBOID, JSONBOID, BYTEAOID, TIMESTAMPTZOID, INT4OID};
    if (desc->natts != columns) return false;
    for (int i = 0; i < columns; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        if (a->attisdropped || a->atttypid != types[i]) return false;
    }
    return true;
}

// Slots for the rows of one table_multi_insert, kept for the life of the
// backend (making up to multi_insert_batch slots per call showed up at ~2% of
// a bulk capture). They are over one copy of the first message table's
// descriptor, unpinned: every message table has the same shape
// (has_message_shape), and a slot's descriptor only serves to read the
// index columns back. A slot owns the tuple it holds (so the insert takes it
// without copying), which lives in the caller's memory: slots are emptied
// with forget() before that memory goes, and again before use, since an
// error may have skipped the first.
struct SlotPool {
    TupleDesc desc = nullptr;
    TupleTableSlot **slots = nullptr;
    int64 size = 0;
};
SlotPool pool;
bool pool_in_use = false;  // an index expression that appends would nest a call

void forget(TupleTableSlot *slot) {
    slot->tts_flags &= ~TTS_FLAG_SHOULDFREE;  // the tuple is freed with its context
    ExecClearTuple(slot);
}

TupleTableSlot **pool_slots(TupleDesc desc, int64 width) {
    if (pool.size < width) {
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
        if (!pool.desc) pool.desc = CreateTupleDescCopy(desc);
        TupleTableSlot **grown = static_cast<TupleTableSlot **>(palloc(sizeof(TupleTableSlot *) * static_cast<Size>(width)));
        for (int64 i = 0; i < pool.size; i++) grown[i] = pool.slots[i];
        for (int64 i = pool.size; i < width; i++) grown[i] = MakeSingleTupleTableSlot(pool.desc, &TTSOpsHeapTuple);
        if (pool.slots) pfree(pool.slots);
        pool.slots = grown;
        pool.size = width;
        MemoryContextSwitchTo(old);
    }
    for (int64 i = 0; i < width; i++) forget(pool.slots[i]);
    return pool.slots;
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
    ResultRelInfo *rri = makeNode(ResultRelInfo);
    InitResultRelInfo(rri, rel, 1, nullptr, 0);
    ExecOpenIndices(rri, false);
    const CommandId cid = GetCurrentCommandId(true);
    const int64 width = n < multi_insert_batch ? n : multi_insert_batch;
    // A nested call (from a function in an index expression someone added to
    // a message table) gets slots of its own, freed with its executor state.
    const bool nested = pool_in_use;
    TupleTableSlot **slots = nullptr;
    if (nested) {
        TupleDesc copy = CreateTupleDescCopy(desc);  // unpinned, like the pool's
        slots = static_cast<TupleTableSlot **>(palloc(sizeof(TupleTableSlot *) * static_cast<Size>(width)));
        for (int64 i = 0; i < width; i++) slots[i] = MakeSingleTupleTableSlot(copy, &TTSOpsHeapTuple);
    } else {
        slots = pool_slots(desc, width);
        pool_in_use = true;  // reset below, or by insert() on an error
    }

    if (n == 1) {
        fill_slot(slots[0], desc, rows[0]);
        table_tuple_insert(rel, slots[0], cid, 0, nullptr);
        if (rri->ri_NumIndices > 0) ExecInsertIndexTuples(rri, slots[0], estate, false, false, nullptr, NIL);
    } else {
        BulkInsertState bistate = n > multi_insert_batch ? GetBulkInsertState() : nullptr;
        ExprContext *econtext = GetPerTupleExprContext(estate);
        for (int64 done = 0; done < n;) {
            const int64 k = n - done < width ? n - done : width;
            for (int64 i = 0; i < k; i++) {
                ExecClearTuple(slots[i]);  // frees the previous round's tuple
                fill_slot(slots[i], desc, rows[done + i]);
            }
            // Options 0: the free space map is used as for any table. Skipping
            // it (message tables are append-only) also turns off PostgreSQL
            // 15's extension by several pages under contention
            // (RelationAddExtraBlocks): single-row appends from 4 clients
            // measured 0.67-0.89x raw instead of 0.97-1.02x.
            table_multi_insert(rel, slots, static_cast<int>(k), cid, 0, bistate);
            if (rri->ri_NumIndices > 0)
                for (int64 i = 0; i < k; i++) {
                    ExecInsertIndexTuples(rri, slots[i], estate, false, false, nullptr, NIL);
                    ResetExprContext(econtext);
                }
            done += k;
        }
        if (bistate) FreeBulkInsertState(bistate);
    }
    for (int64 i = 0; i < width; i++) forget(slots[i]);
    if (!nested) pool_in_use = false;  // nested slots go with the executor state's memory

    ExecCloseIndices(rri);
    MemoryContextSwitchTo(old);
    FreeExecutorState(estate);
    table_close(rel, NoLock);
}

}  // namespace

void insert(Oid leaf, const Row *rows, int64 n) {
    if (n <= 0) return;
    const bool was_in_use = pool_in_use;
    try {
        pg_call([=]() { insert_rows(leaf, rows, n); });
    } catch (...) {
        pool_in_use = was_in_use;
        throw;
    }
}

}  // namespace pgstreamx::storage
