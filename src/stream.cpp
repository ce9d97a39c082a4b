// stream.cpp - streams: append, append_batch, poll, commit_offset, seek,
// create_consumer, drop_consumer. create_stream/drop_stream/list_streams are
// PL/pgSQL in sql/pgstreamx--0.1.0.sql (DDL with allow-listed names).
//
// Commit order (I2) comes from offsets.cpp: append allocates seqs there;
// poll computes every horizon FIRST and then reads `seq < horizon` with the
// snapshot its SPI query takes afterwards (READ COMMITTED only).
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "pgstreamx/args.hpp"
#include "pgstreamx/core/hash.hpp"
#include "pgstreamx/core/names.hpp"
#include "pgstreamx/error.hpp"
#include "pgstreamx/offsets.hpp"
#include "pgstreamx/packed.hpp"
#include "pgstreamx/spi.hpp"
#include "pgstreamx/storage.hpp"
#include "pgstreamx/stream.hpp"
#include "pgstreamx/wakeup.hpp"


namespace pgstreamx::stream {

namespace {

int guc_max_message_size = 1024 * 1024;  // pgstreamx.max_message_size (bytes)
int guc_consumer_lease_ms = 30000;       // pgstreamx.consumer_lease
int guc_consumer_expiry_s = 7 * 86400;   // pgstreamx.consumer_expiry
int guc_log_retention_s = 7 * 86400;     // pgstreamx.maintenance_log_retention
constexpr int max_poll = 10000;
constexpr int max_batch = 100000;
constexpr Size max_topic = 1024;
constexpr Size max_key = 4096;
constexpr int64 max_wait_ms = 3600 * 1000;

using args::required_int32;
using args::required_text;
std::string text_arg(FunctionCallInfo fcinfo, int n) { return args::text_value(fcinfo, n); }

void check_field_length(Size bytes, Size limit, const char *what) {
    if (bytes > limit)
        throw Error(sqlstate::program_limit_exceeded, std::string(what) + " is too long",
                    std::string(what) + " is " + std::to_string(bytes) + " bytes; the limit is " +
                        std::to_string(limit) + ".");
}

void check_payload_size(Size bytes) {
    if (bytes > static_cast<Size>(guc_max_message_size))
        throw Error(sqlstate::program_limit_exceeded, "message is too large",
                    "The payload and headers are " + std::to_string(bytes) +
                        " bytes; pgstreamx.max_message_size is " +
                        std::to_string(guc_max_message_size) + ".",
                    "Store large data elsewhere and send a reference, or raise "
                    "pgstreamx.max_message_size.");
}

// Bytes of a varlena value once detoasted (a compressed or out-of-line value
// counts at its full size).
Size datum_bytes(Datum d) {
    return pg_call([d]() { return toast_raw_datum_size(d); });
}

int64 interval_ms(const Interval *iv) {
    int64 days = static_cast<int64>(iv->month) * DAYS_PER_MONTH + iv->day;
    return days * 86400000 + iv->time / 1000;
}

std::string session_holder() {
    return "session:" + std::to_string(MyProcPid) + ":" + std::to_string(MyStartTimestamp);
}

// Whom a lease belongs to: the caller's token, or this session.
std::string holder_of(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return session_holder();
    std::string h = text_arg(fcinfo, n);
    if (h.empty() || h.size() > 200)
        throw Error(sqlstate::invalid_parameter_value, "holder must be 1 to 200 bytes", {},
                    "Pass a stable client identifier, e.g. host name and process id.");
    if (h.rfind("session:", 0) == 0)
        throw Error(sqlstate::invalid_parameter_value, "holder must not start with \"session:\"",
                    "That prefix marks leases held by a database session.");
    return h;
}

void refuse_standby_and_snapshot_isolation(const char *what) {
    if (RecoveryInProgress())
        throw Error(sqlstate::read_only_sql_transaction,
                    std::string("cannot ") + what + " on a hot standby",
                    "Commit order is tracked in the primary server's shared memory.",
                    "Connect to the primary server.");
    if (IsolationUsesXactSnapshot())
        throw Error(sqlstate::feature_not_supported,
                    std::string("cannot ") + what +
                        " in a REPEATABLE READ or SERIALIZABLE transaction",
                    "A stream is read with a snapshot taken after the in-flight horizon; the "
                    "transaction's snapshot is older.",
                    "Use READ COMMITTED (the default) for transactions that poll.");
}

uint32 spread_counter = 0;  // backend-local round robin for messages without key

int32 choose_partition(const Info &s, const char *key, Size keylen) {
    if (key)
        return static_cast<int32>(
            hash::partition_for_key(std::string_view(key, keylen), static_cast<uint32>(s.partitions)));
    if (spread_counter == 0) spread_counter = static_cast<uint32>(MyProcPid);
    return static_cast<int32>(spread_counter++ % static_cast<uint32>(s.partitions));
}

Datum text_datum(const std::string &s) { return CStringGetTextDatum(s.c_str()); }

}  // namespace

// ---- stream lookup -------------------------------------------------------------

namespace {

// Backend-local cache: stream name -> Info (created on first use).
std::unordered_map<std::string, Info> *cache = nullptr;
Oid schema_oid = InvalidOid;

Oid message_table_oid(const std::string &name) {
    const std::string relname = "s_" + name;
    const char *rn = relname.c_str();
    return pg_call([rn]() {
        if (!OidIsValid(schema_oid)) schema_oid = get_namespace_oid("pgstreamx", false);
        Oid relid = get_relname_relid(rn, schema_oid);
        if (!OidIsValid(relid)) {
            // The extension may have been dropped and created again since.
            schema_oid = get_namespace_oid("pgstreamx", false);
            relid = get_relname_relid(rn, schema_oid);
        }
        return relid;
    });
}

}  // namespace

const Info &lookup(const std::string &name) {
    names::validate("stream", name);
    if (const Info *s = find(name)) return *s;
    throw Error(sqlstate::undefined_object, "stream \"" + name + "\" does not exist", {},
                "Create it with pgstreamx.create_stream(), or see pgstreamx.list_streams().");
}

const Info *find(const std::string &name) {
    if (!cache) cache = new std::unordered_map<std::string, Info>();
    const Oid relid = message_table_oid(name);
    if (auto it = cache->find(name); it != cache->end()) {
        if (OidIsValid(relid) && it->second.relid == relid) return &it->second;
        cache->erase(it);
    }
    spi::Scope scope;  // only on a miss: the hit above needs no SPI
    static const Oid types[] = {TEXTOID};
    SPIPlanPtr p = spi::plan(
        "SELECT id, partitions, chunk, hwm::oid[], segments, kind = 'queue' FROM pgstreamx.stream_config "
        "WHERE name = $1",
        1, types);
    Datum args[] = {text_datum(name)};
    if (!OidIsValid(relid) || spi::execute(p, args, nullptr, true, 1) == 0) return nullptr;
    Info info;
    info.name = name;
    info.relation = spi::qualified("s_" + name);
    info.relid = relid;
    info.id = spi::int32_value(0, 1);
    info.partitions = spi::int32_value(0, 2);
    info.chunk = spi::int32_value(0, 3);
    const int32 segments = spi::int32_value(0, 5);
    bool isq_null = false;
    info.is_queue = DatumGetBool(spi::value(0, 6, &isq_null));
    bool isnull = false;
    Datum hwm = spi::value(0, 4, &isnull);
    Datum *elems = nullptr;
    int n = 0;
    pg_call([&]() {
        bool *nulls;
        deconstruct_array(DatumGetArrayTypeP(hwm), OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems,
                          &nulls, &n);
    });
    for (int i = 0; i < n; i++) info.hwm.push_back(DatumGetObjectId(elems[i]));
    if (info.partitions != n)
        throw Error(sqlstate::internal_error, "pgstreamx catalog is inconsistent for stream \"" + name + "\"");
    // The leaf of each segment (TRUNCATE keeps their OIDs).
    for (int32 g = 0; g < segments; g++) {
        Oid leaf = message_table_oid(name + "$" + std::to_string(g));
        if (!OidIsValid(leaf))
            throw Error(sqlstate::internal_error,
                        "segment " + std::to_string(g) + " of stream \"" + name + "\" is missing");
        info.leaves.push_back(leaf);
    }
    return &cache->emplace(name, std::move(info)).first->second;
}

int32 current_segment(int32 stream_id) {
    spi::Scope scope;
    static const Oid types[] = {INT4OID};
    SPIPlanPtr p = spi::plan("SELECT current_segment FROM pgstreamx.stream_config WHERE id = $1", 1, types);
    Datum args[] = {Int32GetDatum(stream_id)};
    if (spi::execute(p, args, nullptr, false, 1) == 0)
        throw Error(sqlstate::undefined_object, "the stream was dropped", {}, "Retry the statement.");
    return spi::int32_value(0, 1);
}

Oid leaf_of(const Info &s, int32 segment) {
    if (segment < 0 || static_cast<size_t>(segment) >= s.leaves.size())
        throw Error(sqlstate::internal_error, "segment " + std::to_string(segment) + " of stream \"" +
                                                  s.name + "\" does not exist");
    return s.leaves[static_cast<size_t>(segment)];
}

uint64 channel_of(const Info &s) { return wakeup::channel(MyDatabaseId, static_cast<uint64>(s.id)); }

void check_partition(const Info &s, int32 partition) {
    if (partition < 0 || partition >= s.partitions)
        throw Error(sqlstate::invalid_parameter_value,
                    "partition " + std::to_string(partition) + " does not exist in stream \"" +
                        s.name + "\"",
                    "The stream has " + std::to_string(s.partitions) +
                        " partition(s), numbered from 0.");
}

offsets::PartitionRef partition_ref(const Info &s, int32 partition) {
    return {s.id, partition, s.hwm[static_cast<size_t>(partition)], s.chunk, current_segment};
}

void define_gucs() {
    DefineCustomIntVariable("pgstreamx.max_message_size", "Largest message payload, in bytes.",
                            "append, append_batch and send refuse larger payloads with SQLSTATE 54000.",
                            &guc_max_message_size, 1024 * 1024, 1, MaxAllocSize, PGC_SUSET,
                            GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.consumer_lease",
                            "How long a named consumer stays with the client that polled it.",
                            "Another client gets the consumer when this passes without a poll or "
                            "commit by the holder, or at once when the holding session ends.",
                            &guc_consumer_lease_ms, 30000, 100, 24 * 3600 * 1000, PGC_USERSET,
                            GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.consumer_expiry",
                            "Named consumers unseen for this long are dropped by maintain().",
                            "An abandoned consumer would otherwise keep every message it has not "
                            "read from retention forever.",
                            &guc_consumer_expiry_s, 7 * 86400, 60, INT_MAX, PGC_SUSET, GUC_UNIT_S,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgstreamx.maintenance_log_retention",
                            "How long maintain() keeps its entries in pgstreamx.maintenance_log.",
                            nullptr, &guc_log_retention_s, 7 * 86400, 60, INT_MAX, PGC_SUSET,
                            GUC_UNIT_S, nullptr, nullptr, nullptr);
}

// ---- consumers ----------------------------------------------------------------

namespace {

// Creates the consumer's rows if missing; start = earliest (0) or latest.
// Returns true if it created them. Two clients creating the same consumer
// at once would make the second wait on the first one's uncommitted rows
// (INSERT ... ON CONFLICT waits); an advisory transaction lock on (stream,
// consumer) lets the second one see "busy" instead when `wait` is false, and
// then it simply finds no partition available.
enum class Created { existed, created, busy };

Created ensure_consumer(const Info &s, const std::string &consumer, bool latest, bool wait) {
    names::validate("consumer", consumer);
    static const Oid etypes[] = {INT4OID, TEXTOID};
    SPIPlanPtr exists = spi::plan(
        "SELECT 1 FROM pgstreamx.consumer_offsets WHERE stream_id = $1 AND consumer = $2 LIMIT 1", 2,
        etypes);
    Datum eargs[] = {Int32GetDatum(s.id), text_datum(consumer)};
    if (spi::execute(exists, eargs, nullptr, false, 1) > 0) return Created::existed;

    static const Oid ltypes[] = {INT4OID, INT4OID};
    SPIPlanPtr lock = spi::plan(wait ? "SELECT pg_advisory_xact_lock($1, $2), true"
                                     : "SELECT true, pg_try_advisory_xact_lock($1, $2)",
                                2, ltypes);
    Datum largs[] = {Int32GetDatum(s.id),
                     Int32GetDatum(static_cast<int32>(hash::fnv1a64(consumer) & 0x7fffffff))};
    spi::execute(lock, largs, nullptr, false, 1);
    bool isnull = false;
    if (!DatumGetBool(spi::value(0, 2, &isnull))) return Created::busy;

    static const Oid types[] = {INT4OID, TEXTOID, INT8ARRAYOID};
    SPIPlanPtr p = spi::plan(
        "INSERT INTO pgstreamx.consumer_offsets (stream_id, consumer, partition, committed_seq) "
        "SELECT $1, $2, p - 1, ($3::bigint[])[p] FROM generate_subscripts($3::bigint[], 1) p "
        "ON CONFLICT DO NOTHING",
        3, types);
    std::vector<Datum> start(static_cast<size_t>(s.partitions), Int64GetDatum(0));
    if (latest)  // everything below the horizon has ended: it counts as seen
        for (int32 p = 0; p < s.partitions; p++)
            start[p] = Int64GetDatum(offsets::horizon(partition_ref(s, p)) - 1);
    Datum arr = pg_call([&]() {
        return PointerGetDatum(construct_array(start.data(), static_cast<int>(start.size()), INT8OID,
                                               sizeof(int64), true, TYPALIGN_DOUBLE));
    });
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer), arr};
    return spi::execute(p, args, nullptr, false) > 0 ? Created::created : Created::existed;
}

}  // namespace

}  // namespace pgstreamx::stream

