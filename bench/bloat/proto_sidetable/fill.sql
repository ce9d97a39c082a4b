CALL bench.bloat_psb_fill(:n, :batch);
