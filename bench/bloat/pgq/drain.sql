-- ticker once more (the last fill transaction's tick may be due) then consume every batch
SELECT pgq.ticker('bloat_q');
CALL bench.bloat_pgq_drain();
