-- GET /v1/admin/users/{id}/login-attempts, of a user user_exists.sql
-- found: the conditions and the order (newest first) follow, built from
-- the filters given.
SELECT position, at, succeeded, ip, user_agent, reason
FROM {login_attempts}
WHERE
