-- The allow-list for user-supplied names (invariant I9), src/core/names.cpp.
CREATE EXTENSION IF NOT EXISTS pgstreamx;
CREATE EXTENSION IF NOT EXISTS pgstreamx_test;
SET search_path = pgstreamx_test, public;

SELECT validate_name('stream', 'orders'), validate_name('queue', '_q1'),
       validate_name('stream', repeat('a', 47));
SELECT validate_name('stream', 'Orders');
SELECT error_of($$SELECT pgstreamx_test.validate_name('queue', '')$$);
SELECT error_of($$SELECT pgstreamx_test.validate_name('queue', '1abc')$$);
SELECT error_of($$SELECT pgstreamx_test.validate_name('queue', 'a-b')$$);
SELECT error_of($$SELECT pgstreamx_test.validate_name('queue', 'x"; DROP TABLE t; --')$$);
SELECT error_of($$SELECT pgstreamx_test.validate_name('queue', 'naïve')$$);
SELECT error_of(format('SELECT pgstreamx_test.validate_name(%L, %L)', 'stream', repeat('a', 48)));
SELECT error_of(format('SELECT pgstreamx_test.validate_name(%L, %L)', 'stream', repeat('b', 100)));
