SELECT count(*) FROM bench.bloat_raw;
