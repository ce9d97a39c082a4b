VACUUM bench.bloat_raw;
