DROP TABLE IF EXISTS rm_event_log_v1;
