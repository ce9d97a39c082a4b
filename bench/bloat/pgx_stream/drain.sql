CALL bench.bloat_stream_drain(:batch);
