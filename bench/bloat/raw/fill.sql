CALL bench.bloat_raw_fill(:n, :batch);
