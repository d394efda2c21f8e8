-- GET /v1/companies/{cid}: a company is its own tenant.
SELECT {company_columns}
FROM {companies}
WHERE tenant_id = $1 AND id = $1::uuid
