ALTER TABLE rm_companies_v1
    DROP COLUMN company_requests_per_minute,
    DROP COLUMN company_daily_requests,
    DROP COLUMN company_monthly_requests;

ALTER TABLE rm_api_keys_v1
    DROP COLUMN requests_per_minute,
    DROP COLUMN daily_requests,
    DROP COLUMN monthly_requests;
