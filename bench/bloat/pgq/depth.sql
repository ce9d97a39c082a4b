SELECT coalesce(pending_events, 0) FROM pgq.get_consumer_info('bloat_q', 'bloat_c');
