// packed.cpp - see include/pgstreamx/packed.hpp
#include "pgstreamx/packed.hpp"

#include "pgstreamx/core/pack.hpp"

namespace pgstreamx::packed {

namespace {

namespace pk = pgstreamx::pack;

// A field's value as a 4-byte-header varlena (detoasted; short headers are
// expanded), or absent.
pk::Blob image(Datum d) {
    if (d == Datum(0)) return {};
    struct varlena *v = pg_detoast_datum(reinterpret_cast<struct varlena *>(DatumGetPointer(d)));
    return {reinterpret_cast<const uint8 *>(v), static_cast<uint32_t>(VARSIZE(v))};
}

bool same(const pk::Blob &a, const pk::Blob &b) {
    return a.data && b.data && a.size == b.size && (a.data == b.data || memcmp(a.data, b.data, a.size) == 0);
}

// Largest payload_bytes value of a pack row whose shared topic and headers
// take `shared` bytes, such that the whole row stays at or below
// TOAST_TUPLE_THRESHOLD: the toaster would otherwise compress the pack
// (pglz: more CPU than the bytes it saves here) or move it out of line.
// Tuple header with an 11-column null bitmap (32), segment, partition, seq,
// appended_at (24), messages (4), alignment of each varlena (3 each) and a
// margin.
int64 pack_budget(int64 shared) { return static_cast<int64>(TOAST_TUPLE_THRESHOLD) - 32 - 24 - 4 - 9 - 16 - shared; }

uint32_t size_of(const uint8_t *field) {
    const struct varlena *v = reinterpret_cast<const struct varlena *>(field);
    return VARATT_IS_4B_U(v) ? static_cast<uint32_t>(VARSIZE(v)) : 0;
}

}  // namespace

namespace {

// A topic or headers value: the pack row's own (shared) if equal to it, else
// stored in the entry. Absent stays absent (NULL).
void share_or_store(const pk::Blob &v, const pk::Blob &shared, uint32_t shared_flag, uint32_t own_flag, pk::Entry &e,
                    pk::Blob &own) {
    if (!v.data) return;
    if (same(v, shared)) {
        e.flags |= shared_flag;
    } else {
        e.flags |= own_flag;
        own = v;
    }
}

// The entries of rows[i ..) that fit in `limit` bytes of pack (varlena header
// included), sharing `topic` and `headers`: fills entries[i .. returned j),
// sets *total and *uniform.
int64 fill(const storage::Row *rows, int64 i, int64 n, const pk::Blob &topic, const pk::Blob &headers, int64 limit,
           pk::Entry *entries, int64 *total_out, uint32_t *uniform_out) {
    int64 total = VARHDRSZ + static_cast<int64>(pk::header_size);
    uint32_t uniform = 0;
    int64 j = i;
    for (; j < n; j++) {
        const storage::Row &r = rows[j];
        pk::Entry e;
        e.flags = 0;
        share_or_store(image(r.topic), topic, pk::shared_topic, pk::topic, e, e.topic);
        share_or_store(image(r.headers), headers, pk::shared_headers, pk::headers, e, e.headers);
        if ((e.key = image(r.key)).data) e.flags |= pk::key;
        if ((e.payload = image(r.payload)).data) e.flags |= pk::payload;
        if ((e.payload_bytes = image(r.payload_bytes)).data) e.flags |= pk::payload_bytes;
        // Uniform flags (no per-entry flag word) while every entry has the
        // first one's.
        const bool stays_uniform = j == i ? e.flags != 0 : uniform != 0 && e.flags == uniform;
        int64 grown = total + static_cast<int64>(pk::entry_size(e, stays_uniform ? e.flags : 0));
        if (!stays_uniform && uniform != 0) grown += static_cast<int64>(sizeof(uint32_t)) * (j - i);
        if (grown > limit) break;
        uniform = stays_uniform ? e.flags : 0;
        total = grown;
        entries[j] = e;
    }
    *total_out = total;
    *uniform_out = uniform;
    return j;
}

bytea *write(const pk::Entry *entries, int64 i, int64 j, int64 total, uint32_t uniform) {
    bytea *b = static_cast<bytea *>(palloc(static_cast<Size>(total)));
    SET_VARSIZE(b, total);
    uint8 *w = reinterpret_cast<uint8 *>(VARDATA(b));
    pk::write_header(w, static_cast<uint32_t>(j - i), uniform);
    size_t pos = pk::header_size;
    for (int64 k = i; k < j; k++) pos += pk::write_entry(w + pos, entries[k], uniform);
    Assert(static_cast<int64>(VARHDRSZ + pos) == total);
    return b;
}

// Packs are compressed with LZ4 where the server has it: a statement's
// events repeat their keys and much of their values (7 kB of capture
// events took 1 kB), and LZ4 costs a few percent of what the WAL and heap
// pages it saves cost (pglz, the other built-in method, costs several times
// more CPU). A compressed pack is an inline compressed varlena, which the
// toaster leaves alone and every reader (pg_detoast_datum) expands.
#ifdef USE_LZ4
constexpr bool compressing = true;
#else
constexpr bool compressing = false;
#endif
constexpr int64 max_raw = 16 * 1024;  // a reader expands the whole pack to read one message of it
double compressed_ratio = 1.0;        // of this backend's last pack: sizes the next one

}  // namespace

int64 pack_rows(const storage::Row *rows, int64 n, storage::Row *out) {
    int64 made = 0;
    pk::Entry *entries = static_cast<pk::Entry *>(palloc(sizeof(pk::Entry) * static_cast<Size>(n)));
    for (int64 i = 0; i < n;) {
        // The pack starting at rows[i] shares rows[i]'s topic and headers.
        const pk::Blob topic = image(rows[i].topic), headers = image(rows[i].headers);
        const int64 budget = pack_budget(static_cast<int64>(topic.size + headers.size));
        // Raw bytes that should compress to the budget, from the last ratio.
        int64 limit = budget;
        if (compressing && compressed_ratio < 0.9)
            limit = std::min<int64>(max_raw, static_cast<int64>(0.9 * static_cast<double>(budget) / compressed_ratio));
        bytea *b = nullptr;
        int64 j = i;
        for (;;) {
            int64 total = 0;
            uint32_t uniform = 0;
            j = fill(rows, i, n, topic, headers, limit, entries, &total, &uniform);
            if (j - i < 2) break;  // alone: too large to share a row, or the last one
            b = write(entries, i, j, total, uniform);
            if (!compressing) break;
            Datum c = toast_compress_datum(PointerGetDatum(b), TOAST_LZ4_COMPRESSION);
            const int64 csize = c == Datum(0) ? total : static_cast<int64>(VARSIZE(DatumGetPointer(c)));
            compressed_ratio = static_cast<double>(csize) / static_cast<double>(total);
            if (csize <= budget && c != Datum(0)) {
                pfree(b);
                b = reinterpret_cast<bytea *>(DatumGetPointer(c));
                break;
            }
            if (c != Datum(0)) pfree(DatumGetPointer(c));
            if (total <= budget) break;  // fits as it is
            // Too large even compressed: fewer entries (the raw limit falls
            // every round and ends at the budget, where the raw pack fits).
            pfree(b);
            b = nullptr;
            limit = std::max<int64>(budget, std::min<int64>(limit - 1, static_cast<int64>(0.9 * static_cast<double>(total) * static_cast<double>(budget) / static_cast<double>(csize))));
        }
        if (j - i < 2) {
            out[made++] = rows[i];
            i++;
            continue;
        }
        storage::Row p = rows[j - 1];  // seq: the last one
        p.appended_at = rows[i].appended_at;
        p.topic = topic.data ? PointerGetDatum(topic.data) : Datum(0);
        p.key = Datum(0);
        p.headers = headers.data ? PointerGetDatum(headers.data) : Datum(0);
        p.payload = Datum(0);
        p.payload_bytes = PointerGetDatum(b);
        p.visible_at = 0;
        p.messages = static_cast<int32>(j - i);
        out[made++] = p;
        i = j;
    }
    pfree(entries);
    return made;
}

namespace {

[[noreturn]] void damaged(int64 last, const char *why) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("pgstreamx: the pack ending at seq %lld is damaged: %s", static_cast<long long>(last), why),
                    errhint("The message table was changed by hand, or its storage is damaged.")));
    pg_unreachable();
}

}  // namespace

