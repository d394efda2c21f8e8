-- Row-level security on the read models: a second wall of tenant isolation
-- behind the query side's own tenant filter.
--
-- Tenant-scoped reads run as the role chatbot_tenant_reader with the setting
-- app.tenant_id set to the caller's tenant, both local to the read's
-- transaction (query.TenantQuery). Under that role the policies below hide
-- every row of another tenant, so a read that forgot its WHERE tenant_id
-- still sees only its own tenant. The projector and the admin reads keep
-- running as the connecting user: superusers and table owners bypass row
-- security (it is not FORCEd), which is what lets them write every tenant's
-- rows and read across tenants.

-- Roles belong to the whole server, not to one database, so the role may
-- exist already (another database of the same server, or a migration of
-- one running at this moment).
DO $$
BEGIN
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chatbot_tenant_reader') THEN
            CREATE ROLE chatbot_tenant_reader NOLOGIN;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created meanwhile by the migration of another database
    END;
    -- A superuser may SET ROLE to any role; another connecting user needs
    -- to be a member.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN
            GRANT chatbot_tenant_reader TO CURRENT_USER;
        EXCEPTION WHEN unique_violation THEN
            NULL; -- granted meanwhile by the migration of another database
        END;
    END IF;
END
$$;

-- Every read model keyed by tenant_id: grant SELECT, enable row security and
-- let chatbot_tenant_reader see only the rows of app.tenant_id. An unset
-- app.tenant_id is NULL (or '' once set and reset), which matches no tenant.
-- The tables are taken from the catalog rather than listed so that read
-- models made by migrations before this one are all covered. Read models
-- made by later migrations do the same three statements themselves (see
-- docs/SCHEMA.md); a missing grant fails loudly with permission denied.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relkind = 'r' AND c.relname LIKE 'rm\_%' AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('GRANT SELECT ON %s TO chatbot_tenant_reader', t);
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR SELECT TO chatbot_tenant_reader
            USING (tenant_id = current_setting(''app.tenant_id'', true))', t);
    END LOOP;
END
$$;
