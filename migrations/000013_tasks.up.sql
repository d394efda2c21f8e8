-- What the background tasks did, one row per task and message (an event's
-- id, or a timer's position): a task checks it in the transaction of its
-- effect, so that a message delivered twice has its effect once.
CREATE TABLE task_effects (
    task    text        NOT NULL,
    key     text        NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task, key)
);

-- Usage roll-ups, owned by the usage projection beside the hourly rows:
-- the calls of each API key per day and per month (UTC), added as usage
-- arrives, so that the report reads days and months without summing hours.
CREATE TABLE rm_usage_daily_v1 (
    tenant_id    text        NOT NULL,
    chatbot_id   uuid        NOT NULL,
    api_key_id   uuid        NOT NULL,
    day          timestamptz NOT NULL,
    requests     bigint      NOT NULL,
    units        bigint      NOT NULL,
    updated_at   timestamptz NOT NULL,
    position     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, chatbot_id, api_key_id, day)
);
CREATE INDEX rm_usage_daily_v1_day ON rm_usage_daily_v1 (tenant_id, day);
CREATE INDEX rm_usage_daily_v1_chatbot ON rm_usage_daily_v1 (tenant_id, chatbot_id, day);
CREATE INDEX rm_usage_daily_v1_key ON rm_usage_daily_v1 (tenant_id, api_key_id, day);

CREATE TABLE rm_usage_monthly_v1 (
    tenant_id    text        NOT NULL,
    chatbot_id   uuid        NOT NULL,
    api_key_id   uuid        NOT NULL,
    month        timestamptz NOT NULL,
    requests     bigint      NOT NULL,
    units        bigint      NOT NULL,
    updated_at   timestamptz NOT NULL,
    position     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, chatbot_id, api_key_id, month)
);
CREATE INDEX rm_usage_monthly_v1_month ON rm_usage_monthly_v1 (tenant_id, month);
CREATE INDEX rm_usage_monthly_v1_chatbot ON rm_usage_monthly_v1 (tenant_id, chatbot_id, month);
CREATE INDEX rm_usage_monthly_v1_key ON rm_usage_monthly_v1 (tenant_id, api_key_id, month);

-- The hours already recorded, rolled up once; the projection's positions
-- then keep each row in step (an event at or below a row's position has
-- been added to it).
INSERT INTO rm_usage_daily_v1 (tenant_id, chatbot_id, api_key_id, day, requests, units, updated_at, position)
SELECT tenant_id, chatbot_id, api_key_id, date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       sum(requests), sum(units), max(updated_at), max(position)
FROM rm_usage_hourly_v1 GROUP BY 1, 2, 3, 4;
INSERT INTO rm_usage_monthly_v1 (tenant_id, chatbot_id, api_key_id, month, requests, units, updated_at, position)
SELECT tenant_id, chatbot_id, api_key_id, date_trunc('month', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       sum(requests), sum(units), max(updated_at), max(position)
FROM rm_usage_hourly_v1 GROUP BY 1, 2, 3, 4;

-- Row security as for every tenant-keyed read model (see 000006 and 000010).
GRANT SELECT ON rm_usage_daily_v1, rm_usage_monthly_v1 TO chatbot_tenant_reader;
ALTER TABLE rm_usage_daily_v1 ENABLE ROW LEVEL SECURITY;
ALTER TABLE rm_usage_monthly_v1 ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rm_usage_daily_v1 FOR SELECT TO chatbot_tenant_reader
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON rm_usage_monthly_v1 FOR SELECT TO chatbot_tenant_reader
    USING (tenant_id = current_setting('app.tenant_id', true));
