-- Table capture: statement-level C++ triggers append a table's changes to a
-- stream in the writer's transaction.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

CREATE TABLE public.users (id int PRIMARY KEY, name text, email text, secret text);
SELECT pgstreamx.capture_table('public.users', exclude_columns => '{secret}');
SELECT tbl, stream, inserts, updates, deletes, truncates, columns, exclude_columns, key_columns, hook
FROM pgstreamx.captures;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.users'::regclass ORDER BY 1;

-- Every operation; events in statement order; a statement touching no row appends nothing.
INSERT INTO users VALUES (1, 'ann', 'ann@example.com', 's1'), (2, 'bob', 'bob@example.com', 's2');
UPDATE users SET email = 'ann@example.org' WHERE id = 1;
UPDATE users SET name = name WHERE id = 99;
DELETE FROM users WHERE id = 2;
CREATE FUNCTION pg_temp.events() RETURNS TABLE(seq bigint, topic text, key text, payload jsonb, header_keys text, stmt int, changed jsonb, old jsonb)
LANGUAGE sql AS $$
    SELECT seq, topic, key, payload, (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(headers) k),
           (headers->>'statement')::int, headers->'changed', headers->'old'
    FROM pgstreamx.peek('public_users', max => 10000) ORDER BY seq $$;
SELECT * FROM pg_temp.events();
SELECT bool_and(headers->>'xid' ~ '^[0-9]+$') AS xid_is_xid8,
       count(DISTINCT headers->>'xid') AS transactions
FROM pgstreamx.peek('public_users', max => 10000);

-- One transaction, several statements: one xid, statement order 1, 2, 3.
BEGIN;
INSERT INTO users VALUES (3, 'cy', 'cy@example.com', 's3');
UPDATE users SET name = 'cyril', email = 'cyril@example.com' WHERE id = 3;
DELETE FROM users WHERE id = 3;
COMMIT;
SELECT topic, headers->>'statement' AS stmt, headers->'changed' AS changed
FROM pgstreamx.peek('public_users', max => 10000) WHERE payload->>'id' = '3' ORDER BY seq;
SELECT count(DISTINCT headers->>'xid') AS one_xid FROM pgstreamx.peek('public_users', max => 10000) WHERE payload->>'id' = '3';

-- A rollback publishes nothing.
BEGIN;
INSERT INTO users VALUES (4, 'dee', 'dee@example.com', 's4');
ROLLBACK;
SELECT count(*) AS rolled_back_events FROM pgstreamx.peek('public_users', max => 10000) WHERE payload->>'id' = '4';

-- A multi-row update pairs every old row with its new row.
INSERT INTO users SELECT i, 'u' || i, 'u' || i || '@example.com', 'x' FROM generate_series(10, 14) i;
UPDATE users SET name = upper(name) WHERE id BETWEEN 10 AND 14;
SELECT bool_and(payload->>'id' = headers->'old'->>'id' AND payload->>'name' = upper(headers->'old'->>'name')) AS paired,
       count(*) AS updates
FROM pgstreamx.peek('public_users', max => 10000) WHERE topic = 'public.users.update' AND (payload->>'id')::int BETWEEN 10 AND 14;

-- TRUNCATE: one event.
TRUNCATE users;
SELECT topic, payload, (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(headers) k) AS header_keys
FROM pgstreamx.peek('public_users', max => 10000) WHERE topic LIKE '%truncate';

-- The events are readable with poll.
SELECT count(*) AS polled FROM pgstreamx.poll('public_users', 'audit', 1000);

-- DDL: adding and dropping columns keeps capture working.
ALTER TABLE users ADD COLUMN age int;
INSERT INTO users VALUES (20, 'eve', 'eve@example.com', 's', 33);
ALTER TABLE users DROP COLUMN email;
INSERT INTO users VALUES (21, 'fay', 's', 44);
SELECT payload FROM pgstreamx.peek('public_users', max => 10000) WHERE topic = 'public.users.insert' AND (payload->>'id')::int >= 20 ORDER BY seq;

