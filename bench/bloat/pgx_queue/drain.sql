CALL bench.bloat_queue_drain(:batch);
