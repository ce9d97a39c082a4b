-- Bloat target "pgx_stream": a 1-partition stream with a 1-second retention
-- and 4 segments (rotation every retention / 3), read by one named consumer.
-- Maintenance = CALL pgstreamx.maintain() after each cycle, preceded by a
-- 1.1 s pause so that the segment sealed by the previous cycle is past retention.
SELECT pgstreamx.drop_stream('bloat_s', if_exists => true);
SELECT pgstreamx.create_stream('bloat_s', partitions => 1, retention => '1 second', segments => 4);
SELECT pgstreamx.create_consumer('bloat_s', 'd');
CREATE OR REPLACE PROCEDURE bench.bloat_stream_fill(n bigint, per_tx int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. ceil(n::numeric / per_tx)::bigint - 1 LOOP
        PERFORM count(*) FROM pgstreamx.append_batch('bloat_s',
            ARRAY(SELECT bench.payload(g) FROM generate_series(i * per_tx, i * per_tx + per_tx - 1) g));
        COMMIT;
    END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE bench.bloat_stream_drain(per_tx int)
LANGUAGE plpgsql AS $$
DECLARE k bigint;
BEGIN
    LOOP
        WITH m AS (SELECT seq FROM pgstreamx.poll('bloat_s', 'd', per_tx, holder => 'bloat-drain')),
             c AS (SELECT pgstreamx.commit_offset('bloat_s', 'd', 0, max(seq), 'bloat-drain') FROM m HAVING count(*) > 0)
        SELECT count(*) INTO k FROM m, LATERAL (SELECT count(*) FROM c) x;
        COMMIT;
        EXIT WHEN k = 0;
    END LOOP;
END $$;
