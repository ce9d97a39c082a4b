-- Bloat target "pgx_queue": a pgstreamx queue with a 1-second retention and
-- 4 segments (as the pgx_stream target), so that maintenance can TRUNCATE a
-- segment once it is past retention and every message in it is finished.
-- Fill = send_batch, :batch per transaction; drain = read :batch (vt 30 s)
-- + delete(ids[]) per transaction until a read returns nothing;
-- maintenance = CALL pgstreamx.maintain() after a 1.1 s pause.
SELECT pgstreamx.drop_queue('bloat_bq', if_exists => true);
SELECT pgstreamx.create_queue('bloat_bq', retention => '1 second', segments => 4);
CREATE OR REPLACE PROCEDURE bench.bloat_queue_fill(n bigint, per_tx int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. ceil(n::numeric / per_tx)::bigint - 1 LOOP
        PERFORM count(*) FROM pgstreamx.send_batch('bloat_bq',
            ARRAY(SELECT bench.payload(g) FROM generate_series(i * per_tx, i * per_tx + per_tx - 1) g));
        COMMIT;
    END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE bench.bloat_queue_drain(per_tx int)
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    LOOP
        SELECT array_agg(msg_id) INTO ids FROM pgstreamx.read('bloat_bq', 30, per_tx);
        IF ids IS NOT NULL THEN
            PERFORM count(*) FROM pgstreamx.delete('bloat_bq', ids);
        END IF;
        COMMIT;
        EXIT WHEN ids IS NULL;
    END LOOP;
END $$;