namespace pgstreamx::stream {

void check_message(const Message &m) {
    check_payload_size(datum_bytes(m.payload ? m.payload : m.payload_bytes) + (m.headers ? datum_bytes(m.headers) : 0));
    if (m.key) check_field_length(VARSIZE_ANY_EXHDR(m.key), max_key, "key");
    // The topic may still be toasted (an argument straight from a column).
    if (m.topic) check_field_length(datum_bytes(m.topic) - VARHDRSZ, max_topic, "topic");
}

void append_messages(const Info &s, const Message *msgs, int64 n, int64 *seqs_out, bool pack) {
    if (n <= 0) return;
    // Partition of each message, then seqs per partition in one allocation
    // each, assigned in input order (FIFO per partition within the call).
    std::vector<int32> part(static_cast<size_t>(n));
    std::vector<int64> count(static_cast<size_t>(s.partitions), 0);
    for (int64 i = 0; i < n; i++) {
        const text *key = msgs[i].key;
        part[i] = choose_partition(s, key ? VARDATA_ANY(key) : nullptr, key ? VARSIZE_ANY_EXHDR(key) : 0);
        count[part[i]]++;
    }
    std::vector<std::vector<int64>> seqs(static_cast<size_t>(s.partitions));
    std::vector<std::vector<int32>> segs(static_cast<size_t>(s.partitions));
    for (int32 p = 0; p < s.partitions; p++)
        if (count[p] > 0) {
            seqs[p].resize(static_cast<size_t>(count[p]));
            segs[p].resize(static_cast<size_t>(count[p]));
            offsets::allocate(partition_ref(s, p), count[p], seqs[p].data(), segs[p].data());
        }
    // Rows in input order, written straight into the segment leaves
    // (storage.hpp): one call per run of rows of one segment, i.e. one call
    // unless a rotation happened in the middle.
    std::vector<size_t> used(static_cast<size_t>(s.partitions), 0);
    std::vector<storage::Row> rows(static_cast<size_t>(n));
    const TimestampTz now = GetCurrentTimestamp();
    for (int64 i = 0; i < n; i++) {
        const size_t k = used[part[i]]++;
        const Message &m = msgs[i];
        rows[i] = storage::Row{segs[part[i]][k], part[i],        seqs[part[i]][k], now,
                               m.topic,          PointerGetDatum(m.key), m.headers,     m.payload,
                               m.payload_bytes,  m.visible_at,   0};
        if (seqs_out) seqs_out[i] = seqs[part[i]][k];
    }
    // Packs (and expanded copies of their fields) live in a context of this
    // call, deleted once the rows are in: the caller's may last for a whole
    // statement. (On an error it goes with the caller's.)
    MemoryContext pack_cxt = nullptr;
    if (pack && n > 1 && !s.is_queue) {  // a queue's claims are per row: never packed
        pack_cxt = pg_call([]() {
            return AllocSetContextCreate(CurrentMemoryContext, "pgstreamx packs", ALLOCSET_DEFAULT_SIZES);
        });
        // Packs (packed.hpp): per partition, runs of consecutive seqs in one
        // segment (another transaction's seqs or a rotation end a run).
        std::vector<storage::Row> by_part(static_cast<size_t>(n)), packed(static_cast<size_t>(n));
        std::vector<int64> start(static_cast<size_t>(s.partitions), 0);
        for (int32 p = 1; p < s.partitions; p++) start[p] = start[p - 1] + count[p - 1];
        for (int64 i = 0; i < n; i++) by_part[start[part[i]]++] = rows[i];  // input order per partition
        int64 out = 0;
        for (int64 i = 0; i < n;) {
            int64 j = i + 1;
            while (j < n && by_part[j].partition == by_part[i].partition && by_part[j].segment == by_part[i].segment &&
                   by_part[j].seq == by_part[j - 1].seq + 1)
                j++;
            out += pg_call([&]() {
                MemoryContext old = MemoryContextSwitchTo(pack_cxt);
                const int64 made = packed::pack_rows(&by_part[i], j - i, &packed[out]);
                MemoryContextSwitchTo(old);
                return made;
            });
            i = j;
        }
        packed.resize(static_cast<size_t>(out));
        rows.swap(packed);
    }
    const int64 nrows = static_cast<int64>(rows.size());
    for (int64 i = 0; i < nrows;) {
        int64 j = i + 1;
        while (j < nrows && rows[j].segment == rows[i].segment) j++;
        storage::insert(leaf_of(s, rows[i].segment), &rows[i], j - i);
        i = j;
    }
    if (pack_cxt) MemoryContextDelete(pack_cxt);
    wakeup::notify_at_commit(channel_of(s));
}

}  // namespace pgstreamx::stream

