CALL bench.bloat_queue_fill(:n, :batch);
