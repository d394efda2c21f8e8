-- GET /v1/admin/companies/{id}
SELECT {company_columns}
FROM {companies}
WHERE id = $1
