DROP TABLE IF EXISTS rm_usage_hourly_v1;
