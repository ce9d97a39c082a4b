// queue.hpp - queues: SQS/pgmq semantics on the log core (docs/sql-api.md
// "Queues", docs/architecture.md "Queue claims").
//
// A queue is a stream of one partition (kind 'queue'). Sending is the
// stream's one append path (stream::append_messages). Reading claims
// messages in a per-queue claim window in shared memory (core/claims.hpp),
// which needs no commit-order horizon: committed, visible, unclaimed messages
// are claimed at once, whoever is still sending. Acknowledgements (delete,
// archive, pop, dead letters) are durable records in partition -1 of the
// queue's own message table, written with storage::insert.
//
// Claims made by a transaction are undone when it (or the subtransaction
// that made them) aborts; acknowledgements become final when it commits.
#pragma once

#include "pgstreamx/pg.hpp"

namespace pgstreamx::queue {

// Transaction end (module.cpp's callback, before wake-ups are sent).
void at_xact_end(bool committed) noexcept;
// A subtransaction rolled back: undo what it (and its children) did.
void at_subxact_abort(SubTransactionId sub) noexcept;
// PREPARE TRANSACTION: refused when the transaction claimed or acknowledged.
void before_prepare();

void define_gucs();
void register_shmem();

}  // namespace pgstreamx::queue
