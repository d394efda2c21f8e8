-- GET /v1/companies/{cid}/chatbots/{bid}/api-keys: a page of the
-- chatbot's keys, never their hashes. An empty page is told from an
-- unknown chatbot by chatbot_exists.sql.
SELECT id::text, chatbot_id::text, name, prefix, last4, expires_at, created_at, revoked_at, last_used_at,
	requests_per_minute, daily_requests, monthly_requests
FROM {api_keys}
WHERE tenant_id = $1 AND chatbot_id = $2 AND id > $3
ORDER BY id
LIMIT $4
