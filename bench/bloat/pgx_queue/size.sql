-- Every segment of the queue's message table (messages and acknowledgement
-- records), with indexes and TOAST.
SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
 WHERE i.inhparent = 'pgstreamx.s_bloat_bq'::regclass;
