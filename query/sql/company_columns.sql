id::text, name, status, plan, requests_per_minute, daily_requests, monthly_requests,
company_requests_per_minute, company_daily_requests, company_monthly_requests, created_at
