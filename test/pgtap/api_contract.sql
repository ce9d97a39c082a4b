-- pgTAP: the SQL API contract of pgstreamx. What is listed here is promised to
-- users; changing it is a breaking change (and a CHANGELOG entry).
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pgstreamx;

SELECT plan(99);

-- The extension and its schema.
SELECT has_extension('pgstreamx', 'pgstreamx is installed');
SELECT has_schema('pgstreamx');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'pgstreamx'), false,
          'pgstreamx is not relocatable');
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgstreamx'),
          'pgstreamx', 'pgstreamx lives in schema pgstreamx');
SELECT is(pgstreamx.version(), (SELECT extversion FROM pg_extension WHERE extname = 'pgstreamx'),
          'library version equals the installed SQL version');
SELECT matches(pgstreamx.version(), '^\d+\.\d+\.\d+$', 'version() is semver');

-- Exactly these functions exist (no accidental API).
SELECT functions_are('pgstreamx', ARRAY['version', 'shared_memory', '_check_name', '_holder_alive',
                                        'create_stream', 'alter_stream', 'drop_stream', 'list_streams',
                                        'append', 'append_batch', 'create_consumer', 'drop_consumer',
                                        'poll', 'peek', 'commit_offset', 'seek',
                                        '_horizon', '_switch_segment', '_oldest_inflight', '_log', '_trim_log',
                                        '_stream_stats', '_consumer_stats', 'expire_consumers',
                                        'rotate_stream', 'seal_segment', 'truncate_segment', 'maintain',
                                        '_rebalance', 'join_group', 'heartbeat', 'leave_group', '_stream_config',
                                        'capture_table', 'uncapture_table', '_capture_table', '_uncapture_table',
                                        '_capture_trigger', '_capture_sync_triggers', '_capture_on_ddl',
                                        '_capture_on_sql_drop', '_capture_on_alter_start', '_capture_follow_columns', '_capture_columns_push', '_capture_columns_pop', '_capture_check_owner', '_outer_user',
                                        '_count', '_maintenance_lock', '_maintenance_unlock', '_workers', '_worker_notify',
                                        'create_queue', 'alter_queue', 'drop_queue', 'purge_queue', 'list_queues',
                                        'send', 'send_batch', 'read', 'read_with_poll', 'pop', 'set_vt', 'release',
                                        'delete', 'archive', 'archived', 'metrics', 'metrics_all', 'maintain_queues',
                                        '_queue_config', '_queue_changed', '_queue_reset', '_queue_state', '_queue_metrics'],
                     'schema pgstreamx has exactly the documented functions');

-- version()
SELECT has_function('pgstreamx', 'version', ARRAY[]::text[]);
SELECT function_returns('pgstreamx', 'version', ARRAY[]::text[], 'text');
SELECT volatility_is('pgstreamx', 'version', ARRAY[]::text[], 'stable');
SELECT is_strict('pgstreamx', 'version', ARRAY[]::text[]);
SELECT isnt_definer('pgstreamx', 'version', ARRAY[]::text[]);

-- shared_memory()
SELECT has_function('pgstreamx', 'shared_memory', ARRAY[]::text[]);
SELECT function_returns('pgstreamx', 'shared_memory', ARRAY[]::text[], 'setof record');
SELECT isnt_definer('pgstreamx', 'shared_memory', ARRAY[]::text[]);
SELECT bag_eq($$SELECT segment FROM pgstreamx.shared_memory()$$, ARRAY['pgstreamx wakeup', 'pgstreamx offsets', 'pgstreamx worker',
                                                                     'pgstreamx queues', 'pgstreamx queue config'],
              'shared_memory() lists the wake-up, offsets, worker and queue segments');

