-- The extension itself: install, version, objects, privileges, GUC prefix.
CREATE EXTENSION pgstreamx;

-- The loaded library and the installed SQL agree on the version.
SELECT pgstreamx.version() = extversion AS version_matches, extversion, extrelocatable,
       extnamespace::regnamespace AS schema
FROM pg_extension WHERE extname = 'pgstreamx';

-- Every object of the extension, for review when it changes.
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgstreamx')
  AND deptype = 'e'
ORDER BY 1;

-- Shared memory exists (this server preloads pgstreamx).
SELECT segment, bytes > 0 AS sized FROM pgstreamx.shared_memory() ORDER BY segment;

-- Nothing is executable by PUBLIC; roles get what they need.
SELECT p.proname,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public,
       has_function_privilege('pgstreamx_producer', p.oid, 'EXECUTE') AS producer,
       has_function_privilege('pgstreamx_consumer', p.oid, 'EXECUTE') AS consumer,
       has_function_privilege('pgstreamx_admin', p.oid, 'EXECUTE') AS admin
FROM pg_proc p WHERE p.pronamespace = 'pgstreamx'::regnamespace ORDER BY 1;
SELECT has_schema_privilege('public', 'pgstreamx', 'USAGE') AS public_usage;

CREATE ROLE pgstreamx_regress_nobody LOGIN;
SET ROLE pgstreamx_regress_nobody;
SELECT pgstreamx.version();  -- denied: no grant
RESET ROLE;
GRANT pgstreamx_consumer TO pgstreamx_regress_nobody;
SET ROLE pgstreamx_regress_nobody;
SELECT pgstreamx.version() IS NOT NULL AS consumer_can_call_version;
RESET ROLE;
DROP ROLE pgstreamx_regress_nobody;

-- The pgstreamx.* GUC prefix is reserved: a misspelt setting is an error.
SHOW pgstreamx.wakeup_slots;
SET pgstreamx.no_such_setting = 1;
SET pgstreamx.wakeup_slots = 10;

-- The extension is not relocatable and can be dropped and created again.
ALTER EXTENSION pgstreamx SET SCHEMA public;
DROP EXTENSION pgstreamx;
CREATE EXTENSION pgstreamx;
SELECT count(*) AS functions FROM pg_proc WHERE pronamespace = 'pgstreamx'::regnamespace;
