-- Rebuild requests are ProjectionRebuildRequested events: the projection's
-- leader follows them on the stream. Its row records which request the
-- running (or last) rebuild serves, which one it finished, and how far a
-- running rebuild is, so that any process can show the progress.
ALTER TABLE projection_checkpoints
    ADD COLUMN rebuild_request bigint NOT NULL DEFAULT 0,
    ADD COLUMN rebuild_handled bigint NOT NULL DEFAULT 0,
    ADD COLUMN rebuild_total   bigint;
-- The requests served before are those not pending: the audit log's
-- position (it follows every event) covers them, requests included.
UPDATE projection_checkpoints
    SET rebuild_handled = (SELECT max(position) FROM projection_checkpoints)
    WHERE rebuild_requested_at IS NULL;
ALTER TABLE projection_checkpoints DROP COLUMN rebuild_requested_at;

-- The row security of a tenant-keyed read model, defined once: the tenant
-- reader may read the rows of app.tenant_id only (see 000006). Migrations
-- creating a read model call it, and so does a rebuild for the copies of the
-- tables it builds.
CREATE FUNCTION chatbot_tenant_read_model(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT SELECT ON %s TO chatbot_tenant_reader', t);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR SELECT TO chatbot_tenant_reader
        USING (tenant_id = current_setting(''app.tenant_id'', true))', t);
END
$$;
