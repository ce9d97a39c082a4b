SELECT pg_sleep(1.1);
CALL pgstreamx.maintain();
