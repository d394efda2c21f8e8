-- The chatbot read models behind row-level security, like the others
-- (see 000006 and docs/SCHEMA.md).
GRANT SELECT ON rm_chatbots_v1, rm_api_keys_v1 TO chatbot_tenant_reader;
ALTER TABLE rm_chatbots_v1 ENABLE ROW LEVEL SECURITY;
ALTER TABLE rm_api_keys_v1 ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rm_chatbots_v1 FOR SELECT TO chatbot_tenant_reader
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON rm_api_keys_v1 FOR SELECT TO chatbot_tenant_reader
    USING (tenant_id = current_setting('app.tenant_id', true));