void unpack(Datum blob, int64 last, int32 messages, Datum row_topic, Datum row_headers, int64 after,
            bool (*emit)(void *arg, const Message &m), void *arg) {
    if (blob == Datum(0)) damaged(last, "it has no messages");
    struct varlena *stored = reinterpret_cast<struct varlena *>(DatumGetPointer(blob));
    bytea *b = reinterpret_cast<bytea *>(pg_detoast_datum(stored));  // expands a compressed pack
    pk::Reader r(reinterpret_cast<const uint8_t *>(VARDATA(b)), VARSIZE(b) - VARHDRSZ, size_of);
    if (r.error()) damaged(last, r.error());
    if (messages < 2 || r.count() != static_cast<uint32_t>(messages))
        damaged(last, "it does not hold the messages its row counts");
    const int64 first = last - messages + 1;
    pk::Entry e;
    for (int64 seq = first; r.next(e); seq++) {
        if (seq <= after) continue;
        Message m{seq,
                  (e.flags & pk::shared_topic) ? row_topic : e.topic.data ? PointerGetDatum(e.topic.data) : Datum(0),
                  e.key.data ? PointerGetDatum(e.key.data) : Datum(0),
                  (e.flags & pk::shared_headers) ? row_headers
                  : e.headers.data                ? PointerGetDatum(e.headers.data)
                                                  : Datum(0),
                  e.payload.data ? PointerGetDatum(e.payload.data) : Datum(0),
                  e.payload_bytes.data ? PointerGetDatum(e.payload_bytes.data) : Datum(0)};
        if (!emit(arg, m)) break;  // emit copied the values
    }
    const char *damage = r.error();  // a static string: valid after the pfree
    if (reinterpret_cast<struct varlena *>(b) != stored) pfree(b);
    if (damage) damaged(last, damage);
}

}  // namespace pgstreamx::packed
