-- GET /v1/admin/users: the conditions and the order follow, built from
-- the filters given.
SELECT {admin_user_columns}
FROM {users}
WHERE
