-- A company's plan and the default limits of its chatbots (NULL: the
-- platform configuration's default_limits).
ALTER TABLE rm_companies_v1
    ADD COLUMN plan                text    NOT NULL DEFAULT 'default',
    ADD COLUMN requests_per_minute integer,
    ADD COLUMN daily_requests      bigint,
    ADD COLUMN monthly_requests    bigint;
