ALTER TABLE rm_companies_v1
    DROP COLUMN plan,
    DROP COLUMN requests_per_minute,
    DROP COLUMN daily_requests,
    DROP COLUMN monthly_requests;
