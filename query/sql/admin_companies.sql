-- GET /v1/admin/companies: oldest first, by status.
SELECT {company_columns}
FROM {companies}
WHERE id > $1 AND ($2 = '' OR status = $2)
ORDER BY id
LIMIT $3
