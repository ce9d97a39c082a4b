-- Bloat target "proto_sidetable": the design (a) prototype of the
-- proto_sidetable fixture (write-once log + claims side table, FOR UPDATE SKIP
-- LOCKED; see bench/fixtures/proto_sidetable/setup.sql) with the retention
-- design (a) would need: log and claims are both LIST-partitioned into the
-- same 4 segments (PgQ-style ring); sends go to the current segment;
-- maintenance rotates to a free segment when the current one is older than
-- retention / 3 and TRUNCATEs (log and claims together) a sealed segment
-- that is older than the retention and whose every message has a done claim.
-- Retention 1 second, as the pgx_stream and pgx_queue targets.
DROP TABLE IF EXISTS bench.psb_claims, bench.psb_log, bench.psb_seg;
DROP SEQUENCE IF EXISTS bench.psb_id;
CREATE SEQUENCE bench.psb_id;
CREATE TABLE bench.psb_seg (
    seg       int PRIMARY KEY,
    state     text NOT NULL CHECK (state IN ('current', 'sealed', 'free')),
    opened_at timestamptz,
    sealed_at timestamptz
);
INSERT INTO bench.psb_seg VALUES (0, 'current', clock_timestamp(), NULL), (1, 'free', NULL, NULL),
                                 (2, 'free', NULL, NULL), (3, 'free', NULL, NULL);
CREATE TABLE bench.psb_log (
    id          bigint NOT NULL DEFAULT nextval('bench.psb_id'),
    seg         int NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb NOT NULL,
    visible_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, seg)
) PARTITION BY LIST (seg);
CREATE TABLE bench.psb_claims (
    msg_id  bigint NOT NULL,
    seg     int NOT NULL,
    read_ct int NOT NULL,
    vt      timestamptz NOT NULL,
    done    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (msg_id, seg)
) PARTITION BY LIST (seg);
CREATE INDEX psb_claims_open ON bench.psb_claims (vt) WHERE NOT done;
DO $$
BEGIN
    FOR k IN 0 .. 3 LOOP
        EXECUTE format('CREATE TABLE bench.psb_log_%s PARTITION OF bench.psb_log FOR VALUES IN (%s)', k, k);
        EXECUTE format('CREATE TABLE bench.psb_claims_%s PARTITION OF bench.psb_claims FOR VALUES IN (%s)', k, k);
    END LOOP;
END $$;

