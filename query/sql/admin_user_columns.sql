id::text, email, name, role, company_id::text, status, created_at, locked_until, permanent_lock,
lock_count, failed_login_count, last_login_at