-- Streams: signatures and return types are the contract.
SELECT has_function('pgstreamx', 'create_stream', ARRAY['text', 'integer', 'interval', 'integer', 'interval']);
SELECT has_function('pgstreamx', 'drop_stream', ARRAY['text', 'boolean']);
SELECT function_returns('pgstreamx', 'drop_stream', ARRAY['text', 'boolean'], 'boolean');
SELECT has_function('pgstreamx', 'append', ARRAY['text', 'jsonb', 'text', 'jsonb', 'text']);
SELECT has_function('pgstreamx', 'append', ARRAY['text', 'bytea', 'text', 'jsonb', 'text']);
SELECT function_returns('pgstreamx', 'append', ARRAY['text', 'jsonb', 'text', 'jsonb', 'text'], 'bigint');
SELECT has_function('pgstreamx', 'append_batch', ARRAY['text', 'jsonb[]', 'text[]', 'jsonb[]', 'text[]']);
SELECT function_returns('pgstreamx', 'append_batch', ARRAY['text', 'jsonb[]', 'text[]', 'jsonb[]', 'text[]'], 'setof bigint');
SELECT has_function('pgstreamx', 'poll', ARRAY['text', 'text', 'integer', 'interval', 'text']);
SELECT is((SELECT pg_get_function_result('pgstreamx.poll(text,text,integer,interval,text)'::regprocedure)),
          'TABLE(partition integer, seq bigint, topic text, key text, payload jsonb, headers jsonb, appended_at timestamp with time zone, payload_bytes bytea)',
          'poll() returns the documented columns');
SELECT is((SELECT pg_get_function_arguments('pgstreamx.peek(text,integer,bigint,integer)'::regprocedure)),
          'stream text, partition integer DEFAULT NULL::integer, after bigint DEFAULT 0, max integer DEFAULT 100',
          'peek() takes a stream, an optional partition, a seq to read after and a maximum');
SELECT is((SELECT pg_get_function_result('pgstreamx.peek(text,integer,bigint,integer)'::regprocedure)),
          (SELECT pg_get_function_result('pgstreamx.poll(text,text,integer,interval,text)'::regprocedure)),
          'peek() returns the columns of poll()');
SELECT ok(has_function_privilege('pgstreamx_consumer', 'pgstreamx.peek(text,integer,bigint,integer)', 'EXECUTE')
          AND NOT has_function_privilege('pgstreamx_producer', 'pgstreamx.peek(text,integer,bigint,integer)', 'EXECUTE'),
          'consumers may peek, producers may not');
SELECT throws_ok($$SELECT * FROM pgstreamx.peek('no_such_stream')$$, '42704', NULL, 'peek at an unknown stream: 42704');
SELECT has_function('pgstreamx', 'commit_offset', ARRAY['text', 'text', 'integer', 'bigint', 'text']);
SELECT has_function('pgstreamx', 'seek', ARRAY['text', 'text', 'integer', 'bigint']);
SELECT has_function('pgstreamx', 'seek', ARRAY['text', 'text', 'integer', 'text']);
SELECT has_function('pgstreamx', 'seek', ARRAY['text', 'text', 'integer', 'timestamp with time zone']);
SELECT has_function('pgstreamx', 'create_consumer', ARRAY['text', 'text', 'text']);
SELECT has_function('pgstreamx', 'drop_consumer', ARRAY['text', 'text']);
SELECT throws_ok($$SELECT pgstreamx.append('no_such_stream', '{}'::jsonb)$$, '42704', NULL,
                 'append to an unknown stream: 42704');
SELECT throws_ok($$SELECT pgstreamx.create_stream('Bad')$$, '22023', NULL, 'invalid stream name: 22023');

-- Consumer groups.
SELECT has_function('pgstreamx', 'join_group', ARRAY['text', 'text', 'text', 'interval']);
SELECT has_function('pgstreamx', 'heartbeat', ARRAY['text', 'text', 'text', 'bigint']);
SELECT has_function('pgstreamx', 'leave_group', ARRAY['text', 'text', 'text']);
SELECT has_function('pgstreamx', 'commit_offset', ARRAY['text', 'text', 'text', 'bigint', 'integer', 'bigint']);

-- Maintenance and metrics.
SELECT has_view('pgstreamx', 'streams', 'view pgstreamx.streams');
SELECT has_view('pgstreamx', 'consumers', 'view pgstreamx.consumers');
SELECT is((SELECT prokind::text FROM pg_proc WHERE oid = 'pgstreamx.maintain()'::regprocedure), 'p',
          'maintain() is a procedure (it commits per step)');
SELECT ok(NOT has_function_privilege('public', 'pgstreamx.maintain()', 'EXECUTE'), 'PUBLIC cannot CALL maintain()');

