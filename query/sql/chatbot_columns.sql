b.id::text, b.tenant_id, b.name, b.description, b.settings, b.status,
b.requests_per_minute, b.daily_requests, b.monthly_requests,
c.requests_per_minute, c.daily_requests, c.monthly_requests, b.created_at, b.updated_at
