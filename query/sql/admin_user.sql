-- GET /v1/admin/users/{id}
SELECT {admin_user_columns}
FROM {users}
WHERE id = $1 AND status <> 'deleted'
