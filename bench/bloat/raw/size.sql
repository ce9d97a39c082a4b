SELECT pg_total_relation_size('bench.bloat_raw');
