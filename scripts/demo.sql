-- The quickstart demo: what pgstreamx 0.1.0 can show today. (Streams, queues
-- and the rest extend this file as they land.)
\pset footer off
\echo
\echo '-- the loaded library and the installed extension'
SELECT pgstreamx.version() AS library, extversion AS installed
FROM pg_extension WHERE extname = 'pgstreamx';

\echo '-- shared memory pgstreamx created at server start'
SELECT * FROM pgstreamx.shared_memory();

\echo '-- settings'
SELECT name, setting, short_desc FROM pg_settings WHERE name LIKE 'pgstreamx.%';

\echo '-- roles: grant these to your applications (nothing is granted to PUBLIC)'
SELECT r.rolname AS role,
       string_agg(p.proname || '()', ', ' ORDER BY p.proname) AS may_execute
FROM pg_roles r
LEFT JOIN pg_proc p ON p.pronamespace = 'pgstreamx'::regnamespace
                   AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
WHERE r.rolname LIKE 'pgstreamx\_%'
GROUP BY r.rolname ORDER BY r.rolname;

\echo '-- a misspelt setting is an error, not a silent no-op'
\set ON_ERROR_STOP 0
SET pgstreamx.wakeup_slot = 10;
