SELECT queue_length FROM pgstreamx.metrics('bloat_bq');
