CALL bench.bloat_pgq_fill(:n, :batch);
