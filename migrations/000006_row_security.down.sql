-- Undo row security on the read models of this database. The role stays:
-- it belongs to the whole server and other databases on it may use it.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT p.polrelid::regclass FROM pg_policy p
        JOIN pg_class c ON c.oid = p.polrelid
        WHERE p.polname = 'tenant_isolation' AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %s', t);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE SELECT ON %s FROM chatbot_tenant_reader', t);
    END LOOP;
END
$$;
