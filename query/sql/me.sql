-- GET /v1/me: the caller's own row, a point read (point_read.go).
SELECT id::text, email, name, role, company_id::text, status, created_at
FROM {users}
WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'
