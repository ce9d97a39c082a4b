-- Every segment of the log and of the claims table, with indexes and TOAST.
SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
 WHERE i.inhparent IN ('bench.psb_log'::regclass, 'bench.psb_claims'::regclass);
