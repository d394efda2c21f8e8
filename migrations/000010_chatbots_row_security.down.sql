DROP POLICY IF EXISTS tenant_isolation ON rm_api_keys_v1;
DROP POLICY IF EXISTS tenant_isolation ON rm_chatbots_v1;
ALTER TABLE rm_api_keys_v1 DISABLE ROW LEVEL SECURITY;
ALTER TABLE rm_chatbots_v1 DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON rm_chatbots_v1, rm_api_keys_v1 FROM chatbot_tenant_reader;