-- Payloads are to_jsonb() of the row, whatever the column types: built-in
-- scalars are converted without to_jsonb (src/row_json.cpp), other types
-- through it; both give the same jsonb, key order included (::text).
CREATE DOMAIN public.short_text AS text CHECK (length(VALUE) < 100);
CREATE DOMAIN public.amount AS numeric(12, 2);
CREATE TABLE public.typed (
    id int PRIMARY KEY, b bool, i2 int2, i8 int8, n numeric, n3 numeric(10, 3), f4 real, f8 double precision,
    d date, ts timestamp, tstz timestamptz, tm time, tmz timetz, iv interval, txt text, vc varchar(12), c char(5),
    nm name, u uuid, ip inet, bt bytea, o oid, st public.short_text, am public.amount, "Mixed Case" text,
    "ключ" text, x text);
SELECT pgstreamx.capture_table('typed', stream => 'typed_events');
INSERT INTO typed VALUES
    (1, true, -32768, -9223372036854775808, 'NaN', 1.5, 'NaN', 'Infinity', 'infinity', '-infinity', 'infinity',
     '24:00', '00:00+14', '-1 year 2 days 03:04:05.5', '', 'v', 'ab', 'nm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     '::1/128', '\x00ff', 4294967295, 'dom', 12.5, 'mixed', 'юникод', e'quote " backslash \\ newline \n tab \t nul-free \u00e9'),
    (2, false, 32767, 9223372036854775807, '-123456789012345678901234567890.000000000000001', -0.001, '-0', '1e300',
     '0044-03-15 BC', '1999-12-31 23:59:59.999999', '2026-12-01 12:00:00.123456+05:30', '12:34:56.789', '23:59:59-12',
     '0', repeat('long ', 200), 'éèê', 'a', '', '00000000-0000-0000-0000-000000000000', '10.0.0.0/8', '', 0,
     '', -0.5, NULL, NULL, '{"not": "json"}'),
    (3, NULL, NULL, NULL, 'Infinity', NULL, '-Infinity', '1.7976931348623157e308', NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, NULL, 0, 0, '-Infinity', 0, 1.17549435e-38, 4.9e-324, '2000-02-29', '1970-01-01', '1970-01-01 00:00:00+00',
     '00:00', '00:00+00', '1 mon', 'x', 'x', 'x', 'x', NULL, '192.168.0.1', '\x', 1, 'x', 0, 'x', 'x', 'x');
SELECT r.id, m.payload = to_jsonb(r) AS equal, m.payload::text = to_jsonb(r)::text AS same_text,
       m.payload->>'Mixed Case' IS NOT DISTINCT FROM r."Mixed Case" AS key_lookup,
       m.payload->>'ключ' IS NOT DISTINCT FROM r."ключ" AS unicode_key
FROM pgstreamx.peek('typed_events', max => 10000) m JOIN typed r ON r.id = (m.payload->>'id')::int ORDER BY r.id;
SELECT payload FROM pgstreamx.peek('typed_events', max => 10000) WHERE (payload->>'id')::int = 1;
-- The old row of an update is converted the same way.
UPDATE typed SET x = 'changed' WHERE id IN (1, 2);
SELECT r.id, m.headers->'old' = (SELECT p.payload FROM pgstreamx.peek('typed_events', max => 10000) p
                                  WHERE p.topic = 'public.typed.insert' AND (p.payload->>'id')::int = r.id) AS old_row,
       m.payload = to_jsonb(r) AS new_row, m.headers->'changed' AS changed
FROM pgstreamx.peek('typed_events', max => 10000) m JOIN typed r ON r.id = (m.payload->>'id')::int
WHERE m.topic = 'public.typed.update' ORDER BY r.id;
-- Types converted by to_jsonb (arrays, json, jsonb, enums, composites): the same.
CREATE TYPE public.mood AS ENUM ('ok', 'meh');
CREATE TYPE public.pair AS (a int, b text);
CREATE TABLE public.typed2 (id int PRIMARY KEY, a int[], j json, jb jsonb, m public.mood, p public.pair, n numeric);
SELECT pgstreamx.capture_table('typed2', stream => 'typed2_events');
INSERT INTO typed2 VALUES (1, '{1,NULL,3}', '{"b": 1, "a": [true]}', '{"z": null}', 'meh', ROW(1, 'x'), 'NaN'),
                          (2, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT r.id, m.payload = to_jsonb(r) AS equal, m.payload::text = to_jsonb(r)::text AS same_text
FROM pgstreamx.peek('typed2_events', max => 10000) m JOIN typed2 r ON r.id = (m.payload->>'id')::int ORDER BY r.id;
SELECT pgstreamx.uncapture_table('typed'), pgstreamx.uncapture_table('typed2');
SELECT pgstreamx.drop_stream('typed_events'), pgstreamx.drop_stream('typed2_events');
DROP TABLE typed, typed2;
DROP TYPE public.mood, public.pair;
DROP DOMAIN public.short_text, public.amount;

-- Large statements: transition tables that spill to disk (work_mem) are
-- read in chunks; every row is captured once.
SET work_mem = '64kB';
INSERT INTO users (id, name) SELECT i, 'bulk' FROM generate_series(1000, 5999) i;
UPDATE users SET name = 'bulk2' WHERE id >= 1000;
RESET work_mem;
-- (peek returns at most 10000 messages: read on after the last one.)
SELECT max(seq) AS first_half_end FROM pgstreamx.peek('public_users', max => 10000) \gset
SELECT topic, count(*), count(DISTINCT payload->>'id') AS ids
FROM (SELECT * FROM pgstreamx.peek('public_users', max => 10000)
      UNION ALL SELECT * FROM pgstreamx.peek('public_users', after => :first_half_end, max => 10000)) m
WHERE (payload->>'id')::int >= 1000 GROUP BY 1 ORDER BY 1;
-- Each statement's events are stored in packs (several per row), and the
-- statistics count messages, not rows.
SELECT s.messages = (SELECT count(*) FROM pgstreamx.peek('public_users', max => 10000))
                  + (SELECT count(*) FROM pgstreamx.peek('public_users', after => :first_half_end, max => 10000))
       AS messages_counted,
       (SELECT count(*) FROM pgstreamx.s_public_users) < s.messages / 10 AS packed
FROM pgstreamx.streams s WHERE s.name = 'public_users';

-- Column options and a key: all changes of one row go to one partition.
CREATE TABLE public.orders (region text, no int, total numeric, note text, PRIMARY KEY (region, no));
SELECT pgstreamx.capture_table('orders', stream => 'order_events', columns => '{region,no,total}', partitions => 4,
                               truncates => false);
INSERT INTO orders VALUES ('eu', 1, 10, 'n'), ('us', 1, 20, 'n');
UPDATE orders SET total = total + 1;
SELECT key, topic, payload, partition FROM pgstreamx.peek('order_events', max => 10000) ORDER BY key, seq;
SELECT count(DISTINCT partition) AS partitions_per_key FROM pgstreamx.peek('order_events', max => 10000) GROUP BY key;

-- Column options follow renames and drops: a renamed excluded column stays
-- excluded (it is not captured under its new name), a renamed key column
-- stays the key, a dropped listed column leaves the options.
CREATE TABLE public.accounts (id int PRIMARY KEY, name text, token text, note text, extra text);
SELECT pgstreamx.capture_table('accounts', exclude_columns => '{token}', key_columns => '{id}');
INSERT INTO accounts VALUES (1, 'a', 'secret-1', 'n', 'x');
ALTER TABLE accounts RENAME COLUMN token TO api_token;
ALTER TABLE accounts RENAME COLUMN id TO account_id;
INSERT INTO accounts VALUES (2, 'b', 'secret-2', 'n', 'x');
ALTER TABLE accounts DROP COLUMN extra;
INSERT INTO accounts VALUES (3, 'c', 'secret-3', 'n');
SELECT key, payload FROM pgstreamx.peek('public_accounts', max => 10000) ORDER BY seq;
SELECT exclude_columns, key_columns FROM pgstreamx.captures WHERE tbl = 'accounts'::regclass;
-- A whitelist follows too; a column of the same name added later is new, not listed.
SELECT pgstreamx.uncapture_table('accounts');
SELECT pgstreamx.capture_table('accounts', columns => '{account_id,name,note}');
ALTER TABLE accounts RENAME COLUMN note TO remark;
ALTER TABLE accounts DROP COLUMN name;
ALTER TABLE accounts ADD COLUMN name text;
INSERT INTO accounts VALUES (4, 'secret-4', 'r', 'd');
SELECT payload FROM pgstreamx.peek('public_accounts', max => 10000) WHERE (payload->>'account_id')::int = 4;
SELECT columns, exclude_columns, key_columns FROM pgstreamx.captures WHERE tbl = 'accounts'::regclass;
SELECT pgstreamx.uncapture_table('accounts');
DROP TABLE accounts;
SELECT pgstreamx.drop_stream('public_accounts');

-- A capture naming no column (no key, no options) does not upset ALTER TABLE.
CREATE TABLE public.keyless (a int, b text);
SELECT pgstreamx.capture_table('keyless');
ALTER TABLE keyless RENAME COLUMN b TO bb;
ALTER TABLE keyless ADD COLUMN c int;
CREATE TABLE public.unrelated (x int);
ALTER TABLE unrelated ADD COLUMN y int;
INSERT INTO keyless VALUES (1, 'b', 2);
SELECT key, payload FROM pgstreamx.peek('public_keyless', max => 10000);
SELECT pgstreamx.uncapture_table('keyless');
DROP TABLE keyless, unrelated;
SELECT pgstreamx.drop_stream('public_keyless');

-- Derived stream names: two tables that derive the same one are refused
-- (sharing a stream takes naming it), re-capturing a table reuses its own.
CREATE SCHEMA a_b;
CREATE SCHEMA a;
CREATE TABLE a_b.c (id int PRIMARY KEY);
CREATE TABLE a.b_c (id int PRIMARY KEY);
SELECT pgstreamx.capture_table('a_b.c');
SELECT error_of($$SELECT pgstreamx.capture_table('a.b_c')$$);
SELECT pgstreamx.capture_table('a.b_c', stream => 'a_b_c');
SELECT pgstreamx.uncapture_table('a_b.c'), pgstreamx.uncapture_table('a.b_c');
SELECT pgstreamx.capture_table('a_b.c');
SELECT pgstreamx.uncapture_table('a_b.c');
DROP SCHEMA a_b, a CASCADE;
SELECT pgstreamx.drop_stream('a_b_c');

-- The customisation hook: reshapes or suppresses events, set-wise, with its owner's rights.
CREATE ROLE pgstreamx_hook_owner NOLOGIN;
CREATE TABLE public.items (id int PRIMARY KEY, name text, hidden boolean DEFAULT false);
CREATE FUNCTION public.items_hook(op text, new_row jsonb, old_row jsonb, OUT payload jsonb, OUT emit boolean)
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('op', op, 'id', coalesce(new_row, old_row)->'id', 'by', current_user::text),
           NOT coalesce((coalesce(new_row, old_row)->>'hidden')::boolean, false) $$;
SELECT error_of($$SELECT pgstreamx.capture_table('items', hook => 'public.items_hook(text,jsonb,jsonb)')$$);
ALTER FUNCTION public.items_hook(text, jsonb, jsonb) OWNER TO pgstreamx_hook_owner;
SELECT pgstreamx.capture_table('items', hook => 'public.items_hook(text,jsonb,jsonb)');
INSERT INTO items VALUES (1, 'shown', false), (2, 'hidden', true), (3, 'shown too', false);
DELETE FROM items WHERE id = 3;
SELECT topic, payload FROM pgstreamx.peek('public_items', max => 10000) ORDER BY seq;
-- Its owner is checked when it runs: handed to a superuser, it is refused.
ALTER FUNCTION public.items_hook(text, jsonb, jsonb) OWNER TO CURRENT_USER;
SELECT error_of($$INSERT INTO items VALUES (9, 'x', false)$$);
ALTER FUNCTION public.items_hook(text, jsonb, jsonb) OWNER TO pgstreamx_hook_owner;
INSERT INTO items VALUES (9, 'x', false);
SELECT count(*) AS items_events FROM pgstreamx.peek('public_items', max => 10000);
-- A STRICT hook would be skipped for inserts and deletes (one argument is NULL): refused.
CREATE FUNCTION public.strict_hook(op text, new_row jsonb, old_row jsonb, OUT payload jsonb, OUT emit boolean)
LANGUAGE sql STRICT AS $$ SELECT new_row, false $$;
ALTER FUNCTION public.strict_hook(text, jsonb, jsonb) OWNER TO pgstreamx_hook_owner;
CREATE TABLE public.strict_t (id int PRIMARY KEY);
SELECT error_of($$SELECT pgstreamx.capture_table('strict_t', hook => 'public.strict_hook(text,jsonb,jsonb)')$$);
DROP TABLE public.strict_t;
DROP FUNCTION public.strict_hook(text, jsonb, jsonb);
CREATE FUNCTION public.bad_hook(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE TABLE public.other (id int PRIMARY KEY);
SELECT error_of($$SELECT pgstreamx.capture_table('other', hook => 'public.bad_hook(int)')$$);

-- Partitioned tables: captured at the root; DML through the root and
-- through a partition are both seen, also for partitions created later.
CREATE TABLE public.measurements (id int, at date, v int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE public.measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
SELECT error_of($$SELECT pgstreamx.capture_table('measurements_2026')$$);
SELECT pgstreamx.capture_table('measurements');
CREATE TABLE public.measurements_2027 PARTITION OF measurements FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
INSERT INTO measurements VALUES (1, '2026-05-01', 1), (2, '2027-05-01', 2);
INSERT INTO measurements_2026 VALUES (3, '2026-06-01', 3);
INSERT INTO measurements_2027 VALUES (4, '2027-06-01', 4);
SELECT topic, payload->>'id' AS id FROM pgstreamx.peek('public_measurements', max => 10000) ORDER BY seq;
-- TRUNCATE: of the partitioned table, one event; of a partition by itself,
-- one event naming the partition (rolled back: none).
TRUNCATE measurements;
TRUNCATE measurements_2026;
BEGIN;
TRUNCATE measurements_2027;
ROLLBACK;
SELECT topic, payload FROM pgstreamx.peek('public_measurements', max => 10000) WHERE topic LIKE '%truncate' ORDER BY seq;
-- A detached partition is no longer captured (its triggers go).
ALTER TABLE measurements DETACH PARTITION measurements_2027;
SELECT count(*) AS detached_triggers FROM pg_trigger WHERE tgrelid = 'public.measurements_2027'::regclass;
INSERT INTO measurements_2027 VALUES (5, '2027-07-01', 5);
SELECT count(*) AS measurement_events FROM pgstreamx.peek('public_measurements', max => 10000);
DROP TABLE measurements_2027;

-- Errors.
CREATE VIEW public.users_view AS SELECT * FROM users;
SELECT error_of($$SELECT pgstreamx.capture_table('users_view')$$);
SELECT error_of($$SELECT pgstreamx.capture_table('users')$$);
SELECT error_of($$SELECT pgstreamx.capture_table(NULL)$$);
SELECT error_of($$SELECT pgstreamx.capture_table('other', columns => '{nope}')$$);
SELECT error_of($$SELECT pgstreamx.capture_table('other', inserts => false, updates => false, deletes => false, truncates => false)$$);
SELECT error_of($$SELECT pgstreamx.capture_table('pgstreamx.stream_config')$$);
CREATE TABLE public.nokey (a int);
SELECT error_of($$SELECT pgstreamx.capture_table('nokey', partitions => 2)$$);
SELECT error_of($$SELECT pgstreamx.uncapture_table('nokey')$$);
SELECT error_of($$SELECT pgstreamx.drop_stream('public_users')$$);
CREATE ROLE pgstreamx_not_owner IN ROLE pgstreamx_admin;
GRANT USAGE ON SCHEMA pgstreamx_test TO pgstreamx_not_owner;
SET ROLE pgstreamx_not_owner;
SELECT error_of($$SELECT pgstreamx.capture_table('public.nokey')$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA pgstreamx_test FROM pgstreamx_not_owner;
DROP ROLE pgstreamx_not_owner;

-- Privileges: a writer without any pgstreamx rights still produces events.
CREATE ROLE pgstreamx_writer NOLOGIN;
GRANT USAGE ON SCHEMA pgstreamx_test TO pgstreamx_writer;
GRANT INSERT, SELECT ON public.other TO pgstreamx_writer;
SELECT pgstreamx.capture_table('other');
SET ROLE pgstreamx_writer;
INSERT INTO public.other VALUES (1);
SELECT error_of($$SELECT count(*) FROM pgstreamx.poll('public_other', 'x')$$);
RESET ROLE;
SELECT count(*) AS writer_events FROM pgstreamx.peek('public_other', max => 10000);

-- A non-superuser admin who owns a table captures and uncaptures it; the
-- rows are converted with the writer's rights (a user-defined cast to json
-- of a column type runs as the writer, not as the extension's owner).
CREATE ROLE pgstreamx_table_owner IN ROLE pgstreamx_admin;
GRANT USAGE ON SCHEMA pgstreamx_test TO pgstreamx_table_owner;
GRANT CREATE ON SCHEMA public TO pgstreamx_table_owner;
CREATE TYPE public.mood AS ENUM ('ok');
CREATE TABLE public.cast_log (who text);
GRANT INSERT ON public.cast_log TO PUBLIC;
CREATE FUNCTION public.mood_json(public.mood) RETURNS json LANGUAGE plpgsql
AS $$ BEGIN INSERT INTO public.cast_log VALUES (current_user); RETURN to_json($1::text); END $$;
CREATE CAST (public.mood AS json) WITH FUNCTION public.mood_json(public.mood);
SET ROLE pgstreamx_table_owner;
CREATE TABLE public.moods (id int PRIMARY KEY, m public.mood);
SELECT pgstreamx.capture_table('public.moods');
GRANT INSERT ON public.moods TO pgstreamx_writer;
RESET ROLE;
SET ROLE pgstreamx_writer;
INSERT INTO public.moods VALUES (1, 'ok');
RESET ROLE;
SELECT who FROM public.cast_log;
SELECT payload FROM pgstreamx.peek('public_moods', max => 10000);
SET ROLE pgstreamx_table_owner;
SELECT pgstreamx.uncapture_table('public.moods');
DROP TABLE public.moods;
RESET ROLE;
SELECT pgstreamx.drop_stream('public_moods');
DROP CAST (public.mood AS json);
DROP FUNCTION public.mood_json(public.mood);
DROP TABLE public.cast_log;
DROP TYPE public.mood;
REVOKE CREATE ON SCHEMA public FROM pgstreamx_table_owner;
REVOKE USAGE ON SCHEMA pgstreamx_test FROM pgstreamx_table_owner;
DROP ROLE pgstreamx_table_owner;

-- A hook dropped after capture: writes fail instead of going out unfiltered.
DROP FUNCTION public.items_hook(text, jsonb, jsonb);
SELECT error_of($$INSERT INTO items VALUES (10, 'x', true)$$);

-- Dropping a captured table removes its capture; uncapture removes triggers.
DROP TABLE public.other;
SELECT count(*) AS other_captures FROM pgstreamx.captures WHERE stream = 'public_other';
SELECT pgstreamx.uncapture_table('orders');
SELECT count(*) AS order_triggers FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass;
INSERT INTO orders VALUES ('eu', 2, 1, 'n');
SELECT count(*) AS order_events FROM pgstreamx.peek('order_events', max => 10000);

-- Packs: a statement's events share message rows (seq = the last seq of the
-- row, messages = how many). Reads are exact at every offset, however they
-- cut a pack; an event too large to share a row is a row of its own.
CREATE TABLE public.packs (id int PRIMARY KEY, body text);
SELECT pgstreamx.capture_table('packs', stream => 'packs_s');
INSERT INTO packs SELECT g, repeat('b', g % 50) FROM generate_series(1, 300) g;
-- 302's body is 3200 hex digits of md5: too large for a pack even compressed.
INSERT INTO packs VALUES (301, 'a'), (302, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g)),
                         (303, 'c'), (304, 'd');
SELECT count(*) < 20 AS few_rows, sum(coalesce(messages, 1)) AS messages, max(messages) > 20 AS packed,
       bool_and(pg_column_compression(payload_bytes) = 'lz4') FILTER (WHERE messages > 20) AS compressed,
       bool_and(pg_column_size(s) <= 2032) FILTER (WHERE messages IS NOT NULL) AS packs_inline
FROM pgstreamx.s_packs_s s;
SELECT seq, messages FROM pgstreamx.s_packs_s WHERE seq > 300 ORDER BY seq;
-- The rows tile seqs 1 .. 304 with no gap and no overlap.
SELECT bool_and(seq - coalesce(messages, 1) = prev) AS tiled, max(seq) AS last
FROM (SELECT seq, messages, coalesce(lag(seq) OVER (ORDER BY seq), 0) AS prev FROM pgstreamx.s_packs_s) r;
-- A consumer polling 7 at a time and committing each time gets every event
-- once, in order (the stream was empty: seq = id).
CREATE TEMP TABLE got (seq bigint, id int, topic text);
DO $$
DECLARE n int;
BEGIN
    LOOP
        INSERT INTO got SELECT p.seq, (p.payload->>'id')::int, p.topic FROM pgstreamx.poll('packs_s', 'stepper', 7) p;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
        PERFORM pgstreamx.commit_offset('packs_s', 'stepper', 0, (SELECT max(seq) FROM got));
    END LOOP;
END $$;
SELECT count(*), count(DISTINCT seq) AS distinct_seqs, min(seq), max(seq), bool_and(seq = id) AS in_order,
       bool_and(topic = 'public.packs.insert') AS topics
FROM got;
SELECT length(payload->>'body') AS wide_body FROM pgstreamx.peek('packs_s', after => 301, max => 1);
-- Updates: every event has headers of its own (changed, old), also packed.
UPDATE packs SET body = body || '!' WHERE id <= 100;
SELECT count(*) AS updates, bool_and(headers->'old'->>'body' || '!' = payload->>'body') AS old_rows,
       bool_and(headers->'changed' = '["body"]') AS changed
FROM pgstreamx.peek('packs_s', after => 304, max => 1000);
-- Lag counts messages inside a pack; an offset inside a pack reads on from it.
SELECT pgstreamx.create_consumer('packs_s', 'mid');
SELECT pgstreamx.seek('packs_s', 'mid', 0, 11::bigint) AS seek_to_seq;
SELECT lag_messages FROM pgstreamx.consumers WHERE stream = 'packs_s' AND consumer = 'mid';
SELECT seq, payload->>'id' AS id FROM pgstreamx.poll('packs_s', 'mid', 3);
-- seek by time finds a statement's first event, not its pack's last.
SELECT appended_at AS second_statement FROM pgstreamx.peek('packs_s', after => 300, max => 1) \gset
SELECT pgstreamx.seek('packs_s', 'mid', 0, :'second_statement'::timestamptz) AS seek_to_time;
SELECT pgstreamx.seek('packs_s', 'mid', 0, 'earliest'::text) AS seek_to_earliest;
SELECT seq FROM pgstreamx.poll('packs_s', 'mid', 1);
-- peek: one partition or all, after a seq, at most max; nothing is created.
SELECT seq, payload->>'id' AS id FROM pgstreamx.peek('packs_s', 0, 298, 3);
SELECT count(*) AS peeked FROM pgstreamx.peek('packs_s');  -- max 100
SELECT count(*) AS consumers FROM pgstreamx.consumers WHERE stream = 'packs_s';
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', after => -1)$$);
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', max => 0)$$);
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', max => 10001)$$);
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', partition => 1)$$);
SELECT error_of($$SELECT * FROM pgstreamx.peek('no_such_stream')$$);
SELECT error_of($$SELECT * FROM pgstreamx.peek('Bad Name')$$);
SELECT pgstreamx.create_queue('packs_q');
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_q')$$);
SELECT pgstreamx.drop_queue('packs_q');
-- A damaged pack (a message table changed by hand) is an error, not garbage.
UPDATE pgstreamx.s_packs_s SET payload_bytes = '\x505358310500'::bytea WHERE seq = 304;
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', after => 302)$$);
UPDATE pgstreamx.s_packs_s SET payload_bytes = NULL WHERE seq = 304;
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s', after => 302)$$);
BEGIN READ ONLY;
SELECT error_of($$SELECT * FROM pgstreamx.peek('packs_s')$$);
ROLLBACK;
-- Captured into a queue: one message row per event (a queue's claims are
-- per row; queues never pack).
CREATE TABLE public.jobs_src (id int PRIMARY KEY);
SELECT pgstreamx.create_queue('packs_jobs');
SELECT pgstreamx.capture_table('jobs_src', stream => 'packs_jobs');
INSERT INTO jobs_src SELECT generate_series(1, 50);
SELECT count(*) AS jobs, count(DISTINCT message->>'id') AS ids, count(*) FILTER (WHERE message IS NULL) AS empty
FROM pgstreamx.read('packs_jobs', 30, 100);
SELECT count(*) FILTER (WHERE messages IS NOT NULL) AS packs FROM pgstreamx.s_packs_jobs;
SELECT pgstreamx.uncapture_table('jobs_src');
DROP TABLE public.jobs_src;
SELECT pgstreamx.drop_queue('packs_jobs');
SELECT pgstreamx.uncapture_table('packs');
DROP TABLE public.packs;
SELECT pgstreamx.drop_stream('packs_s');

-- Clean up.
SELECT pgstreamx.uncapture_table(tbl) FROM pgstreamx.captures ORDER BY tbl::text;
DROP TABLE public.users, public.orders, public.items, public.measurements, public.nokey CASCADE;
DROP VIEW IF EXISTS public.users_view;
DROP FUNCTION public.bad_hook(int);
DROP ROLE pgstreamx_hook_owner;
REVOKE USAGE ON SCHEMA pgstreamx_test FROM pgstreamx_writer;
DROP ROLE pgstreamx_writer;
SELECT pgstreamx.drop_stream(name) FROM pgstreamx.list_streams()
WHERE name IN ('public_users', 'order_events', 'public_items', 'public_measurements', 'public_other');
