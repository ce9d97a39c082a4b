CALL bench.bloat_raw_drain(:batch);
