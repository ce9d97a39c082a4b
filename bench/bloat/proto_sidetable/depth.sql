-- Unfinished messages: log rows without a done claim.
SELECT (SELECT count(*) FROM bench.psb_log) - (SELECT count(*) FROM bench.psb_claims WHERE done);
