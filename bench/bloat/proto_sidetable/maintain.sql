SELECT pg_sleep(1.1);
CALL bench.psb_maintain('1 second');
