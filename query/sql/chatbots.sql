-- GET /v1/companies/{cid}/chatbots
SELECT {chatbot_columns}
FROM {chatbots} b
LEFT JOIN {companies} c ON c.tenant_id = b.tenant_id AND c.id = b.tenant_id::uuid
WHERE b.tenant_id = $1 AND b.id > $2
ORDER BY b.id
LIMIT $3