using namespace pgstreamx;
using namespace pgstreamx::stream;

// ---- append ----------------------------------------------------------------

// pgstreamx._check_name(kind, name): the allow-list, for the PL/pgSQL functions.
PGSTREAMX_FUNCTION(pgstreamx__check_name) {
    std::string kind = required_text(fcinfo, 0, "kind");
    names::validate(kind, required_text(fcinfo, 1, (kind + " name").c_str()));
    PG_RETURN_VOID();
}

// pgstreamx.append(stream, payload jsonb|bytea, key, headers, topic) -> bigint
PGSTREAMX_FUNCTION(pgstreamx_append) {
    std::string name = required_text(fcinfo, 0, "stream");
    if (PG_ARGISNULL(1))
        throw Error(sqlstate::null_value_not_allowed, "payload must not be null", {},
                    "Send an empty object ('{}') or an empty bytea for a message without content.");
    const bool binary = get_fn_expr_argtype(fcinfo->flinfo, 1) == BYTEAOID;
    Datum payload = PG_GETARG_DATUM(1);
    const bool has_key = !PG_ARGISNULL(2), has_headers = !PG_ARGISNULL(3), has_topic = !PG_ARGISNULL(4);
    Message m{binary ? Datum(0) : payload, binary ? payload : Datum(0), has_key ? PG_GETARG_TEXT_PP(2) : nullptr,
              has_topic ? PG_GETARG_DATUM(4) : Datum(0), has_headers ? PG_GETARG_DATUM(3) : Datum(0)};
    check_message(m);

    // No SPI on this path: the stream is cached, the seq comes from shared
    // memory and the row goes straight into the segment's leaf (storage.hpp).
    const Info &s = lookup(name);
    int64 seq = 0;
    append_messages(s, &m, 1, &seq);
    PG_RETURN_INT64(seq);
}


