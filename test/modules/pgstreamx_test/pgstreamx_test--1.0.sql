\echo Use "CREATE EXTENSION pgstreamx_test" to load this file. \quit

CREATE FUNCTION @extschema@.raise(sqlstate text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS void LANGUAGE c AS '$libdir/pgstreamx', 'pgstreamx_test_raise';
CREATE FUNCTION @extschema@.throw_cxx(kind text)
RETURNS void LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_throw_cxx';
CREATE FUNCTION @extschema@.guarded_error(sqlstate text, message text, detail text)
RETURNS void LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_guarded_error';
CREATE FUNCTION @extschema@.guarded_divide(a int, b int)
RETURNS int LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_guarded_divide';
CREATE FUNCTION @extschema@.guarded_sleep(seconds float8)
RETURNS void LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_guarded_sleep';
CREATE FUNCTION @extschema@.destructors(mode text)
RETURNS int LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_destructors';
CREATE FUNCTION @extschema@.destroyed()
RETURNS bigint LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_destroyed';
CREATE FUNCTION @extschema@.owned(fail bool)
RETURNS void LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_owned';
CREATE FUNCTION @extschema@.stl_sum(n int)
RETURNS bigint LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_stl_sum';
CREATE FUNCTION @extschema@.alloc(bytes bigint)
RETURNS bigint LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_alloc';
CREATE FUNCTION @extschema@.validate_name(kind text, name text)
RETURNS bool LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_validate_name';
CREATE FUNCTION @extschema@.wakeup_generation(key bigint)
RETURNS bigint LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_wakeup_generation';
CREATE FUNCTION @extschema@.wakeup_notify(key bigint)
RETURNS void LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_wakeup_notify';
CREATE FUNCTION @extschema@.wakeup_wait(key bigint, seen bigint, timeout_ms int)
RETURNS bool LANGUAGE c STRICT AS '$libdir/pgstreamx', 'pgstreamx_test_wakeup_wait';
-- wait(key, timeout) from the generation current at call time
CREATE FUNCTION @extschema@.wakeup_wait(key bigint, timeout_ms int)
RETURNS bool LANGUAGE sql AS $$ SELECT @extschema@.wakeup_wait(key, @extschema@.wakeup_generation(key), timeout_ms) $$;

-- sqlstate|message|detail|hint of the error a statement raises, or 'ok'.
CREATE FUNCTION @extschema@.error_of(stmt text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', st, msg, nullif(det, ''), nullif(hnt, ''));
END $$;

-- NEGATIVE CONTROL: crashes the backend (and resets the cluster) on purpose.
CREATE FUNCTION @extschema@.crash_unguarded()
RETURNS void LANGUAGE c AS '$libdir/pgstreamx', 'pgstreamx_test_crash_unguarded';

-- Pause point between poll's horizons and its read snapshot (NULL: off).
CREATE FUNCTION @extschema@.pause_after_horizon(lock_key bigint)
RETURNS void LANGUAGE c AS '$libdir/pgstreamx', 'pgstreamx_test_pause_after_horizon';
