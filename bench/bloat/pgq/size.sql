-- All event tables of the queue (parent + rotating children), with indexes and TOAST.
SELECT sum(pg_total_relation_size(c.oid))
  FROM pgq.queue q
  JOIN pg_class c ON c.oid = q.queue_data_pfx::regclass
                  OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = q.queue_data_pfx::regclass)
 WHERE q.queue_name = 'bloat_q';