// pgstreamx.append_batch(stream, payloads jsonb[], keys text[], headers jsonb[],
// topics text[]) -> SETOF bigint: the seqs, in the order of `payloads`.
PGSTREAMX_FUNCTION(pgstreamx_append_batch) {
    std::string name = required_text(fcinfo, 0, "stream");
    if (PG_ARGISNULL(1)) throw Error(sqlstate::null_value_not_allowed, "payloads must not be null");
    args::Array payloads = args::array(fcinfo, 1, JSONBOID);
    args::Array keys = args::array(fcinfo, 2, TEXTOID);
    args::Array headers = args::array(fcinfo, 3, JSONBOID);
    args::Array topics = args::array(fcinfo, 4, TEXTOID);
    const int n = payloads.n;
    args::check_batch("payloads", n, max_batch, {&keys, &headers, &topics});
    std::vector<Message> msgs(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) {
        if (payloads.nulls[i])
            throw Error(sqlstate::null_value_not_allowed,
                        "payload " + std::to_string(i + 1) + " of the batch is null");
        auto opt = [i](const args::Array &a) { return a.present && !a.nulls[i] ? a.values[i] : Datum(0); };
        const Datum k = opt(keys);
        msgs[i] = Message{payloads.values[i], Datum(0), k ? DatumGetTextPP(k) : nullptr, opt(topics), opt(headers)};
        check_message(msgs[i]);
    }

    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (n == 0) return Datum(0);

    const Info &s = lookup(name);
    std::vector<int64> seqs(static_cast<size_t>(n));
    append_messages(s, msgs.data(), n, seqs.data());
    std::vector<Datum> seq_of(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) seq_of[i] = Int64GetDatum(seqs[i]);

    pg_call([&]() {
        bool isnull = false;
        for (int i = 0; i < n; i++) tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &seq_of[i], &isnull);
    });
    return Datum(0);
}

// ---- consumers -----------------------------------------------------------------

// pgstreamx.create_consumer(stream, consumer, start 'earliest'|'latest') -> bool
PGSTREAMX_FUNCTION(pgstreamx_create_consumer) {
    std::string name = required_text(fcinfo, 0, "stream");
    std::string consumer = required_text(fcinfo, 1, "consumer");
    std::string start = PG_ARGISNULL(2) ? "earliest" : text_arg(fcinfo, 2);
    if (start != "earliest" && start != "latest")
        throw Error(sqlstate::invalid_parameter_value, "start must be 'earliest' or 'latest'",
                    "start = '" + start.substr(0, 40) + "'");
    refuse_standby_and_snapshot_isolation("create a consumer");
    spi::Scope scope;
    Info s = lookup(name);
    PG_RETURN_BOOL(ensure_consumer(s, consumer, start == "latest", true) == Created::created);
}

// pgstreamx.drop_consumer(stream, consumer) -> bool
PGSTREAMX_FUNCTION(pgstreamx_drop_consumer) {
    std::string name = required_text(fcinfo, 0, "stream");
    std::string consumer = required_text(fcinfo, 1, "consumer");
    names::validate("consumer", consumer);
    spi::Scope scope;
    Info s = lookup(name);
    static const Oid types[] = {INT4OID, TEXTOID};
    SPIPlanPtr p = spi::plan(
        "DELETE FROM pgstreamx.consumer_offsets WHERE stream_id = $1 AND consumer = $2", 2, types);
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer)};
    PG_RETURN_BOOL(spi::execute(p, args, nullptr, false) > 0);
}

// ---- poll ------------------------------------------------------------------------

namespace {

struct ConsumerOffset {
    int32 partition;
    int64 committed;
    bool available;  // free, ours, expired, or its holding session is gone
    bool renew;      // ours, and the lease is past its half life
};

// Whether a partition of a consumer is available to holder $3: a group
// member's own partition, or a named consumer's that is free, ours, expired,
// or held by a session that has ended. One definition for reading and taking.
#define PGSX_AVAILABLE_TO_HOLDER_3                                                   \
    "CASE WHEN group_generation IS NOT NULL THEN holder = $3"                        \
    "     ELSE (holder IS NULL OR holder = $3 OR lease_until < clock_timestamp()"    \
    "           OR NOT pgstreamx._holder_alive(holder)) END"

// The consumer's offsets, without locking anything but the catalog.
std::vector<ConsumerOffset> read_offsets(const Info &s, const std::string &consumer, const std::string &me) {
    static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, INT4OID};
    SPIPlanPtr p = spi::plan(
        "SELECT partition, committed_seq, " PGSX_AVAILABLE_TO_HOLDER_3 ", "
        "       group_generation IS NULL AND holder = $3"
        "       AND lease_until < clock_timestamp() + make_interval(secs => $4 / 2000.0) "
        "FROM pgstreamx.consumer_offsets WHERE stream_id = $1 AND consumer = $2 ORDER BY partition",
        4, types);
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer), text_datum(me),
                    Int32GetDatum(guc_consumer_lease_ms)};
    uint64 n = spi::execute(p, args, nullptr, false);
    std::vector<ConsumerOffset> out;
    out.reserve(n);
    for (uint64 i = 0; i < n; i++) {
        bool isnull = false, rnull = false;
        bool avail = DatumGetBool(spi::value(i, 3, &isnull));
        bool renew = DatumGetBool(spi::value(i, 4, &rnull));
        out.push_back({spi::int32_value(i, 1), spi::int64_value(i, 2), avail && !isnull, renew && !rnull});
    }
    return out;
}

