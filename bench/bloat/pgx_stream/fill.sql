CALL bench.bloat_stream_fill(:n, :batch);