-- read(vt, qty): bench.ps_read on the segmented tables (the claim goes to the
-- message's segment).
CREATE OR REPLACE FUNCTION bench.psb_read(p_vt int, p_qty int)
RETURNS TABLE (msg_id bigint, read_ct int, enqueued_at timestamptz, vt timestamptz, message jsonb)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    t     timestamptz := clock_timestamp();
    v_vt  timestamptz := t + make_interval(secs => p_vt);
    want  int := p_qty;
    k     bigint;
    empty int := 0;
BEGIN
    RETURN QUERY
    WITH e AS (SELECT c.msg_id, c.seg FROM bench.psb_claims c
                WHERE NOT c.done AND c.vt <= t
                ORDER BY c.vt, c.msg_id LIMIT want
                FOR UPDATE SKIP LOCKED),
         u AS (UPDATE bench.psb_claims c SET read_ct = c.read_ct + 1, vt = v_vt
                 FROM e WHERE c.msg_id = e.msg_id AND c.seg = e.seg
               RETURNING c.msg_id, c.seg, c.read_ct, c.vt)
    SELECT u.msg_id, u.read_ct, l.enqueued_at, u.vt, l.payload
      FROM u JOIN bench.psb_log l ON l.id = u.msg_id AND l.seg = u.seg
     ORDER BY u.msg_id;
    GET DIAGNOSTICS k = ROW_COUNT;
    want := want - k;
    WHILE want > 0 LOOP
        RETURN QUERY
        WITH n AS (SELECT l.id, l.seg, l.enqueued_at, l.payload FROM bench.psb_log l
                    WHERE l.id > (SELECT coalesce(max(c.msg_id), 0) FROM bench.psb_claims c)
                      AND l.visible_at <= t
                    ORDER BY l.id LIMIT want
                    FOR UPDATE OF l SKIP LOCKED),
             i AS (INSERT INTO bench.psb_claims AS c (msg_id, seg, read_ct, vt)
                   SELECT n.id, n.seg, 1, v_vt FROM n
                   ON CONFLICT (msg_id, seg) DO NOTHING
                   RETURNING c.msg_id, c.read_ct, c.vt)
        SELECT i.msg_id, i.read_ct, n.enqueued_at, i.vt, n.payload
          FROM i JOIN n ON n.id = i.msg_id
         ORDER BY i.msg_id;
        GET DIAGNOSTICS k = ROW_COUNT;
        IF k = 0 THEN
            empty := empty + 1;
            EXIT WHEN empty >= 4;
        ELSE
            empty := 0;
            want := want - k;
        END IF;
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION bench.psb_ack(p_msg_ids bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    RETURN QUERY UPDATE bench.psb_claims c SET done = true
                  WHERE c.msg_id = ANY(p_msg_ids) AND NOT c.done
                 RETURNING c.msg_id;
END
$fn$;

CREATE OR REPLACE PROCEDURE bench.bloat_psb_fill(n bigint, per_tx int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. ceil(n::numeric / per_tx)::bigint - 1 LOOP
        INSERT INTO bench.psb_log (seg, payload)
        SELECT (SELECT s.seg FROM bench.psb_seg s WHERE s.state = 'current'), bench.payload(g)
          FROM generate_series(i * per_tx, i * per_tx + per_tx - 1) g;
        COMMIT;
    END LOOP;
END $$;

CREATE OR REPLACE PROCEDURE bench.bloat_psb_drain(per_tx int)
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    LOOP
        SELECT array_agg(r.msg_id) INTO ids FROM bench.psb_read(30, per_tx) r;
        IF ids IS NOT NULL THEN
            PERFORM count(*) FROM bench.psb_ack(ids);
        END IF;
        COMMIT;
        EXIT WHEN ids IS NULL;
    END LOOP;
END $$;

-- Maintenance (what design (a)'s worker would do), one transaction per step:
-- rotate, then TRUNCATE each sealed segment past retention whose messages all
-- have a done claim (checked with one anti-join over the segment).
CREATE OR REPLACE PROCEDURE bench.psb_maintain(retention interval)
LANGUAGE plpgsql AS $$
DECLARE
    cur  bench.psb_seg;
    nxt  int;
    s    bench.psb_seg;
BEGIN
    SELECT * INTO cur FROM bench.psb_seg WHERE state = 'current' FOR UPDATE;
    SELECT seg INTO nxt FROM bench.psb_seg WHERE state = 'free' ORDER BY (seg - cur.seg + 4) % 4 LIMIT 1;
    IF nxt IS NOT NULL AND cur.opened_at < clock_timestamp() - retention / 3 THEN
        UPDATE bench.psb_seg SET state = 'sealed', sealed_at = clock_timestamp() WHERE seg = cur.seg;
        UPDATE bench.psb_seg SET state = 'current', opened_at = clock_timestamp(), sealed_at = NULL WHERE seg = nxt;
    END IF;
    COMMIT;
    FOR s IN SELECT * FROM bench.psb_seg WHERE state = 'sealed' AND sealed_at < clock_timestamp() - retention ORDER BY sealed_at LOOP
        IF NOT EXISTS (SELECT 1 FROM bench.psb_log l
                        WHERE l.seg = s.seg
                          AND NOT EXISTS (SELECT 1 FROM bench.psb_claims c
                                           WHERE c.seg = s.seg AND c.msg_id = l.id AND c.done)) THEN
            EXECUTE format('TRUNCATE bench.psb_log_%s, bench.psb_claims_%s', s.seg, s.seg);
            UPDATE bench.psb_seg SET state = 'free', opened_at = NULL, sealed_at = NULL WHERE seg = s.seg;
        END IF;
        COMMIT;
    END LOOP;
END $$;