// Takes (or renews) the lease of every available partition; returns the
// partitions now held by `me` with their committed offsets. Never blocks: a
// row another transaction has locked is skipped.
std::vector<ConsumerOffset> take_leases(const Info &s, const std::string &consumer, const std::string &me) {
    static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, INT4OID};
    SPIPlanPtr p = spi::plan(
        "WITH free AS ("
        "  SELECT stream_id, consumer, partition FROM pgstreamx.consumer_offsets"
        "  WHERE stream_id = $1 AND consumer = $2 AND " PGSX_AVAILABLE_TO_HOLDER_3
        "  FOR UPDATE SKIP LOCKED) "
        "UPDATE pgstreamx.consumer_offsets o"
        "   SET holder = $3, last_seen = clock_timestamp(),"
        "       lease_until = CASE WHEN o.group_generation IS NOT NULL THEN o.lease_until"
        "                          ELSE clock_timestamp() + make_interval(secs => $4 / 1000.0) END "
        "FROM free WHERE o.stream_id = free.stream_id AND o.consumer = free.consumer"
        "  AND o.partition = free.partition "
        "RETURNING o.partition, o.committed_seq",
        4, types);
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer), text_datum(me),
                    Int32GetDatum(guc_consumer_lease_ms)};
    uint64 n = spi::execute(p, args, nullptr, false);
    std::vector<ConsumerOffset> out;
    out.reserve(n);
    for (uint64 i = 0; i < n; i++) out.push_back({spi::int32_value(i, 1), spi::int64_value(i, 2), true, false});
    std::sort(out.begin(), out.end(), [](const ConsumerOffset &a, const ConsumerOffset &b) { return a.partition < b.partition; });
    return out;
}

}  // namespace

// pgstreamx.poll(stream, consumer, max, wait, holder) -> SETOF (partition,
// seq, topic, key, payload, headers, appended_at, payload_bytes)
namespace {

// Plain C. Puts the messages of the poll query's rows (partition, seq, topic,
// key, payload, headers, appended_at, payload_bytes, messages) with seq >
// after into the result, at most `want`; returns how many.
struct PackOut {
    ReturnSetInfo *rsinfo;
    Datum *values;
    bool *nulls;
    int64 left;
};

bool put_unpacked(void *arg, const packed::Message &m) {
    PackOut *o = static_cast<PackOut *>(arg);
    const Datum v[] = {m.topic, m.key, m.payload, m.headers};
    const int at[] = {2, 3, 4, 5};
    o->values[1] = Int64GetDatum(m.seq);
    for (int k = 0; k < 4; k++) {
        o->values[at[k]] = v[k];
        o->nulls[at[k]] = v[k] == Datum(0);
    }
    o->values[7] = m.payload_bytes;
    o->nulls[7] = m.payload_bytes == Datum(0);
    tuplestore_putvalues(o->rsinfo->setResult, o->rsinfo->setDesc, o->values, o->nulls);
    return --o->left > 0;
}

int64 put_messages(ReturnSetInfo *rsinfo, SPITupleTable *tt, uint64 n, int64 after, int64 want) {
    Datum values[9];
    bool nulls[9];
    PackOut o{rsinfo, values, nulls, want};
    for (uint64 r = 0; r < n && o.left > 0; r++) {
        heap_deform_tuple(tt->vals[r], tt->tupdesc, values, nulls);
        if (nulls[8]) {
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
            o.left--;
        } else {
            packed::unpack(nulls[7] ? Datum(0) : values[7], DatumGetInt64(values[1]), DatumGetInt32(values[8]), nulls[2] ? Datum(0) : values[2],
                           nulls[5] ? Datum(0) : values[5], after, put_unpacked, &o);
        }
    }
    return want - o.left;
}

// The read of poll and peek: a partition's rows with seq > $2 and < $3 (the
// horizon), in seq order.
SPIPlanPtr read_plan(const Info &s) {
    static const Oid rtypes[] = {INT4OID, INT8OID, INT8OID, INT4OID};
    return spi::plan("SELECT partition, seq, topic, key, payload, headers, appended_at, payload_bytes, messages FROM " +
                         s.relation + " WHERE partition = $1 AND seq > $2 AND seq < $3 ORDER BY seq LIMIT $4",
                     4, rtypes);
}

// Puts up to `want` messages of `partition` with after < seq < horizon into
// the result and returns how many. *all (if given): true if there is nothing
// more below the horizon. A pack (packed.hpp) may start at or below `after`
// and holds many messages, so the rows come through a cursor, a few at a
// time, until `want` messages are out (the query's LIMIT of `want` rows is
// only an upper bound). Fetching all `want` rows at once copied ~1.6 kB per
// pack row, most of them unused, when one or two packs held enough.
int64 read_partition(SPIPlanPtr read, ReturnSetInfo *rsinfo, int32 partition, int64 after, int64 horizon, int64 want,
                     bool *all) {
    Datum args[] = {Int32GetDatum(partition), Int64GetDatum(after), Int64GetDatum(horizon),
                    Int32GetDatum(static_cast<int32>(want))};
    struct Read {
        int64 got;
        bool all;
    };
    const Read r = pg_call([&]() {
        Portal portal = SPI_cursor_open(nullptr, read, args, nullptr, false);
        int64 left = want;
        bool exhausted = false;
        long batch = static_cast<long>(want < 16 ? want : 16);
        while (left > 0) {
            SPI_cursor_fetch(portal, true, batch);
            const uint64 n = SPI_processed;
            left -= put_messages(rsinfo, SPI_tuptable, n, after, left);
            SPI_freetuptable(SPI_tuptable);
            if (n < static_cast<uint64>(batch)) {
                exhausted = true;
                break;
            }
            batch = static_cast<long>(left < 64 ? left : 64);
        }
        SPI_cursor_close(portal);
        return Read{want - left, exhausted && left > 0};
    });
    if (all) *all = r.all;
    return r.got;
}

}  // namespace

