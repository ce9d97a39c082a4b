CALL bench.bloat_psb_drain(:batch);