-- Background worker and maintenance statistics.
SELECT has_view('pgstreamx', 'maintenance_stats', 'view pgstreamx.maintenance_stats');
SELECT has_view('pgstreamx', 'workers', 'view pgstreamx.workers');
SELECT columns_are('pgstreamx', 'maintenance_stats',
                   ARRAY['rounds', 'last_round_at', 'skipped_busy', 'last_skipped_at', 'segments_truncated',
                         'segments_skipped_locked', 'segments_rotated', 'consumers_expired', 'running_pid'],
                   'maintenance_stats has the documented columns');
SELECT columns_are('pgstreamx', 'workers', ARRAY['database', 'state', 'pid', 'started_at', 'paused'],
                   'workers has the documented columns');
SELECT function_returns('pgstreamx', '_maintenance_lock', ARRAY[]::text[], 'boolean');
SELECT is_definer('pgstreamx', '_count', ARRAY['text', 'bigint']);
SELECT throws_ok($$SELECT pgstreamx._count('nope')$$, '22023', NULL, '_count: unknown counter is 22023');
SELECT ok(NOT has_table_privilege('public', 'pgstreamx.maintenance_stats', 'SELECT'), 'PUBLIC cannot read maintenance_stats');
SELECT ok(has_table_privilege('pgstreamx_admin', 'pgstreamx.maintenance_stats', 'SELECT'), 'pgstreamx_admin reads maintenance_stats');
SELECT ok(NOT has_function_privilege('pgstreamx_admin', 'pgstreamx._worker_notify()', 'EXECUTE'), '_worker_notify() is for the install script only');