PGSTREAMX_FUNCTION(pgstreamx_poll) {
    std::string name = required_text(fcinfo, 0, "stream");
    std::string consumer = required_text(fcinfo, 1, "consumer");
    const int32 max = PG_ARGISNULL(2) ? 100 : PG_GETARG_INT32(2);
    if (max < 1 || max > max_poll)
        throw Error(sqlstate::invalid_parameter_value,
                    "max must be between 1 and " + std::to_string(max_poll), "max = " + std::to_string(max));
    const int64 wait_ms = PG_ARGISNULL(3) ? 0 : interval_ms(PG_GETARG_INTERVAL_P(3));
    if (wait_ms < 0 || wait_ms > max_wait_ms)
        throw Error(sqlstate::invalid_parameter_value, "wait must be between 0 and 1 hour");
    const std::string me = holder_of(fcinfo, 4);
    names::validate("consumer", consumer);
    refuse_standby_and_snapshot_isolation("poll a stream");

    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);

    spi::Scope scope;
    Info s = lookup(name);
    // First poll: start at the earliest message. If another client is
    // creating the consumer right now, find nothing available this time.
    (void)ensure_consumer(s, consumer, false, false);
    const uint64 ch = channel_of(s);
    const TimestampTz deadline = GetCurrentTimestamp() + wait_ms * 1000;

    SPIPlanPtr read = read_plan(s);

    // Per partition, the seq below which this call has already found nothing
    // more to read (everything below a horizon is final): a trailing gap (a
    // rolled-back append) then does not make every wake-up open the tables.
    std::vector<int64> floor(static_cast<size_t>(s.partitions), 0);
    bool renewed = false;
    for (;;) {
        const uint64 seen = wait_ms > 0 ? wakeup::generation(ch) : 0;

        // Without opening the message table: is there anything to read?
        bool maybe = false, renew = false;
        for (const ConsumerOffset &o : read_offsets(s, consumer, me)) {
            const int64 after = std::max(o.committed, floor[static_cast<size_t>(o.partition)]);
            if (o.available && offsets::may_have_newer(s.id, o.partition, after)) maybe = true;
            renew = renew || o.renew;
        }

        int64 returned = 0;
        if (maybe || (renew && !renewed)) {
            // Leases are renewed by polls that find nothing, too, so an idle
            // holder keeps its consumer (and its last_seen stays fresh).
            std::vector<ConsumerOffset> held = take_leases(s, consumer, me);
            renewed = true;
            // Horizons FIRST, then the snapshot (taken by each SPI query below).
            std::vector<int64> horizon(held.size());
            for (size_t i = 0; i < held.size(); i++)
                horizon[i] = offsets::horizon(partition_ref(s, held[i].partition));
            if (offsets::after_horizon_hook) pg_call([]() { offsets::after_horizon_hook(); });

            for (size_t i = 0; i < held.size() && returned < max; i++) {
                int64 &fl = floor[static_cast<size_t>(held[i].partition)];
                const int64 from = std::max(held[i].committed, fl);
                if (horizon[i] <= from + 1) continue;
                bool all = false;
                returned += read_partition(read, rsinfo, held[i].partition, held[i].committed, horizon[i],
                                           max - returned, &all);
                if (all) fl = horizon[i] - 1;  // nothing more below it
            }
        }
        if (returned > 0 || wait_ms == 0) break;
        long remaining = static_cast<long>((deadline - GetCurrentTimestamp()) / 1000);
        if (remaining <= 0) break;
        pg_call([&]() { (void)wakeup::wait(ch, seen, remaining); });
    }
    return Datum(0);
}

