DROP FUNCTION IF EXISTS chatbot_tenant_read_model(regclass);
ALTER TABLE projection_checkpoints
    DROP COLUMN rebuild_total,
    DROP COLUMN rebuild_handled,
    DROP COLUMN rebuild_request,
    ADD COLUMN rebuild_requested_at timestamptz;