-- Queues (pgmq's names and parameter names are the contract).
SELECT has_function('pgstreamx', 'create_queue', ARRAY['text', 'integer', 'text', 'interval', 'boolean', 'interval', 'boolean', 'integer']);
SELECT is((SELECT string_agg(pg_get_function_identity_arguments(p.oid), ' | ' ORDER BY 1) FROM pg_proc p
           WHERE p.pronamespace = 'pgstreamx'::regnamespace AND p.proname = 'send'),
          'queue_name text, msg jsonb, delay integer | queue_name text, msg jsonb, delay timestamp with time zone | '
          'queue_name text, msg jsonb, headers jsonb, delay integer, group_id text, dedup_id text | '
          'queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone, group_id text, dedup_id text',
          'send() has pgmq''s forms and parameter names');
SELECT function_returns('pgstreamx', 'send', ARRAY['text', 'jsonb', 'jsonb', 'integer', 'text', 'text'], 'bigint');
SELECT function_returns('pgstreamx', 'send_batch', ARRAY['text', 'jsonb[]', 'jsonb[]', 'integer', 'text[]', 'text[]'], 'setof bigint');
SELECT is((SELECT pg_get_function_result('pgstreamx.read(text,integer,integer)'::regprocedure)),
          'TABLE(msg_id bigint, read_ct integer, enqueued_at timestamp with time zone, vt timestamp with time zone, message jsonb, headers jsonb)',
          'read() returns pgmq''s message record');
SELECT is((SELECT pg_get_function_arguments('pgstreamx.read_with_poll(text,integer,integer,integer,integer)'::regprocedure)),
          'queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100',
          'read_with_poll() takes pgmq''s parameters');
SELECT function_returns('pgstreamx', 'delete', ARRAY['text', 'bigint', 'integer'], 'boolean');
SELECT function_returns('pgstreamx', 'delete', ARRAY['text', 'bigint[]', 'integer[]'], 'setof bigint');
SELECT function_returns('pgstreamx', 'archive', ARRAY['text', 'bigint', 'integer'], 'boolean');
SELECT function_returns('pgstreamx', 'release', ARRAY['text', 'bigint', 'integer', 'integer'], 'boolean');
SELECT has_function('pgstreamx', 'set_vt', ARRAY['text', 'bigint', 'integer', 'integer']);
SELECT has_function('pgstreamx', 'pop', ARRAY['text', 'integer']);
SELECT has_view('pgstreamx', 'queues', 'view pgstreamx.queues');
SELECT throws_ok($$SELECT pgstreamx.send('no_such_queue', '{}'::jsonb)$$, '42704', NULL, 'send to an unknown queue: 42704');
SELECT throws_ok($$SELECT * FROM pgstreamx.read('no_such_queue', 30, 1)$$, '42704', NULL, 'read an unknown queue: 42704');
SELECT throws_ok($$SELECT pgstreamx.create_queue('Bad')$$, '22023', NULL, 'invalid queue name: 22023');
SELECT function_privs_are('pgstreamx', 'send', ARRAY['text', 'jsonb', 'jsonb', 'integer', 'text', 'text'], 'pgstreamx_producer', ARRAY['EXECUTE']);
SELECT function_privs_are('pgstreamx', 'read', ARRAY['text', 'integer', 'integer'], 'pgstreamx_producer', ARRAY[]::text[]);
SELECT function_privs_are('pgstreamx', 'read', ARRAY['text', 'integer', 'integer'], 'pgstreamx_consumer', ARRAY['EXECUTE']);
SELECT function_privs_are('pgstreamx', 'send', ARRAY['text', 'jsonb', 'jsonb', 'integer', 'text', 'text'], 'pgstreamx_consumer', ARRAY[]::text[]);
SELECT function_privs_are('pgstreamx', 'purge_queue', ARRAY['text'], 'pgstreamx_consumer', ARRAY[]::text[]);
SELECT function_privs_are('pgstreamx', '_queue_reset', ARRAY['integer'], 'pgstreamx_admin', ARRAY[]::text[]);
SELECT isnt_definer('pgstreamx', 'send', ARRAY['text', 'jsonb', 'jsonb', 'integer', 'text', 'text']);
SELECT ok(NOT has_table_privilege('pgstreamx_consumer', 'pgstreamx.queue_config', 'SELECT'), 'consumers cannot read queue_config');
-- Roles and privileges: nothing for PUBLIC.
SELECT has_role('pgstreamx_producer');
SELECT has_role('pgstreamx_consumer');
SELECT has_role('pgstreamx_admin');
SELECT ok(NOT has_schema_privilege('public', 'pgstreamx', 'USAGE'), 'PUBLIC has no USAGE on schema pgstreamx');
SELECT is((SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace = 'pgstreamx'::regnamespace
             AND has_function_privilege('public', p.oid, 'EXECUTE')), 0,
          'PUBLIC can execute no pgstreamx function');
SELECT function_privs_are('pgstreamx', 'version', ARRAY[]::text[], 'pgstreamx_consumer', ARRAY['EXECUTE']);
SELECT function_privs_are('pgstreamx', 'shared_memory', ARRAY[]::text[], 'pgstreamx_consumer', ARRAY[]::text[]);
SELECT function_privs_are('pgstreamx', 'shared_memory', ARRAY[]::text[], 'pgstreamx_admin', ARRAY['EXECUTE']);

-- Every SECURITY DEFINER function pins its search_path.
SELECT is((SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace = 'pgstreamx'::regnamespace
             AND p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')), 0,
          'no SECURITY DEFINER function without a pinned search_path');

-- The max_lag retention policy: validated, and its counters are in the views.
SELECT throws_ok($$SELECT pgstreamx.create_stream('lagx', max_lag => '0 s')$$, '22023', NULL,
                 'max_lag must be positive: 22023');
SELECT has_column('pgstreamx', 'streams', 'dropped_unread', 'streams shows what max_lag dropped unread');
SELECT has_column('pgstreamx', 'consumers', 'dropped_unread', 'consumers shows what each one lost to max_lag');

-- Table capture.
SELECT has_function('pgstreamx', 'capture_table',
    ARRAY['regclass', 'text', 'boolean', 'boolean', 'boolean', 'boolean', 'text[]', 'text[]', 'text[]', 'regprocedure', 'integer']);
SELECT has_function('pgstreamx', 'uncapture_table', ARRAY['regclass']);
SELECT has_view('pgstreamx', 'captures', 'view captures exists');
SELECT throws_ok($$SELECT pgstreamx.capture_table('pg_class')$$, '42809', NULL, 'a system catalog cannot be captured: 42809');
SELECT throws_ok($$SELECT pgstreamx.uncapture_table('pg_class')$$, '42704', NULL, 'uncapturing a table that is not captured: 42704');
SELECT function_privs_are('pgstreamx', 'capture_table',
    ARRAY['regclass', 'text', 'boolean', 'boolean', 'boolean', 'boolean', 'text[]', 'text[]', 'text[]', 'regprocedure', 'integer'],
    'pgstreamx_producer', ARRAY[]::text[]);

-- Reserved GUC prefix.
SELECT throws_ok($$SET pgstreamx.no_such_setting = 1$$, '42602', NULL,
                 'unknown pgstreamx.* settings are rejected');

SELECT * FROM finish();
ROLLBACK;