// pgstreamx.peek(stream, partition, after, max): the messages with seq >
// after below each partition's horizon (committed, or this transaction's
// own), without a consumer: nothing is
// leased, committed or created. One partition, or all in partition order.
PGSTREAMX_FUNCTION(pgstreamx_peek) {
    std::string name = required_text(fcinfo, 0, "stream");
    const int64 after = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
    const int32 max = PG_ARGISNULL(3) ? 100 : PG_GETARG_INT32(3);
    if (after < 0) throw Error(sqlstate::invalid_parameter_value, "after must not be negative", "after = " + std::to_string(after));
    if (max < 1 || max > max_poll)
        throw Error(sqlstate::invalid_parameter_value,
                    "max must be between 1 and " + std::to_string(max_poll), "max = " + std::to_string(max));
    refuse_standby_and_snapshot_isolation("peek at a stream");
    if (XactReadOnly)
        throw Error(sqlstate::read_only_sql_transaction, "cannot peek at a stream in a read-only transaction", {},
                    "The horizon of a partition not read since the server started is set up by reserving seqs; "
                    "peek in a read-write transaction.");

    pg_call([&]() { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);

    spi::Scope scope;
    Info s = lookup(name);
    if (s.is_queue)
        throw Error(sqlstate::wrong_object_type, "\"" + name + "\" is a queue, not a stream", {},
                    "Read a queue with pgstreamx.read(); see its depth with pgstreamx.metrics().");
    std::vector<int32> parts;
    if (PG_ARGISNULL(1)) {
        for (int32 p = 0; p < s.partitions; p++) parts.push_back(p);
    } else {
        check_partition(s, PG_GETARG_INT32(1));
        parts.push_back(PG_GETARG_INT32(1));
    }
    // Horizons FIRST, then the snapshot (taken by each query), as poll does.
    std::vector<int64> horizon(parts.size());
    for (size_t i = 0; i < parts.size(); i++) horizon[i] = offsets::horizon(partition_ref(s, parts[i]));
    SPIPlanPtr read = read_plan(s);
    int64 returned = 0;
    for (size_t i = 0; i < parts.size() && returned < max; i++) {
        if (horizon[i] <= after + 1) continue;
        returned += read_partition(read, rsinfo, parts[i], after, horizon[i], max - returned, nullptr);
    }
    return Datum(0);
}

// pgstreamx.commit_offset(stream, consumer, partition, seq, holder)
// pgstreamx.commit_offset(stream, group, member, generation, partition, seq)
PGSTREAMX_FUNCTION(pgstreamx_commit_offset) {
    const bool group_form = PG_NARGS() == 6;
    std::string name = required_text(fcinfo, 0, "stream");
    std::string consumer = required_text(fcinfo, 1, group_form ? "group" : "consumer");
    const int32 partition = required_int32(fcinfo, group_form ? 4 : 2, "partition");
    const int seqarg = group_form ? 5 : 3;
    if (PG_ARGISNULL(seqarg)) throw Error(sqlstate::null_value_not_allowed, "seq must not be null");
    const int64 seq = PG_GETARG_INT64(seqarg);
    std::string me;
    int64 generation = 0;
    if (group_form) {
        me = required_text(fcinfo, 2, "member");
        if (PG_ARGISNULL(3)) throw Error(sqlstate::null_value_not_allowed, "generation must not be null");
        generation = PG_GETARG_INT64(3);
    } else {
        me = holder_of(fcinfo, 4);
    }
    names::validate(group_form ? "group" : "consumer", consumer);
    refuse_standby_and_snapshot_isolation("commit an offset");

    spi::Scope scope;
    Info s = lookup(name);
    check_partition(s, partition);
    static const Oid types[] = {INT4OID, TEXTOID, INT4OID};
    SPIPlanPtr lock = spi::plan(
        "SELECT committed_seq, holder, group_generation FROM pgstreamx.consumer_offsets "
        "WHERE stream_id = $1 AND consumer = $2 AND partition = $3 FOR UPDATE",
        3, types);
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer), Int32GetDatum(partition)};
    if (spi::execute(lock, args, nullptr, false) == 0)
        throw Error(sqlstate::undefined_object,
                    "consumer \"" + consumer + "\" of stream \"" + name + "\" does not exist", {},
                    "Poll first, or create it with pgstreamx.create_consumer().");
    const int64 committed = spi::int64_value(0, 1);
    bool isnull = false;
    Datum h = spi::value(0, 2, &isnull);
    std::string holder = isnull ? std::string() : std::string(TextDatumGetCString(h));
    bool nogroup = false;
    Datum g = spi::value(0, 3, &nogroup);
    if (group_form && nogroup)
        throw Error(sqlstate::undefined_object,
                    "\"" + consumer + "\" is not a consumer group of stream \"" + name + "\"", {},
                    "Join the group with pgstreamx.join_group() first.");
    if (!group_form && !nogroup)
        throw Error(sqlstate::invalid_parameter_value,
                    "\"" + consumer + "\" is a consumer group of stream \"" + name + "\"", {},
                    "Members commit with pgstreamx.commit_offset(stream, group, member, generation, "
                    "partition, seq), so that a stale generation is refused.");
    if (group_form) {
        static const Oid mtypes[] = {INT4OID, TEXTOID, TEXTOID};
        SPIPlanPtr live = spi::plan(
            "SELECT 1 FROM pgstreamx.group_members WHERE stream_id = $1 AND group_name = $2 AND member = $3"
            "   AND heartbeat_at >= clock_timestamp() - session_timeout",
            3, mtypes);
        Datum margs[] = {Int32GetDatum(s.id), text_datum(consumer), text_datum(me)};
        if (spi::execute(live, margs, nullptr, false, 1) == 0)
            throw Error(sqlstate::object_not_in_prerequisite_state,
                        "member \"" + me + "\" of group \"" + consumer + "\" is past its session timeout",
                        "Its partitions are being given to other members.",
                        "Roll back, then call pgstreamx.join_group() again.");
    }
    if (group_form && (DatumGetInt64(g) != generation || holder != me))
        throw Error(sqlstate::object_not_in_prerequisite_state,
                    "stale group generation: member \"" + me + "\" of group \"" + consumer +
                        "\" cannot commit partition " + std::to_string(partition),
                    "The group is at generation " + std::to_string(DatumGetInt64(g)) + " and partition " +
                        std::to_string(partition) + " belongs to " + (holder.empty() ? "nobody" : holder) +
                        "; the commit carried generation " + std::to_string(generation) + ".",
                    "Roll back, call pgstreamx.heartbeat() or pgstreamx.join_group(), and process the "
                    "partitions assigned now.");
    if (holder != me)
        throw Error(sqlstate::object_not_in_prerequisite_state,
                    "consumer \"" + consumer + "\" of stream \"" + name + "\" is not held by this client",
                    holder.empty() ? "Nobody holds it: offsets are committed by the client that polled."
                                   : "Another client took it over after this client's lease ended.",
                    "Poll again (pgstreamx.consumer_lease sets how long a lease lasts); "
                    "this transaction's effects should be rolled back.");
    if (seq < committed)
        throw Error(sqlstate::invalid_parameter_value,
                    "commit would move the offset backwards",
                    "Partition " + std::to_string(partition) + " is committed at " +
                        std::to_string(committed) + "; asked for " + std::to_string(seq) + ".",
                    "Use pgstreamx.seek() to move an offset back on purpose.");
    const int64 horizon = offsets::horizon(partition_ref(s, partition));
    if (seq >= horizon)
        throw Error(sqlstate::invalid_parameter_value,
                    "cannot commit past messages that are still being appended",
                    "seq " + std::to_string(seq) + " is at or above the partition's horizon " +
                        std::to_string(horizon) + ".",
                    "Commit the seq of a message pgstreamx.poll() returned.");
    static const Oid utypes[] = {INT4OID, TEXTOID, INT4OID, INT8OID, INT4OID};
    SPIPlanPtr upd = spi::plan(
        "UPDATE pgstreamx.consumer_offsets SET committed_seq = $4, last_seen = clock_timestamp(), "
        "       lease_until = CASE WHEN group_generation IS NOT NULL THEN lease_until "
        "                          ELSE clock_timestamp() + make_interval(secs => $5 / 1000.0) END "
        "WHERE stream_id = $1 AND consumer = $2 AND partition = $3",
        5, utypes);
    Datum uargs[] = {Int32GetDatum(s.id), text_datum(consumer), Int32GetDatum(partition), Int64GetDatum(seq),
                     Int32GetDatum(guc_consumer_lease_ms)};
    spi::execute(upd, uargs, nullptr, false);
    PG_RETURN_VOID();
}

