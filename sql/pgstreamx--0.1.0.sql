-- pgstreamx 0.1.0: install script.
-- Policy (docs/architecture.md, "Upgrades"): this file is frozen once 0.1.0 is
-- listed as released in CHANGELOG.md; later versions are reached by
-- pgstreamx--A--B.sql upgrade scripts.

\echo Use "CREATE EXTENSION pgstreamx" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Roles: a producer / consumer / admin split. Nothing is granted to PUBLIC.
-- The roles are cluster-wide and outlive DROP EXTENSION (like any role).
-- ---------------------------------------------------------------------------
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['pgstreamx_producer', 'pgstreamx_consumer', 'pgstreamx_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;

COMMENT ON SCHEMA @extschema@ IS 'pgstreamx: streams, queues, subscriptions and table-change events';
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO pgstreamx_producer, pgstreamx_consumer, pgstreamx_admin;

-- ---------------------------------------------------------------------------
-- About pgstreamx itself
-- ---------------------------------------------------------------------------
CREATE FUNCTION @extschema@.version()
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pgstreamx_version';
COMMENT ON FUNCTION @extschema@.version() IS
    'version of the loaded pgstreamx library (compare with pg_extension.extversion)';

CREATE FUNCTION @extschema@.shared_memory(OUT segment text, OUT bytes bigint)
RETURNS SETOF record
LANGUAGE c VOLATILE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pgstreamx_shared_memory';
COMMENT ON FUNCTION @extschema@.shared_memory() IS
    'shared memory segments pgstreamx created at server start (needs shared_preload_libraries)';

-- ---------------------------------------------------------------------------
-- Privileges: revoke from PUBLIC, grant to the roles that need each function.
-- ---------------------------------------------------------------------------
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.version() TO pgstreamx_producer, pgstreamx_consumer, pgstreamx_admin;
GRANT EXECUTE ON FUNCTION @extschema@.shared_memory() TO pgstreamx_admin;
