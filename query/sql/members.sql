-- GET /v1/companies/{cid}/members
SELECT id::text, email, name, role, status, created_at, last_login_at
FROM {users}
WHERE tenant_id = $1 AND status <> 'deleted' AND id > $2
ORDER BY id
LIMIT $3
