DROP TABLE IF EXISTS rm_usage_monthly_v1;
DROP TABLE IF EXISTS rm_usage_daily_v1;
DROP TABLE IF EXISTS task_effects;
