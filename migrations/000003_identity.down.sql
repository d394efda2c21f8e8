DROP TABLE IF EXISTS rm_login_attempts_v1;
DROP TABLE IF EXISTS rm_sessions_v1;
DROP TABLE IF EXISTS rm_users_v1;