// pgstreamx.seek(stream, consumer, partition, to bigint|text|timestamptz) -> bigint
// Sets the committed offset so that the next poll starts at `to`; returns the
// new committed seq. The one deliberate way an offset moves backwards.
PGSTREAMX_FUNCTION(pgstreamx_seek) {
    std::string name = required_text(fcinfo, 0, "stream");
    std::string consumer = required_text(fcinfo, 1, "consumer");
    const int32 partition = required_int32(fcinfo, 2, "partition");
    if (PG_ARGISNULL(3)) throw Error(sqlstate::null_value_not_allowed, "to must not be null");
    const Oid totype = get_fn_expr_argtype(fcinfo->flinfo, 3);
    refuse_standby_and_snapshot_isolation("seek");
    names::validate("consumer", consumer);

    spi::Scope scope;
    Info s = lookup(name);
    check_partition(s, partition);
    (void)ensure_consumer(s, consumer, false, true);
    {
        // Fencing (I5): not while another client holds the consumer or a
        // group member owns the partition.
        static const Oid ltypes[] = {INT4OID, TEXTOID, INT4OID, TEXTOID};
        SPIPlanPtr lock = spi::plan(
            "SELECT holder, group_generation IS NOT NULL, "
            "       holder IS NOT NULL AND holder <> $4 AND lease_until > clock_timestamp() "
            "       AND pgstreamx._holder_alive(holder) "
            "FROM pgstreamx.consumer_offsets WHERE stream_id = $1 AND consumer = $2 AND partition = $3 "
            "FOR UPDATE",
            4, ltypes);
        Datum largs[] = {Int32GetDatum(s.id), text_datum(consumer), Int32GetDatum(partition),
                         text_datum(session_holder())};
        if (spi::execute(lock, largs, nullptr, false, 1) == 1) {
            bool n1 = false, n2 = false, n3 = false;
            Datum h = spi::value(0, 1, &n1);
            const bool group = DatumGetBool(spi::value(0, 2, &n2));
            const bool held = !n3 && DatumGetBool(spi::value(0, 3, &n3));
            if ((group && !n1) || held)
                throw Error(sqlstate::object_not_in_prerequisite_state,
                            "cannot seek partition " + std::to_string(partition) + " of \"" + consumer +
                                "\": it is held by " + std::string(TextDatumGetCString(h)),
                            group ? "A member of the group owns the partition."
                                  : "Another client holds the consumer's lease.",
                            "Stop the consumer (or let its lease end, or remove the group's members) "
                            "and seek again.");
        }
    }
    // Everything below the horizon has ended: 'latest' is just below it, and
    // a timestamp is looked up below it (with a snapshot taken afterwards).
    const int64 horizon = offsets::horizon(partition_ref(s, partition));

    int64 committed = 0;
    auto latest = [&]() -> int64 { return horizon - 1; };
    if (totype == INT8OID) {
        int64 to = PG_GETARG_INT64(3);
        if (to < 1) throw Error(sqlstate::invalid_parameter_value, "seq must be positive");
        committed = to - 1;
    } else if (totype == TEXTOID) {
        std::string to = text_arg(fcinfo, 3);
        if (to == "earliest")
            committed = 0;
        else if (to == "latest")
            committed = latest();
        else
            throw Error(sqlstate::invalid_parameter_value, "to must be 'earliest' or 'latest'", {},
                        "Pass a seq (bigint) or a timestamptz to seek to a position.");
    } else {
        static const Oid t[] = {INT4OID, TIMESTAMPTZOID, INT8OID};
        // A pack's messages share its appended_at; it starts at seq - messages + 1.
        // (The rows tile the seqs: the first row in seq order holds the answer,
        // found through the (partition, seq) index.)
        SPIPlanPtr p = spi::plan("SELECT seq - coalesce(messages, 1) + 1 FROM " + s.relation +
                                     " WHERE partition = $1 AND appended_at >= $2 AND seq < $3 ORDER BY seq LIMIT 1",
                                 3, t);
        Datum a[] = {Int32GetDatum(partition), PG_GETARG_DATUM(3), Int64GetDatum(horizon)};
        // Nothing appended at or after it: the end.
        committed = spi::execute(p, a, nullptr, false, 1) == 0 ? latest() : spi::int64_value(0, 1) - 1;
    }
    static const Oid types[] = {INT4OID, TEXTOID, INT4OID, INT8OID};
    SPIPlanPtr upd = spi::plan(
        "UPDATE pgstreamx.consumer_offsets SET committed_seq = $4, last_seen = clock_timestamp() "
        "WHERE stream_id = $1 AND consumer = $2 AND partition = $3",
        4, types);
    Datum args[] = {Int32GetDatum(s.id), text_datum(consumer), Int32GetDatum(partition), Int64GetDatum(committed)};
    spi::execute(upd, args, nullptr, false);
    PG_RETURN_INT64(committed);
}

// pgstreamx._holder_alive(holder) -> bool: false for a "session:<pid>:<start>"
// holder whose backend is gone (its lease is free at once); true otherwise.
PGSTREAMX_FUNCTION(pgstreamx__holder_alive) {
    std::string h = text_arg(fcinfo, 0);
    if (h.rfind("session:", 0) != 0) PG_RETURN_BOOL(true);
    int pid = 0;
    long long start = 0;
    if (std::sscanf(h.c_str(), "session:%d:%lld", &pid, &start) != 2) PG_RETURN_BOOL(false);
    PGPROC *proc = BackendPidGetProc(pid);
    // A reused pid is taken for alive; the lease then ends by time.
    PG_RETURN_BOOL(proc != nullptr);
}

// ---- retention helpers (called by the maintenance functions) ---------------------

// pgstreamx._horizon(stream_id, partition) -> bigint (NULL: none since start)
PGSTREAMX_FUNCTION(pgstreamx__horizon) {
    int64 h = offsets::peek_horizon(PG_GETARG_INT32(0), PG_GETARG_INT32(1));
    if (h == offsets::no_horizon) PG_RETURN_NULL();
    PG_RETURN_INT64(h);
}

// pgstreamx._switch_segment(stream_id, partitions, segment) -> bigint[]
PGSTREAMX_FUNCTION(pgstreamx__switch_segment) {
    const int32 id = PG_GETARG_INT32(0), partitions = PG_GETARG_INT32(1), segment = PG_GETARG_INT32(2);
    if (partitions < 1 || partitions > 1024)
        throw Error(sqlstate::invalid_parameter_value, "partitions out of range");
    std::vector<Datum> ends(static_cast<size_t>(partitions));
    for (int32 p = 0; p < partitions; p++) ends[p] = Int64GetDatum(offsets::switch_segment(id, p, segment));
    Datum arr = pg_call([&]() {
        return PointerGetDatum(construct_array(ends.data(), partitions, INT8OID, sizeof(int64), true,
                                               TYPALIGN_DOUBLE));
    });
    PG_RETURN_DATUM(arr);
}

// pgstreamx._oldest_inflight(stream_id, partition) -> timestamptz (or NULL)
PGSTREAMX_FUNCTION(pgstreamx__oldest_inflight) {
    TimestampTz t = offsets::oldest_inflight(PG_GETARG_INT32(0), PG_GETARG_INT32(1));
    if (t == 0) PG_RETURN_NULL();
    PG_RETURN_TIMESTAMPTZ(t);
}
