CALL bench.pgq_maint();
SELECT pgq.ticker('bloat_q');
