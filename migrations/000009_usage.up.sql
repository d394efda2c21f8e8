-- Usage of the metered bot API, owned by the usage projection: the accepted
-- calls of each API key per hour (UTC), summed over every UsageRecorded.
-- The report adds the hours up into days and months.
CREATE TABLE rm_usage_hourly_v1 (
    tenant_id    text        NOT NULL,
    chatbot_id   uuid        NOT NULL,
    api_key_id   uuid        NOT NULL,
    hour         timestamptz NOT NULL,
    requests     bigint      NOT NULL,
    units        bigint      NOT NULL,
    last_used_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    position     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, chatbot_id, api_key_id, hour)
);
-- The report reads one company's hours in a range: of the whole company,
-- of one chatbot or of one key. The primary key, with the key before the
-- hour, serves none of them well.
CREATE INDEX rm_usage_hourly_v1_hour ON rm_usage_hourly_v1 (tenant_id, hour);
CREATE INDEX rm_usage_hourly_v1_chatbot ON rm_usage_hourly_v1 (tenant_id, chatbot_id, hour);
CREATE INDEX rm_usage_hourly_v1_key ON rm_usage_hourly_v1 (tenant_id, api_key_id, hour);

-- Row security as for every tenant-keyed read model (see 000006): the
-- tenant reader sees only its tenant's rows. Done only where that role
-- exists, so that this migration does not depend on it.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatbot_tenant_reader') THEN
        GRANT SELECT ON rm_usage_hourly_v1 TO chatbot_tenant_reader;
        ALTER TABLE rm_usage_hourly_v1 ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON rm_usage_hourly_v1 FOR SELECT TO chatbot_tenant_reader
            USING (tenant_id = current_setting('app.tenant_id', true));
    END IF;
END
$$;
