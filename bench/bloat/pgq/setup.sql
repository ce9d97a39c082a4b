-- Bloat target "pgq": a PgQ queue with its default 3 rotating event tables,
-- one consumer. Rotation is allowed at every maintenance
-- (queue_rotation_period = 0); maintenance runs pgq.maint_operations() the way
-- pgqd does (rotate step1, then step2 in its own transaction, ...).
SELECT pgq.unregister_consumer('bloat_q', 'bloat_c') FROM pgq.queue WHERE queue_name = 'bloat_q';
SELECT pgq.drop_queue('bloat_q') FROM pgq.queue WHERE queue_name = 'bloat_q';
SELECT pgq.create_queue('bloat_q');
SELECT pgq.set_queue_config('bloat_q', 'rotation_period', '0');
SELECT pgq.set_queue_config('bloat_q', 'ticker_max_count', '500');
SELECT pgq.register_consumer('bloat_q', 'bloat_c');

-- Fill through the public API: pgq.insert_event, per_tx per transaction,
-- the ticker after each transaction (as pgqd would tick).
CREATE OR REPLACE PROCEDURE bench.bloat_pgq_fill(n bigint, per_tx int)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. ceil(n::numeric / per_tx)::bigint - 1 LOOP
        PERFORM pgq.insert_event('bloat_q', 'order.created', bench.payload(g)::text)
           FROM generate_series(i * per_tx, i * per_tx + per_tx - 1) g;
        COMMIT;
        PERFORM pgq.ticker('bloat_q');
        COMMIT;
    END LOOP;
END $$;

CREATE OR REPLACE PROCEDURE bench.bloat_pgq_drain()
LANGUAGE plpgsql AS $$
DECLARE
    b bigint;
    k bigint;
BEGIN
    LOOP
        b := pgq.next_batch('bloat_q', 'bloat_c');
        EXIT WHEN b IS NULL;
        SELECT count(*) INTO k FROM pgq.get_batch_events(b);
        PERFORM pgq.finish_batch(b);
        COMMIT;
    END LOOP;
    COMMIT;
END $$;

-- What pgqd does on its maintenance timer (minus VACUUM, which
-- maint_tables_to_vacuum() leaves to autovacuum when it is on).
CREATE OR REPLACE PROCEDURE bench.pgq_maint()
LANGUAGE plpgsql AS $$
DECLARE
    r   record;
    res integer;
BEGIN
    FOR r IN SELECT func_name, func_arg FROM pgq.maint_operations() LOOP
        CONTINUE WHEN r.func_name = 'vacuum';
        LOOP
            IF r.func_arg IS NULL THEN
                EXECUTE format('SELECT %s()', r.func_name) INTO res;
            ELSE
                EXECUTE format('SELECT %s(%L)', r.func_name, r.func_arg) INTO res;
            END IF;
            COMMIT;
            EXIT WHEN coalesce(res, 0) = 0;
        END LOOP;
    END LOOP;
END $$;
