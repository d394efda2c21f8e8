-- Identity read models, owned by the users, sessions and login_attempts projections.

CREATE TABLE rm_users_v1 (
    tenant_id           text        NOT NULL,
    id                  uuid        NOT NULL,
    company_id          uuid,
    email               text        NOT NULL,
    name                text        NOT NULL,
    role                text        NOT NULL,
    status              text        NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_login_at       timestamptz,
    failed_login_count  integer     NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    permanent_lock      boolean     NOT NULL DEFAULT false,
    lock_count          integer     NOT NULL DEFAULT 0,
    position            bigint      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rm_users_v1_email ON rm_users_v1 (email);
CREATE INDEX rm_users_v1_company ON rm_users_v1 (company_id, created_at);

CREATE TABLE rm_sessions_v1 (
    tenant_id     text        NOT NULL,
    id            uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    started_at    timestamptz NOT NULL,
    last_used_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ip            text        NOT NULL,
    user_agent    text        NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rm_sessions_v1_user ON rm_sessions_v1 (user_id, started_at);

CREATE TABLE rm_login_attempts_v1 (
    tenant_id   text        NOT NULL,
    position    bigint      NOT NULL,
    user_id     uuid        NOT NULL,
    at          timestamptz NOT NULL,
    succeeded   boolean     NOT NULL,
    ip          text        NOT NULL,
    user_agent  text        NOT NULL,
    reason      text,
    PRIMARY KEY (tenant_id, position)
);
CREATE INDEX rm_login_attempts_v1_user ON rm_login_attempts_v1 (user_id, position DESC);
