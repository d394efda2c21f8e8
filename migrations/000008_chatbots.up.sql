-- Chatbots and their API keys, owned by the chatbots and api_keys
-- projections. A key's secret is never here: only what identifies it.
CREATE TABLE rm_chatbots_v1 (
    tenant_id           text        NOT NULL,
    id                  uuid        NOT NULL,
    name                text        NOT NULL,
    description         text        NOT NULL,
    settings            jsonb       NOT NULL,
    status              text        NOT NULL,
    requests_per_minute integer,
    daily_requests      bigint,
    monthly_requests    bigint,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    position            bigint      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE rm_api_keys_v1 (
    tenant_id    text        NOT NULL,
    id           uuid        NOT NULL,
    chatbot_id   uuid        NOT NULL,
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    last4        text        NOT NULL,
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    position     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rm_api_keys_v1_chatbot ON rm_api_keys_v1 (tenant_id, chatbot_id, id);
