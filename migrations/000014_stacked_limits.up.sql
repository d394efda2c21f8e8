-- Limits that stack: a key's own limits (NULL: its chatbot's alone) and a
-- plan's company-wide limits, counted across all the company's chatbots
-- and keys (NULL: no company-wide limit).
ALTER TABLE rm_api_keys_v1
    ADD COLUMN requests_per_minute integer,
    ADD COLUMN daily_requests      bigint,
    ADD COLUMN monthly_requests    bigint;

ALTER TABLE rm_companies_v1
    ADD COLUMN company_requests_per_minute integer,
    ADD COLUMN company_daily_requests      bigint,
    ADD COLUMN company_monthly_requests    bigint;
