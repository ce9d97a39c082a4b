-- Objects shared by every fixture. Run once per bench server, as superuser.
CREATE SCHEMA IF NOT EXISTS bench;

-- The ~100-byte JSON message every test moves. Server-side generated copies
-- (pre-fill, bloat cycles) have the same shape as the payload the pgbench
-- clients send (see PAYLOAD in bench/run.sh).
CREATE OR REPLACE FUNCTION bench.payload(i bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object('event', 'order.created', 'order_id', 1000000 + i,
                            'customer', 'cust-' || lpad((i % 100000)::text, 5, '0'),
                            'amount', 99.95, 'currency', 'EUR', 'seq', i)
$$;
