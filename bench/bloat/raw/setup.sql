-- Bloat target "raw": a plain table drained with DELETE ... SKIP LOCKED.
-- Maintenance = plain VACUUM (not FULL) after each cycle; autovacuum stays on.
DROP TABLE IF EXISTS bench.bloat_raw;
CREATE TABLE bench.bloat_raw (
    id         bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload    jsonb NOT NULL
);
CREATE OR REPLACE PROCEDURE bench.bloat_raw_fill(n bigint, per_tx int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. ceil(n::numeric / per_tx)::bigint - 1 LOOP
        INSERT INTO bench.bloat_raw (payload)
        SELECT bench.payload(g) FROM generate_series(i * per_tx, i * per_tx + per_tx - 1) g;
        COMMIT;
    END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE bench.bloat_raw_drain(per_tx int)
LANGUAGE plpgsql AS $$
DECLARE k bigint;
BEGIN
    LOOP
        WITH d AS (
            DELETE FROM bench.bloat_raw
             WHERE id = ANY(ARRAY(SELECT id FROM bench.bloat_raw ORDER BY id
                                  FOR UPDATE SKIP LOCKED LIMIT per_tx))
            RETURNING id, payload)
        SELECT count(*) INTO k FROM d;
        COMMIT;
        EXIT WHEN k = 0;
    END LOOP;
END $$;
