-- Every segment of the stream's message table, with indexes and TOAST.
SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
 WHERE i.inhparent = 'pgstreamx.s_bloat_s'::regclass;
