SELECT lag_messages FROM pgstreamx.consumers WHERE stream = 'bloat_s' AND consumer = 'd';
